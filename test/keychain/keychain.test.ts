import { spawnSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../helpers/cli.js';
import { type MockServer, startMock } from '../helpers/mock.js';

// These tests talk to a real Secret Service (gnome-keyring) over D-Bus; `npm test` starts a private one.
if (!process.env.DBUS_SESSION_BUS_ADDRESS) throw new Error('Run through `npm run test:keychain:session`.');

let mock: MockServer;
let sb: Sandbox;
const account = `kc-${process.pid}-${Date.now()}`;

function lookup(name: string): string | null {
  const r = spawnSync('secret-tool', ['lookup', 'service', 'wise-cli', 'username', name], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout : null;
}

beforeAll(async () => {
  mock = await startMock();
  // The real keychain: no WISE_STORE.
  sb = await createSandbox({ WISE_API_URL: mock.url });
  delete sb.env.WISE_STORE;
  delete sb.env.WISE_STORE_PASSPHRASE;
});
afterAll(async () => {
  await mock.close();
  await sb.cleanup();
});

describe('OS keychain (gnome-keyring over D-Bus)', () => {
  it('stores the token in the keychain, visible to secret-tool, and nothing on disk', async () => {
    const added = await sb.run(['--account', account, 'token', 'add'], { input: `${mock.personalToken}\n` });
    expect(added.code, added.stderr).toBe(0);
    expect(added.stderr).toContain('in the OS keychain (service wise-cli)');

    expect(lookup(`${account}:sandbox:personal-token`)).toBe(mock.personalToken);
    // secret-tool prints the attributes on stderr and the secret on stdout.
    const found = spawnSync('secret-tool', ['search', '--all', 'service', 'wise-cli'], { encoding: 'utf8' });
    expect(`${found.stdout}${found.stderr}`).toContain(`attribute.username = ${account}:sandbox:personal-token`);

    const read = await sb.run(['--account', account, 'auth', 'token']);
    expect(read).toMatchObject({ code: 0, stdout: `${mock.personalToken}\n` });
    const api = await sb.run(['--account', account, 'api', '/v1/me']);
    expect(api.code).toBe(0);
    expect(JSON.parse(api.stdout)).toMatchObject({ id: 1001 });

    const files = await readdir(sb.configDir);
    expect(files).not.toContain('secrets.enc');
    for (const f of files) expect(await readFile(join(sb.configDir, f), 'utf8')).not.toContain(mock.personalToken);

    const status = JSON.parse((await sb.run(['--json', '--account', account, 'auth', 'status', '--offline'])).stdout);
    expect(status.store).toEqual({ backend: 'keychain', location: 'OS keychain (service wise-cli)' });
  });

  it('logout deletes the keychain item', async () => {
    const name = `${account}-2`;
    await sb.run(['--account', name, 'token', 'add', '--no-verify'], { input: 'kc-token-1234567890' });
    expect(lookup(`${name}:sandbox:personal-token`)).toBe('kc-token-1234567890');
    expect((await sb.run(['--account', name, 'logout'])).code).toBe(0);
    expect(lookup(`${name}:sandbox:personal-token`)).toBeNull();
    // No probe items are left behind either.
    const all = spawnSync('secret-tool', ['search', '--all', 'service', 'wise-cli'], { encoding: 'utf8' });
    expect(`${all.stdout}${all.stderr}`).not.toContain('@probe');
  });

  it('without D-Bus: exit 7 with a message that names the encrypted file store', async () => {
    const env = { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus' };
    const added = await sb.run(['--account', 'nodbus', 'token', 'add', '--no-verify'], {
      input: 'tok-1234567890',
      env,
    });
    expect(added.code).toBe(7);
    expect(added.stderr).toMatch(/The OS keychain cannot be used/);
    expect(added.stderr).toContain('WISE_STORE=file');
    expect(added.stderr).not.toMatch(/\n\s+at /);
    const read = await sb.run(['--account', account, 'auth', 'token'], { env });
    expect(read.code).toBe(7);
  });

  it('OAuth: client secret, refresh token and access token in the keychain, nothing on disk', async () => {
    const { freePort, decide, startWise } = await import('../helpers/oauth.js');
    const { startMockServer } = await import('../../src/mock/server.js');
    const port = await freePort();
    const redirectUri = `http://127.0.0.1:${port}/callback`;
    const partner = await startMockServer({ port: 0, redirectUris: [redirectUri] });
    const name = `${account}-oauth`;
    try {
      const env = { WISE_API_URL: partner.url };
      const setup = await sb.run(['oauth', 'setup', '--client-id', partner.clientId, '--redirect-uri', redirectUri], {
        input: partner.clientSecret,
        env,
      });
      expect(setup.code, setup.stderr).toBe(0);
      const run = startWise({ env: { ...sb.env, ...env } }, [
        '--account',
        name,
        'oauth',
        'authorize',
        '--no-browser',
        '--timeout',
        '20',
      ]);
      await decide(await run.consentUrl, 'approve');
      expect((await run.done).code).toBe(0);

      expect(lookup('@client:sandbox:client-secret')).toBe(partner.clientSecret);
      const refresh = lookup(`${name}:sandbox:refresh-token`);
      expect(refresh).toMatch(/^[A-Za-z0-9_-]{20,}$/);
      const access = JSON.parse(lookup(`${name}:sandbox:access-token`) as string);
      expect(access.expiresAt).toBeGreaterThan(Date.now());
      const me = await sb.run(['--account', name, 'api', '/v1/me'], { env });
      expect(me.code, me.stderr).toBe(0);

      const onDisk = (
        await Promise.all(
          (await readdir(sb.configDir)).map((f) => readFile(join(sb.configDir, f), 'utf8').catch(() => '')),
        )
      ).join('');
      for (const secret of [partner.clientSecret, refresh as string, access.accessToken])
        expect(onDisk).not.toContain(secret);
    } finally {
      await partner.close();
    }
  });

  it('logout --all also deletes items whose account the config no longer names', async () => {
    const orphan = spawnSync(
      'secret-tool',
      ['store', '--label=wise-cli orphan', 'service', 'wise-cli', 'username', 'lost:sandbox:personal-token'],
      { input: 'orphan-secret-123456' },
    );
    expect(orphan.status).toBe(0);
    expect(lookup('lost:sandbox:personal-token')).toBe('orphan-secret-123456');
    const r = await sb.run(['logout', '--all']);
    expect(r.code, r.stderr).toBe(0);
    expect(lookup('lost:sandbox:personal-token')).toBeNull();
    const all = spawnSync('secret-tool', ['search', '--all', 'service', 'wise-cli'], { encoding: 'utf8' });
    expect(`${all.stdout}${all.stderr}`).not.toContain('attribute.service = wise-cli');
  });

  it('wise doctor on a healthy keychain: session bus and keychain pass', async () => {
    const doctor = await sb.run(['--json', 'doctor', '--offline']);
    const rows = JSON.parse(doctor.stdout).checks as { check: string; status: string }[];
    expect(rows.find((r) => r.check === 'session bus')?.status).toBe('pass');
    expect(rows.find((r) => r.check === 'keychain')?.status).toBe('pass');
  });

  // Last: it leaves the keyring locked.
  it('a locked keyring: exit 7, and the stored token is not mistaken for "nothing stored"', async () => {
    const added = await sb.run(['--account', account, 'token', 'add', '--no-verify'], { input: 'locked-token-123456' });
    expect(added.code, added.stderr).toBe(0);
    // secret-tool may crash after locking on a display-less machine; the lock itself is what matters.
    spawnSync('secret-tool', ['lock', '--collection=login']);
    const read = await sb.run(['--account', account, 'auth', 'token']);
    expect(read.code).toBe(7);
    expect(read.stderr).toContain('the keyring is locked');
    expect(read.stdout).toBe('');
    // wise doctor says so too, and names both ways out.
    const doctor = await sb.run(['--account', account, '--json', 'doctor', '--offline']);
    expect(doctor.code).toBe(1);
    const rows = JSON.parse(doctor.stdout).checks as { check: string; status: string; detail: string; fix?: string }[];
    expect(rows.find((r) => r.check === 'session bus')).toMatchObject({ status: 'pass' });
    const keychain = rows.find((r) => r.check === 'keychain');
    expect(keychain).toMatchObject({ status: 'fail', detail: expect.stringContaining('locked') });
    expect(keychain?.fix).toContain('Unlock the default keyring');
    expect(keychain?.fix).toContain('export WISE_STORE=file WISE_STORE_PASSPHRASE=');
  });
});
