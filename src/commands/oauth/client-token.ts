import { loadClientForGrant } from '../../auth/oauth/client-config.js';
import { clientCredentials, expiresAtOf } from '../../auth/oauth/grants.js';
import { resolveTarget } from '../../auth/target.js';
import type { Context } from '../../context.js';
import { printJson } from '../../util/output.js';

/** client_credentials grant: prints the token and a newline. Never stored, as Wise advises (one per worker). */
export async function oauthClientToken(ctx: Context): Promise<void> {
  const { env } = await resolveTarget(ctx);
  const client = await loadClientForGrant(ctx, env);
  const started = ctx.clock.now();
  const tokens = await clientCredentials(ctx.client(env), client);
  if (ctx.options.json) {
    const expiresAt = expiresAtOf(tokens, started);
    printJson(ctx, {
      token: tokens.access_token,
      expiresAt: expiresAt === undefined ? null : new Date(expiresAt).toISOString(),
    });
    return;
  }
  ctx.io.out(`${tokens.access_token}\n`);
}
