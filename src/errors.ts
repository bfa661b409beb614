/**
 * One error hierarchy for the whole tool. Each class carries the exit code of the CLI contract and a stable
 * string code that tests and `--json` consumers can rely on. Messages say what happened; `hint` says what to do.
 */
export interface ErrorOptions {
  hint?: string;
  cause?: unknown;
  /** Extra machine-readable fields for `--json` output (never secrets). */
  details?: Record<string, unknown>;
}

export class WiseError extends Error {
  readonly exitCode: number = 1;
  readonly code: string = 'failure';
  readonly hint: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options.hint;
    this.details = options.details;
  }
}

export class UsageError extends WiseError {
  override readonly exitCode = 2;
  override readonly code = 'usage';
}

export class ApiError extends WiseError {
  override readonly exitCode = 3;
  override readonly code = 'api_error';
}

export class AuthError extends WiseError {
  override readonly exitCode = 4;
  override readonly code: string = 'auth';
}

export class ScaRequiredError extends WiseError {
  override readonly exitCode = 5;
  override readonly code = 'sca_required';
}

export class NetworkError extends WiseError {
  override readonly exitCode = 6;
  override readonly code = 'network';
}

export class SecretStoreError extends WiseError {
  override readonly exitCode = 7;
  override readonly code = 'secret_store';
}

/** Refused by the spending policy before anything was sent (exit 8). */
export class PolicyError extends WiseError {
  override readonly exitCode = 8;
  override readonly code = 'policy';
}

export class ConfigError extends WiseError {
  override readonly code = 'config';
}

/** A port that something else already listens on (the OAuth redirect listener, `wise mock --port`). */
export class PortInUseError extends WiseError {
  override readonly code = 'port_in_use';
  constructor(host: string, port: number, what: string, hint: string) {
    super(`Port ${port} on ${host} is already in use, so ${what}.`, { hint, details: { host, port } });
  }
}

export class CancelledError extends WiseError {
  override readonly exitCode = 130;
  override readonly code = 'cancelled';
  constructor(message = 'Cancelled.') {
    super(message);
  }
}

export function isWiseError(value: unknown): value is WiseError {
  return value instanceof WiseError;
}

/** Not an error: the process ends with this exit code and prints nothing more (`wise exec` passes on its child's). */
export class ExitWith extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
    this.name = 'ExitWith';
  }
}
