import { ApiError, AuthError, NetworkError, ScaRequiredError, UsageError, type WiseError } from '../errors.js';
import { randomUuid } from '../util/random-id.js';
import { isSecretHeader, type Redactor, stripControl } from '../util/redact.js';
import { VERSION } from '../version.js';
import type { Transport, TransportResponse } from './transport.js';
import { TransportError } from './transport.js';

export interface WiseRequest {
  method: string;
  /** Path relative to the API base, e.g. `/v2/profiles`, optionally with a query string. */
  path: string;
  headers?: Record<string, string>;
  body?: Uint8Array | string;
}

export interface WiseResponse extends TransportResponse {
  correlationId: string;
  url: URL;
}

export type CredentialKind = 'personal' | 'oauth' | 'bearer';

export interface WiseClientOptions {
  baseUrl: URL;
  transport: Transport;
  redactor: Redactor;
  debug: (line: string) => void;
  debugEnabled: boolean;
  sleep: (ms: number) => Promise<void>;
  /** Supplies the bearer token; absent for unauthenticated calls. */
  accessToken?: () => Promise<string>;
  /**
   * Replaces a token that Wise rejected with 401 (another process refreshed, or the token was revoked): called at
   * most once per request, which is then sent once more. Absent where a new token cannot be had (personal tokens).
   */
  renewToken?: (rejected: string) => Promise<string>;
  /** What kind of credential the token is: a personal token gets Wise's PSD2 explanation on 403. */
  credentialKind?: CredentialKind;
  maxRetries?: number;
  retryBaseMs?: number;
  /** The longest `Retry-After` the client waits for; a longer one is reported instead. */
  maxRetryAfterMs?: number;
  timeoutMs?: number;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS']);
const RETRY_STATUSES = new Set([429, 502, 503, 504]);
const RETRY_NETWORK_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'UND_ERR_SOCKET']);
const DEBUG_BODY_LIMIT = 4096;

/**
 * The Wise API client: bearer authentication, a correlation id per call, retries for idempotent requests only,
 * a redacted debug trace and Wise's error shapes turned into the tool's errors.
 */
export class WiseClient {
  readonly baseUrl: URL;
  readonly #o: WiseClientOptions;

  constructor(options: WiseClientOptions) {
    this.baseUrl = options.baseUrl;
    this.#o = options;
  }

  /**
   * The URL of an API path: the path is appended to the base as text, never resolved against it as a URL reference,
   * so no form of path (`//host`, `\\host`, `/\\/host`, `http:host`, tabs) can name another host.
   */
  resolve(path: string): URL {
    return new URL(`${this.baseUrl.href}${path.replace(/^\/+/, '')}`);
  }

  /** Sends the request and returns the response whatever its status (network failures still throw). */
  async send(request: WiseRequest): Promise<WiseResponse> {
    const o = this.#o;
    const method = request.method.toUpperCase();
    const url = this.resolve(request.path);
    const correlationId = randomUuid();
    const headers: Record<string, string> = {
      'user-agent': `wise-cli/${VERSION}`,
      accept: 'application/json',
      'x-external-correlation-id': correlationId,
    };
    for (const [name, value] of Object.entries(request.headers ?? {})) headers[name.toLowerCase()] = value;
    let token: string | undefined;
    if (o.accessToken && !headers.authorization) {
      token = await o.accessToken();
      o.redactor.add(token);
      headers.authorization = `Bearer ${token}`;
    }
    assertSameOrigin(url, this.baseUrl, headers);
    const body = typeof request.body === 'string' ? Buffer.from(request.body) : request.body;
    const response = await this.#sendWithRetries(method, url, headers, body, correlationId);
    // A 401 means Wise did not act on the request, so it is sent once more with a renewed token, whatever the method.
    if (response.status !== 401 || token === undefined || !o.renewToken) return response;
    const renewed = await o.renewToken(token);
    o.redactor.add(renewed);
    o.debug('  the token was rejected (401): sending once more with a renewed token');
    headers.authorization = `Bearer ${renewed}`;
    return this.#sendWithRetries(method, url, headers, body, correlationId);
  }

