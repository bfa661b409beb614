/**
 * Webhook deliveries from the emulator, as Wise sends them: a JSON event (`data`, `subscription_id`, `event_type`,
 * `schema_version`, `sent_at`) POSTed with `X-Signature-SHA256` (SHA256withRSA over the raw body, with the emulator's
 * own key, whose public half `/__mock/webhook-public-key` gives) and a fresh `X-Delivery-Id`. Two kinds: a test
 * delivery to any URL (`X-Test-Notification: true`), and the events of what happens in the emulator (a sandbox
 * simulation moving a transfer) to the subscriptions that asked for them.
 */
import { generateKeyPairSync, type KeyObject, randomUUID, sign } from 'node:crypto';
import { errors, json, type Reply } from './reply.js';
import type { MockState } from './state.js';

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
    const status = await post(signer, target, body, deliveryId, true);
    return json(200, { deliveryId, status });
  } catch (error) {
    return errors(502, 'DELIVERY_FAILED', `Delivering to ${target.href} failed: ${(error as Error).message}`);
  }
}

/** POSTs one signed delivery; the receiver's status. */
async function post(signer: WebhookSigner, target: URL, body: string, deliveryId: string, test: boolean) {
  const response = await fetch(target, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-signature-sha256': sign('sha256', Buffer.from(body), signer.privateKey).toString('base64'),
      'x-delivery-id': deliveryId,
      ...(test ? { 'x-test-notification': 'true' } : {}),
    },
    body,
    signal: AbortSignal.timeout(5_000),
  });
  await response.arrayBuffer();
  return response.status;
}

/** One delivery of an event to a subscription, as `/__mock/webhooks/deliveries` lists it. */
export interface DeliveryRecord {
  subscriptionId: string;
  eventType: string;
  url: string;
  deliveryId: string;
  status?: number;
  error?: string;
}

/** The deliveries kept for `/__mock/webhooks/deliveries`: the last ones only. */
const KEPT_DELIVERIES = 200;

/** Sends the events of what happened in the emulator to the subscriptions that asked for them. */
export class EventPublisher {
  readonly deliveries: DeliveryRecord[] = [];
  readonly #inFlight = new Set<Promise<void>>();

  constructor(
    private readonly state: MockState,
    private readonly signer: WebhookSigner,
  ) {}

  /**
   * An event of a profile: every subscription of that profile with this `trigger_on` gets it in the schema version
   * it chose (2.0.0 and 4.0.0 differ only in the precision of their times). Sent after the answer, as Wise does.
   */
  publish(eventType: string, profileId: number, data: Record<string, unknown>): void {
    for (const subscription of this.state.subscriptions.values()) {
      const scope = subscription.scope as { domain: string; id: string };
      if (subscription.trigger_on !== eventType || scope.domain !== 'profile' || scope.id !== String(profileId)) {
        continue;
      }
      const delivery = subscription.delivery as { version: string; url: string };
      const seconds = (iso: string) => (delivery.version === '2.0.0' ? iso.replace(/\.\d{3}Z$/, 'Z') : iso);
      const body = JSON.stringify({
        data: { ...data, occurred_at: seconds(String(data.occurred_at)) },
        subscription_id: subscription.id,
        event_type: eventType,
        schema_version: delivery.version,
        sent_at: seconds(new Date().toISOString()),
      });
      const record: DeliveryRecord = {
        subscriptionId: String(subscription.id),
        eventType,
        url: delivery.url,
        deliveryId: randomUUID(),
      };
      this.deliveries.push(record);
      if (this.deliveries.length > KEPT_DELIVERIES) this.deliveries.shift();
      const sent = post(this.signer, new URL(delivery.url), body, record.deliveryId, false).then(
        (status) => {
          record.status = status;
        },
        (error: Error) => {
          record.error = error.message;
        },
      );
      this.#inFlight.add(sent);
      void sent.finally(() => this.#inFlight.delete(sent));
    }
  }

  /** Waits for the deliveries under way (when the emulator stops). */
  async settle(): Promise<void> {
    await Promise.all([...this.#inFlight]);
  }
}
