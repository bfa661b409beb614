/**
 * What a tool answers: data as `structuredContent` (and the same JSON as text, for clients that read text only), or
 * an error result (`isError`) whose `structuredContent.error.code` says what went wrong in the words the contract
 * fixes. Amounts are decimal strings with their currency, never floats.
 */
import {
  AuthError,
  CancelledError,
  NetworkError,
  PolicyError,
  ScaRequiredError,
  SecretStoreError,
  UsageError,
  WiseError,
} from '../errors.js';

export type ErrorCode =
  | 'POLICY_DENIED'
  | 'APPROVAL_REQUIRED'
  | 'DECLINED'
  | 'SCA_REQUIRED'
  | 'AUTH'
  | 'WISE_ERROR'
  | 'BAD_INPUT'
  | 'NETWORK';

export interface Money {
  value: string;
  currency: string;
}

export function money(value: number, currency: string): Money {
  return { value: value.toFixed(2), currency };
}

/** Amounts by currency, as a list of Money. */
export function moneyList(amounts: ReadonlyMap<string, number> | Readonly<Record<string, number>>): Money[] {
  const entries = amounts instanceof Map ? [...amounts] : Object.entries(amounts);
  return entries.map(([c, v]) => money(v, c));
}

export interface ToolResult {
  [key: string]: unknown;
  content: { type: 'text'; text: string }[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

export function ok(data: Record<string, unknown>): ToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(data) }], structuredContent: data };
}

/** A refusal or failure the agent can read and act on; `hint` says what a person (or the agent) can do. */
export class ToolError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly hint?: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

function codeOf(error: unknown): ErrorCode {
  if (error instanceof ToolError) return error.code;
  if (error instanceof PolicyError) return 'POLICY_DENIED';
  if (error instanceof ScaRequiredError) return 'SCA_REQUIRED';
  if (error instanceof AuthError || error instanceof SecretStoreError) return 'AUTH';
  if (error instanceof NetworkError) return 'NETWORK';
  if (error instanceof CancelledError) return 'DECLINED';
  if (error instanceof UsageError) return 'BAD_INPUT';
  // Wise's own refusals (ApiError) and everything else.
  return 'WISE_ERROR';
}

/** The error result for `error`, its text passed through `redact` (no token or key ever reaches the agent). */
export function failure(error: unknown, redact: (text: string) => string): ToolResult {
  const code = codeOf(error);
  const known = error instanceof WiseError || error instanceof ToolError ? error : undefined;
  const message = redact(
    known ? known.message : `Unexpected failure: ${error instanceof Error ? error.message : String(error)}`,
  );
  const hint = known?.hint;
  const extra = error instanceof ToolError ? error.extra : {};
  const body = { code, message, ...(hint ? { hint: redact(hint) } : {}), ...extra };
  return {
    content: [{ type: 'text', text: `${code}: ${body.message}${body.hint ? `\n${body.hint}` : ''}` }],
    structuredContent: { error: body },
    isError: true,
  };
}
