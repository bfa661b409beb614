import { checkRedirectUri } from '../../auth/oauth/client-config.js';
import { clientCredentials } from '../../auth/oauth/grants.js';
import { MAX_SECRET_LENGTH, normaliseSecret } from '../../auth/personal-token.js';
import { resolveTarget } from '../../auth/target.js';
import type { Context } from '../../context.js';
import { AuthError, UsageError } from '../../errors.js';
import { clientSecretName } from '../../store/secret-store.js';
import { printJson } from '../../util/output.js';
import type { OAuthSetupOptions } from '../specs.js';

/** Reads the client secret from a hidden prompt, or stdin; never from argv. */
export async function readClientSecret(ctx: Context, fromStdin: boolean | undefined): Promise<string> {
  const raw =
    fromStdin || !ctx.io.stdinIsTTY
      ? (await ctx.io.readStdin(MAX_SECRET_LENGTH + 2)).toString('utf8')
      : await ctx.io.promptSecret('Client secret (from Wise)');
  const secret = normaliseSecret(raw, 'client secret', {
    empty: 'Give the client secret Wise issued with your client id, on stdin or at the prompt.',
    multiline: 'Give exactly one secret, e.g. `printf %s "$SECRET" | wise oauth setup ... --client-secret-stdin`.',
  });
  ctx.redactor.add(secret);
  return secret;
}

/**
 * Stores the partner client for the environment: id and redirect URI in config, the secret in the secret store
 * only. Unless --no-verify, the pair is first checked with a client_credentials grant (whose token is dropped).
 */
export async function oauthSetup(ctx: Context, opts: OAuthSetupOptions): Promise<void> {
  const clientId = opts.clientId.trim();
  if (!clientId || /\s/.test(clientId)) throw new UsageError(`"${opts.clientId}" is not a valid client id.`);
  checkRedirectUri(opts.redirectUri);
  const { env } = await resolveTarget(ctx);
  const secret = await readClientSecret(ctx, opts.clientSecretStdin);
  const store = await ctx.secrets();
  if (opts.verify !== false) {
    try {
      await clientCredentials(ctx.client(env), { clientId, clientSecret: secret });
    } catch (error) {
      if (error instanceof AuthError) {
        throw new AuthError(
          `Wise did not accept client id "${clientId}" with this secret in ${env}; nothing was stored.`,
          {
            hint: `Check both in Wise's Developer Hub for ${env}, or store them unchecked with --no-verify.`,
            details: error.details,
          },
        );
      }
      throw error;
    }
  }
  await store.set(clientSecretName(env), secret);
  await ctx.config.update((config) => {
    config.clients[env] = { clientId, redirectUri: opts.redirectUri, store: store.backend };
  });
  if (ctx.options.json) {
    printJson(ctx, {
      env,
      clientId,
      redirectUri: opts.redirectUri,
      store: store.backend,
      verified: opts.verify !== false,
    });
    return;
  }
  const style = await ctx.io.style('err');
  ctx.io.err(
    `${style.green('✓')} Stored OAuth client ${clientId} for ${env}: redirect URI ${opts.redirectUri}, secret in the ${store.description}.`,
  );
  ctx.io.err('Next: `wise oauth authorize` to log in a Wise user.');
}
