/**
 * A throwaway PKI for `wise mock --tls` / `--mtls`: a CA, a server certificate for localhost, 127.0.0.1 and ::1, and
 * a client certificate for the mock partner, made with @peculiar/x509 on Node's WebCrypto (no openssl needed). Keys
 * are written with mode 0600; the certificates live 90 days.
 */
import { createPrivateKey, webcrypto } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface TestPki {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

const RSA = {
  name: 'RSASSA-PKCS1-v1_5',
  hash: 'SHA-256',
  publicExponent: new Uint8Array([1, 0, 1]),
  modulusLength: 2048,
};

export async function makeTestPki(dir: string): Promise<TestPki> {
  await import('reflect-metadata');
  const x509 = await import('@peculiar/x509');
  const crypto = webcrypto as never;
  x509.cryptoProvider.set(crypto);
  const keys = async () => (await webcrypto.subtle.generateKey(RSA, true, ['sign', 'verify'])) as never as CryptoPair;
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(Date.now() + 90 * 86_400_000);
  const caKeys = await keys();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=wise mock CA, O=Wise emulator',
    notBefore,
    notAfter,
    keys: caKeys as never,
    signingAlgorithm: RSA,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  const issue = async (serial: string, name: string, extensions: unknown[]) => {
    const pair = await keys();
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial,
      subject: name,
      issuer: ca.subject,
      notBefore,
      notAfter,
      publicKey: pair.publicKey as never,
      signingKey: caKeys.privateKey as never,
      signingAlgorithm: RSA,
      extensions: extensions as never,
    });
    const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', pair.privateKey as never));
    const key = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({ type: 'pkcs8', format: 'pem' });
    return { cert: cert.toString('pem'), key: key as string };
  };
  const server = await issue('02', 'CN=localhost', [
    new x509.SubjectAlternativeNameExtension([
      { type: 'dns', value: 'localhost' },
      { type: 'ip', value: '127.0.0.1' },
      { type: 'ip', value: '::1' },
    ]),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
  ]);
  const client = await issue('03', 'CN=wise-mock-partner, O=Mock Partner', [
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
  ]);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const files: TestPki = {
    dir,
    ca: join(dir, 'ca.pem'),
    serverCert: join(dir, 'server.pem'),
    serverKey: join(dir, 'server.key'),
    clientCert: join(dir, 'client.pem'),
    clientKey: join(dir, 'client.key'),
  };
  await writeFile(files.ca, `${ca.toString('pem')}\n`);
  await writeFile(files.serverCert, `${server.cert}\n`);
  await writeFile(files.serverKey, server.key, { mode: 0o600 });
  await writeFile(files.clientCert, `${client.cert}\n`);
  await writeFile(files.clientKey, client.key, { mode: 0o600 });
  return files;
}

interface CryptoPair {
  publicKey: unknown;
  privateKey: unknown;
}
