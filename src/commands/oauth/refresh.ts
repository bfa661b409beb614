import { storedAccessToken } from '../../auth/oauth/tokens.js';
import { resolveTarget } from '../../auth/target.js';
import type { Context } from '../../context.js';
import { AuthError } from '../../errors.js';
import { printJson } from '../../util/output.js';

/** Refreshes the stored OAuth access token now, under the same lock as automatic refreshes. */
export async function oauthRefresh(ctx: Context): Promise<void> {
  const target = await resolveTarget(ctx);
  const stored = target.config.accounts[target.account]?.credentials[target.env];
  if (stored?.type !== 'oauth') {
    throw new AuthError(`Account "${target.account}" has no OAuth login in ${target.env}.`, {
      hint: 'Run `wise oauth authorize` first.',
    });
  }
  const tokens = await storedAccessToken(ctx, target, { ...stored, force: true });
  const expiresAt = new Date(tokens.expiresAt).toISOString();
  if (ctx.options.json) return printJson(ctx, { account: target.account, env: target.env, expiresAt });
  ctx.io.err(`Refreshed the access token of account "${target.account}" (${target.env}); valid until ${expiresAt}.`);
}
