import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileStore } from '../../src/store/file-store.js';
import { createSandbox, runInProcessByDefault, type Sandbox, STACK_TRACE } from '../helpers/cli.js';
import { draftTransferFunding, type MockServer, recordedRequests, startMock } from '../helpers/mock.js';

runInProcessByDefault();

const STATEMENT =
  '/v1/profiles/2001/balance-statements/3001/statement.json?currency=EUR&intervalStart=2026-06-01T00:00:00.000Z&intervalEnd=2026-11-30T23:59:59.999Z';

let mock: MockServer;
let sb: Sandbox;
beforeEach(async () => {
  mock = await startMock();
  sb = await createSandbox({ WISE_API_URL: mock.url });
  const add = await sb.run(['token', 'add'], { input: mock.personalToken });
  if (add.code !== 0) throw new Error(add.stderr);
  // Jane lives in the US here: Wise lets personal tokens read statements and fund transfers there, with SCA.
  await fetch(`${mock.url}/__mock/users/1001`, { method: 'POST', body: '{"country":"US"}' });
});
afterEach(async () => {
  await mock.close();
  await sb.cleanup();
});

async function uploadKey(pem: string): Promise<void> {
  const res = await fetch(`${mock.url}/__mock/users/1001/sca-keys`, { method: 'POST', body: pem });
  expect(res.status).toBe(201);
}

async function seen(path: string): Promise<number[]> {
  return (await recordedRequests(mock)).filter((r) => r.path === path).map((r) => r.status);
}

