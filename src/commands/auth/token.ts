import { resolveCredential } from '../../auth/credentials.js';
import { resolveTarget } from '../../auth/target.js';
import type { Context } from '../../context.js';
import { printJson } from '../../util/output.js';

/** Prints a valid access token and a newline, nothing else: `export WISE_TOKEN=$(wise auth token)`. */
export async function authToken(ctx: Context): Promise<void> {
  const target = await resolveTarget(ctx);
  const credential = await resolveCredential(ctx, target);
  const token = await credential.accessToken();
  if (ctx.options.json) {
    const expiresAt = credential.expiresAt?.();
    printJson(ctx, { token, expiresAt: expiresAt ? new Date(expiresAt).toISOString() : null });
    return;
  }
  ctx.io.out(`${token}\n`);
}
