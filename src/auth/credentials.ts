import type { Context } from '../context.js';
import { AuthError } from '../errors.js';
import type { CredentialKind } from '../http/client.js';
import { accountSecretName } from '../store/secret-store.js';
import type { Target } from './target.js';

export type CredentialSource = 'env-token' | 'stored';

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
  throw new AuthError(`Account "${target.account}" uses OAuth, which this version of wise cannot use yet.`, {
    hint: 'Use a personal token (`wise token add`) or set WISE_TOKEN.',
  });
}
