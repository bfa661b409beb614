import type * as Http from 'node:http';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { createRequire } from 'node:module';
import type { Writable } from 'node:stream';
import { maskUrlCredentials } from '../util/redact.js';

export interface TransportRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: Uint8Array;
  timeoutMs: number;
  /** Client certificate and trust for mTLS (PEM). */
  tls?: { cert?: string; key?: string; ca?: string };
  /**
   * Where a 2xx answer's body goes instead of memory (a statement file): made anew for each attempt; the response's
   * `body` is then empty. Other answers (errors, SCA challenges) are read into memory as usual.
   */
  sink?: () => Writable;
}

export interface TransportResponse {
  status: number;
  statusText: string;
  headers: Record<string, string>;
  body: Buffer;
}

/** Sends one HTTP request; rejects with a `TransportError` when no HTTP answer came back. */
export type Transport = ((request: TransportRequest) => Promise<TransportResponse>) & {
  /**
   * Says a request to this URL is coming: the transport may get ready for it (load modules) while the process would
   * otherwise wait, for instance for a keychain read.
   */
  warm?: (url: URL) => void;
};

export class TransportError extends Error {
  /** The proxy the request went through (its origin, never its credentials), when one was used. */
  readonly proxy: string | undefined;
  constructor(
    message: string,
    readonly code: string,
    options?: { cause?: unknown; proxy?: string },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TransportError';
    this.proxy = options?.proxy;
  }
}

/** A URL's host without the brackets of an IPv6 literal. */
function bareHost(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/** The variables that can name a proxy; when none is set, no proxy code is ever loaded. */
const PROXY_VARIABLES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy'];

function proxySettingFor(url: URL, load: NodeJS.Require): string {
  const { getProxyForUrl } = load('proxy-from-env') as { getProxyForUrl(url: string): string };
  return getProxyForUrl(url.href);
}

/** The origin of the proxy a request to `url` goes through (NO_PROXY applied), or undefined for a direct one. */
export function proxyOriginFor(url: URL, env: Readonly<Record<string, string | undefined>>): string | undefined {
  if (!PROXY_VARIABLES.some((name) => env[name])) return undefined;
  const raw = proxySettingFor(url, createRequire(import.meta.url));
  if (!raw) return undefined;
  try {
    return new URL(raw).origin;
  } catch {
    return maskUrlCredentials(raw);
  }
}

interface Proxied {
  agent: Http.Agent;
  /** The proxy's origin, for messages: credentials in the proxy URL are never shown. */
  name: string;
}

/**
 * The agent for a URL when a proxy applies to it (HTTPS_PROXY / HTTP_PROXY / NO_PROXY and their lower-case forms,
 * read as curl does): CONNECT tunnels for https, absolute-form requests for http. Loaded on first use only.
 */
async function proxyFor(url: URL, load: NodeJS.Require): Promise<Proxied | undefined> {
  const raw = proxySettingFor(url, load);
  if (!raw) return undefined;
  let proxy: URL;
  try {
    proxy = new URL(raw);
  } catch {
    throw new TransportError(`the proxy setting "${maskUrlCredentials(raw)}" is not a URL`, 'EPROXYCONFIG');
  }
  const name = proxy.origin;
  if (url.protocol === 'https:') {
    const { HttpsProxyAgent } = await import('https-proxy-agent');
    return { agent: new HttpsProxyAgent(proxy) as unknown as Http.Agent, name };
  }
  const { HttpProxyAgent } = await import('http-proxy-agent');
  return { agent: new HttpProxyAgent(proxy) as unknown as Http.Agent, name };
}

function flattenHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/**
 * The transport on Node's own `http`/`https` modules: each is loaded on first use (with require(), which is
 * synchronous and cheaper than import()), so a command that makes no request, or talks plain HTTP to the
 * loopback emulator, never pays for TLS.
 */
export function createTransport(env: Readonly<Record<string, string | undefined>>): Transport {
  const load = createRequire(import.meta.url);
  const proxySet = PROXY_VARIABLES.some((name) => env[name]);
  const transport: Transport = async (request) => {
    const isHttps = request.url.protocol === 'https:';
    const mod = load(isHttps ? 'node:https' : 'node:http') as typeof Http;
    const proxy = proxySet ? await proxyFor(request.url, load) : undefined;
    const fail = (message: string, code: string, cause?: unknown) =>
      new TransportError(message, code, { ...(cause ? { cause } : {}), ...(proxy ? { proxy: proxy.name } : {}) });
    return new Promise<TransportResponse>((resolve, reject) => {
      const headers: OutgoingHttpHeaders = { ...request.headers };
      if (request.body) headers['content-length'] = String(request.body.byteLength);
      const req = mod.request(
        request.url,
        {
          method: request.method,
          headers,
          agent: proxy?.agent ?? false,
          ...(isHttps && request.tls ? request.tls : {}),
          // Through a proxy, an IP-literal host gets no servername (SNI takes no IP), and the TLS layer would check
          // the certificate against the proxy's host instead: check it against the API's IP.
          ...(isHttps && proxy && (load('node:net') as typeof import('node:net')).isIP(bareHost(request.url))
            ? {
                checkServerIdentity: (_: string, cert: import('node:tls').PeerCertificate) =>
                  (load('node:tls') as typeof import('node:tls')).checkServerIdentity(bareHost(request.url), cert),
              }
            : {}),
        },
        (res) => {
          const status = res.statusCode ?? 0;
          if (request.sink && status >= 200 && status < 300) {
            const out = request.sink();
            const done = { status, statusText: res.statusMessage ?? '', headers: flattenHeaders(res.headers) };
            // The stream module only when a body is streamed: most commands never need it.
            const { pipeline } = load('node:stream/promises') as typeof import('node:stream/promises');
            pipeline(res, out).then(
              () => resolve({ ...done, body: Buffer.alloc(0) }),
              (error: NodeJS.ErrnoException) => reject(fail(error.message, error.code ?? 'ECONNRESET', error)),
            );
            return;
          }
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', (error) => reject(fail(error.message, 'ECONNRESET', error)));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              statusText: res.statusMessage ?? '',
              headers: flattenHeaders(res.headers),
              body: Buffer.concat(chunks),
            }),
          );
        },
      );
      req.setTimeout(request.timeoutMs, () => {
        req.destroy(fail(`no answer within ${request.timeoutMs / 1000} s`, 'ETIMEDOUT'));
      });
      // A proxy that refuses the tunnel answers CONNECT itself; that answer is the proxy's, never Wise's.
      req.on('proxyConnect', (connect: { statusCode?: number; statusText?: string }) => {
        // (An http proxy agent forwards requests instead and announces no status.)
        if (connect.statusCode === undefined || connect.statusCode === 200) return;
        const status = `${connect.statusCode ?? ''} ${connect.statusText ?? ''}`.trim();
        req.destroy(fail(`the proxy answered ${status} to CONNECT ${request.url.host}`, 'EPROXY'));
      });
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (error instanceof TransportError) return reject(error);
        reject(fail(error.message, error.code ?? 'EUNKNOWN', error));
      });
      req.end(request.body);
    });
  };
  // Loaded when the event loop next waits (setImmediate), not now: the modules take ~3 ms to load, which then
  // overlap with I/O in flight, such as the keychain read a stored token needs. A request before that loads them
  // itself.
  transport.warm = (url) => {
    setImmediate(() => load(url.protocol === 'https:' ? 'node:https' : 'node:http')).unref();
  };
  return transport;
}
