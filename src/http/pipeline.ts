/**
 * The request pipeline: one attempt at the transport, wrapped by small layers in a fixed, visible order. Each layer
 * is a function of (request, next) with one job, like gh's RoundTripper decorators; a layer that repeats a request
 * marks it, as openid-client's DPoP retry does, so that no layer repeats it twice. A new capability (JOSE bodies,
 * SCA challenges, an mTLS host) adds or fills a layer; it never edits `WiseClient.send`.
 *
 * Outermost first:
 *   0. guard        money-moving calls: the spending policy, then the journal's intent and outcome (src/guard)
 *   1. credential   bearer token on the request; the same-origin guard; one renewal and resend after a 401
 *   2. body codec   the slot JOSE fills (sign/encrypt on the way out, verify/decrypt on the way back)
 *   3. sca          the slot the SCA challenge solver fills (answer a 403 `x-2fa-approval`, resend once)
 *   4. retry        idempotent methods after 502/503/504 and resets; any method after a 429 (Wise did not act)
 *   5. trace        the --debug trace of every attempt, redacted
 *   then the transport.
 * Mapping an error status to the tool's errors is the caller's last step (`WiseClient.request`).
 */

import type { Writable } from 'node:stream';
import { ScaRequiredError } from '../errors.js';
import type { Clock } from '../util/clock.js';
import { isSecretHeader, type Redactor } from '../util/redact.js';
import type { Transport, TransportResponse } from './transport.js';
import { TransportError } from './transport.js';

/** One request on its way through the layers. */
export interface PipelineRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: Uint8Array;
  correlationId: string;
  /** Where a 2xx body is streamed instead of read into memory (see `TransportRequest.sink`). */
  sink?: () => Writable;
  /** Marks set by layers that repeated this request (e.g. `renewed`), so that none repeats it twice. */
  readonly marks: Set<string>;
}

export interface WiseResponse extends TransportResponse {
  correlationId: string;
  url: URL;
}

export type Next = (request: PipelineRequest) => Promise<WiseResponse>;

export interface Layer {
  /** Shown in docs and traces; `compose` keeps the order it is given. */
  readonly name: string;
  handle(request: PipelineRequest, next: Next): Promise<WiseResponse>;
}

/** The default layers' names, outermost first: where another layer may be inserted. */
export const LAYER_NAMES = ['guard', 'credential', 'body codec', 'sca', 'retry', 'trace'] as const;
export type LayerName = (typeof LAYER_NAMES)[number];

/** A layer to insert into the default stack, right after the named one (inside it: it sees what that one passes on). */
export interface LayerInsertion {
  after: LayerName;
  layer: Layer;
}

/** The stack with each insertion made; a name that is not in the stack is an error, never a silent position. */
export function insertLayers(layers: readonly Layer[], insertions: readonly LayerInsertion[]): Layer[] {
  const out = [...layers];
  for (const { after, layer } of insertions) {
    const at = out.findIndex((l) => l.name === after);
    if (at < 0)
      throw new Error(
        `No layer named "${after}" to insert "${layer.name}" after (${out.map((l) => l.name).join(', ')})`,
      );
    out.splice(at + 1, 0, layer);
  }
  return out;
}

/** Builds the chain: `layers[0]` runs first and sees the final response last. */
export function compose(layers: readonly Layer[], last: Next): Next {
  return layers.reduceRight<Next>((next, layer) => (request) => layer.handle(request, next), last);
}

/** The transport as the innermost step. */
export function transportStep(
  transport: Transport,
  timeoutMs: number,
  tls?: () => Promise<{ cert?: string; key?: string; ca?: string }>,
): Next {
  return async (request) => {
    const response = await transport({
      method: request.method,
      url: request.url,
      headers: request.headers,
      timeoutMs,
      ...(request.body ? { body: request.body } : {}),
      ...(request.sink ? { sink: request.sink } : {}),
      // The client certificate (mTLS), presented on every connection to the API host.
      ...(tls ? { tls: await tls() } : {}),
    });
    return { ...response, correlationId: request.correlationId, url: request.url };
  };
}

/** A layer that does nothing: the slot a later capability fills (body codec, SCA). */
export function passThrough(name: string): Layer {
  return { name, handle: (request, next) => next(request) };
}

export class CredentialsElsewhereError extends Error {
  constructor(
    readonly url: URL,
    readonly base: URL,
  ) {
    super(`Refused to send credentials to ${url.origin}: only ${base.origin} may receive them.`);
    this.name = 'CredentialsElsewhereError';
  }
}

/**
 * The rule that keeps credentials at home: a request that carries one (bearer, Basic, SCA signature or one-time
 * token) goes only to the API base's origin and below its path. Checked on the final URL, before a byte is sent.
 */
