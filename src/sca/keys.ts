/**
 * The SCA signing key of a personal-token account: RSA (2048 bits or more), the private half in the secret store
 * (or in WISE_SCA_PRIVATE_KEY for CI, never stored), the public half uploaded by the user at wise.com.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { accountStore, type Target } from '../auth/target.js';
import type { Context } from '../context.js';
import { ScaRequiredError, UsageError } from '../errors.js';
import { accountSecretName } from '../store/secret-store.js';

export const SCA_KEY_SIZES = [2048, 3072, 4096] as const;

/** Where the public key goes, for the messages that print it. */
export function uploadPlace(env: string): string {
  return `${env === 'sandbox' ? 'wise-sandbox.com' : 'wise.com'} > Your Account > Integrations and Tools > API tokens > Manage public keys`;
}

export function generateScaKeyPair(bits: number): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }) as string,
  };
}

/** Reads a private key in PEM: RSA of 2048 bits or more, else a usage error naming where it came from. */
export function parseScaPrivateKey(pem: string, where: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new UsageError(`${where} is not a PEM private key (an encrypted key must be decrypted first).`, {
      hint: 'Give an RSA private key in PEM, e.g. from `openssl genrsa 2048`.',
    });
  }
  if (key.asymmetricKeyType !== 'rsa' || (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
    throw new UsageError(`${where} is not an RSA key of 2048 bits or more, which Wise requires for SCA signing.`);
  }
  return key;
}

export function publicPemOf(key: KeyObject): string {
  return createPublicKey(key).export({ type: 'spki', format: 'pem' }) as string;
}

/** Wise's signature of a one-time token: SHA256withRSA (PKCS#1 v1.5) over the token's text, standard base64. */
export function signOneTimeToken(key: KeyObject, ott: string): string {
  return sign('sha256', Buffer.from(ott), key).toString('base64');
}

export function scaKeyName(target: Pick<Target, 'account' | 'env'>): string {
  return accountSecretName(target.account, target.env, 'sca-key');
}

/** The account's SCA key: WISE_SCA_PRIVATE_KEY first (CI, never stored), else the stored one, else none. */
export async function loadScaKey(ctx: Context, target: Target): Promise<KeyObject | undefined> {
  const fromEnv = ctx.env.WISE_SCA_PRIVATE_KEY;
  if (fromEnv) {
    ctx.redactor.add(fromEnv);
    return parseScaPrivateKey(fromEnv, 'WISE_SCA_PRIVATE_KEY');
  }
  const pem = await (await accountStore(ctx, target)).get(scaKeyName(target));
  if (!pem) return undefined;
  ctx.redactor.add(pem);
  return parseScaPrivateKey(pem, `the stored SCA key of account "${target.account}"`);
}

/** The commands (contexts) that have said they sign SCA challenges. */
const noticed = new WeakSet<Context>();

/** What a personal-token call that met SCA needs: the one-time token signed with the account's key. */
export async function signedApproval(ctx: Context, target: Target, ott: string): Promise<Record<string, string>> {
  const key = await loadScaKey(ctx, target);
  if (!key) {
    throw new ScaRequiredError(
      `Wise requires Strong Customer Authentication for this call, and account "${target.account}" (${target.env}) has no SCA key to sign it.`,
      {
        hint: `Run \`wise keys generate --use sca\`, upload the public key it prints at ${uploadPlace(target.env)}, and run this again; in CI set WISE_SCA_PRIVATE_KEY.`,
        details: { reason: 'no_sca_key' },
      },
    );
  }
  // Said once a command: a statement split into windows meets SCA for each, and one line tells it all.
  if (!noticed.has(ctx)) {
    noticed.add(ctx);
    ctx.io.err('Wise asked for Strong Customer Authentication: signing the one-time token with the SCA key.');
  }
  const signature = signOneTimeToken(key, ott);
  ctx.redactor.add(signature);
  return { 'x-2fa-approval': ott, 'x-signature': signature };
}
