import type * as Http from 'node:http';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { createRequire } from 'node:module';

export interface TransportRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: Uint8Array;
  timeoutMs: number;
  /** Client certificate and trust for mTLS (PEM). */
  tls?: { cert?: string; key?: string; ca?: string };
}

export interface TransportResponse {
  status: number;
  statusText: string;
  headers: Record<string, string>;
  body: Buffer;
}

/** Sends one HTTP request; rejects with a `TransportError` when no HTTP answer came back. */
export type Transport = (request: TransportRequest) => Promise<TransportResponse>;

export class TransportError extends Error {
  constructor(
    message: string,
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TransportError';
  }
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
export function createTransport(): Transport {
  const load = createRequire(import.meta.url);
  return async (request) => {
    const isHttps = request.url.protocol === 'https:';
    const mod = load(isHttps ? 'node:https' : 'node:http') as typeof Http;
    return new Promise<TransportResponse>((resolve, reject) => {
      const headers: OutgoingHttpHeaders = { ...request.headers };
      if (request.body) headers['content-length'] = String(request.body.byteLength);
      const req = mod.request(
        request.url,
        {
          method: request.method,
          headers,
          agent: false,
          ...(isHttps && request.tls ? request.tls : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', (error) => reject(new TransportError(error.message, 'ECONNRESET', { cause: error })));
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
        req.destroy(new TransportError(`no answer within ${request.timeoutMs / 1000} s`, 'ETIMEDOUT'));
      });
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (error instanceof TransportError) return reject(error);
        reject(new TransportError(error.message, error.code ?? 'EUNKNOWN', { cause: error }));
      });
      req.end(request.body);
    });
  };
}
