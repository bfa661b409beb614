import type { Context } from '../../context.js';
import { AuthError, UsageError } from '../../errors.js';
import { AUTHORIZE_URLS, parseBaseUrl } from '../../http/endpoints.js';
import type { WiseEnv } from '../../store/config.js';
import { clientSecretName } from '../../store/secret-store.js';
import { selfRedacting } from '../../util/redact.js';
import type { OAuthClient } from './grants.js';

export interface ConfiguredClient extends OAuthClient {
  redirectUri: string;
}

/**
 * Checks a redirect URI for the loopback receiver: plain http on 127.0.0.1, [::1] or localhost with an explicit
 * port, since the tool itself listens there and Wise matches the registered URL exactly.
 */
export function checkRedirectUri(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`The redirect URI is not a valid URL: ${raw}`);
  }
  const hint =
    'Use a loopback URL with an explicit port, e.g. http://127.0.0.1:8765/callback, and register it with Wise.';
  if (url.protocol !== 'http:')
    throw new UsageError(`The redirect URI must start with http:// (the tool listens on it): ${raw}`, { hint });
  if (!['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname.toLowerCase())) {
    throw new UsageError(`The redirect URI must be on 127.0.0.1, [::1] or localhost: ${raw}`, { hint });
  }
  if (!url.port) throw new UsageError(`The redirect URI needs an explicit port: ${raw}`, { hint });
  if (url.username || url.password || url.hash)
    throw new UsageError(`The redirect URI must not carry credentials or a fragment: ${raw}`, { hint });
  return url;
}

/** The consent page: WISE_AUTHORIZE_URL, else `<api-url>/oauth/authorize` when only the API URL is overridden, else Wise's. */
export function authorizeUrl(ctx: Context, env: WiseEnv): URL {
  if (ctx.env.WISE_AUTHORIZE_URL) {
    // Same rule as the API URL: https, or plain http on loopback only. The path is kept as given.
    parseBaseUrl(ctx.env.WISE_AUTHORIZE_URL, 'WISE_AUTHORIZE_URL');
    return new URL(ctx.env.WISE_AUTHORIZE_URL);
  }
  const api = ctx.options.apiUrl ?? ctx.env.WISE_API_URL;
  if (api) return new URL('oauth/authorize', parseBaseUrl(api, ctx.options.apiUrl ? '--api-url' : 'WISE_API_URL'));
  return new URL(AUTHORIZE_URLS[env]);
}

/** The partner client stored for the environment by `wise oauth setup`. */
export async function loadClient(ctx: Context, env: WiseEnv): Promise<ConfiguredClient> {
  const config = await ctx.config.read();
  const client = config.clients[env];
  if (!client) {
    throw new AuthError(`No OAuth client is set up for ${env}.`, {
      hint: 'Run `wise oauth setup --client-id <id> --redirect-uri http://127.0.0.1:<port>/callback`.',
    });
  }
  const store = await ctx.secrets(client.store);
  const clientSecret = await store.get(clientSecretName(env));
  if (!clientSecret) {
    throw new AuthError(`The client secret for ${env} is missing from the ${store.description}.`, {
      hint: 'Run `wise oauth setup` again.',
    });
  }
  ctx.redactor.add(clientSecret);
  return selfRedacting<ConfiguredClient>({ clientId: client.clientId, clientSecret, redirectUri: client.redirectUri }, [
    'clientSecret',
  ]);
}

/** The client from WISE_CLIENT_ID and WISE_CLIENT_SECRET when both are set, else the stored one. */
export async function loadClientForGrant(ctx: Context, env: WiseEnv): Promise<OAuthClient> {
  const id = ctx.env.WISE_CLIENT_ID;
  const secret = ctx.env.WISE_CLIENT_SECRET;
  if (id && secret) {
    ctx.redactor.add(secret);
    return selfRedacting<OAuthClient>({ clientId: id, clientSecret: secret }, ['clientSecret']);
  }
  return loadClient(ctx, env);
}