  async #sendWithRetries(
    method: string,
    url: URL,
    headers: Record<string, string>,
    body: Uint8Array | undefined,
    correlationId: string,
  ): Promise<WiseResponse> {
    const o = this.#o;
    const maxRetries = IDEMPOTENT.has(method) ? (o.maxRetries ?? 3) : 0;
    const base = o.retryBaseMs ?? 250;
    for (let attempt = 0; ; attempt++) {
      const started = Date.now();
      this.#traceRequest(method, url, headers, body);
      let response: TransportResponse;
      try {
        response = await o.transport({
          method,
          url,
          headers,
          timeoutMs: o.timeoutMs ?? 30_000,
          ...(body ? { body } : {}),
        });
      } catch (error) {
        const code = error instanceof TransportError ? error.code : 'EUNKNOWN';
        o.debug(`< ${code} after ${Date.now() - started} ms`);
        if (attempt < maxRetries && RETRY_NETWORK_CODES.has(code)) {
          await o.sleep(backoff(base, attempt));
          continue;
        }
        throw networkError(error, url, correlationId);
      }
      this.#traceResponse(response, Date.now() - started);
      if (attempt < maxRetries && RETRY_STATUSES.has(response.status)) {
        let wait = backoff(base, attempt);
        if (response.status === 429) {
          const after = parseRetryAfter(response.headers['retry-after'], Date.now());
          if (after !== undefined && after > (o.maxRetryAfterMs ?? 30_000)) {
            return { ...response, correlationId, url };
          }
          if (after !== undefined) wait = after;
        }
        o.debug(`  retrying in ${wait} ms (attempt ${attempt + 2} of ${maxRetries + 1})`);
        await o.sleep(wait);
        continue;
      }
      return { ...response, correlationId, url };
    }
  }

  /** Sends the request and throws the matching error for any status of 400 or more. */
  async request(request: WiseRequest): Promise<WiseResponse> {
    const response = await this.send(request);
    if (response.status >= 400) throw errorFromResponse(response, request.method, this.#o.credentialKind);
    return response;
  }

  async getJson<T>(path: string): Promise<T> {
    const response = await this.request({ method: 'GET', path });
    return parseJson<T>(response);
  }

  #traceRequest(method: string, url: URL, headers: Record<string, string>, body: Uint8Array | undefined): void {
    const o = this.#o;
    if (!o.debugEnabled) return;
    o.debug(`> ${method} ${o.redactor.url(url.href)}`);
    for (const [name, value] of Object.entries(headers)) o.debug(`> ${name}: ${o.redactor.headerValue(name, value)}`);
    if (body?.byteLength)
      o.debug(`> ${truncate(o.redactor.body(Buffer.from(body).toString('utf8'), headers['content-type']))}`);
  }

  #traceResponse(response: TransportResponse, ms: number): void {
    const o = this.#o;
    if (!o.debugEnabled) return;
    o.debug(`< ${response.status} ${response.statusText} (${ms} ms)`);
    for (const [name, value] of Object.entries(response.headers))
      o.debug(`< ${name}: ${o.redactor.headerValue(name, value)}`);
    if (response.body.byteLength) {
      o.debug(`< ${truncate(o.redactor.body(response.body.toString('utf8'), response.headers['content-type']))}`);
    }
  }
}

/**
 * The rule that keeps credentials at home: a request that carries one (bearer, Basic, SCA signature or one-time
 * token) goes only to the API base's origin and below its path. Checked on the final URL, before a byte is sent.
 */
export function assertSameOrigin(url: URL, base: URL, headers: Record<string, string>): void {
  if (url.origin === base.origin && url.pathname.startsWith(base.pathname)) return;
  if (!Object.keys(headers).some(isSecretHeader)) return;
  throw new UsageError(`Refused to send credentials to ${url.origin}: only ${base.origin} may receive them.`, {
    hint: 'Give an API path such as /v2/profiles; the host comes from --env or --api-url.',
  });
}

