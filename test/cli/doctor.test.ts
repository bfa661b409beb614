import { chmod, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startMockServer } from '../../src/mock/server.js';
import { createSandbox, runInProcessByDefault, type Sandbox, STACK_TRACE } from '../helpers/cli.js';
import type { MockServer } from '../helpers/mock.js';

runInProcessByDefault();

interface Row {
  check: string;
  status: 'pass' | 'warn' | 'fail' | 'skip';
  detail: string;
  fix?: string;
}

let mock: MockServer | undefined;
let sb: Sandbox | undefined;
afterEach(async () => {
  await mock?.close();
  await sb?.cleanup();
  mock = sb = undefined;
});

/** An emulator (its clock shifted by `skew` seconds) and a sandbox with a stored token in the file store. */
async function healthy(skew = 0): Promise<{ mock: MockServer; sb: Sandbox }> {
  mock = await startMockServer({ port: 0, clockSkewSeconds: skew });
  sb = await createSandbox({ WISE_API_URL: mock.url });
  const add = await sb.run(['token', 'add'], { input: mock.personalToken });
  if (add.code !== 0) throw new Error(add.stderr);
  return { mock, sb };
}

async function doctor(s: Sandbox, args: string[] = [], env: Record<string, string | undefined> = {}, spawn = false) {
  const r = await s.run(['--json', 'doctor', ...args], { env, spawn });
  const doc = JSON.parse(r.stdout) as { ok: boolean; checks: Row[] };
  const row = (name: string) => doc.checks.find((c) => c.check === name);
  return { ...r, doc, row };
}

