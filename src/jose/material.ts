import type { KeyObject } from 'node:crypto';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import type { JoseKeyRecord, WiseEnv } from '../store/config.js';
import type { JoseMaterial, JoseMode } from './codec.js';
import { loadPrivateKey } from './keys.js';
import { fetchWiseKey, wiseKey } from './wise-keys.js';

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
  let signing: JoseMaterial['signing'];
  if (mode !== 'jwe') {
    const active = keys.find((k) => k.use === 'signing' && k.active);
    if (!active) {
      throw new UsageError(`${mode.toUpperCase()} needs an active signing key for ${env}, and there is none.`, {
        hint: 'Run `wise keys generate --use signing` and `wise keys register --use signing`.',
      });
    }
    signing = { kid: active.kid, alg: active.alg, key: await loadPrivateKey(ctx, env, active) };
  }
  const decryption = new Map<string, KeyObject>();
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
    for (const record of encryption) decryption.set(record.kid, await loadPrivateKey(ctx, env, record));
  }
  return {
    ...(signing ? { signing } : {}),
    decryption,
    wiseKey: (scope, algorithm, fresh) =>
      fresh ? fetchWiseKey(ctx, env, scope, algorithm) : wiseKey(ctx, env, scope, algorithm),
  };
}