function truncate(text: string): string {
  return text.length > DEBUG_BODY_LIMIT ? `${text.slice(0, DEBUG_BODY_LIMIT)}… (${text.length} chars)` : text;
}

/** Full-jitter exponential backoff. */
function backoff(baseMs: number, attempt: number): number {
  return Math.round(baseMs * 2 ** attempt * (0.5 + Math.random() / 2));
}

export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export function parseJson<T>(response: WiseResponse): T {
  try {
    return JSON.parse(response.body.toString('utf8')) as T;
  } catch {
    throw new ApiError(`Wise answered ${response.status} with a body that is not JSON.`, {
      details: { status: response.status, correlationId: response.correlationId },
    });
  }
}

function networkError(error: unknown, url: URL, correlationId: string): NetworkError {
  const code = error instanceof TransportError ? error.code : 'EUNKNOWN';
  const host = url.host;
  const reasons: Record<string, string> = {
    ECONNREFUSED: `connection refused by ${host}`,
    ENOTFOUND: `cannot resolve ${url.hostname}`,
    EAI_AGAIN: `cannot resolve ${url.hostname} (DNS not answering)`,
    ETIMEDOUT: `no answer from ${host} in time`,
    ECONNRESET: `the connection to ${host} was reset`,
    DEPTH_ZERO_SELF_SIGNED_CERT: `the certificate of ${host} is self-signed and not trusted`,
    SELF_SIGNED_CERT_IN_CHAIN: `the certificate chain of ${host} is not trusted`,
    UNABLE_TO_VERIFY_LEAF_SIGNATURE: `the certificate of ${host} cannot be verified`,
    CERT_HAS_EXPIRED: `the certificate of ${host} has expired`,
    ERR_TLS_CERT_ALTNAME_INVALID: `the certificate does not match ${url.hostname}`,
  };
  const proxy = error instanceof TransportError ? error.proxy : undefined;
  if (proxy) {
    // Failing to connect is about the proxy itself; what comes after the tunnel (TLS) is about Wise's host.
    const proxyReasons: Record<string, string> = {
      ECONNREFUSED: `connection refused by the proxy ${proxy}`,
      ENOTFOUND: `cannot resolve the proxy ${proxy}`,
      EAI_AGAIN: `cannot resolve the proxy ${proxy} (DNS not answering)`,
      ECONNRESET: `the proxy ${proxy} closed the connection`,
      ETIMEDOUT: `no answer from ${host} through the proxy ${proxy} in time`,
      EPROXY: `${error instanceof Error ? error.message : ''} (proxy ${proxy})`,
    };
    const reason =
      proxyReasons[code] ?? `${reasons[code] ?? `${(error as Error).message} (${code})`}, through the proxy ${proxy}`;
    return new NetworkError(`Cannot reach Wise: ${reason}.`, {
      hint: 'Check HTTPS_PROXY / HTTP_PROXY (and NO_PROXY for hosts to reach directly); `wise doctor` checks the proxy.',
      details: { code, url: url.origin, proxy, correlationId },
      cause: error,
    });
  }
  const reason = reasons[code] ?? `${error instanceof Error ? error.message : String(error)} (${code})`;
  return new NetworkError(`Cannot reach Wise: ${reason}.`, {
    hint: 'Check your connection, proxy and --api-url; `wise doctor` checks connectivity.',
    details: { code, url: url.origin, correlationId },
    cause: error,
  });
}

interface WiseErrorBody {
  errors?: { code?: string; message?: string; path?: string }[];
  error?: string;
  error_description?: string;
  message?: string;
}

/** Reads both of Wise's error shapes (`errors[]`, and OAuth-style `error`/`error_description`). */
export function describeWiseError(body: Buffer): { message?: string; codes: string[] } {
  const described = describeRawWiseError(body);
  return {
    ...(described.message !== undefined ? { message: stripControl(described.message) } : {}),
    codes: described.codes.map(stripControl),
  };
}