export function sameOrigin(url: URL, base: URL, headers: Record<string, string>): boolean {
  if (url.origin === base.origin && url.pathname.startsWith(base.pathname)) return true;
  return !Object.keys(headers).some(isSecretHeader);
}

export interface CredentialLayerOptions {
  baseUrl: URL;
  redactor: Redactor;
  debug: (line: string) => void;
  accessToken?: () => Promise<string>;
  renewToken?: (rejected: string) => Promise<string>;
}

/** 1. The bearer token, the same-origin guard, and one renewal after a 401 (Wise did not act on the request). */
export function credentialLayer(o: CredentialLayerOptions): Layer {
  return {
    name: 'credential',
    async handle(request, next) {
      let token: string | undefined;
      if (o.accessToken && !request.headers.authorization) {
        token = await o.accessToken();
        o.redactor.add(token);
        request.headers.authorization = `Bearer ${token}`;
      }
      if (!sameOrigin(request.url, o.baseUrl, request.headers))
        throw new CredentialsElsewhereError(request.url, o.baseUrl);
      const response = await next(request);
      if (response.status !== 401 || token === undefined || !o.renewToken || request.marks.has('renewed')) {
        return response;
      }
      const renewed = await o.renewToken(token);
      o.redactor.add(renewed);
      o.debug('  the token was rejected (401): sending once more with a renewed token');
      request.marks.add('renewed');
      request.headers.authorization = `Bearer ${renewed}`;
      return next(request);
    },
  };
}

/** Answers an SCA challenge: the headers that approve the one-time token (or an error saying why it cannot). */
export type ScaSolver = (oneTimeToken: string, request: PipelineRequest) => Promise<Record<string, string>>;

/** A one-time token in Wise's form: a UUID. Nothing else is ever signed with the SCA key. */
export const ONE_TIME_TOKEN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An SCA challenge as Wise sends it: 403, `x-2fa-approval-result: REJECTED`, the one-time token. */
export function scaChallenge(response: WiseResponse): string | undefined {
  const ott = response.headers['x-2fa-approval'];
  const result = (response.headers['x-2fa-approval-result'] ?? '').toUpperCase();
  return response.status === 403 && ott && result === 'REJECTED' ? ott : undefined;
}

/**
 * Why a 403 that carries `x-2fa-approval` is not a challenge this tool answers, or undefined when it is one: only a
 * one-time token in Wise's form, marked REJECTED, from the API origin, is ever signed or answered.
 */
export function scaRefusal(response: WiseResponse, requestUrl: URL, apiOrigin: string): string | undefined {
  const ott = response.headers['x-2fa-approval'] ?? '';
  const result = response.headers['x-2fa-approval-result'];
  if ((result ?? '').toUpperCase() !== 'REJECTED')
    return `the answer's x-2fa-approval-result is ${result ? `"${result.slice(0, 40)}"` : 'missing'}, not REJECTED`;
  if (!ONE_TIME_TOKEN.test(ott)) return "its x-2fa-approval is not a one-time token in Wise's form (a UUID)";
  if (requestUrl.origin !== apiOrigin) return `it came from ${requestUrl.origin}, not the API origin ${apiOrigin}`;
  return undefined;
}

/**
 * 3. SCA: a challenged request is approved by the solver and sent once more with its headers (POST included: Wise
 * did not act on it); a second challenge is returned as it is, never answered again. A 403 that carries
 * `x-2fa-approval` but is not a challenge in Wise's form (see scaRefusal) is exit 5 saying why nothing was signed:
 * the SCA key signs Wise's one-time tokens, not whatever a server sends.
 */
export function scaLayer(solve: ScaSolver | undefined, debug: (line: string) => void, apiOrigin: string): Layer {
  return {
    name: 'sca',
    async handle(request, next) {
      const response = await next(request);
      if (!solve || request.marks.has('sca') || response.status !== 403 || !response.headers['x-2fa-approval'])
        return response;
      const refusal = scaRefusal(response, request.url, apiOrigin);
      if (refusal) {
        throw new ScaRequiredError(`Wise's answer asks for SCA, but nothing was signed or answered: ${refusal}.`, {
          hint: 'Something between you and Wise may have changed the answer; try again with --debug.',
          details: { reason: 'not_a_challenge' },
        });
      }
      const ott = response.headers['x-2fa-approval'] as string;
      const approval = await solve(ott, request);
      debug('  Wise asked for Strong Customer Authentication: sending once more with the approval');
      request.marks.add('sca');
      Object.assign(request.headers, approval);
      return next(request);
    },
  };
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS']);
const RETRY_STATUSES = new Set([429, 502, 503, 504]);
const RETRY_NETWORK_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'UND_ERR_SOCKET']);

export interface RetryLayerOptions {
  clock: Clock;
  debug: (line: string) => void;
  maxRetries?: number;
  retryBaseMs?: number;
  /** The longest `Retry-After` waited for; a longer one is reported instead. */
  maxRetryAfterMs?: number;
}

