import { envRefreshSettings, resolveCredential } from '../../auth/credentials.js';
import { storedAccessToken } from '../../auth/oauth/tokens.js';
import { resolveTarget } from '../../auth/target.js';
import type { Context } from '../../context.js';
import { AuthError, UsageError } from '../../errors.js';
import { printJson } from '../../util/output.js';

/**
 * Refreshes the access token now, from the credentials in force as every command resolves them: the OAuth client
 * and refresh token of the environment (WISE_REFRESH_TOKEN_FILE gets the rotated token written back), else the
 * stored login, under the same lock as automatic refreshes. WISE_TOKEN is used as is: there is nothing to refresh.
 */
export async function oauthRefresh(ctx: Context): Promise<void> {
  const target = await resolveTarget(ctx);
  if (ctx.env.WISE_TOKEN?.trim()) {
    throw new UsageError('WISE_TOKEN is set: it is used as it is, and there is nothing to refresh.', {
      hint: 'Unset WISE_TOKEN to refresh the OAuth login from the environment or the stored one.',
    });
  }
  let expiresAt: number | undefined;
  let source: string;
  if (envRefreshSettings(ctx.env)) {
    const credential = await resolveCredential(ctx, target);
    await credential.accessToken();
    expiresAt = credential.expiresAt?.();
    source = credential.origin;
  } else {
    const stored = target.config.accounts[target.account]?.credentials[target.env];
    if (stored?.type !== 'oauth') {
      throw new AuthError(`Account "${target.account}" has no OAuth login in ${target.env}.`, {
        hint: 'Run `wise oauth authorize` first, or set WISE_CLIENT_ID, WISE_CLIENT_SECRET and WISE_REFRESH_TOKEN_FILE.',
      });
    }
    expiresAt = (await storedAccessToken(ctx, target, { ...stored, force: true })).expiresAt;
    source = `account "${target.account}"`;
  }
  const until = expiresAt === undefined ? undefined : new Date(expiresAt).toISOString();
  if (ctx.options.json)
    return printJson(ctx, { account: target.account, env: target.env, source, expiresAt: until ?? null });
  ctx.io.err(`Refreshed the access token of ${source} (${target.env})${until ? `; valid until ${until}` : ''}.`);
}
