import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { endpoint } from '../http/endpoints.js';
import { formatTable, printJson } from '../util/output.js';
import { profileClient } from './account/common.js';
import type { WebhookSubscribeOptions } from './account-specs.js';

interface Subscription {
  id: string;
  name: string;
  trigger_on: string;
  delivery: { version: string; url: string };
  created_at?: string;
}

export async function webhookSubscribe(ctx: Context, opts: WebhookSubscribeOptions): Promise<void> {
  if (!/^[a-z-]+#[a-z-]+$/.test(opts.event)) {
    throw new UsageError(`"${opts.event}" is not a Wise event name such as transfers#state-change or balances#credit.`);
  }
  let url: URL;
  try {
    url = new URL(opts.url);
  } catch {
    throw new UsageError(`--url is not a URL: ${opts.url}`);
  }
  if (url.protocol !== 'https:') throw new UsageError('Wise delivers webhooks to https:// URLs only.');
  const { client, profileId } = await profileClient(ctx);
  const created = await client.sendJson<Subscription>('POST', endpoint('subscriptions', client.apiVersion, profileId), {
    name: opts.name ?? `${opts.event} to ${url.host}`,
    trigger_on: opts.event,
    delivery: { version: '2.0.0', url: url.href },
  });
  if (ctx.options.json) return printJson(ctx, created);
  ctx.io.out(`${created.id}\n`);
  ctx.io.err(
    `Subscribed ${url.href} to ${created.trigger_on}. Check deliveries with \`wise webhook verify\` or \`wise webhook listen\`.`,
  );
}

export async function webhookList(ctx: Context): Promise<void> {
  const { client, profileId } = await profileClient(ctx);
  const list = await client.getJson<Subscription[]>(endpoint('subscriptions', client.apiVersion, profileId));
  if (ctx.options.json) return printJson(ctx, list);
  if (!list.length) {
    ctx.io.err(`Profile ${profileId} has no webhook subscriptions.`);
    return;
  }
  ctx.io.out(
    formatTable(
      ['ID', 'EVENT', 'URL', 'NAME'],
      list.map((s) => [s.id, s.trigger_on, s.delivery.url, s.name]),
    ),
  );
}

export async function webhookDelete(ctx: Context, id: string): Promise<void> {
  if (!/^[\w-]{1,64}$/.test(id)) throw new UsageError(`"${id}" is not a subscription id.`);
  const { client, profileId } = await profileClient(ctx);
  await client.request({ method: 'DELETE', path: endpoint('subscription', client.apiVersion, profileId, id) });
  if (ctx.options.json) return printJson(ctx, { deleted: id });
  ctx.io.err(`Deleted subscription ${id}.`);
}
