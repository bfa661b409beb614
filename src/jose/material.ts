import type { CryptoKey } from 'jose';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import type { JoseKeyRecord, WiseEnv } from '../store/config.js';
import type { JoseMaterial, JoseMode } from './codec.js';
import { ENCRYPTION_ALG, loadPrivateKeyPem } from './keys.js';
import { cachedWiseKey, fetchWiseKey, wiseKey } from './wise-keys.js';

/**
 * The keys a JOSE call of the environment needs, from its key records (the config the client was made from): our
 * active signing key, our encryption keys, Wise's keys.
 */
export async function loadJoseMaterial(
  ctx: Context,
  env: WiseEnv,
  mode: JoseMode,
  keys: JoseKeyRecord[],
): Promise<JoseMaterial> {
  // Imported straight into WebCrypto keys, the form jose works with: a KeyObject would be converted on every use.
  const { importPKCS8 } = await import('jose');
  let signing: JoseMaterial['signing'];
  if (mode !== 'jwe') {
    const active = keys.find((k) => k.use === 'signing' && k.active);
    if (!active) {
      throw new UsageError(`${mode.toUpperCase()} needs an active signing key for ${env}, and there is none.`, {
        hint: 'Run `wise keys generate --use signing` and `wise keys register --use signing`.',
      });
    }
    signing = {
      kid: active.kid,
      alg: active.alg,
      key: await importPKCS8(await loadPrivateKeyPem(ctx, env, active), active.alg),
    };
  }
  const decryption = new Map<string, () => Promise<CryptoKey>>();
  if (mode !== 'jws') {
    const encryption = keys.filter((k) => k.use === 'encryption');
    if (!encryption.some((k) => k.active)) {
      throw new UsageError(
        `${mode.toUpperCase()} needs an encryption key for ${env}, for Wise to encrypt its replies to.`,
        {
          hint: 'Run `wise keys generate --use encryption` and `wise keys register --use encryption`.',
        },
      );
    }
    for (const record of encryption) {
      // The PEM now (a missing key is an error before anything is sent); its import when first wanted, which the
      // codec asks for while the request is on its way.
      const pem = await loadPrivateKeyPem(ctx, env, record);
      let imported: Promise<CryptoKey> | undefined;
      decryption.set(record.kid, () => {
        imported ??= importPKCS8(pem, ENCRYPTION_ALG);
        return imported;
      });
    }
  }
  return {
    ...(signing ? { signing } : {}),
    decryption,
    wiseKey: (scope, algorithm, fresh) =>
      fresh ? fetchWiseKey(ctx, env, scope, algorithm) : wiseKey(ctx, env, scope, algorithm),
    cachedWiseKey: (scope, algorithm) => cachedWiseKey(ctx, env, scope, algorithm),
  };
}
