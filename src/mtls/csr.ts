/**
 * A key and a certificate signing request for Wise's mTLS, as Wise asks: the organisation (O) required, the
 * country (C) optional, no common name (Wise sets the CN when it signs). Made with @peculiar/x509 on Node's WebCrypto;
 * loaded only by `wise mtls csr`.
 */
import { UsageError } from '../errors.js';
import { stripControl } from '../util/redact.js';

/** What Wise accepts for an mTLS client key: RSA 2048, 3072 or 4096 bits, or EC on P-256 or P-384. */
export const KEY_TYPES = ['rsa2048', 'rsa3072', 'rsa4096', 'ec-p256', 'ec-p384'] as const;
export type KeyType = (typeof KEY_TYPES)[number];

export interface CsrFiles {
  /** PKCS#8 PEM private key. */
  keyPem: string;
  /** PKCS#10 PEM request. */
  csrPem: string;
  subject: string;
}

export function checkSubject(org: string, country: string | undefined): void {
  if (!org.trim()) throw new UsageError('--org must name your organisation (Wise requires O).');
  if (org.length > 64) throw new UsageError('--org is longer than the 64 characters X.509 allows for O.');
  if (stripControl(org) !== org) throw new UsageError('--org must not contain control characters.');
  if (country !== undefined && !/^[A-Z]{2}$/.test(country)) {
    throw new UsageError(`--country must be a two-letter ISO 3166 code in capitals, such as GB, not "${country}".`);
  }
}

/** A file name from the organisation: lower case letters, digits and dashes. */
export function baseName(org: string): string {
  return (
    org
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 64) || 'wise-mtls'
  );
}

export async function makeCsr(org: string, country: string | undefined, keyType: KeyType): Promise<CsrFiles> {
  checkSubject(org, country);
  // @peculiar/x509 resolves its ASN.1 parts through tsyringe, which needs the Reflect metadata polyfill first.
  await import('reflect-metadata');
  const x509 = await import('@peculiar/x509');
  const { webcrypto } = await import('node:crypto');
  const crypto = webcrypto;
  const algorithm =
    keyType === 'ec-p256'
      ? { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' }
      : keyType === 'ec-p384'
        ? { name: 'ECDSA', namedCurve: 'P-384', hash: 'SHA-384' }
        : {
            name: 'RSASSA-PKCS1-v1_5',
            hash: 'SHA-256',
            publicExponent: new Uint8Array([1, 0, 1]),
            modulusLength: Number(keyType.slice(3)),
          };
  const keys = (await crypto.subtle.generateKey(algorithm, true, [
    'sign',
    'verify',
  ])) as import('node:crypto').webcrypto.CryptoKeyPair;
  const name: Record<string, string[]>[] = [{ O: [org] }];
  if (country) name.push({ C: [country] });
  // @peculiar/x509 is typed against the DOM's WebCrypto; Node's is the same API.
  const csr = await x509.Pkcs10CertificateRequestGenerator.create(
    { name, keys: keys as never, signingAlgorithm: algorithm },
    crypto as never,
  );
  const pkcs8 = Buffer.from(await crypto.subtle.exportKey('pkcs8', keys.privateKey));
  const { createPrivateKey } = await import('node:crypto');
  const keyPem = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({
    type: 'pkcs8',
    format: 'pem',
  }) as string;
  return { keyPem, csrPem: `${csr.toString('pem')}\n`, subject: csr.subject };
}
