/**
 * The client certificate for Wise's mTLS: checked when set up (both parse, the key matches the certificate, the
 * validity dates, the key file's permissions), then presented on every call of the environment (the environment's
 * `api-mtls` host, unless the API URL is overridden). The key stays in its file (mode 0600) or moves into the secret
 * store (`--import-key`); the certificate and the CA are public and stay where they are.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { statSync } from 'node:fs';
import type { Context } from '../context.js';
import { UsageError, WiseError } from '../errors.js';
import type { ConfigData, MtlsConfig, WiseEnv } from '../store/config.js';
import { readTextOrFail } from '../util/input.js';

export const EXPIRY_WARNING_DAYS = 30;

export interface TlsMaterial {
  cert: string;
  key: string;
  ca?: string;
}

export function mtlsKeyName(env: WiseEnv): string {
  return `@client:${env}:mtls-key`;
}

export function parseCertificate(pem: string, where: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch {
    throw new UsageError(`${where} is not a PEM certificate.`);
  }
}

/** A key file readable by group or others is refused, as ssh refuses one, with the chmod that fixes it. */
export function checkKeyFileMode(path: string): void {
  const mode = statSync(path).mode & 0o777;
  if (mode & 0o077) {
    throw new UsageError(`The key file ${path} is readable by others (mode ${mode.toString(8).padStart(4, '0')}).`, {
      hint: `chmod 600 ${path}`,
    });
  }
}

export interface CertificateFacts {
  subject: string;
  issuer: string;
  validFrom: string;
  validTo: string;
  daysLeft: number;
  fingerprint256: string;
}

export function factsOf(cert: X509Certificate, now: number): CertificateFacts {
  return {
    subject: cert.subject.replaceAll('\n', ', '),
    issuer: cert.issuer.replaceAll('\n', ', '),
    validFrom: new Date(cert.validFrom).toISOString(),
    validTo: new Date(cert.validTo).toISOString(),
    daysLeft: Math.floor((Date.parse(cert.validTo) - now) / 86_400_000),
    fingerprint256: cert.fingerprint256,
  };
}

/** Both parse, the key is the certificate's, and the certificate is valid now. */
export function checkPair(certPem: string, keyPem: string, certWhere: string, keyWhere: string, now: number) {
  const cert = parseCertificate(certPem, certWhere);
  let key: ReturnType<typeof createPrivateKey>;
  try {
    key = createPrivateKey(keyPem);
  } catch {
    throw new UsageError(`${keyWhere} is not a PEM private key (an encrypted key must be decrypted first).`);
  }
  if (!cert.checkPrivateKey(key)) {
    throw new UsageError(`The key ${keyWhere} is not the key of the certificate ${certWhere}.`, {
      hint: 'Give the key the CSR was made with (wise mtls csr writes it next to the CSR).',
    });
  }
  const facts = factsOf(cert, now);
  if (Date.parse(cert.validTo) <= now) {
    throw new UsageError(`The certificate ${certWhere} expired on ${facts.validTo}.`, {
      hint: 'Make a new CSR (wise mtls csr) and get a new certificate from Wise.',
    });
  }
  if (Date.parse(cert.validFrom) > now) {
    throw new UsageError(`The certificate ${certWhere} is not valid before ${facts.validFrom}.`);
  }
  return facts;
}

/** What the environment's calls present: the certificate, the key (file or secret store) and the extra CA. */
export async function loadTlsMaterial(ctx: Context, env: WiseEnv, settings: MtlsConfig): Promise<TlsMaterial> {
  const cert = readTextOrFail(settings.cert, 'certificate');
  let key: string | null;
  if (settings.keyInStore) {
    const store = await ctx.secrets(settings.store);
    key = await store.get(mtlsKeyName(env));
    if (!key) {
      throw new WiseError(`The mTLS key of ${env} is missing from the ${store.description}.`, {
        hint: 'Run `wise mtls setup --cert <file> --key <file> --import-key` again.',
      });
    }
  } else {
    checkKeyFileMode(settings.key as string);
    key = readTextOrFail(settings.key as string, 'key');
  }
  ctx.redactor.add(key.trim());
  return { cert, key, ...(settings.ca ? { ca: readTextOrFail(settings.ca, 'CA certificate') } : {}) };
}

export function mtlsSettings(config: ConfigData, env: WiseEnv): MtlsConfig | undefined {
  return config.mtls?.[env];
}
