import { authorizeWithBrowser } from '../../auth/oauth/authorize.js';
import { resolveTarget } from '../../auth/target.js';
import type { Context } from '../../context.js';
import { UsageError } from '../../errors.js';
import { printJson } from '../../util/output.js';
import type { OAuthAuthorizeOptions } from '../specs.js';

export function parseTimeout(raw: string): number {
  const seconds = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw) || seconds <= 0 || seconds > 86_400) {
    throw new UsageError(`--timeout must be a number of seconds from 1 to 86400, not "${raw}".`);
  }
  return seconds * 1000;
}

export async function oauthAuthorize(ctx: Context, opts: OAuthAuthorizeOptions): Promise<void> {
  const timeoutMs = parseTimeout(opts.timeout);
  const target = await resolveTarget(ctx);
  const result = await authorizeWithBrowser(ctx, target, {
    noBrowser: opts.browser === false,
    timeoutMs,
    ...(opts.pkce ? { pkce: true } : {}),
  });
  const expiresAt = new Date(result.tokens.expiresAt).toISOString();
  if (ctx.options.json) {
    printJson(ctx, { account: target.account, env: target.env, profileId: result.profileId ?? null, expiresAt });
    return;
  }
  const style = await ctx.io.style('err');
  const profile = result.profileId ? `, default profile ${result.profileId}` : '';
  ctx.io.err(
    `${style.green('✓')} Logged in account "${target.account}" (${target.env}) with OAuth${profile}; access token valid until ${expiresAt}.`,
  );
}
