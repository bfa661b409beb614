import { join } from 'node:path';
import type { Context } from '../../context.js';
import { AuthError, isWiseError } from '../../errors.js';
import type { WiseEnv } from '../../store/config.js';
import { accountSecretName, type SecretStore } from '../../store/secret-store.js';
import { accountStore, type Target } from '../target.js';
import { loadClient } from './client-config.js';
import { type OAuthClient, refreshAccessToken, registrationCodeGrant, type TokenSet, toTokenSet } from './grants.js';

/** Wise advises refreshing every 6 hours although access tokens live 12. */
const MAX_AGE_MS = 6 * 60 * 60 * 1000;
/** Refresh this long before expiry (less for short-lived tokens). */
const EXPIRY_MARGIN_MS = 5 * 60 * 1000;

export interface OAuthAccount {
  account: string;
  env: WiseEnv;
}

/** Until when this tool uses the access token without refreshing it (the expiry less a margin, or 6 hours of age). */
export function freshUntil(tokens: Pick<TokenSet, 'expiresAt' | 'obtainedAt'>): number {
  const lifetime = tokens.expiresAt - tokens.obtainedAt;
  const margin = Math.min(EXPIRY_MARGIN_MS, lifetime / 2);
  return Math.min(tokens.expiresAt - margin, tokens.obtainedAt + MAX_AGE_MS);
}

/** True while the access token can be used without a refresh. */
export function isFresh(tokens: Pick<TokenSet, 'expiresAt' | 'obtainedAt'>, now: number): boolean {
  const lifetime = tokens.expiresAt - tokens.obtainedAt;
  const margin = Math.min(EXPIRY_MARGIN_MS, lifetime / 2);
  return now < tokens.expiresAt - margin && now < tokens.obtainedAt + MAX_AGE_MS;
}

type StoredAccess = Pick<TokenSet, 'accessToken' | 'expiresAt' | 'obtainedAt' | 'scope'>;

export async function readAccessToken(store: SecretStore, who: OAuthAccount): Promise<StoredAccess | null> {
  const raw = await store.get(accountSecretName(who.account, who.env, 'access-token'));
  if (!raw) return null;
  try {
    const parsed = JSON.parse(raw) as StoredAccess;
    return typeof parsed.accessToken === 'string' && typeof parsed.expiresAt === 'number' ? parsed : null;
  } catch {
    return null;
  }
}

/**
 * Stores a token set. The refresh token is written before the access token: Wise may rotate refresh tokens and
 * invalidates the old access token on refresh, so a crash in between must never lose the only valid refresh token.
 */
export async function saveTokens(store: SecretStore, who: OAuthAccount, tokens: TokenSet): Promise<void> {
  if (tokens.refreshToken) {
    await store.set(accountSecretName(who.account, who.env, 'refresh-token'), tokens.refreshToken);
  }
  const access: StoredAccess = {
    accessToken: tokens.accessToken,
    expiresAt: tokens.expiresAt,
    obtainedAt: tokens.obtainedAt,
    ...(tokens.scope ? { scope: tokens.scope } : {}),
  };
  await store.set(accountSecretName(who.account, who.env, 'access-token'), JSON.stringify(access));
}

export function refreshLockPath(ctx: Context, who: OAuthAccount): string {
  return join(ctx.configDir, `oauth-${who.account}-${who.env}.lock`);
}

export interface AccessOptions {
  /** Refresh even when the cached access token is still fresh (`wise oauth refresh`). */
  force?: boolean;
  /**
   * An access token Wise rejected with 401: refresh unless the stored token already differs from it (another
   * process refreshed meanwhile, and Wise invalidated the one we held).
   */
  rejected?: string;
  /** Who the account belongs to: `registration_code` users can get tokens again with their registration code. */
  grant?: string;
  email?: string;
}

/**
 * A valid access token for a stored OAuth account. The cached one is reused while fresh; otherwise one refresh
 * runs under a cross-process lock, and the store is read again after taking the lock, so that many processes
 * needing a refresh at once cause exactly one.
 */
export async function storedAccessToken(
  ctx: Context,
  who: Pick<Target, 'account' | 'env' | 'config'>,
  options: AccessOptions = {},
): Promise<StoredAccess> {
  const tokens = await freshAccessToken(ctx, who, options);
  ctx.redactor.add(tokens.accessToken);
  return tokens;
}

async function freshAccessToken(
  ctx: Context,
  who: Pick<Target, 'account' | 'env' | 'config'>,
  options: AccessOptions,
): Promise<StoredAccess> {
  const store = await accountStore(ctx, who);
  const usable = (tokens: StoredAccess | null): tokens is StoredAccess =>
    tokens !== null && isFresh(tokens, ctx.clock.now()) && tokens.accessToken !== options.rejected;
  const cached = await readAccessToken(store, who);
  if (!options.force && usable(cached)) return cached;
  const [{ ensurePrivateDir }, { withLock }] = await Promise.all([
    import('../../store/atomic.js'),
    import('../../store/lock.js'),
  ]);
  await ensurePrivateDir(ctx.configDir);
  const started = ctx.clock.now();
  return withLock(
    refreshLockPath(ctx, who),
    async () => {
      store.invalidate?.();
      const again = await readAccessToken(store, who);
      // Another process may have refreshed while this one waited for the lock: use its token.
      const refreshedMeanwhile = again && (!options.force || again.obtainedAt >= started);
      if (refreshedMeanwhile && usable(again)) return again;
      const oauth = await loadClient(ctx, who.env);
      const tokens = await refreshStored(ctx, store, who, oauth, options);
      await saveTokens(store, who, tokens);
      return tokens;
    },
    { timeoutMs: 60_000, staleMs: 120_000, clock: ctx.clock },
  );
}

async function refreshStored(
  ctx: Context,
  store: SecretStore,
  who: OAuthAccount,
  oauth: OAuthClient,
  options: AccessOptions,
): Promise<TokenSet> {
  const client = ctx.client(who.env);
  const refreshToken = await store.get(accountSecretName(who.account, who.env, 'refresh-token'));
  if (refreshToken) {
    ctx.redactor.add(refreshToken);
    try {
      return toTokenSet(await refreshAccessToken(client, oauth, refreshToken), ctx.clock.now());
    } catch (error) {
      // A user created over the API can get new tokens with its registration code.
      const canReRegister = options.grant === 'registration_code' && options.email;
      if (!(canReRegister && isWiseError(error) && error.details?.oauthError === 'invalid_grant')) throw error;
    }
  }
  if (options.grant === 'registration_code' && options.email) {
    const code = await store.get(accountSecretName(who.account, who.env, 'registration-code'));
    if (code) {
      ctx.redactor.add(code);
      return toTokenSet(await registrationCodeGrant(client, oauth, options.email, code), ctx.clock.now());
    }
  }
  throw new AuthError(`No refresh token is stored for account "${who.account}" in ${who.env}.`, {
    hint: 'Run `wise oauth authorize` to log in again.',
  });
}
