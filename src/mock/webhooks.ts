/**
 * Test webhook deliveries from the emulator, as Wise sends them: a JSON event (`data`, `subscription_id`,
 * `event_type`, `schema_version`, `sent_at`) POSTed with `X-Signature-SHA256` (SHA256withRSA over the raw body, with
 * the emulator's own key, whose public half `/__mock/webhook-public-key` gives), a fresh `X-Delivery-Id` and
 * `X-Test-Notification: true`.
 */
import { generateKeyPairSync, type KeyObject, randomUUID, sign } from 'node:crypto';
import { errors, json, type Reply } from './reply.js';

export interface WebhookSigner {
  privateKey: KeyObject;
  publicPem: string;
}

export function createWebhookSigner(): WebhookSigner {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { privateKey, publicPem: publicKey.export({ type: 'spki', format: 'pem' }) as string };
}

/** `POST /__mock/webhooks/deliver` `{"url", "eventType"?, "deliveryId"?}`: one signed test delivery; its answer. */
export async function deliverTestEvent(signer: WebhookSigner, input: Buffer): Promise<Reply> {
  let request: { url?: unknown; eventType?: unknown; deliveryId?: unknown };
  try {
    request = JSON.parse(input.toString('utf8') || '{}');
  } catch {
    return errors(400, 'INVALID_JSON', 'The body is not JSON');
  }
  let target: URL;
  try {
    target = new URL(String(request.url));
  } catch {
    return errors(400, 'INVALID_URL', 'url must be the http(s) URL to deliver to');
  }
  const eventType = typeof request.eventType === 'string' ? request.eventType : 'transfers#state-change';
  const body = JSON.stringify({
    data: {
      resource: { id: 123456, profile_id: 2001, account_id: 3001, type: 'transfer' },
      current_state: 'outgoing_payment_sent',
      previous_state: 'processing',
      occurred_at: new Date().toISOString(),
    },
    subscription_id: 'c1f7f2a4-8bd6-4d1c-9c83-1d5c1e7e9b21',
    event_type: eventType,
    schema_version: '2.0.0',
    sent_at: new Date().toISOString(),
  });
  const deliveryId = typeof request.deliveryId === 'string' ? request.deliveryId : randomUUID();
  try {
    const response = await fetch(target, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-signature-sha256': sign('sha256', Buffer.from(body), signer.privateKey).toString('base64'),
        'x-delivery-id': deliveryId,
        'x-test-notification': 'true',
      },
      body,
      signal: AbortSignal.timeout(5_000),
    });
    await response.arrayBuffer();
    return json(200, { deliveryId, status: response.status });
  } catch (error) {
    return errors(502, 'DELIVERY_FAILED', `Delivering to ${target.href} failed: ${(error as Error).message}`);
  }
}