describe('wise doctor', () => {
  it('a healthy set-up: every check passes, exit 0, a row per check with --json', async () => {
    const { sb } = await healthy();
    const { code, doc, row } = await doctor(sb);
    expect(code).toBe(0);
    expect(doc.ok).toBe(true);
    expect(doc.checks.map((c) => c.check)).toEqual([
      'node',
      'config folder',
      'config file',
      'file store',
      'credentials',
      'sca key',
      'jose keys',
      "wise's keys",
      'mtls',
      'policy',
      'journal',
      'connectivity',
      'clock',
    ]);
    for (const c of doc.checks.filter((c) => !['sca key', 'jose keys', "wise's keys", 'mtls'].includes(c.check))) {
      expect(c.status, `${c.check}: ${c.detail}`).toBe('pass');
    }
    expect(row('sca key')).toMatchObject({ status: 'skip', detail: expect.stringContaining('none') });
    expect(row('jose keys')).toMatchObject({ status: 'skip', detail: 'none for sandbox (JOSE is optional)' });
    expect(row("wise's keys")).toMatchObject({
      status: 'skip',
      detail: 'none kept for sandbox yet (kept on first use)',
    });
    expect(row('credentials')?.detail).toContain('accepted by Wise (2 profiles)');
    const text = await sb.run(['doctor']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^✓ node {2,}Node\.js \d+/);
    expect(text.stdout).toContain('✓ clock');
  });

  it('--offline makes no network call', async () => {
    const { sb, mock } = await healthy();
    const before = (await (await fetch(`${mock.url}/__mock/requests`)).json()) as unknown[];
    const { code, row } = await doctor(sb, ['--offline']);
    expect(code).toBe(0);
    expect(row('credentials')?.status).toBe('skip');
    expect(row('connectivity')?.status).toBe('skip');
    const after = (await (await fetch(`${mock.url}/__mock/requests`)).json()) as unknown[];
    expect(after.length).toBe(before.length);
  });

  it('no session bus: the keychain row fails and names the file store with its variables (exit 1)', async () => {
    sb = await createSandbox();
    // An empty WISE_STORE counts as unset: the keychain.
    // Spawned: the keychain library reads the process's own environment for the bus, and a test run in-process
    // must never reach the keychain of the session it runs in.
    const { code, row, stderr } = await doctor(
      sb,
      ['--offline'],
      {
        WISE_STORE: '',
        DBUS_SESSION_BUS_ADDRESS: undefined,
      },
      true,
    );
    expect(code).toBe(1);
    expect(row('session bus')).toMatchObject({ status: 'fail' });
    expect(row('session bus')?.fix).toContain('export WISE_STORE=file WISE_STORE_PASSPHRASE=');
    expect(row('credentials')?.fix).not.toContain('Unknown secret store');
    expect(stderr).not.toMatch(STACK_TRACE);
  });

  it('a 0644 config file: fails with the chmod to run, and the doctor changes nothing', async () => {
    const { sb } = await healthy();
    const file = join(sb.configDir, 'config.json');
    await chmod(file, 0o644);
    await chmod(sb.configDir, 0o755);
    const { code, row, stderr } = await doctor(sb, ['--offline']);
    expect(code).toBe(1);
    expect(row('config file')).toMatchObject({ status: 'fail', fix: `chmod 600 ${file}` });
    expect(row('config folder')).toMatchObject({ status: 'fail', fix: `chmod 700 ${sb.configDir}` });
    expect(stderr).not.toContain('wise made it');
    expect((await stat(file)).mode & 0o777).toBe(0o644);
    expect((await stat(sb.configDir)).mode & 0o777).toBe(0o755);
  });

  it.each([300, -300])('a clock %i s off the API host fails the clock check (exit 1)', async (skew) => {
    const { sb } = await healthy(skew);
    const { code, row } = await doctor(sb);
    expect(code).toBe(1);
    const clock = row('clock');
    expect(clock?.status).toBe('fail');
    expect(clock?.detail).toMatch(
      new RegExp(`clock is (299|300|301) s ${skew > 0 ? 'behind' : 'ahead of'} the API host`),
    );
    expect(clock?.fix).toContain('timedatectl set-ntp true');
  });

  it('a clock 20 s off passes', async () => {
    const { sb } = await healthy(20);
    expect((await doctor(sb)).row('clock')?.status).toBe('pass');
  });

  it('the API host unreachable: connectivity fails and the clock is skipped', async () => {
    const { sb } = await healthy();
    const { code, row } = await doctor(sb, [], { WISE_API_URL: 'http://127.0.0.1:9', WISE_TOKEN: 'tok-123456789' });
    expect(code).toBe(1);
    expect(row('connectivity')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('connection refused'),
    });
    expect(row('clock')?.status).toBe('skip');
  });

  it('a rejected token fails the credentials row with the hint', async () => {
    const { sb } = await healthy();
    const { code, row } = await doctor(sb, [], { WISE_TOKEN: 'wrong-token-123456' });
    expect(code).toBe(1);
    expect(row('credentials')).toMatchObject({ status: 'fail', detail: expect.stringContaining('rejected by Wise') });
    expect(row('credentials')?.fix).toContain('WISE_TOKEN');
  });

  it('a wrong file-store passphrase fails the file store row', async () => {
    const { sb } = await healthy();
    const { code, row } = await doctor(sb, ['--offline'], { WISE_STORE_PASSPHRASE: 'not-the-passphrase' });
    expect(code).toBe(1);
    expect(row('file store')).toMatchObject({ status: 'fail', detail: expect.stringContaining('Wrong passphrase') });
  });

  it('an SCA key that is stored but cannot be read: the fix is the store, never a new key', async () => {
    const { sb } = await healthy();
    expect((await sb.run(['keys', 'generate', '--use', 'sca'])).code).toBe(0);
    const { row } = await doctor(sb, ['--offline'], { WISE_STORE_PASSPHRASE: 'not-the-passphrase' });
    const sca = row('sca key') as { status: string; fix: string };
    expect(sca.status).toBe('fail');
    expect(sca.fix).toContain('cannot be read');
    expect(sca.fix).toContain('Do not make a new key');
    expect(sca.fix).not.toContain('wise keys generate');
  });

  it('keys: the SCA key with its date; JOSE keys unregistered (warn), registered, ending soon (warn), missing (fail)', async () => {
    const { sb, mock } = await healthy();
    expect((await sb.run(['keys', 'generate', '--use', 'sca'])).code).toBe(0);
    const today = new Date().toISOString().slice(0, 10);
    let r = await doctor(sb, ['--offline']);
    expect(r.row('sca key')).toMatchObject({
      status: 'pass',
      detail: `RSA 2048 from the secret store, generated ${today}`,
    });

    const setup = await sb.run(
      [
        'oauth',
        'setup',
        '--client-id',
        mock.clientId,
        '--redirect-uri',
        'http://127.0.0.1:8765/callback',
        '--client-secret-stdin',
      ],
      { input: mock.clientSecret },
    );
    expect(setup.code, setup.stderr).toBe(0);
    const signing = JSON.parse((await sb.run(['--json', 'keys', 'generate', '--use', 'signing'])).stdout).kid;
    expect((await sb.run(['keys', 'generate', '--use', 'encryption'])).code).toBe(0);
    r = await doctor(sb, ['--offline']);
    expect(r.code).toBe(0);
    expect(r.row('jose signing key')).toMatchObject({ status: 'warn', fix: 'wise keys register --use signing' });
    expect(r.row('jose encryption key')?.status).toBe('warn');

    expect((await sb.run(['keys', 'register', '--use', 'signing'])).code).toBe(0);
    expect((await sb.run(['keys', 'register', '--use', 'encryption', '--valid-days', '10'])).code).toBe(0);
    r = await doctor(sb, ['--offline']);
    expect(r.row('jose signing key')).toMatchObject({
      status: 'pass',
      detail: expect.stringContaining(`ES256 ${signing}: registered until`),
    });
    expect(r.row('jose encryption key')).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/ends in (9|10) days/),
    });
    expect(r.row('jose encryption key')?.fix).toContain('wise keys activate <new>');

    // The private half gone from the secret store (a store restored from an old backup): fail, with the fix.
    const { FileStore } = await import('../../src/store/file-store.js');
    const store = new FileStore(join(sb.configDir, 'secrets.enc'), async () => sb.env.WISE_STORE_PASSPHRASE as string);
    expect(await store.delete('@client:sandbox:jose-keys')).toBe(true);
    r = await doctor(sb, ['--offline']);
    expect(r.code).toBe(1);
    expect(r.row('jose signing key')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('missing from the secret store'),
    });
  });
});
