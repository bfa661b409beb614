/**
 * The partner client's JOSE keys for one environment: signing keys (ES256/384/512 or PS256/384/512) for JWS requests
 * and encryption keys (RSA, for RSA-OAEP-256) that Wise encrypts its replies to. Each key has a UUID key id (`kid`);
 * the private half lives in the secret store only, its public facts (use, algorithm, dates, thumbprint,
 * registration) in config.json. Several keys per use may exist; one per use is active. Rotation: generate, register,
 * activate, and later remove the old key (replies made for it stay readable until then).
 */
import type { KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';
import type { CryptoKey } from 'jose';
import type { Context } from '../context.js';
import { AuthError, UsageError } from '../errors.js';
import type { ConfigData, JoseKeyRecord, JoseUse, WiseEnv } from '../store/config.js';
import type { SecretStore } from '../store/secret-store.js';

/**
 * node:crypto, loaded on first use: a JOSE request needs only WebCrypto (through jose), and node:crypto would cost it
 * about a millisecond to load. The key commands use it, and Wise's keys as KeyObjects (wise-keys.ts).
 */
export const nodeCrypto = () => createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');

export const SIGNING_ALGS = ['ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512'] as const;
export type SigningAlg = (typeof SIGNING_ALGS)[number];
export const ENCRYPTION_ALG = 'RSA-OAEP-256';
export const CONTENT_ENCRYPTION = 'A256GCM';
export const RSA_SIZES = [2048, 3072, 4096] as const;

const CURVES: Record<string, string> = { ES256: 'prime256v1', ES384: 'secp384r1', ES512: 'secp521r1' };
const CURVE_OF_ALG: Record<string, string> = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' };

/** Wise's name for an algorithm in its key APIs (`RSA_OAEP_256` for RSA-OAEP-256). */
export function wiseAlgorithmName(alg: string): string {
  return alg === ENCRYPTION_ALG ? 'RSA_OAEP_256' : alg;
}

/**
 * The environment's JOSE private keys are one secret (a JSON object of PEMs by key id): a call that signs and
 * encrypts reads the secret store once, not once per key (a keychain read opens a D-Bus session, ~10 ms each).
 */
export function joseSecretName(env: WiseEnv): string {
  return `@client:${env}:jose-keys`;
}

type KeyBundle = Record<string, string>;
const bundles = new WeakMap<Context, Map<string, Promise<KeyBundle>>>();

async function readBundle(store: SecretStore, env: WiseEnv): Promise<KeyBundle> {
  const text = await store.get(joseSecretName(env));
  if (!text) return {};
  try {
    const parsed = JSON.parse(text) as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as KeyBundle) : {};
  } catch {
    return {};
  }
}

/** Adds or removes one key of the environment's bundle, under a lock so that parallel changes are all kept. */
export async function changeKeyBundle(
  ctx: Context,
  env: WiseEnv,
  store: SecretStore,
  change: (bundle: KeyBundle) => void,
): Promise<void> {
  const [{ withLock }, { join }, { ensurePrivateDir }] = await Promise.all([
    import('../store/lock.js'),
    import('node:path'),
    import('../store/atomic.js'),
  ]);
  await ensurePrivateDir(ctx.configDir);
  await withLock(join(ctx.configDir, 'jose-keys.lock'), async () => {
    store.invalidate?.();
    const bundle = await readBundle(store, env);
    change(bundle);
    if (Object.keys(bundle).length) await store.set(joseSecretName(env), JSON.stringify(bundle));
    else await store.delete(joseSecretName(env));
  });
  bundles.get(ctx)?.delete(env);
}

/** The PEM of one key, from the environment's bundle (read once per process). */
export async function privatePem(
  ctx: Context,
  env: WiseEnv,
  record: Pick<JoseKeyRecord, 'kid' | 'store'>,
): Promise<string | undefined> {
  let mine = bundles.get(ctx);
  if (!mine) {
    mine = new Map();
    bundles.set(ctx, mine);
  }
  let bundle = mine.get(env);
  if (!bundle) {
    bundle = keyStore(ctx, record).then((store) => readBundle(store, env));
    mine.set(env, bundle);
  }
  return (await bundle)[record.kid];
}