function describeRawWiseError(body: Buffer): { message?: string; codes: string[] } {
  let parsed: WiseErrorBody;
  try {
    parsed = JSON.parse(body.toString('utf8')) as WiseErrorBody;
  } catch {
    const text = body.toString('utf8').trim();
    return text && text.length < 300 && !text.startsWith('<') ? { message: text, codes: [] } : { codes: [] };
  }
  if (!parsed || typeof parsed !== 'object') return { codes: [] };
  const text = (value: unknown) => (typeof value === 'string' || typeof value === 'number' ? String(value) : '');
  if (Array.isArray(parsed.errors) && parsed.errors.length) {
    const entries = parsed.errors.filter((e) => e && typeof e === 'object');
    return {
      message: entries.map((e) => [text(e.code), text(e.message)].filter(Boolean).join(': ')).join('; '),
      codes: entries.map((e) => text(e.code)).filter(Boolean),
    };
  }
  if (typeof parsed.error === 'string') {
    const description = text(parsed.error_description);
    return { message: description ? `${parsed.error}: ${description}` : parsed.error, codes: [parsed.error] };
  }
  if (typeof parsed.message === 'string') return { message: parsed.message, codes: [] };
  return { codes: [] };
}

/** Paths Wise keeps from personal tokens of EU/UK (PSD2) accounts: balance statements and funding transfers. */
export function isPsd2RestrictedPath(method: string, path: string): boolean {
  const p = path.split('?')[0] ?? '';
  // Balance statements in every format and version (`balance-statements/.../statement.json`, `.../statement.pdf`).
  if (/statement/i.test(p)) return true;
  return method.toUpperCase() === 'POST' && /\/transfers\/[^/]+\/payments\/?$/.test(p);
}

export function errorFromResponse(response: WiseResponse, method: string, kind?: CredentialKind): WiseError {
  const { message, codes } = describeWiseError(response.body);
  const traceId = response.headers['x-trace-id'];
  const details = {
    status: response.status,
    ...(codes.length ? { wiseCodes: codes } : {}),
    correlationId: response.correlationId,
    ...(traceId ? { traceId } : {}),
  };
  const ids = `correlation id ${response.correlationId}${traceId ? `, Wise trace id ${traceId}` : ''}`;
  const status = `${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
  const summary = `Wise answered ${status}${message ? `: ${message}` : '.'}`;
  if (response.status === 401) {
    return new AuthError(summary, {
      hint:
        kind === 'bearer'
          ? 'Wise rejected the token in WISE_TOKEN: set it to a valid token, or unset it to use the stored credentials.'
          : 'The token was rejected: check `wise auth status`, or store a new one with `wise token add`.',
      details,
    });
  }
  if (response.status === 403) {
    const approval = response.headers['x-2fa-approval'];
    if (approval && (response.headers['x-2fa-approval-result'] ?? '').toUpperCase() === 'REJECTED') {
      return new ScaRequiredError(`Wise requires Strong Customer Authentication for this call (${ids}).`, {
        hint: 'This version of wise cannot complete SCA challenges yet; approve the action in the Wise app or website.',
        details: { ...details, oneTimeToken: approval },
      });
    }
    if (kind === 'personal' && isPsd2RestrictedPath(method, response.url.pathname)) {
      return new ApiError(
        `${summary.replace(/\.?$/, '.')} Personal API tokens cannot do this for EU and UK accounts (PSD2).`,
        {
          hint:
            'Under PSD2, Wise does not let personal tokens of EU/UK accounts read balance statements or fund transfers ' +
            '(accounts in US, CA, AU, NZ, SG and MY may). Fund transfers in the Wise app, download statements there, ' +
            'or use an OAuth partner integration (`wise oauth authorize`). Quotes, recipients, draft transfers and ' +
            `transfer events still work with a personal token. (${ids})`,
          details: { ...details, reason: 'psd2' },
        },
      );
    }
  }
  return new ApiError(summary, { hint: `If you contact Wise support, give them the ${ids}.`, details });
}
