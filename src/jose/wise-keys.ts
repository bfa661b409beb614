/**
 * Wise's public keys for JOSE: PAYLOAD_SIGNING keys (one per algorithm) that verify Wise's signed replies, and the
 * PAYLOAD_ENCRYPTION key that requests (and SCA answers) are encrypted to. Fetched from
 * `/v1/auth/jose/response/public-keys` with a client-credentials token of the environment's partner client, and kept
 * in the config folder by environment, API host, scope and algorithm (public material, no secret).
 *
 * Trust on first use: the first key Wise serves for a slot is kept. As Wise asks, a kept key is used until it fails,
 * then fetched once more; but a key that differs from the kept one is never used on its own (a man in the middle
 * who makes a call fail and then serves his own key would get the PIN, or have his replies accepted): the command
 * stops naming both fingerprints, and a person accepts the new key with `wise keys wise --trust`.
 */
import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadClientForGrant } from '../auth/oauth/client-config.js';
import { clientCredentials } from '../auth/oauth/grants.js';
import type { Context } from '../context.js';
import { AuthError, WiseError } from '../errors.js';
import { parseJson } from '../http/client.js';
import { apiBaseUrl, endpoint } from '../http/endpoints.js';
import type { WiseEnv } from '../store/config.js';
import { nodeCrypto } from './keys.js';

export type WiseKeyScope = 'PAYLOAD_SIGNING' | 'PAYLOAD_ENCRYPTION';

export interface WiseKey {
  version: number | null;
  /** Base64 DER (SPKI), as Wise sends it. */
  der: string;
  /** When this tool first trusted the key (ISO 8601); absent in caches written before keys were pinned. */
  since?: string;
}

/** The SHA-256 of the key's DER (SPKI) in hex: `openssl pkey -pubin -outform der | sha256sum` prints the same. */
export function fingerprintOf(der: string): string {
  return nodeCrypto().createHash('sha256').update(Buffer.from(der, 'base64')).digest('hex');
}

function sameKey(a: WiseKey, b: WiseKey): boolean {
  return Buffer.from(a.der, 'base64').equals(Buffer.from(b.der, 'base64'));
}

/** A kept key that is no public key at all (a damaged file) is no trust to keep: it is replaced by what Wise serves. */
function usable(key: WiseKey): boolean {
  try {
    publicKeyOf(key);
    return true;
  } catch {
    return false;
  }
}

/** Wise served a key other than the one this tool trusts for the slot: nothing was sent with it or accepted by it. */
export class WiseKeyChangedError extends WiseError {
  override readonly code = 'wise_key_changed';
  constructor(
    readonly env: WiseEnv,
    readonly scope: WiseKeyScope,
    readonly algorithm: string,
    readonly trusted: WiseKey,
    readonly served: WiseKey,
  ) {
    const [trustedFingerprint, servedFingerprint] = [fingerprintOf(trusted.der), fingerprintOf(served.der)];
    super(
      `Wise's ${scope} key (${algorithm}, ${env}) is not the one this tool trusts: trusted ${trustedFingerprint}` +
        `${trusted.since ? ` (since ${trusted.since.slice(0, 10)})` : ''}, served now ${servedFingerprint}` +
        ` (version ${served.version ?? 'unknown'}). Nothing was sent with it or accepted from it.`,
      {
        hint:
          'Wise may have rotated its key, or something between you and Wise serves its own. Check the new ' +
          "fingerprint against Wise's, then accept it on a terminal: `wise keys wise --trust`.",
        details: { scope, algorithm, trustedFingerprint, servedFingerprint },
      },
    );
  }
}

function cachePath(ctx: Context): string {
  return join(ctx.configDir, 'wise-public-keys.json');
}

function cacheKey(ctx: Context, env: WiseEnv, scope: WiseKeyScope, algorithm: string): string {
  return `${env} ${apiOriginOf(ctx, env)} ${scope} ${algorithm}`;
}

/** Every cached key; an absent or damaged cache reads as empty (its keys are fetched again). */
function readCacheFile(ctx: Context): Record<string, WiseKey> {
  try {
    const all = JSON.parse(readFileSync(cachePath(ctx), 'utf8')) as unknown;
    return all && typeof all === 'object' && !Array.isArray(all) ? (all as Record<string, WiseKey>) : {};
  } catch {
    return {};
  }
}

/** The cache as this process last read or wrote it: a call that signs and encrypts reads the file once. */
const seen = new WeakMap<Context, Record<string, WiseKey>>();

function readCache(ctx: Context): Record<string, WiseKey> {
  let all = seen.get(ctx);
  if (!all) {
    all = readCacheFile(ctx);
    seen.set(ctx, all);
  }
  return all;
}

export async function cachedWiseKey(
  ctx: Context,
  env: WiseEnv,
  scope: WiseKeyScope,
  algorithm: string,
): Promise<WiseKey | undefined> {
  const entry = readCache(ctx)[cacheKey(ctx, env, scope, algorithm)];
  return entry && typeof entry.der === 'string' ? entry : undefined;
}

async function cacheWiseKey(ctx: Context, env: WiseEnv, scope: WiseKeyScope, algorithm: string, key: WiseKey) {
  // One process writes at a time; another process's first use of a slot in between is kept, not overwritten.
  const { ensurePrivateDir, writeFileAtomic } = await import('../store/atomic.js');
  // Read again, not from memory: keys another process cached since are kept.
  const all = readCacheFile(ctx);
  all[cacheKey(ctx, env, scope, algorithm)] = key;
  await ensurePrivateDir(ctx.configDir);
  await writeFileAtomic(cachePath(ctx), `${JSON.stringify(all, null, 2)}\n`);
  seen.set(ctx, all);
}

