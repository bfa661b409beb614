import { execFileSync } from 'node:child_process';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox, STACK_TRACE } from '../helpers/cli.js';

const openssl = (args: string[]) => execFileSync('openssl', args, { encoding: 'utf8' });

describe('wise mtls csr', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await createSandbox();
  });
  afterAll(async () => {
    await sb?.cleanup();
  });

  it.each([
    ['rsa2048', /Private-Key: \(2048 bit/],
    ['rsa3072', /Private-Key: \(3072 bit/],
    ['rsa4096', /Private-Key: \(4096 bit/],
    ['ec-p256', /ASN1 OID: prime256v1/],
    ['ec-p384', /ASN1 OID: secp384r1/],
  ])(
    '%s: openssl verifies the CSR, with the subject asked for and the key beside it (0600)',
    async (keyType, keyText) => {
      const out = join(sb.dir, keyType);
      await mkdir(out);
      const r = await sb.run([
        '--json',
        'mtls',
        'csr',
        '--org',
        'Doe Trading, GmbH',
        '--country',
        'DE',
        '--key-type',
        keyType,
        '--out',
        out,
      ]);
      expect(r.code, r.stderr).toBe(0);
      const made = JSON.parse(r.stdout);
      expect(made.key).toBe(join(out, 'doe-trading-gmbh.key'));
      expect(made.csr).toBe(join(out, 'doe-trading-gmbh.csr'));
      const verified = execFileSync('openssl', ['req', '-in', made.csr, '-verify', '-noout', '-subject'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      expect(verified).toContain('subject=O = "Doe Trading, GmbH", C = DE');
      expect(openssl(['req', '-in', made.csr, '-noout', '-text'])).not.toMatch(/CN\s*=/);
      expect((await stat(made.key)).mode & 0o777).toBe(0o600);
      expect(openssl(['pkey', '-in', made.key, '-noout', '-text'])).toMatch(keyText);
      // The CSR carries the public half of that key.
      expect(openssl(['req', '-in', made.csr, '-pubkey', '-noout'])).toBe(
        openssl(['pkey', '-in', made.key, '-pubout']),
      );
      expect(r.stdout + r.stderr).not.toContain('PRIVATE KEY');
    },
  );

  it('without --country the subject is O only; text output names the files', async () => {
    const out = join(sb.dir, 'no-country');
    await mkdir(out);
    const r = await sb.run(['mtls', 'csr', '--org', 'Acme', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${join(out, 'acme.key')}\n${join(out, 'acme.csr')}\n`);
    expect(r.stderr).toContain('Made an RSA 2048 key');
    expect(openssl(['req', '-in', join(out, 'acme.csr'), '-noout', '-subject'])).toBe('subject=O = Acme\n');
  });

  it('never overwrites: an existing key or CSR is exit 2 and stays as it was', async () => {
    const out = join(sb.dir, 'existing');
    await mkdir(out);
    await writeFile(join(out, 'acme.csr'), 'mine\n');
    const r = await sb.run(['mtls', 'csr', '--org', 'Acme', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('acme.csr exists; wise never overwrites it');
    expect(await readFile(join(out, 'acme.csr'), 'utf8')).toBe('mine\n');
    await expect(stat(join(out, 'acme.key'))).rejects.toThrow();
  });

  it('bad input is exit 2 with a clear message', async () => {
    const cases: [string[], RegExp][] = [
      [['--org', 'Acme', '--country', 'Germany'], /--country must be a two-letter/],
      [['--org', 'Acme', '--country', 'de'], /--country must be a two-letter/],
      [['--country', 'DE'], /Required option '--org/],
      [['--org', '   '], /--org must name your organisation/],
      [['--org', 'Acme', '--key-type', 'rsa1024'], /Allowed choices are rsa2048, rsa3072, rsa4096, ec-p256, ec-p384/],
      [['--org', 'Acme', '--out', join(sb.dir, 'nowhere')], /is not a folder/],
    ];
    for (const [args, message] of cases) {
      const r = await sb.run(['mtls', 'csr', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(STACK_TRACE);
    }
  });
});
