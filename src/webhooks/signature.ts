/**
 * Wise's webhook signatures: `X-Signature-SHA256` is a base64 RSA signature (SHA-256, PKCS#1 v1.5) over the raw
 * body bytes, made with Wise's key for the environment. The public keys below are the ones Wise publishes on its
 * event-handling page (RSA 2048), built into the tool so that verifying needs no network.
 */
import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import { UsageError } from '../errors.js';
import type { WiseEnv } from '../store/config.js';

export const WISE_WEBHOOK_KEYS: Record<WiseEnv, string> = {
  sandbox: `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAwpb91cEYuyJNQepZAVfP
ZIlPZfNUefH+n6w9SW3fykqKu938cR7WadQv87oF2VuT+fDt7kqeRziTmPSUhqPU
ys/V2Q1rlfJuXbE+Gga37t7zwd0egQ+KyOEHQOpcTwKmtZ81ieGHynAQzsn1We3j
wt760MsCPJ7GMT141ByQM+yW1Bx+4SG3IGjXWyqOWrcXsxAvIXkpUD/jK/L958Cg
nZEgz0BSEh0QxYLITnW1lLokSx/dTianWPFEhMC9BgijempgNXHNfcVirg1lPSyg
z7KqoKUN0oHqWLr2U1A+7kqrl6O2nx3CKs1bj1hToT1+p4kcMoHXA7kA+VBLUpEs
VwIDAQAB
-----END PUBLIC KEY-----
`,
  production: `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAvO8vXV+JksBzZAY6GhSO
XdoTCfhXaaiZ+qAbtaDBiu2AGkGVpmEygFmWP4Li9m5+Ni85BhVvZOodM9epgW3F
bA5Q1SexvAF1PPjX4JpMstak/QhAgl1qMSqEevL8cmUeTgcMuVWCJmlge9h7B1CS
D4rtlimGZozG39rUBDg6Qt2K+P4wBfLblL0k4C4YUdLnpGYEDIth+i8XsRpFlogx
CAFyH9+knYsDbR43UJ9shtc42Ybd40Afihj8KnYKXzchyQ42aC8aZ/h5hyZ28yVy
Oj3Vos0VdBIs/gAyJ/4yyQFCXYte64I7ssrlbGRaco4nKF3HmaNhxwyKyJafz19e
HwIDAQAB
-----END PUBLIC KEY-----
`,
};

/** A public key from PEM (or the public half of a private key); a usage error naming `where` otherwise. */
export function webhookPublicKey(pem: string, where: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    throw new UsageError(`${where} is not a PEM public key.`, { hint: 'Give the key Wise publishes, in PEM.' });
  }
  if (key.asymmetricKeyType !== 'rsa') throw new UsageError(`${where} is not an RSA key, as Wise's webhook keys are.`);
  return key;
}

/** The signature header's value as bytes; a usage error unless it is standard base64. */
export function decodeSignature(value: string): Buffer {
  const text = value.trim();
  if (!text || !/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 !== 0) {
    throw new UsageError('The signature is not base64 (the X-Signature-SHA256 header carries standard base64).');
  }
  return Buffer.from(text, 'base64');
}

/** True when the signature was made over exactly these bytes with the key's private half. */
export function verifyWebhook(body: Uint8Array, signature: Buffer, key: KeyObject): boolean {
  try {
    return verify('sha256', body, key, signature);
  } catch {
    return false;
  }
}
