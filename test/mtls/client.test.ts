import { chmod, mkdir, readFile, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, runInProcessByDefault, type Sandbox, STACK_TRACE } from '../helpers/cli.js';
import { opensslCa, opensslCsr, opensslSign } from '../helpers/servers.js';

runInProcessByDefault();

describe('mTLS: a client certificate presented to a server that demands one', () => {
  let sb: Sandbox;
  let dir: string;
  let server: Server;
  let url: string;
  const seen: string[] = [];

  beforeAll(async () => {
    sb = await createSandbox();
    dir = join(sb.dir, 'pki');
    await mkdir(dir);
    opensslCa(dir, 'wise-ca');
    opensslCa(dir, 'other-ca');
    // The API host's certificate, from the same CA.
    opensslCsr(dir, 'server');
    opensslSign(dir, 'wise-ca', 'server.csr', 'server.pem', 'DNS:localhost,IP:127.0.0.1');
    // The partner's key and CSR made by the tool, signed by "Wise"; and the same CSR signed by another CA.
    const csr = await sb.run(['mtls', 'csr', '--org', 'Doe Trading GmbH', '--country', 'DE', '--out', dir]);
    expect(csr.code, csr.stderr).toBe(0);
    opensslSign(dir, 'wise-ca', 'doe-trading-gmbh.csr', 'client.pem');
    opensslSign(dir, 'other-ca', 'doe-trading-gmbh.csr', 'client-other.pem');
    server = createServer(
      {
        cert: await readFile(join(dir, 'server.pem')),
        key: await readFile(join(dir, 'server.key')),
        ca: await readFile(join(dir, 'wise-ca.pem')),
        requestCert: true,
        rejectUnauthorized: true,
      },
      (req, res) => {
        const peer = (req.socket as TLSSocket).getPeerCertificate();
        seen.push(`${peer.subject?.O} ${req.url}`);
        res.writeHead(200, { 'content-type': 'application/json' }).end('[{"id":2001}]');
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    server?.close();
    await sb?.cleanup();
  });

  const api = (extra: Record<string, string> = {}, spawn = false) =>
    sb.run(['api', '/v2/profiles'], { env: { WISE_API_URL: url, WISE_TOKEN: 'token-x', ...extra }, spawn });

  it('without a client certificate the server ends the handshake: exit 6 naming mTLS', async () => {
    // The server itself is trusted here (its CA given to Node, which reads it when a process starts), so only the
    // client certificate is missing.
    const r = await api({ NODE_EXTRA_CA_CERTS: join(dir, 'wise-ca.pem') }, true);
    expect(r.code, r.stderr).toBe(6);
    expect(r.stderr).toContain('client certificate (mTLS)');
    expect(r.stderr).toContain('wise mtls setup');
    expect(r.stderr).not.toMatch(STACK_TRACE);
    // A server certificate nothing here trusts: exit 6 with the reason.
    const untrusted = await api();
    expect(untrusted.code).toBe(6);
    expect(untrusted.stderr).toMatch(/certificate (chain )?of 127\.0\.0\.1:\d+ (is not trusted|cannot be verified)/);
  });

  it("setup refuses a key readable by others (with the chmod), and a key that is not the certificate's", async () => {
    const key = join(dir, 'doe-trading-gmbh.key');
    await chmod(key, 0o644);
    let r = await sb.run(['mtls', 'setup', '--cert', join(dir, 'client.pem'), '--key', key]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`chmod 600 ${key}`);
    await chmod(key, 0o600);
    r = await sb.run(['mtls', 'setup', '--cert', join(dir, 'server.pem'), '--key', key]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is not the key of the certificate');
    r = await sb.run(['mtls', 'setup', '--cert', key, '--key', key]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is not a PEM certificate');
  });

  it('with the certificate Wise signed, calls go through and the server sees the subject; mtls check says so', async () => {
    const r = await sb.run([
      'mtls',
      'setup',
      '--cert',
      join(dir, 'client.pem'),
      '--key',
      join(dir, 'doe-trading-gmbh.key'),
      '--ca',
      join(dir, 'wise-ca.pem'),
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('O=Doe Trading GmbH');
    expect(r.stderr).toContain('https://api-mtls.wise-sandbox.com');
    const call = await api();
    expect(call.code, call.stderr).toBe(0);
    expect(call.stdout).toContain('2001');
    expect(seen.at(-1)).toBe('Doe Trading GmbH /v2/profiles');
    const check = await sb.run(['mtls', 'check'], { env: { WISE_API_URL: url } });
    expect(check.code, check.stderr).toBe(0);
    expect(check.stdout).toMatch(/subject\s+C=DE, O=Doe Trading GmbH|subject\s+O=Doe Trading GmbH, C=DE/);
    expect(check.stdout).toContain('issuer    O=wise-ca');
    expect(check.stdout).toContain('accepted  yes');
    const status = await sb.run(['auth', 'status', '--offline'], { env: { WISE_TOKEN: 'token-x' } });
    expect(status.stdout).toMatch(
      /mTLS: (C=DE, O=Doe Trading GmbH|O=Doe Trading GmbH, C=DE), until \d{4}-\d\d-\d\d \(key in a file\)/,
    );
    const doctor = JSON.parse(
      (await sb.run(['--json', 'doctor'], { env: { WISE_API_URL: url, WISE_TOKEN: 'token-x' } })).stdout,
    );
    const row = (name: string) => doctor.checks.find((c: { check: string }) => c.check === name);
    expect(row('mtls certificate')).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('matches its key, expires in 0 days'),
    });
    expect(row('mtls handshake')).toMatchObject({ status: 'pass', detail: `${url} accepted it (HTTP 200)` });
  });

  it("another CA's certificate is refused by the server: exit 6; --import-key moves the key into the store", async () => {
    const key = join(dir, 'doe-trading-gmbh.key');
    const other = await sb.run([
      'mtls',
      'setup',
      '--cert',
      join(dir, 'client-other.pem'),
      '--key',
      key,
      '--ca',
      join(dir, 'wise-ca.pem'),
    ]);
    expect(other.code, other.stderr).toBe(0);
    const refused = await api();
    expect(refused.code, refused.stderr).toBe(6);
    expect(refused.stderr).toContain('client certificate (mTLS)');

    const imported = await sb.run([
      'mtls',
      'setup',
      '--cert',
      join(dir, 'client.pem'),
      '--key',
      key,
      '--ca',
      join(dir, 'wise-ca.pem'),
      '--import-key',
    ]);
    expect(imported.code, imported.stderr).toBe(0);
    await expect(stat(key)).rejects.toThrow();
    const config = await readFile(join(sb.configDir, 'config.json'), 'utf8');
    expect(config).toContain('"keyInStore": true');
    expect(config).not.toContain('PRIVATE KEY');
    const call = await api();
    expect(call.code, call.stderr).toBe(0);
    const debug = await sb.run(['--debug', 'api', '/v2/profiles'], {
      env: { WISE_API_URL: url, WISE_TOKEN: 'token-x' },
    });
    expect(debug.stderr).not.toContain('PRIVATE KEY');
  });
});

describe('wise mtls setup and certificate dates', () => {
  it('refuses an expired certificate, and warns about one that expires within 30 days', async () => {
    await import('reflect-metadata');
    const x509 = await import('@peculiar/x509');
    const { webcrypto, createPrivateKey } = await import('node:crypto');
    const { writeFile } = await import('node:fs/promises');
    const sb = await createSandbox();
    try {
      const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
      const make = async (name: string, from: number, to: number) => {
        const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as never as {
          privateKey: never;
          publicKey: never;
        };
        const cert = await x509.X509CertificateGenerator.createSelfSigned(
          {
            serialNumber: '01',
            name: 'O=Doe Trading GmbH',
            notBefore: new Date(from),
            notAfter: new Date(to),
            keys,
            signingAlgorithm: alg,
          },
          webcrypto as never,
        );
        const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
        await writeFile(join(sb.dir, `${name}.pem`), cert.toString('pem'));
        const pem = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({
          type: 'pkcs8',
          format: 'pem',
        });
        await writeFile(join(sb.dir, `${name}.key`), pem, { mode: 0o600 });
      };
      const day = 86_400_000;
      await make('expired', Date.now() - 40 * day, Date.now() - day);
      await make('soon', Date.now() - day, Date.now() + 10 * day);
      const setup = (name: string) =>
        sb.run(['mtls', 'setup', '--cert', join(sb.dir, `${name}.pem`), '--key', join(sb.dir, `${name}.key`)]);
      const expired = await setup('expired');
      expect(expired.code).toBe(2);
      expect(expired.stderr).toContain('expired on');
      expect(await readFile(join(sb.configDir, 'config.json'), 'utf8').catch(() => '')).not.toContain('mtls');
      const soon = await setup('soon');
      expect(soon.code, soon.stderr).toBe(0);
      expect(soon.stderr).toMatch(/warning: the certificate expires in (9|10) days/);
    } finally {
      await sb.cleanup();
    }
  });
});

describe('a server certificate this machine does not trust', () => {
  it('is exit 6 naming the CA to trust (wise mtls setup --ca), not the connection', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { selfSignedCert, startHttpsServer } = await import('../helpers/servers.js');
    const { createSandbox } = await import('../helpers/cli.js');
    const dir = await mkdtemp(join(tmpdir(), 'wise-untrusted-'));
    const server = await startHttpsServer(await selfSignedCert(dir), (_req, res) => res.end('[]'));
    const sb = await createSandbox({ WISE_TOKEN: 'tok-123456789' });
    try {
      const r = await sb.run(['api', '--api-url', `https://127.0.0.1:${server.port}`, '/v2/profiles']);
      expect(r.code).toBe(6);
      expect(r.stderr).toContain('self-signed and not trusted');
      expect(r.stderr).toContain('wise mtls setup');
      expect(r.stderr).toContain('--ca');
      expect(r.stderr).not.toContain('Check your connection');
    } finally {
      await server.close();
      await sb.cleanup();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