describe('SCA with a personal token (signature flow)', () => {
  it('keys generate prints a public key; sca sign gives a signature that openssl verifies', async () => {
    const gen = await sb.run(['keys', 'generate', '--use', 'sca']);
    expect(gen.code, gen.stderr).toBe(0);
    expect(gen.stdout).toMatch(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----\n$/);
    expect(gen.stderr).toContain('wise-sandbox.com > Your Account > Integrations and Tools > API tokens');
    const ott = 'c1a2b3d4-0000-4000-8000-123456789abc';
    const signed = await sb.run(['sca', 'sign', ott]);
    expect(signed.code, signed.stderr).toBe(0);
    await writeFile(join(sb.dir, 'sca.pub'), gen.stdout);
    await writeFile(join(sb.dir, 'sig.bin'), Buffer.from(signed.stdout.trim(), 'base64'));
    await writeFile(join(sb.dir, 'ott.txt'), ott);
    const verified = execFileSync(
      'openssl',
      [
        'dgst',
        '-sha256',
        '-verify',
        join(sb.dir, 'sca.pub'),
        '-signature',
        join(sb.dir, 'sig.bin'),
        join(sb.dir, 'ott.txt'),
      ],
      { encoding: 'utf8' },
    );
    expect(verified.trim()).toBe('Verified OK');
    // The private key is in the store, nowhere on disk in plain text.
    const key = (await new FileStore(
      join(sb.configDir, 'secrets.enc'),
      async () => sb.env.WISE_STORE_PASSPHRASE as string,
    ).get('default:sandbox:sca-key')) as string;
    expect(key).toMatch(/^-{5}BEGIN PRIVATE\sKEY-{5}\n/);
    expect(await readFile(join(sb.configDir, 'config.json'), 'utf8')).not.toContain('PRIVATE');
    const doctor = JSON.parse((await sb.run(['--json', 'doctor', '--offline'])).stdout);
    expect(doctor.checks.find((c: { check: string }) => c.check === 'sca key')).toMatchObject({
      status: 'pass',
      detail: `RSA 2048 from the secret store, generated ${new Date().toISOString().slice(0, 10)}`,
    });
  });

  it('a statement in one command: challenged, signed, sent again, exactly two requests', async () => {
    const gen = await sb.run(['keys', 'generate', '--use', 'sca', '--bits', '3072']);
    await uploadKey(gen.stdout);
    const r = await sb.run(['api', STATEMENT]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).transactions).toHaveLength(40);
    expect(r.stderr).toContain('signing the one-time token with the SCA key');
    expect(await seen(STATEMENT)).toEqual([403, 200]);
  });

  it('a POST that met SCA reached Wise exactly twice', async () => {
    const gen = await sb.run(['keys', 'generate', '--use', 'sca']);
    await uploadKey(gen.stdout);
    const FUNDING = await draftTransferFunding(mock);
    const r = await sb.run(['api', '-X', 'POST', FUNDING, '-d', '{"type":"BALANCE"}']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'COMPLETED' });
    expect(await seen(FUNDING)).toEqual([403, 200]);
  });

  it('no key: exit 5 with the next step, and the one-time token is not in the error', async () => {
    const r = await sb.run(['--json', 'api', STATEMENT]);
    expect(r.code).toBe(5);
    const error = JSON.parse(r.stderr).error;
    expect(error.code).toBe('sca_required');
    expect(error.hint).toContain('wise keys generate --use sca');
    expect(JSON.stringify(error)).not.toContain('oneTimeToken');
    expect(await seen(STATEMENT)).toEqual([403]);
  });

  it('a key Wise does not know: refused again, exit 5, never a third request', async () => {
    await sb.run(['keys', 'generate', '--use', 'sca']);
    const r = await sb.run(['api', STATEMENT]);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('check that the public key of your SCA key is uploaded');
    expect(r.stderr).not.toMatch(STACK_TRACE);
    expect(await seen(STATEMENT)).toEqual([403, 403]);
  });

  it('WISE_SCA_PRIVATE_KEY signs without anything stored; --debug shows neither key nor signature', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    await uploadKey(publicKey.export({ type: 'spki', format: 'pem' }) as string);
    const r = await sb.run(['--debug', 'api', STATEMENT], { env: { WISE_SCA_PRIVATE_KEY: pem } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('> x-signature: [REDACTED]');
    expect(r.stderr).toContain('> x-2fa-approval: [REDACTED]');
    expect(r.stderr).not.toMatch(/PRIVATE\sKEY/);
    const body = pem.split('\n')[1] as string;
    expect(r.stderr).not.toContain(body);
    const store = new FileStore(join(sb.configDir, 'secrets.enc'), async () => sb.env.WISE_STORE_PASSPHRASE as string);
    expect(await store.get('default:sandbox:sca-key')).toBeNull();
  });

  it('keys import takes a PEM file or stdin; a short or broken key is exit 2; logout removes the key', async () => {
    const file = join(sb.dir, 'key.pem');
    execFileSync('openssl', ['genrsa', '-out', file, '2048'], { stdio: 'ignore' });
    const fromFile = await sb.run(['keys', 'import', '--use', 'sca', file]);
    expect(fromFile.code, fromFile.stderr).toBe(0);
    expect(fromFile.stdout).toContain('BEGIN PUBLIC KEY');
    const fromStdin = await sb.run(['keys', 'import', '--use', 'sca', '-'], { input: await readFile(file) });
    expect(fromStdin.code, fromStdin.stderr).toBe(0);
    const short = join(sb.dir, 'short.pem');
    spawnSync('openssl', ['genrsa', '-out', short, '1024'], { stdio: 'ignore' });
    expect((await sb.run(['keys', 'import', '--use', 'sca', short])).code).toBe(2);
    expect((await sb.run(['keys', 'import', '--use', 'sca', '-'], { input: 'not a key' })).code).toBe(2);
    expect((await sb.run(['keys', 'generate', '--use', 'sca', '--bits', '1024'])).code).toBe(2);
    expect((await sb.run(['logout'])).code).toBe(0);
    const store = new FileStore(join(sb.configDir, 'secrets.enc'), async () => sb.env.WISE_STORE_PASSPHRASE as string);
    expect(await store.get('default:sandbox:sca-key')).toBeNull();
  });
});

