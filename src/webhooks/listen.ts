/**
 * `wise webhook listen`: a local receiver of Wise's webhooks. Each delivery is verified over its raw bytes before
 * anything else; a missing or bad signature is answered 4xx and neither printed nor forwarded. A good delivery is
 * answered 200 at once (Wise wants 2xx within 5 s), printed, and forwarded with its raw body and Wise's headers. A
 * redelivery (Wise retries what it thinks failed) is acknowledged, but printed and forwarded once: deliveries are told
 * apart by a hash of the signed body, not by X-Delivery-Id, which is not signed (the same signed body under new ids
 * is a replay). Unsigned headers (X-Delivery-Id, X-Test-Notification) are passed on as received and never change a
 * verdict; control characters are stripped from every header value shown.
 */
import { createHash, type KeyObject } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { showUrl, stripControl } from '../util/redact.js';
import { verifyWebhook } from './signature.js';

export const MAX_BODY_BYTES = 1024 * 1024;
const FORWARD_TIMEOUT_MS = 10_000;
/** Bodies remembered for de-duplication; the oldest are forgotten first, so memory stays flat. */
export const REMEMBERED_DELIVERIES = 10_000;

/** What tells deliveries apart: the SHA-256 of the signed body. */
export function deliveryHash(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}

export interface Delivery {
  deliveryId: string | null;
  test: boolean;
  eventType: string | null;
  body: Buffer;
  headers: Record<string, string>;
}

export interface ListenerOptions {
  key: KeyObject;
  /** Called once per good, new delivery. */
  onDelivery(delivery: Delivery): void;
  /** A line for stderr (refusals, forwarding results). */
  log(line: string): void;
  forwardTo?: URL;
  /** Hashes of deliveries already handled (from --state), oldest first. */
  remembered?: string[];
  /** Called with the hash of each new good delivery (to keep it across restarts). */
  onRemember?(hash: string): void;
}

const WISE_HEADERS = ['content-type', 'x-signature-sha256', 'x-delivery-id', 'x-test-notification'];

export function createListener(o: ListenerOptions) {
  const seen = new Set<string>();
  const remember = (hash: string) => {
    seen.add(hash);
    if (seen.size > REMEMBERED_DELIVERIES) seen.delete(seen.values().next().value as string);
  };
  for (const hash of o.remembered ?? []) remember(hash);
  // As it may be shown: credentials in the URL are masked.
  const targetName = o.forwardTo && showUrl(o.forwardTo);
  // Forwarded with node:http(s), one request per delivery; a downstream that does not answer is given up on.
  const forward = async (delivery: Delivery) => {
    const target = o.forwardTo;
    if (!target) return;
    const started = Date.now();
    const id = delivery.deliveryId ?? '(no delivery id)';
    const { request } = (await import(
      target.protocol === 'https:' ? 'node:https' : 'node:http'
    )) as typeof import('node:http');
    await new Promise<void>((resolve) => {
      const req = request(
        target,
        { method: 'POST', headers: { ...delivery.headers, 'content-length': String(delivery.body.byteLength) } },
        (res) => {
          res.resume();
          res.on('end', () => {
            o.log(`forwarded ${id} to ${targetName}: ${res.statusCode} (${Date.now() - started} ms)`);
            resolve();
          });
        },
      );
      req.setTimeout(FORWARD_TIMEOUT_MS, () => req.destroy(new Error(`no answer in ${FORWARD_TIMEOUT_MS / 1000} s`)));
      req.on('error', (error) => {
        o.log(`forwarding ${id} to ${targetName} failed: ${error.message}`);
        resolve();
      });
      req.end(delivery.body);
    });
  };
  return (req: IncomingMessage, res: ServerResponse) => {
    const answer = (status: number, text: string) => {
      if (!res.headersSent) res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(`${text}\n`);
    };
    if (req.method !== 'POST') return answer(405, 'POST webhooks here');
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > MAX_BODY_BYTES) tooBig = true;
      else chunks.push(chunk);
    });
    req.on('error', () => {});
    req.on('end', () => {
      if (tooBig) {
        o.log(`refused a delivery of more than ${MAX_BODY_BYTES} bytes`);
        return answer(413, 'too large');
      }
      const body = Buffer.concat(chunks);
      const header = (name: string) => {
        const value = req.headers[name];
        return typeof value === 'string' ? value : undefined;
      };
      const signature = header('x-signature-sha256');
      const rawId = header('x-delivery-id');
      const deliveryId = rawId === undefined ? null : stripControl(rawId).slice(0, 200);
      const valid =
        signature !== undefined &&
        /^[A-Za-z0-9+/]+={0,2}$/.test(signature.trim()) &&
        verifyWebhook(body, Buffer.from(signature.trim(), 'base64'), o.key);
      if (!valid) {
        o.log(
          `refused ${deliveryId ?? 'a delivery'}: ${signature === undefined ? 'no X-Signature-SHA256' : 'the signature does not match'} (not printed, not forwarded)`,
        );
        return answer(signature === undefined ? 401 : 403, 'signature missing or invalid');
      }
      answer(200, 'ok');
      const hash = deliveryHash(body);
      if (seen.has(hash)) {
        o.log(
          `acknowledged a redelivery${deliveryId === null ? '' : ` of ${deliveryId}`} (the same signed body was printed and forwarded once already)`,
        );
        return;
      }
      remember(hash);
      o.onRemember?.(hash);
      let eventType: string | null = null;
      try {
        const parsed = JSON.parse(body.toString('utf8')) as { event_type?: unknown };
        if (typeof parsed.event_type === 'string') eventType = stripControl(parsed.event_type);
      } catch {}
      const headers: Record<string, string> = {};
      for (const name of WISE_HEADERS) {
        const value = header(name);
        if (value !== undefined) headers[name] = value;
      }
      // X-Test-Notification is not signed: shown as Wise's hint, never a reason to accept or refuse.
      const delivery = { deliveryId, test: header('x-test-notification') === 'true', eventType, body, headers };
      o.onDelivery(delivery);
      void forward(delivery);
    });
  };
}