/**
 * 4. Retries: idempotent methods after 502/503/504 or a reset connection; any method after a 429, which Wise answers
 * before acting. Full-jitter exponential backoff; a 429's `Retry-After` is honoured up to a cap.
 */
export function retryLayer(o: RetryLayerOptions): Layer {
  return {
    name: 'retry',
    async handle(request, next) {
      const idempotent = IDEMPOTENT.has(request.method);
      const maxRetries = o.maxRetries ?? 3;
      const base = o.retryBaseMs ?? 250;
      for (let attempt = 0; ; attempt++) {
        let response: WiseResponse;
        try {
          response = await next(request);
        } catch (error) {
          const code = error instanceof TransportError ? error.code : '';
          if (idempotent && attempt < maxRetries && RETRY_NETWORK_CODES.has(code)) {
            await o.clock.sleep(backoff(base, attempt));
            continue;
          }
          throw error;
        }
        const retryable = response.status === 429 || (idempotent && RETRY_STATUSES.has(response.status));
        if (attempt >= maxRetries || !retryable) return response;
        let wait = backoff(base, attempt);
        if (response.status === 429) {
          const after = parseRetryAfter(response.headers['retry-after'], o.clock.now());
          if (after !== undefined && after > (o.maxRetryAfterMs ?? 30_000)) return response;
          if (after !== undefined) wait = after;
        }
        o.debug(`  retrying in ${wait} ms (attempt ${attempt + 2} of ${maxRetries + 1})`);
        await o.clock.sleep(wait);
      }
    },
  };
}

/** A pause shared by every request of one client: a 429 to any of them slows all of them down. */
export interface Pace {
  /** No request is sent before this time (ms since the epoch). */
  until: number;
}

/**
 * Between retry and trace: every attempt waits for the shared pause, and a 429 extends it by its `Retry-After`
 * (one second without one). For batches, where many requests are in flight, so that a rate limit slows the whole
 * batch instead of failing rows one by one.
 */
export function paceLayer(pace: Pace, clock: Clock, debug: (line: string) => void): Layer {
  return {
    name: 'pace',
    async handle(request, next) {
      const wait = pace.until - clock.now();
      if (wait > 0) await clock.sleep(wait);
      const response = await next(request);
      if (response.status === 429) {
        const after = parseRetryAfter(response.headers['retry-after'], clock.now()) ?? 1000;
        pace.until = Math.max(pace.until, clock.now() + after);
        debug(`  rate limited: every request waits ${after} ms`);
      }
      return response;
    },
  };
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

const DEBUG_BODY_LIMIT = 4096;

export interface TraceLayerOptions {
  clock: Clock;
  redactor: Redactor;
  debug: (line: string) => void;
  enabled: boolean;
}

/** 5. The --debug trace of each attempt as it goes to the transport: plaintext bodies, every secret redacted. */
export function traceLayer(o: TraceLayerOptions): Layer {
  const body = (text: string, type: string | undefined) => {
    // A JWS carries its payload in base64url, which redaction cannot see into: the body codec traces the plaintext
    // (redacted) instead, and the compact form is only counted here.
    if (/^application\/jose\+json/i.test(type ?? '')) return `(compact JOSE, ${text.length} chars)`;
    const redacted = o.redactor.body(text, type);
    return redacted.length > DEBUG_BODY_LIMIT
      ? `${redacted.slice(0, DEBUG_BODY_LIMIT)}… (${redacted.length} chars)`
      : redacted;
  };
  return {
    name: 'trace',
    async handle(request, next) {
      if (!o.enabled) return next(request);
      o.debug(`> ${request.method} ${o.redactor.url(request.url.href)}`);
      for (const [name, value] of Object.entries(request.headers)) {
        o.debug(`> ${name}: ${o.redactor.headerValue(name, value)}`);
      }
      if (request.body?.byteLength) {
        o.debug(`> ${body(Buffer.from(request.body).toString('utf8'), request.headers['content-type'])}`);
      }
      const started = o.clock.now();
      let response: WiseResponse;
      try {
        response = await next(request);
      } catch (error) {
        const code = error instanceof TransportError ? error.code : 'EUNKNOWN';
        o.debug(`< ${code} after ${o.clock.now() - started} ms`);
        throw error;
      }
      o.debug(`< ${response.status} ${response.statusText} (${o.clock.now() - started} ms)`);
      for (const [name, value] of Object.entries(response.headers)) {
        o.debug(`< ${name}: ${o.redactor.headerValue(name, value)}`);
      }
      if (response.body.byteLength) {
        o.debug(`< ${body(response.body.toString('utf8'), response.headers['content-type'])}`);
      }
      return response;
    },
  };
}