describe('wise keys list and public', () => {
  it('show the SCA key without private material, in PEM, base64 DER and JWK', async () => {
    const none = await sb.run(['--json', 'keys', 'list']);
    expect(JSON.parse(none.stdout)).toMatchObject({ sca: null, jose: [] });
    const gen = await sb.run(['keys', 'generate', '--use', 'sca']);
    const list = JSON.parse((await sb.run(['--json', 'keys', 'list'])).stdout);
    const der = createPublicKey(gen.stdout).export({ type: 'spki', format: 'der' });
    expect(list.sca).toEqual({
      use: 'sca',
      algorithm: 'RSA',
      bits: 2048,
      source: 'secret store',
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      sha256: createHash('sha256').update(der).digest('hex'),
    });
    const text = await sb.run(['keys', 'list']);
    expect(text.stdout).toMatch(/sca\s+RSA 2048\s+-\s+\d{4}-\d\d-\d\d\s+secret store\s+-\s+yes\s+sha256:[0-9a-f]{64}/);
    expect((await sb.run(['keys', 'public', '--use', 'sca'])).stdout).toBe(gen.stdout);
    expect((await sb.run(['keys', 'public', '--use', 'sca', '--format', 'der-base64'])).stdout).toBe(
      `${der.toString('base64')}\n`,
    );
    const jwk = JSON.parse((await sb.run(['keys', 'public', '--use', 'sca', '--format', 'jwk'])).stdout);
    expect(jwk).toMatchObject({ kty: 'RSA', e: 'AQAB' });
    expect(jwk.d).toBeUndefined();
    for (const out of [text.stdout, JSON.stringify(list)]) expect(out).not.toContain('PRIVATE');
  });
});

describe('emulator: one-time tokens', () => {
  it('are single use: a signature replayed on the same token meets a new challenge', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await uploadKey(publicKey.export({ type: 'spki', format: 'pem' }) as string);
    const call = (headers: Record<string, string> = {}) =>
      fetch(`${mock.url}${STATEMENT}`, { headers: { authorization: `Bearer ${mock.personalToken}`, ...headers } });
    const first = await call();
    expect(first.status).toBe(403);
    expect(first.headers.get('x-2fa-approval-result')).toBe('REJECTED');
    const ott = first.headers.get('x-2fa-approval') as string;
    const signature = sign('sha256', Buffer.from(ott), privateKey).toString('base64');
    const approved = await call({ 'x-2fa-approval': ott, 'x-signature': signature });
    expect(approved.status).toBe(200);
    expect(approved.headers.get('x-2fa-approval-result')).toBe('APPROVED');
    const replay = await call({ 'x-2fa-approval': ott, 'x-signature': signature });
    expect(replay.status).toBe(403);
    expect(replay.headers.get('x-2fa-approval')).not.toBe(ott);
    const forged = await call({
      'x-2fa-approval': replay.headers.get('x-2fa-approval') as string,
      'x-signature': signature,
    });
    expect(forged.status).toBe(403);
  });

  it("an EU user's personal token is refused outright (PSD2), before any challenge", async () => {
    await fetch(`${mock.url}/__mock/users/1001`, { method: 'POST', body: '{"country":"DE"}' });
    const res = await fetch(`${mock.url}${STATEMENT}`, { headers: { authorization: `Bearer ${mock.personalToken}` } });
    expect(res.status).toBe(403);
    expect(res.headers.get('x-2fa-approval')).toBeNull();
  });

  it('wise mock --sca-public-key registers the key for the seeded user at start', async () => {
    const { spawn } = await import('node:child_process');
    const { WISE_BIN } = await import('../helpers/cli.js');
    const gen = await sb.run(['keys', 'generate', '--use', 'sca']);
    await writeFile(join(sb.dir, 'sca.pub'), gen.stdout);
    const child = spawn(process.execPath, [WISE_BIN, 'mock', '--sca-public-key', join(sb.dir, 'sca.pub')], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    try {
      const lines = await new Promise<string[]>((resolve) => {
        let out = '';
        child.stdout.on('data', (c: Buffer) => {
          out += c;
          if (out.split('\n').length > 2) resolve(out.split('\n'));
        });
      });
      const url = lines[0] as string;
      const token = (lines[1] as string).split(' ')[1] as string;
      await fetch(`${url}/__mock/users/1001`, { method: 'POST', body: '{"country":"US"}' });
      const r = await sb.run(['api', STATEMENT], { env: { WISE_API_URL: url, WISE_TOKEN: token } });
      expect(r.code, r.stderr).toBe(0);
    } finally {
      child.kill();
    }
  });
});
