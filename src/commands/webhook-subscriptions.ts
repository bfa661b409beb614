import { profileClient } from '../account/session.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import type { WiseClient } from '../http/client.js';
import { endpoint } from '../http/endpoints.js';
import { formatTable, printJson } from '../util/output.js';
import type { WebhookDeleteOptions, WebhookListOptions, WebhookSubscribeOptions } from './account-specs.js';

/** Hosts on this machine. */
const LOOPBACK = /^(127\.0\.0\.1|localhost|\[::1\])$/;

/** The versions of the delivery payload Wise offers. */
const SCHEMA_VERSIONS = ['2.0.0', '4.0.0'];

/** Where subscriptions live: the profile's (a user token), or the partner application's (a client token). */
interface Scope {
  client: WiseClient;
  path: string;
  owner: string;
}

async function subscriptionScope(ctx: Context, application: boolean | undefined): Promise<Scope> {
  if (!application) {
    const { client, profileId } = await profileClient(ctx);
    return { client, path: endpoint('subscriptions', client.apiVersion, profileId), owner: `Profile ${profileId}` };
  }
  const [{ resolveTarget }, { clientCredentialsToken }, { loadClientForGrant }] = await Promise.all([
    import('../auth/target.js'),
    import('../jose/wise-keys.js'),
    import('../auth/oauth/client-config.js'),
  ]);
  const target = await resolveTarget(ctx);
  const token = await clientCredentialsToken(ctx, target.env, 'Application webhook subscriptions');
  const { clientId } = await loadClientForGrant(ctx, target.env);
  const client = ctx.client(target.env, { kind: 'oauth', accessToken: async () => token });
  return {
    client,
    path: endpoint('applicationSubscriptions', client.apiVersion, clientId),
    owner: `Application ${clientId}`,
  };
}

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
  // Wise delivers to https:// only. An emulator on this machine (an API URL on loopback) can also reach a listener
  // here over plain http: `wise webhook listen`, for the local loop.
  const plainLocal = url.protocol === 'http:' && LOOPBACK.test(url.hostname);
  if (url.protocol !== 'https:' && !plainLocal) throw new UsageError('Wise delivers webhooks to https:// URLs only.');
  const version = opts.schemaVersion;
  if (!SCHEMA_VERSIONS.includes(version)) {
    throw new UsageError(`--schema-version is ${SCHEMA_VERSIONS.join(' or ')}, not "${version}".`);
  }
  const { client, path } = await subscriptionScope(ctx, opts.application);
  if (plainLocal && !LOOPBACK.test(client.baseUrl.hostname)) {
    throw new UsageError('Wise delivers webhooks to https:// URLs only.', {
      hint: `Only an emulator on this machine (wise mock) delivers to ${url.origin}: Wise cannot reach it.`,
    });
  }
  const created = await client.sendJson<Subscription>('POST', path, {
    name: opts.name ?? `${opts.event} to ${url.host}`,
    trigger_on: opts.event,
    delivery: { version, url: url.href },
  });
  if (ctx.options.json) return printJson(ctx, created);
  ctx.io.out(`${created.id}\n`);
  ctx.io.err(
    `Subscribed ${url.href} to ${created.trigger_on}. Check deliveries with \`wise webhook verify\` or \`wise webhook listen\`.`,
  );
}

export async function webhookList(ctx: Context, opts: WebhookListOptions): Promise<void> {
  const { client, path, owner } = await subscriptionScope(ctx, opts.application);
  const list = await client.getJson<Subscription[]>(path);
  if (ctx.options.json) return printJson(ctx, list);
  if (!list.length) {
    ctx.io.err(`${owner} has no webhook subscriptions.`);
    return;
  }
  ctx.io.out(
    formatTable(
      ['ID', 'EVENT', 'URL', 'VERSION', 'NAME'],
      list.map((s) => [s.id, s.trigger_on, s.delivery.url, s.delivery.version, s.name]),
    ),
  );
}

export async function webhookDelete(ctx: Context, id: string, opts: WebhookDeleteOptions): Promise<void> {
  if (!/^[\w-]{1,64}$/.test(id)) throw new UsageError(`"${id}" is not a subscription id.`);
  const { client, path } = await subscriptionScope(ctx, opts.application);
  await client.request({ method: 'DELETE', path: `${path}/${id}` });
  if (ctx.options.json) return printJson(ctx, { deleted: id });
  ctx.io.err(`Deleted subscription ${id}.`);
}
