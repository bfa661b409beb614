import type { Writable } from 'node:stream';
import {
  ApiError,
  AuthError,
  isWiseError,
  NetworkError,
  ScaRequiredError,
  UsageError,
  type WiseError,
} from '../errors.js';
import type { Clock } from '../util/clock.js';
import { randomUuid } from '../util/random-id.js';
import { type Redactor, stripControl } from '../util/redact.js';
import { VERSION } from '../version.js';
import {
  CredentialsElsewhereError,
  compose,
  credentialLayer,
  insertLayers,
  type Layer,
  type LayerInsertion,
  type Next,
  passThrough,
  retryLayer,
  type ScaSolver,
  sameOrigin,
  scaChallenge,
  scaLayer,
  traceLayer,
  transportStep,
  type WiseResponse,
} from './pipeline.js';
import type { Transport } from './transport.js';
import { TransportError } from './transport.js';

export interface WiseRequest {
  method: string;
  /** Path relative to the API base, e.g. `/v2/profiles`, optionally with a query string. */
  path: string;
  headers?: Record<string, string>;
  body?: Uint8Array | string;
  /** Streams a 2xx body there instead of into memory (see `TransportRequest.sink`). */
  sink?: () => Writable;
}

export type { WiseResponse } from './pipeline.js';

export type CredentialKind = 'personal' | 'oauth' | 'bearer';

export interface WiseClientOptions {
  baseUrl: URL;
  transport: Transport;
  redactor: Redactor;
  debug: (line: string) => void;
  debugEnabled: boolean;
  clock: Clock;
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
  /** Layers to insert into the default stack, each after a default layer named (checked). */
  insert?: readonly LayerInsertion[];
  /** The Wise API version chosen (`--api-version`, `WISE_API_VERSION`), for the built-in commands' paths. */
  apiVersion?: string;
  /** Answers SCA challenges (the `sca` layer); without it a challenge is reported as exit 5. */
  scaSolver?: ScaSolver;
  /** Fills the body-codec slot (JOSE); without it bodies pass as they are. */
  bodyCodec?: Layer;
  /** The guard (spending policy and money journal), outermost: it sees each call once, however often it is sent. */
  guard?: Layer;
  /** The client certificate, key and extra CA for mTLS, loaded on the first request. */
  tls?: () => Promise<{ cert?: string; key?: string; ca?: string }>;
}

/** The default layers, outermost first (see src/http/pipeline.ts for what each one does). */
export function defaultLayers(o: WiseClientOptions): Layer[] {
  return [
    o.guard ?? passThrough('guard'),
    credentialLayer({
      baseUrl: o.baseUrl,
      redactor: o.redactor,
      debug: o.debug,
      ...(o.accessToken ? { accessToken: o.accessToken } : {}),
      ...(o.renewToken ? { renewToken: o.renewToken } : {}),
    }),
    o.bodyCodec ?? passThrough('body codec'),
    scaLayer(o.scaSolver, o.debug, o.baseUrl.origin),
    retryLayer({
      clock: o.clock,
      debug: o.debug,
      ...(o.maxRetries !== undefined ? { maxRetries: o.maxRetries } : {}),
      ...(o.retryBaseMs !== undefined ? { retryBaseMs: o.retryBaseMs } : {}),
      ...(o.maxRetryAfterMs !== undefined ? { maxRetryAfterMs: o.maxRetryAfterMs } : {}),
    }),
    traceLayer({ clock: o.clock, redactor: o.redactor, debug: o.debug, enabled: o.debugEnabled }),
  ];
}

/**
 * The Wise API client: a correlation id per call, then the pipeline of layers (credential, body codec, SCA, retry,
 * trace) around one attempt at the transport; `request` maps Wise's error statuses to the tool's errors.
 */
export class WiseClient {
  readonly baseUrl: URL;
  /** The Wise API version for built-in paths (`endpoint(name, client.apiVersion)`); undefined: classic paths. */
  readonly apiVersion: string | undefined;
  /** The layers in the order a request passes them. */
  readonly layers: readonly Layer[];
  readonly #o: WiseClientOptions;
  readonly #send: Next;

