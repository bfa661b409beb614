import { type ActiveCredential, resolveCredential } from '../../auth/credentials.js';
import { readAccessToken } from '../../auth/oauth/tokens.js';
import { fetchProfiles } from '../../auth/profiles.js';
import { resolveTarget } from '../../auth/target.js';
import type { Context } from '../../context.js';
import { AuthError, isWiseError, SecretStoreError, type WiseError } from '../../errors.js';
import { type AccountConfig, WISE_ENVS } from '../../store/config.js';
import { accountSecretName, type SecretStore } from '../../store/secret-store.js';
import { printJson } from '../../util/output.js';
import { mask } from '../../util/redact.js';
import { apiVersion } from '../../wiring/clients.js';
import type { AuthStatusOptions } from '../specs.js';

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

/** The online verdict: only an answer from Wise is a verdict; anything else says why none was obtained. */
interface OnlineCheck {
  valid: boolean | null;
  profiles?: number;
  error?: string;
}

/** A store as opened for the status: it may exist and still be unusable (a locked keyring, no bus). */
interface Opened {
  store?: SecretStore;
  error?: WiseError;
}

async function open(ctx: Context, remembered: AccountConfig['store']): Promise<Opened> {
  try {
    return { store: await ctx.secrets(remembered) };
  } catch (error) {
    if (!isWiseError(error)) throw error;
    return { error };
  }
}

