import type { Context } from '../context.js';
import { AuthError, UsageError } from '../errors.js';
import type { ProfileSummary, WiseEnv } from '../store/config.js';
import { accountSecretName, type SecretStore } from '../store/secret-store.js';
import { fetchProfiles } from './profiles.js';
import type { Target } from './target.js';

/** The longest secret (token, client secret, refresh token) the tool reads: Wise's are far shorter. */
export const MAX_SECRET_LENGTH = 8192;

/**
 * Checks a pasted or piped secret (token, client secret): one trailing newline is removed (what `echo` and editors
 * add); an empty value, one spanning several lines, one with spaces, control or non-ASCII characters, or one
 * longer than any Wise issues is refused rather than stored half right.
 */
export function normaliseSecret(raw: string, what: string, hints: { empty: string; multiline: string }): string {
  const value = raw.replace(/\r?\n$/, '').trim();
  if (!value) throw new UsageError(`The ${what} is empty.`, { hint: hints.empty });
  if (value.length > MAX_SECRET_LENGTH) {
    throw new UsageError(`The ${what} is longer than ${MAX_SECRET_LENGTH} characters; that is not a Wise secret.`, {
      hint: `Check what was given as the ${what}.`,
    });
  }
  if (/[\r\n]/.test(value)) {
    throw new UsageError(`The ${what} spans several lines; it must be a single line.`, { hint: hints.multiline });
  }
  if (!/^[\x21-\x7e]+$/.test(value)) {
    throw new UsageError(`The ${what} contains spaces, control characters or non-ASCII characters.`, {
      hint: `Copy the ${what} again, without extra characters.`,
    });
  }
  return value;
}

/** The same rules for a secret given in an environment variable, naming the variable. */
export function checkEnvSecret(raw: string, variable: string): string {
  return normaliseSecret(raw, `value of ${variable}`, {
    empty: `Set ${variable} to the secret, or unset it.`,
    multiline: `Set ${variable} to exactly one secret.`,
  });
}

export function normalisePersonalToken(raw: string): string {
  return normaliseSecret(raw, 'token', {
    empty: 'Paste the token shown at wise.com > Integrations and Tools > API tokens.',
    multiline: 'Give exactly one token, e.g. `printf %s "$TOKEN" | wise token add --stdin`.',
  });
}

/** Checks a personal token with `GET /v2/profiles`; a token Wise rejects is an AuthError saying it was not stored. */
export async function verifyPersonalToken(ctx: Context, env: WiseEnv, token: string): Promise<ProfileSummary[]> {
  const client = ctx.client(env, { kind: 'personal', accessToken: async () => token });
  const spinner = ctx.io.spinner('Checking the token with Wise');
  try {
    return await fetchProfiles(client);
  } catch (error) {
    if (error instanceof AuthError) {
      throw new AuthError(`Wise rejected this token in ${env} (401); it was not stored.`, {
        hint:
          env === 'sandbox'
            ? 'Tokens made at wise.com are production tokens: add them with --env production. Sandbox tokens come from wise-sandbox.com.'
            : 'Check that you copied the whole token. Tokens made at wise-sandbox.com need --env sandbox.',
        ...(error.details ? { details: error.details } : {}),
      });
    }
    throw error;
  } finally {
    spinner.stop();
  }
}

/**
 * Stores a personal token for the account and environment: the secret in the store, the rest in config. The default
 * profile stays when the token can still use it, else becomes the personal profile (or the only one).
 */
export async function savePersonalToken(
  ctx: Context,
  target: Target,
  store: SecretStore,
  token: string,
  profiles: ProfileSummary[] | undefined,
): Promise<void> {
  const { account, env } = target;
  await store.set(accountSecretName(account, env, 'personal-token'), token);
  await ctx.config.update((config) => {
    config.accounts[account] ??= { env, credentials: {} };
    const entry = config.accounts[account];
    entry.env = env;
    entry.store = store.backend;
    const previous = entry.credentials[env];
    const profileId =
      previous?.profileId !== undefined && (!profiles || profiles.some((p) => p.id === previous.profileId))
        ? previous.profileId
        : (profiles?.find((p) => p.type === 'PERSONAL') ?? profiles?.[0])?.id;
    entry.credentials[env] = {
      type: 'personal',
      addedAt: new Date(ctx.clock.now()).toISOString(),
      ...(profiles ? { profiles } : {}),
      ...(profileId !== undefined ? { profileId } : {}),
    };
    config.defaultAccount ??= account;
  });
}
