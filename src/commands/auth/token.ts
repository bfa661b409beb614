import { resolveCredential } from '../../auth/credentials.js';
import { resolveTarget } from '../../auth/target.js';
import type { Context } from '../../context.js';

/** Prints a valid access token and a newline, nothing else: `export WISE_TOKEN=$(wise auth token)`. */
export async function authToken(ctx: Context): Promise<void> {
  const target = await resolveTarget(ctx);
  const credential = await resolveCredential(ctx, target);
  ctx.io.out(`${await credential.accessToken()}\n`);
}