  constructor(options: WiseClientOptions) {
    this.baseUrl = options.baseUrl;
    this.apiVersion = options.apiVersion;
    this.#o = options;
    const defaults = defaultLayers(options);
    this.layers = options.insert ? insertLayers(defaults, options.insert) : defaults;
    this.#send = compose(this.layers, transportStep(options.transport, options.timeoutMs ?? 30_000, options.tls));
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
    const url = this.resolve(request.path);
    const correlationId = randomUuid();
    const headers: Record<string, string> = {
      'user-agent': `wise-cli/${VERSION}`,
      accept: 'application/json',
      'x-external-correlation-id': correlationId,
    };
    for (const [name, value] of Object.entries(request.headers ?? {})) headers[name.toLowerCase()] = value;
    const body = typeof request.body === 'string' ? Buffer.from(request.body) : request.body;
    try {
      return await this.#send({
        method: request.method.toUpperCase(),
        url,
        headers,
        ...(body ? { body } : {}),
        ...(request.sink ? { sink: request.sink } : {}),
        correlationId,
        marks: new Set(),
      });
    } catch (error) {
      if (error instanceof CredentialsElsewhereError) throw sameOriginError(error.url, error.base);
      if (isWiseError(error)) throw error;
      // A fault of this tool's own code (a TypeError, say) is not Wise being unreachable: reported as what it is.
      if (!(error instanceof TransportError) && typeof (error as { code?: unknown })?.code !== 'string') throw error;
      throw networkError(error, url, correlationId, this.#o.tls !== undefined);
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

  /** Sends a JSON body (POST, PUT, PATCH) and parses Wise's JSON answer; error statuses throw. */
  async sendJson<T>(method: string, path: string, body: unknown): Promise<T> {
    const response = await this.request({
      method,
      path,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return parseJson<T>(response);
  }
}

function sameOriginError(url: URL, base: URL): UsageError {
  return new UsageError(`Refused to send credentials to ${url.origin}: only ${base.origin} may receive them.`, {
    hint: 'Give an API path such as /v2/profiles; the host comes from --env or --api-url.',
  });
}

/** Throws the usage error (exit 2) when a request carrying a credential would leave the API base. */
export function assertSameOrigin(url: URL, base: URL, headers: Record<string, string>): void {
  if (!sameOrigin(url, base, headers)) throw sameOriginError(url, base);
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

function networkError(error: unknown, url: URL, correlationId: string, mtls = false): NetworkError {
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
  // A server that demands a client certificate (mTLS) ends the handshake with an alert when none, or one it does not
  // trust, is presented.
  // With a certificate presented, a reset is how a TLS 1.3 server refuses one it does not trust.
  if (
    /CERTIFICATE_REQUIRED|BAD_CERTIFICATE|UNKNOWN_CA|HANDSHAKE_FAILURE|CERTIFICATE_UNKNOWN|EPROTO/.test(code) ||
    (mtls && code === 'ECONNRESET')
  ) {
    return new NetworkError(
      `Cannot reach Wise: ${host} refused the TLS handshake: it asks for a client certificate (mTLS), and none it accepts was presented.`,
      {
        hint: 'Set up the certificate Wise issued: `wise mtls setup --cert <file> --key <file>`; `wise mtls check` tests the handshake.',
        details: { code, url: url.origin, correlationId },
        cause: error,
      },
    );
  }
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
  // A server certificate this machine does not trust (a test server, an emulator with its own CA, a proxy that
  // re-signs): the fix is trusting its CA, not the connection.
  const untrusted = /SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|CERT_UNTRUSTED/.test(code);
  return new NetworkError(`Cannot reach Wise: ${reason}.`, {
    hint: untrusted
      ? `Trust the CA that issued it: \`wise mtls setup --cert <file> --key <file> --ca <ca.pem>\` (with the client certificate it goes with; for \`wise mock --mtls\`, the files it printed), or NODE_EXTRA_CA_CERTS=<ca.pem> for a server without mTLS. Never turn certificate checks off.`
      : 'Check your connection, proxy and --api-url; `wise doctor` checks connectivity.',
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
    // The one-time token itself stays out of the error: only `wise sca status` shows it.
    if (scaChallenge(response)) {
      const personal = kind === 'personal' || kind === 'bearer';
      return new ScaRequiredError(`Wise requires Strong Customer Authentication for this call (${ids}).`, {
        hint: personal
          ? 'Wise did not accept the signed one-time token: check that the public key of your SCA key is uploaded at wise.com (API tokens > Manage public keys).'
          : 'wise cannot yet answer SCA challenges for OAuth logins: approve the action in the Wise app or website.',
        details,
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