export function checkAlg(use: JoseUse, alg: string | undefined): string {
  if (use === 'encryption') {
    if (alg && alg !== ENCRYPTION_ALG) {
      throw new UsageError(`Encryption keys are for ${ENCRYPTION_ALG}, the only algorithm Wise accepts; not ${alg}.`);
    }
    return ENCRYPTION_ALG;
  }
  const chosen = alg ?? 'ES256';
  if (!(SIGNING_ALGS as readonly string[]).includes(chosen)) {
    throw new UsageError(
      `--alg must be one of ${SIGNING_ALGS.join(', ')} for signing (Wise allows no other), not ${chosen}.`,
    );
  }
  return chosen;
}

/** A new key pair for the use and algorithm; RSA keys take `bits`. */
export function generateJoseKeyPair(alg: string, bits: number): KeyObject {
  const curve = CURVES[alg];
  const { privateKey } = curve
    ? nodeCrypto().generateKeyPairSync('ec', { namedCurve: curve })
    : nodeCrypto().generateKeyPairSync('rsa', { modulusLength: bits });
  return privateKey;
}

/** Checks that a private key fits the algorithm (curve, or RSA of 2048 bits or more). */
export function checkKeyFitsAlg(key: KeyObject, alg: string, where: string): void {
  const curve = CURVE_OF_ALG[alg];
  if (curve) {
    const jwk = nodeCrypto().createPublicKey(key).export({ format: 'jwk' });
    if (key.asymmetricKeyType !== 'ec' || jwk.crv !== curve) {
      throw new UsageError(`${where} is not an EC ${curve} key, which ${alg} needs.`);
    }
    return;
  }
  if (key.asymmetricKeyType !== 'rsa' || (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
    throw new UsageError(`${where} is not an RSA key of 2048 bits or more, which ${alg} needs.`);
  }
}

export function parsePrivateKey(pem: string, where: string): KeyObject {
  try {
    return nodeCrypto().createPrivateKey(pem);
  } catch {
    throw new UsageError(`${where} is not a PEM private key (an encrypted key must be decrypted first).`);
  }
}

/** RFC 7638 JWK thumbprint (SHA-256, base64url) of the public key. */
export async function thumbprintOf(key: KeyObject): Promise<string> {
  const { calculateJwkThumbprint } = await import('jose');
  return calculateJwkThumbprint(
    nodeCrypto().createPublicKey(key).export({ format: 'jwk' }) as Parameters<typeof calculateJwkThumbprint>[0],
  );
}

export function newKid(): string {
  return nodeCrypto().randomUUID();
}

export function joseKeys(config: ConfigData, env: WiseEnv): JoseKeyRecord[] {
  return config.jose?.[env] ?? [];
}

/**
 * The key lifecycle, on the config's records of an environment: the first key of a use is active at once (a later one
 * waits until it is activated, after its registration with Wise); one key is active per use; removing the last key
 * of an environment leaves no empty list behind. Pure: the caller runs these inside a config update.
 */
export function addJoseKey(config: ConfigData, env: WiseEnv, record: JoseKeyRecord): JoseKeyRecord {
  const keys = config.jose?.[env] ?? [];
  const added = { ...record, active: !keys.some((k) => k.use === record.use && k.active) };
  config.jose = { ...config.jose, [env]: [...keys, added] };
  return added;
}

/** Makes `kid` the key in use for its use; the others of that use stay, inactive. */
export function activateJoseKey(config: ConfigData, env: WiseEnv, kid: string): void {
  const record = (config.jose?.[env] ?? []).find((k) => k.kid === kid);
  if (!record) throw new UsageError(`There is no JOSE key ${kid} in ${env}.`, { hint: 'See `wise keys list`.' });
  for (const k of config.jose?.[env] ?? []) if (k.use === record.use) k.active = k.kid === kid;
}

/** Records Wise's acceptance of a key's registration. */
export function markJoseKeyRegistered(
  config: ConfigData,
  env: WiseEnv,
  kid: string,
  registered: NonNullable<JoseKeyRecord['registered']>,
): void {
  const mine = (config.jose?.[env] ?? []).find((k) => k.kid === kid);
  if (mine) mine.registered = registered;
}

/** Removes a key's record; the environment's list, and the JOSE section, go when they are left empty. */
export function removeJoseKey(config: ConfigData, env: WiseEnv, kid: string): void {
  const keys = (config.jose?.[env] ?? []).filter((k) => k.kid !== kid);
  config.jose = { ...config.jose, [env]: keys };
  if (!keys.length) delete config.jose[env];
  if (!Object.keys(config.jose).length) delete config.jose;
}

/** The key with that id, or the active key of the use when no id is given; a usage error names what is missing. */
export function findKey(
  config: ConfigData,
  env: WiseEnv,
  use: JoseUse | undefined,
  kid: string | undefined,
): JoseKeyRecord {
  const keys = joseKeys(config, env);
  if (kid) {
    const found = keys.find((k) => k.kid === kid);
    if (!found) throw new UsageError(`There is no JOSE key ${kid} for ${env}.`, { hint: 'See `wise keys list`.' });
    if (use && found.use !== use) throw new UsageError(`Key ${kid} is a ${found.use} key, not a ${use} key.`);
    return found;
  }
  const active = keys.find((k) => k.use === use && k.active);
  if (!active) {
    throw new UsageError(`There is no active ${use} key for ${env}.`, {
      hint: `Make one with \`wise keys generate --use ${use}\`${keys.some((k) => k.use === use) ? ', or activate one with `wise keys activate <kid>`' : ''}.`,
    });
  }
  return active;
}

/** The secret store of the environment's JOSE keys: where each key was stored, unless WISE_STORE says otherwise. */
export function keyStore(ctx: Context, record?: Pick<JoseKeyRecord, 'store'>): Promise<SecretStore> {
  return ctx.secrets(record?.store);
}

/** The private key of a record, from the secret store. */
export async function loadPrivateKey(ctx: Context, env: WiseEnv, record: JoseKeyRecord): Promise<KeyObject> {
  return nodeCrypto().createPrivateKey(await loadPrivateKeyPem(ctx, env, record));
}

/** The PEM of a key that must be there: its absence is an error that says how to recover. */
export async function loadPrivateKeyPem(ctx: Context, env: WiseEnv, record: JoseKeyRecord): Promise<string> {
  const pem = await privatePem(ctx, env, record);
  if (!pem) {
    const store = await keyStore(ctx, record);
    throw new AuthError(
      `The private half of ${record.use} key ${record.kid} is missing from the ${store.description}.`,
      {
        hint: 'Remove it with `wise keys remove <kid>` and make a new one with `wise keys generate`.',
      },
    );
  }
  ctx.redactor.add(pem);
  return pem;
}

/**
 * Opens a compact JWE with the first of `keys` that can: RSA-OAEP-256 / A256GCM only, the pair Wise uses. Undefined
 * when none of them opens it. The codec (Wise's replies), the SCA answers and `wise jose decrypt` all open JWEs here.
 */
export async function openJwe(jwe: string, keys: readonly (KeyObject | CryptoKey)[]): Promise<Uint8Array | undefined> {
  const { compactDecrypt } = await import('jose');
  for (const key of keys) {
    try {
      return (
        await compactDecrypt(jwe, key, {
          keyManagementAlgorithms: [ENCRYPTION_ALG],
          contentEncryptionAlgorithms: [CONTENT_ENCRYPTION],
        })
      ).plaintext;
    } catch {}
  }
  return undefined;
}

/** Wise's date format for key validity (`yyyy-MM-dd HH:mm:ss`, UTC). */
export function wiseDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}
