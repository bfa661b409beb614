/**
 * Redaction by rule, not by remembering: header names, JSON/form field names and known secret values are
 * replaced wherever text leaves the process through the debug trace or an error.
 */
export const REDACTED = '[REDACTED]';

const SECRET_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-signature',
  'x-2fa-approval',
  'one-time-token',
]);

/** Field names whose values are secret in JSON bodies, form bodies and query strings. */
const SECRET_FIELD =
  /^(access_?token|refresh_?token|id_?token|token|client_?secret|secret|password|passphrase|pin|registration_?code|registrationcode|private_?key|privatekey|signature|key|d|p|q|dp|dq|qi|code_?verifier)$/i;
/** In forms and query strings `code` is an OAuth authorization code; in JSON it is usually an error code. */
const SECRET_FORM_FIELD = /^code$/i;

export function isSecretHeader(name: string): boolean {
  return SECRET_HEADERS.has(name.toLowerCase());
}

export function isSecretField(name: string): boolean {
  return SECRET_FIELD.test(name);
}

/** Shows that a value exists without revealing it: the last four characters of a long value, else nothing. */
export function mask(value: string): string {
  if (value.length < 16) return '****';
  return `****${value.slice(-4)}`;
}

export class Redactor {
  readonly #values = new Set<string>();

  /** Registers a secret value so that it is replaced wherever it appears. */
  add(value: string | undefined | null): void {
    if (value && value.length >= 6) this.#values.add(value);
  }

  text(input: string): string {
    let out = input;
    for (const v of this.#values) out = out.split(v).join(REDACTED);
    // Bearer and Basic credentials in free text.
    out = out.replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g, `$1 ${REDACTED}`);
    return out;
  }

  headerValue(name: string, value: string): string {
    if (isSecretHeader(name)) {
      const scheme = /^(Bearer|Basic)\s/i.exec(value)?.[1];
      return scheme ? `${scheme} ${REDACTED}` : REDACTED;
    }
    return this.text(value);
  }

  /** Redacts a request or response body given its content type. */
  body(body: string, contentType: string | undefined): string {
    const type = (contentType ?? '').toLowerCase();
    if (type.includes('json') || /^\s*[{[]/.test(body)) {
      try {
        return this.text(JSON.stringify(redactJson(JSON.parse(body))));
      } catch {
        // Not JSON after all; fall through to text rules.
      }
    }
    if (type.includes('x-www-form-urlencoded')) return this.text(redactQuery(body));
    if (type.includes('jose')) return `${REDACTED} (${body.length} bytes of JOSE)`;
    return this.text(body);
  }

  url(url: string): string {
    const q = url.indexOf('?');
    if (q < 0) return this.text(url);
    return this.text(`${url.slice(0, q)}?${redactQuery(url.slice(q + 1))}`);
  }
}

export function redactJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactJson);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = isSecretField(k) && v !== null && typeof v !== 'object' ? REDACTED : redactJson(v);
    }
    return out;
  }
  return value;
}

function redactQuery(query: string): string {
  return query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq < 0) return pair;
      const name = decodeURIComponent(pair.slice(0, eq).replace(/\+/g, ' '));
      return isSecretField(name) || SECRET_FORM_FIELD.test(name) ? `${pair.slice(0, eq)}=${REDACTED}` : pair;
    })
    .join('&');
}

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/**
 * Makes an object that holds secrets redact itself: `JSON.stringify`, `console.log` and `util.inspect` show
 * `[REDACTED]` for the named fields, while code reads the real values. Returns the same object.
 */
export function selfRedacting<T extends object>(value: T, secretFields: readonly (keyof T)[]): T {
  const redacted = () => {
    const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    for (const field of secretFields) if (copy[field as string] !== undefined) copy[field as string] = REDACTED;
    return copy;
  };
  Object.defineProperty(value, 'toJSON', { value: redacted, enumerable: false });
  Object.defineProperty(value, INSPECT, { value: redacted, enumerable: false });
  return value;
}
