import { loadClientForGrant } from '../../auth/oauth/client-config.js';
import { clientCredentials } from '../../auth/oauth/grants.js';
import { resolveTarget } from '../../auth/target.js';
import type { Context } from '../../context.js';
import { createClient } from '../../http/factory.js';
import { printJson } from '../../util/output.js';

/** client_credentials grant: prints the token and a newline. Never stored, as Wise advises (one per worker). */
export async function oauthClientToken(ctx: Context): Promise<void> {
  const { env } = await resolveTarget(ctx);
  const client = await loadClientForGrant(ctx, env);
  const started = ctx.clock.now();
  const tokens = await clientCredentials(createClient(ctx, env), client);
  if (ctx.options.json) {
    const expiresIn = Number(tokens.expires_in);
    const expiresAt = Number.isFinite(expiresIn) && expiresIn > 0 ? new Date(started + expiresIn * 1000) : null;
    printJson(ctx, { token: tokens.access_token, expiresAt: expiresAt?.toISOString() ?? null });
    return;
  }
  ctx.io.out(`${tokens.access_token}\n`);
}