/** A client-credentials token of the environment's partner client; exit 4 with the set-up hint when there is none. */
export async function clientCredentialsToken(ctx: Context, env: WiseEnv, why: string): Promise<string> {
  let oauth: Awaited<ReturnType<typeof loadClientForGrant>>;
  try {
    oauth = await loadClientForGrant(ctx, env);
  } catch (error) {
    if (error instanceof AuthError) {
      throw new AuthError(`${why} needs the partner client of ${env}, and none is set up.`, {
        hint: 'Run `wise oauth setup` (or set WISE_CLIENT_ID and WISE_CLIENT_SECRET).',
      });
    }
    throw error;
  }
  const token = (await clientCredentials(ctx.client(env), oauth)).access_token;
  ctx.redactor.add(token);
  return token;
}

/** The key Wise serves now for the scope and algorithm (Wise's names: ES256..PS512, RSA_OAEP_256); nothing is kept. */
export async function servedWiseKey(
  ctx: Context,
  env: WiseEnv,
  scope: WiseKeyScope,
  algorithm: string,
): Promise<WiseKey> {
  const token = await clientCredentialsToken(ctx, env, `Fetching Wise's ${scope} key`);
  const keys = ctx.client(env, { kind: 'oauth', accessToken: async () => token });
  const query = new URLSearchParams({ algorithm, scope });
  const body = parseJson<{ version?: number; keyMaterial?: { keyMaterial?: string } }>(
    await keys.request({ method: 'GET', path: `${endpoint('joseResponseKeys', keys.apiVersion)}?${query}` }),
  );
  const der = body.keyMaterial?.keyMaterial;
  if (typeof der !== 'string') throw new WiseError(`Wise did not send its ${scope} key for ${algorithm}.`);
  return { version: typeof body.version === 'number' ? body.version : null, der };
}

/**
 * Fetches Wise's current key of the scope and algorithm and holds it against the one this tool trusts: the same key
 * is returned; the first key of a slot is trusted from now on; a different key throws WiseKeyChangedError.
 */
export async function fetchWiseKey(
  ctx: Context,
  env: WiseEnv,
  scope: WiseKeyScope,
  algorithm: string,
): Promise<WiseKey> {
  const served = await servedWiseKey(ctx, env, scope, algorithm);
  const trusted = await cachedWiseKey(ctx, env, scope, algorithm);
  if (trusted && usable(trusted)) {
    if (sameKey(trusted, served)) return trusted;
    throw new WiseKeyChangedError(env, scope, algorithm, trusted, served);
  }
  const key = { ...served, since: new Date(ctx.clock.now()).toISOString() };
  await cacheWiseKey(ctx, env, scope, algorithm, key);
  return key;
}

/** Makes `key` the trusted one of its slot (`wise keys wise --trust`, after a person compared fingerprints). */
export async function trustWiseKey(
  ctx: Context,
  env: WiseEnv,
  scope: WiseKeyScope,
  algorithm: string,
  key: WiseKey,
): Promise<WiseKey> {
  const trusted = { version: key.version, der: key.der, since: new Date(ctx.clock.now()).toISOString() };
  await cacheWiseKey(ctx, env, scope, algorithm, trusted);
  return trusted;
}

export interface TrustedWiseKey extends WiseKey {
  env: WiseEnv;
  apiOrigin: string;
  scope: WiseKeyScope;
  algorithm: string;
  fingerprint: string;
}

/** Every kept key of Wise's (all environments and API hosts). */
function trustedWiseKeys(ctx: Context): TrustedWiseKey[] {
  const out: TrustedWiseKey[] = [];
  for (const [slot, key] of Object.entries(readCache(ctx))) {
    const [env, apiOrigin, scope, algorithm] = slot.split(' ');
    if (!key || typeof key.der !== 'string' || !env || !apiOrigin || !scope || !algorithm) continue;
    let fingerprint: string;
    try {
      fingerprint = fingerprintOf(key.der);
    } catch {
      continue;
    }
    out.push({
      ...key,
      env: env as WiseEnv,
      apiOrigin,
      scope: scope as WiseKeyScope,
      algorithm,
      fingerprint,
    });
  }
  return out;
}

/** The API host a slot belongs to: Wise's keys are kept per environment and API host (Wise, or an emulator). */
function apiOriginOf(ctx: Context, env: WiseEnv): string {
  return apiBaseUrl(ctx, env).origin;
}

/** The kept keys of the environment's API host, for `keys wise`, `keys list` and `doctor`. */
export function trustedWiseKeysFor(ctx: Context, env: WiseEnv): TrustedWiseKey[] {
  const origin = apiOriginOf(ctx, env);
  return trustedWiseKeys(ctx).filter((k) => k.env === env && k.apiOrigin === origin);
}

/** The cached key, else a fetched one. */
export async function wiseKey(ctx: Context, env: WiseEnv, scope: WiseKeyScope, algorithm: string): Promise<WiseKey> {
  return (await cachedWiseKey(ctx, env, scope, algorithm)) ?? fetchWiseKey(ctx, env, scope, algorithm);
}

/** As a KeyObject: node:crypto is loaded here, not by a JOSE request (which imports the key into WebCrypto). */
export function publicKeyOf(key: WiseKey): KeyObject {
  return nodeCrypto().createPublicKey({
    key: Buffer.from(key.der, 'base64'),
    format: 'der',
    type: 'spki',
  });
}
