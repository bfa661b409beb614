import { type ActiveCredential, resolveCredential } from '../../auth/credentials.js';
import { readAccessToken } from '../../auth/oauth/tokens.js';
import { fetchProfiles } from '../../auth/profiles.js';
import { resolveTarget } from '../../auth/target.js';
import type { Context } from '../../context.js';
import { isWiseError, type WiseError } from '../../errors.js';
import { createClient } from '../../http/factory.js';
import { WISE_ENVS } from '../../store/config.js';
import { accountSecretName, type SecretStore } from '../../store/secret-store.js';
import { printJson } from '../../util/output.js';
import { mask } from '../../util/redact.js';

export interface AuthStatusOptions {
  offline?: boolean;
}

interface StoredCredentialStatus {
  env: string;
  type: string;
  /** The stored secret, masked: the personal token, or the OAuth refresh token. */
  secret: string | null;
  /** OAuth: when the cached access token expires. */
  accessTokenExpiresAt?: string | null;
  grant?: string;
  addedAt: string;
  profileId: number | null;
  profiles: { id: number; type: string; name: string }[];
}

export async function authStatus(ctx: Context, opts: AuthStatusOptions): Promise<void> {
  const target = await resolveTarget(ctx);
  const { config } = target;
  let store: SecretStore | undefined;
  let storeError: WiseError | undefined;
  try {
    if (Object.keys(config.accounts).length || !ctx.env.WISE_TOKEN) store = await ctx.secrets();
  } catch (error) {
    if (!isWiseError(error)) throw error;
    storeError = error;
  }

  // With nothing to read, still tell whether the keychain can be used (a write-and-read-back probe).
  if (store && !storeError && !Object.keys(config.accounts).length && 'probe' in store) {
    try {
      await (store as { probe(): Promise<void> }).probe();
    } catch (error) {
      if (!isWiseError(error)) throw error;
      storeError = error;
    }
  }

  const accounts = [];
  for (const [name, account] of Object.entries(config.accounts)) {
    const credentials: StoredCredentialStatus[] = [];
    for (const env of WISE_ENVS) {
      const stored = account.credentials[env];
      if (!stored) continue;
      let secret: string | null = null;
      let accessTokenExpiresAt: string | null = null;
      if (store && !storeError) {
        try {
          const kind = stored.type === 'personal' ? 'personal-token' : 'refresh-token';
          const value = await store.get(accountSecretName(name, env, kind));
          secret = value ? mask(value) : 'missing';
          if (stored.type === 'oauth') {
            const access = await readAccessToken(store, { account: name, env });
            accessTokenExpiresAt = access ? new Date(access.expiresAt).toISOString() : null;
          }
        } catch (error) {
          if (!isWiseError(error)) throw error;
          storeError = error;
        }
      }
      credentials.push({
        env,
        type: stored.type === 'personal' ? 'personal token' : 'OAuth',
        secret,
        ...(stored.type === 'oauth' ? { accessTokenExpiresAt, grant: stored.grant ?? 'authorization_code' } : {}),
        addedAt: stored.addedAt,
        profileId: stored.profileId ?? null,
        profiles: stored.profiles ?? [],
      });
    }
    accounts.push({ name, default: name === (config.defaultAccount ?? 'default'), env: account.env, credentials });
  }

  let credential: ActiveCredential | undefined;
  let activeError: WiseError | undefined;
  try {
    credential = await resolveCredential(ctx, target);
  } catch (error) {
    if (!isWiseError(error)) throw error;
    activeError = error;
  }
  let check: { valid: boolean | null; profiles?: number; error?: string } = { valid: null };
  if (credential && !opts.offline) {
    try {
      const profiles = await fetchProfiles(createClient(ctx, target.env, credential));
      check = { valid: true, profiles: profiles.length };
    } catch (error) {
      if (!isWiseError(error)) throw error;
      if (error.exitCode === 4) {
        check = { valid: false, error: error.message };
        activeError = error;
      } else {
        check = { valid: null, error: error.message };
        activeError ??= error.exitCode === 7 ? error : undefined;
      }
    }
  }

  const active = {
    account: target.account,
    env: target.env,
    source: credential?.source ?? null,
    kind: credential?.kind ?? null,
    origin: credential?.origin ?? null,
    ...check,
  };
  if (ctx.options.json) {
    printJson(ctx, {
      active,
      store: store ? { backend: store.backend, location: store.description } : null,
      storeError: storeError ? storeError.message : null,
      defaultAccount: config.defaultAccount ?? null,
      accounts,
    });
  } else {
    const lines: string[] = [];
    const storeLine = store ? store.description : 'not opened';
    lines.push(`Secret store: ${storeError ? `${storeLine}: unusable (${storeError.message})` : storeLine}`);
    if (!accounts.length) lines.push('No stored accounts.');
    for (const account of accounts) {
      lines.push(`Account ${account.name}${account.default ? ' (default)' : ''}, environment ${account.env}`);
      for (const c of account.credentials) {
        const profile = c.profileId !== null ? `, default profile ${c.profileId}` : '';
        const secret = c.secret ? (c.type === 'OAuth' ? ` (refresh token ${c.secret})` : ` ${c.secret}`) : '';
        const expiry =
          c.type === 'OAuth'
            ? c.accessTokenExpiresAt
              ? `, access token valid until ${c.accessTokenExpiresAt}`
              : ', no access token cached'
            : '';
        lines.push(`  ${c.env}: ${c.type}${secret}, added ${c.addedAt}${profile}${expiry}`);
      }
    }
    const sources: Record<string, string> = {
      'env-token': 'WISE_TOKEN from the environment',
      'env-refresh':
        'OAuth refresh token from the environment (WISE_CLIENT_ID, WISE_CLIENT_SECRET, WISE_REFRESH_TOKEN)',
      stored: `stored ${credential?.kind === 'oauth' ? 'OAuth login' : 'personal token'}`,
    };
    const source = credential ? sources[credential.source] : 'none';
    lines.push(`Active: account ${target.account} in ${target.env}, credentials: ${source}`);
    const style = await ctx.io.style('out');
    if (opts.offline) lines.push('Online check: skipped (--offline)');
    else if (check.valid === true)
      lines.push(`Online check: ${style.green('accepted by Wise')} (${check.profiles} profiles)`);
    else if (check.valid === false) lines.push(`Online check: ${style.red('rejected by Wise')}`);
    else if (check.error) lines.push(`Online check: could not be made (${check.error})`);
    ctx.io.out(`${lines.join('\n')}\n`);
  }
  if (activeError) throw activeError;
}
