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
  /^(access_?token|refresh_?token|id_?token|token|client_?secret|secret|password|passphrase|pin|registration_?code|registrationcode|otp_?code|private_?key|privatekey|signature|key|d|p|q|dp|dq|qi|code_?verifier)$/i;
/** Headers whose value is a URL (or holds one): their query is redacted like a request's. */
const URL_HEADERS = new Set(['location', 'content-location', 'referer', 'link', 'refresh']);
/** `name=value&name=value`: a form body, whatever type it was declared as. */
const FORM_BODY = /^\s*[^\s=&]+=[^\s&]*(&[^\s=&]+=[^\s&]*)*\s*$/;
/** In forms and query strings `code` is an OAuth authorization code; in JSON it is usually an error code. */
const SECRET_FORM_FIELD = /^code$/i;

/**
 * Text from the network, made safe to show on a terminal: line breaks and tabs become spaces; every other control
 * character (C0, DEL, C1, which start escape sequences) and the bidirectional overrides that reorder what is shown
 * are removed.
 */
export function stripControl(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
  return text.replace(/[\t\n\r]/g, ' ').replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '');
}

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

/**
 * A URL (or any text holding URLs) fit to show: the userinfo of every `scheme://user:pass@host` becomes `***`,
 * whatever characters it holds. A password with `/` or `@` makes no valid URL, so this works on the text, up to the
 * last `@` of each URL-like word: it may hide a little too much, never too little.
 */
export function maskUrlCredentials(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)([^\s"'<>]*@)/gi, '$1***@');
}

/** A URL object fit to show: `http://***@host:port/path` when it carries a user or password. */
export function showUrl(url: URL): string {
  if (!url.username && !url.password) return url.href;
  return `${url.protocol}//***@${url.host}${url.pathname}${url.search}`;
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
    // A redirect may carry an authorization code or token in its query.
    if (URL_HEADERS.has(name.toLowerCase())) return this.url(value);
    return this.text(value);
  }

  /**
   * Redacts a request or response body by what it holds, whatever its declared type says: JSON by field names, a
   * form by parameter names, JOSE whole.
   */
  body(body: string, contentType: string | undefined): string {
    const type = (contentType ?? '').toLowerCase();
    if (type.includes('jose')) return `${REDACTED} (${body.length} bytes of JOSE)`;
    if (/^\s*[{["]/.test(body)) {
      try {
        return this.text(JSON.stringify(redactJson(JSON.parse(body))));
      } catch {
        // Not JSON after all; fall through to the other rules.
      }
    }
    if (type.includes('x-www-form-urlencoded') || FORM_BODY.test(body)) return this.text(redactQuery(body.trim()));
    return this.text(body);
  }

  /** Redacts a URL's query and fragment (an implicit-flow token travels in the fragment) by parameter names. */
  url(url: string): string {
    const q = url.search(/[?#]/);
    if (q < 0) return this.text(url);
    const tail = url
      .slice(q + 1)
      .split('#')
      .map((part) => redactQuery(part))
      .join('#');
    return this.text(`${url.slice(0, q + 1)}${tail}`);
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

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function redactQuery(query: string): string {
  return query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq < 0) return pair;
      const name = safeDecode(pair.slice(0, eq).replace(/\+/g, ' '));
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
