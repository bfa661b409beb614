/**
 * Wise's public keys for JOSE: PAYLOAD_SIGNING keys (one per algorithm) that verify Wise's signed replies, and the
 * PAYLOAD_ENCRYPTION key that requests (and SCA answers) are encrypted to. Fetched from
 * `/v1/auth/jose/response/public-keys` with a client-credentials token of the environment's partner client, and
 * cached in the config folder by environment, API host, scope and algorithm (public material, no secret). As Wise
 * asks, a cached key is used until it fails, then fetched once more.
 */
import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadClientForGrant } from '../auth/oauth/client-config.js';
import { clientCredentials } from '../auth/oauth/grants.js';
import type { Context } from '../context.js';
import { AuthError, WiseError } from '../errors.js';
import { parseJson } from '../http/client.js';
import { endpoint } from '../http/endpoints.js';
import { apiBaseUrl, createClient } from '../http/factory.js';
import type { WiseEnv } from '../store/config.js';
import { nodeCrypto } from './keys.js';

export type WiseKeyScope = 'PAYLOAD_SIGNING' | 'PAYLOAD_ENCRYPTION';

export interface WiseKey {
  version: number | null;
  /** Base64 DER (SPKI), as Wise sends it. */
  der: string;
}

function cachePath(ctx: Context): string {
  return join(ctx.configDir, 'wise-public-keys.json');
}

function cacheKey(ctx: Context, env: WiseEnv, scope: WiseKeyScope, algorithm: string): string {
  return `${env} ${apiBaseUrl(ctx, env).origin} ${scope} ${algorithm}`;
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
  const token = (await clientCredentials(createClient(ctx, env), oauth)).access_token;
  ctx.redactor.add(token);
  return token;
}

/** Fetches Wise's current key of the scope and algorithm (Wise's names: ES256..PS512, RSA_OAEP_256), and caches it. */
export async function fetchWiseKey(
  ctx: Context,
  env: WiseEnv,
  scope: WiseKeyScope,
  algorithm: string,
): Promise<WiseKey> {
  const token = await clientCredentialsToken(ctx, env, `Fetching Wise's ${scope} key`);
  const keys = createClient(ctx, env, { kind: 'oauth', accessToken: async () => token });
  const query = new URLSearchParams({ algorithm, scope });
  const body = parseJson<{ version?: number; keyMaterial?: { keyMaterial?: string } }>(
    await keys.request({ method: 'GET', path: `${endpoint('joseResponseKeys', keys.apiVersion)}?${query}` }),
  );
  const der = body.keyMaterial?.keyMaterial;
  if (typeof der !== 'string') throw new WiseError(`Wise did not send its ${scope} key for ${algorithm}.`);
  const key = { version: typeof body.version === 'number' ? body.version : null, der };
  await cacheWiseKey(ctx, env, scope, algorithm, key);
  return key;
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
