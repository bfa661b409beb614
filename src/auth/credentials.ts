import type { Context } from '../context.js';
import { AuthError } from '../errors.js';
import type { CredentialKind } from '../http/client.js';
import { accountSecretName } from '../store/secret-store.js';
import type { Target } from './target.js';

export type CredentialSource = 'env-token' | 'env-refresh' | 'stored';

/** The credential a call will use, and where it came from (`wise auth status` shows this). */
export interface ActiveCredential {
  source: CredentialSource;
  kind: CredentialKind;
  /** Human-readable origin, e.g. "WISE_TOKEN" or "OS keychain (service wise-cli)". */
  origin: string;
  accessToken(): Promise<string>;
}

export function noCredentialsError(target: Target): AuthError {
  return new AuthError(`No credentials for account "${target.account}" in ${target.env}.`, {
    hint: 'Run `wise login` (or `wise token add`), or set WISE_TOKEN for a single run.',
  });
}

/**
 * Credential precedence of the CLI contract, first hit wins:
 * 1. WISE_TOKEN, used as is and never stored;
 * 2. the OAuth client and refresh token from the environment (WISE_CLIENT_ID, WISE_CLIENT_SECRET, WISE_REFRESH_TOKEN);
 * 3. the account's stored credentials.
 * Sources are checked in that order before any store is opened, so source 1 costs no keychain access.
 */
export async function resolveCredential(ctx: Context, target: Target): Promise<ActiveCredential> {
  const envToken = ctx.env.WISE_TOKEN?.trim();
  if (envToken) {
    ctx.redactor.add(envToken);
    return { source: 'env-token', kind: 'bearer', origin: 'WISE_TOKEN', accessToken: async () => envToken };
  }
  const { WISE_CLIENT_ID: clientId, WISE_CLIENT_SECRET: clientSecret, WISE_REFRESH_TOKEN: refreshToken } = ctx.env;
  if (clientId && clientSecret && refreshToken) {
    ctx.redactor.add(clientSecret);
    ctx.redactor.add(refreshToken);
    let token: Promise<string> | undefined;
    return {
      source: 'env-refresh',
      kind: 'oauth',
      origin: 'WISE_CLIENT_ID, WISE_CLIENT_SECRET and WISE_REFRESH_TOKEN',
      accessToken() {
        token ??= refreshFromEnvironment(ctx, target, { clientId, clientSecret }, refreshToken);
        return token;
      },
    };
  }
  const stored = target.config.accounts[target.account]?.credentials[target.env];
  if (!stored) throw noCredentialsError(target);
  const store = await ctx.secrets();
  if (stored.type === 'personal') {
    const name = accountSecretName(target.account, target.env, 'personal-token');
    return {
      source: 'stored',
      kind: 'personal',
      origin: store.description,
      async accessToken() {
        const token = await store.get(name);
        if (!token) {
          throw new AuthError(
            `The personal token of account "${target.account}" (${target.env}) is missing from the ${store.description}.`,
            {
              hint: 'Store it again with `wise token add`.',
            },
          );
        }
        ctx.redactor.add(token);
        return token;
      },
    };
  }
  return {
    source: 'stored',
    kind: 'oauth',
    origin: store.description,
    async accessToken() {
      const { storedAccessToken } = await import('./oauth/tokens.js');
      return (await storedAccessToken(ctx, target, stored)).accessToken;
    },
  };
}

/** Source 2: one refresh in memory for this process; nothing is written anywhere. */
async function refreshFromEnvironment(
  ctx: Context,
  target: Target,
  oauth: { clientId: string; clientSecret: string },
  refreshToken: string,
): Promise<string> {
  const [{ refreshAccessToken }, { createClient }] = await Promise.all([
    import('./oauth/grants.js'),
    import('../http/factory.js'),
  ]);
  const response = await refreshAccessToken(createClient(ctx, target.env), oauth, refreshToken);
  ctx.redactor.add(response.access_token);
  if (response.refresh_token && response.refresh_token !== refreshToken) {
    ctx.redactor.add(response.refresh_token);
    ctx.io.err(
      'warning: Wise issued a new refresh token, so WISE_REFRESH_TOKEN may not work again. ' +
        'For several calls, run `export WISE_TOKEN=$(wise auth token)` once and use that.',
    );
  }
  return response.access_token;
}
