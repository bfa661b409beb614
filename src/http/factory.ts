import type { ActiveCredential } from '../auth/credentials.js';
import type { Context } from '../context.js';
import type { WiseEnv } from '../store/config.js';
import { WiseClient } from './client.js';
import { API_URLS, parseBaseUrl } from './endpoints.js';

/** The API base for an environment: --api-url, else WISE_API_URL, else Wise's host. */
export function apiBaseUrl(ctx: Context, env: WiseEnv): URL {
  if (ctx.options.apiUrl) return parseBaseUrl(ctx.options.apiUrl, '--api-url');
  if (ctx.env.WISE_API_URL) return parseBaseUrl(ctx.env.WISE_API_URL, 'WISE_API_URL');
  return new URL(`${API_URLS[env]}/`);
}

/** A client for the environment, authenticated with `credential` when given. */
export function createClient(
  ctx: Context,
  env: WiseEnv,
  credential?: Pick<ActiveCredential, 'kind' | 'accessToken' | 'renew'>,
): WiseClient {
  return new WiseClient({
    baseUrl: apiBaseUrl(ctx, env),
    transport: ctx.transport,
    redactor: ctx.redactor,
    debug: (line) => ctx.debug(line),
    debugEnabled: ctx.debugEnabled,
    clock: ctx.clock,
    ...(credential ? { accessToken: credential.accessToken, credentialKind: credential.kind } : {}),
    ...(credential?.renew ? { renewToken: credential.renew } : {}),
  });
}