async function describeAccount(
  name: string,
  account: AccountConfig,
  opened: Opened,
): Promise<{ credentials: StoredCredentialStatus[]; error?: WiseError }> {
  const credentials: StoredCredentialStatus[] = [];
  let error = opened.error;
  for (const env of WISE_ENVS) {
    const stored = account.credentials[env];
    if (!stored) continue;
    let secret: string | null = null;
    let accessTokenExpiresAt: string | null = null;
    if (opened.store && !error) {
      try {
        const kind = stored.type === 'personal' ? 'personal-token' : 'refresh-token';
        const value = await opened.store.get(accountSecretName(name, env, kind));
        secret = value ? mask(value) : 'missing';
        if (stored.type === 'oauth') {
          const access = await readAccessToken(opened.store, { account: name, env });
          accessTokenExpiresAt = access ? new Date(access.expiresAt).toISOString() : null;
        }
      } catch (caught) {
        if (!isWiseError(caught)) throw caught;
        error = caught;
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
  return { credentials, ...(error ? { error } : {}) };
}

export async function authStatus(ctx: Context, opts: AuthStatusOptions): Promise<void> {
  const target = await resolveTarget(ctx);
  const { config } = target;
  const defaultAccount = config.defaultAccount ?? 'default';

  const accounts = [];
  let activeStore: Opened | undefined;
  for (const [name, account] of Object.entries(config.accounts)) {
    const opened = await open(ctx, account.store);
    if (name === target.account) activeStore = opened;
    const { credentials, error } = await describeAccount(name, account, opened);
    accounts.push({
      name,
      default: name === defaultAccount,
      env: account.env,
      store: opened.store ? { backend: opened.store.backend, location: opened.store.description } : null,
      storeError: error ? error.message : null,
      credentials,
    });
  }
  // With nothing stored for the active account, still tell whether the default store can be used (the keychain is
  // probed by writing and reading back), unless a WISE_TOKEN makes the store irrelevant.
  if (!activeStore && !ctx.env.WISE_TOKEN) {
    activeStore = await open(ctx, undefined);
    const store = activeStore.store;
    if (store && 'probe' in store) {
      try {
        await (store as { probe(): Promise<void> }).probe();
      } catch (error) {
        if (!isWiseError(error)) throw error;
        activeStore = { store, error };
      }
    }
  }

  let credential: ActiveCredential | undefined;
  let activeError: WiseError | undefined;
  try {
    credential = await resolveCredential(ctx, target);
  } catch (error) {
    if (!isWiseError(error)) throw error;
    activeError = error;
  }
  let check: OnlineCheck = { valid: null };
  if (credential && !opts.offline) {
    try {
      const profiles = await fetchProfiles(ctx.client(target.env, credential));
      check = { valid: true, profiles: profiles.length };
    } catch (error) {
      if (!isWiseError(error)) throw error;
      // Only Wise's own 401 is a verdict on the token; a token missing from the store, a network failure or a
      // locked keychain means no verdict was obtained.
      check =
        error.details?.status === 401 ? { valid: false, error: error.message } : { valid: null, error: error.message };
      if (error instanceof AuthError || error instanceof SecretStoreError) activeError = error;
    }
  }

  const client = config.clients[target.env];
  const version = apiVersion(ctx, target);
  const active = {
    account: target.account,
    env: target.env,
    source: credential?.source ?? null,
    kind: credential?.kind ?? null,
    origin: credential?.origin ?? null,
    ...check,
  };
  const storeOfActive = activeStore?.store;
  // Set-up beyond credentials (public facts only): the client certificate, the JOSE keys, the account's SCA key.
  const mtls = config.mtls?.[target.env];
  const joseKeys = config.jose?.[target.env] ?? [];
  const scaKey = config.accounts[target.account]?.scaKeys?.[target.env];
  const setup = {
    mtls: mtls ? { subject: mtls.subject, notAfter: mtls.notAfter, keyInStore: Boolean(mtls.keyInStore) } : null,
    joseKeys: joseKeys.map((k) => ({
      kid: k.kid,
      use: k.use,
      alg: k.alg,
      active: k.active,
      registered: Boolean(k.registered),
    })),
    scaKey: scaKey ?? null,
    jose: config.accounts[target.account]?.settings?.jose ?? null,
  };
  if (ctx.options.json) {
    printJson(ctx, {
      active,
      store: storeOfActive ? { backend: storeOfActive.backend, location: storeOfActive.description } : null,
      storeError: activeStore?.error ? activeStore.error.message : null,
      defaultAccount: config.defaultAccount ?? null,
      apiVersion: version?.value ?? null,
      apiVersionSource: version?.source ?? null,
      oauthClient: client ? { env: target.env, clientId: client.clientId, redirectUri: client.redirectUri } : null,
      ...setup,
      accounts,
    });
  } else {
    const lines: string[] = [];
    if (!accounts.length) {
      const where = storeOfActive ? storeOfActive.description : 'secret store';
      lines.push(
        activeStore?.error ? `Secret store: unusable (${activeStore.error.message})` : `Secret store: ${where}`,
      );
      lines.push('No stored accounts.');
    }
    for (const account of accounts) {
      const role = account.default ? ' (used when no --account is given)' : '';
      lines.push(`Account "${account.name}"${role}, environment ${account.env}`);
      lines.push(
        account.storeError
          ? `  secrets: ${account.store?.location ?? 'secret store'} unusable (${account.storeError})`
          : `  secrets: ${account.store?.location}`,
      );
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
    lines.push(
      client
        ? `OAuth client (${target.env}): ${client.clientId}, redirect URI ${client.redirectUri}`
        : `OAuth client (${target.env}): none set up`,
    );
    const sources: Record<string, string> = {
      'env-token': 'WISE_TOKEN from the environment',
      'env-refresh': `OAuth refresh token from the environment (${credential?.origin})`,
      stored: `stored ${credential?.kind === 'oauth' ? 'OAuth login' : 'personal token'}`,
    };
    const source = credential ? sources[credential.source] : 'none';
    lines.push(`Active: account ${target.account} in ${target.env}, credentials: ${source}`);
    lines.push(
      version
        ? `API version: ${version.value} (${version.source}), for the paths Wise versions`
        : 'API version: none chosen (classic /v1-/v4 paths)',
    );
    lines.push(
      mtls
        ? `mTLS: ${mtls.subject}, until ${mtls.notAfter.slice(0, 10)} (key in ${mtls.keyInStore ? 'the secret store' : 'a file'})`
        : `mTLS: not set up for ${target.env}`,
    );
    const activeKeys = joseKeys
      .filter((k) => k.active)
      .map((k) => `${k.use} ${k.alg}${k.registered ? '' : ' (not registered)'}`);
    lines.push(
      joseKeys.length
        ? `JOSE keys: ${activeKeys.join(', ') || 'none active'}${setup.jose ? `; account default ${setup.jose}` : ''}`
        : 'JOSE keys: none',
    );
    if (scaKey) lines.push(`SCA key: RSA ${scaKey.bits}, ${scaKey.source} ${scaKey.createdAt.slice(0, 10)}`);
    const style = await ctx.io.style('out');
    if (opts.offline) lines.push('Online check: skipped (--offline)');
    else if (check.valid === true)
      lines.push(`Online check: ${style.green('accepted by Wise')} (${check.profiles} profiles)`);
    else if (check.valid === false) lines.push(`Online check: ${style.red('rejected by Wise')}`);
    else if (check.error) lines.push(`Online check: not made (${check.error})`);
    ctx.io.out(`${lines.join('\n')}\n`);
  }
  if (activeError) throw activeError;
}
