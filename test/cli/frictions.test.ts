import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileStore } from '../../src/store/file-store.js';
import { createSandbox, runInProcessByDefault, type Sandbox } from '../helpers/cli.js';
import { expectContractViolation } from '../helpers/contract.js';
import { type MockServer, startMock } from '../helpers/mock.js';
import { freePort, type OAuthWorld, oauthWorld } from '../helpers/oauth.js';

runInProcessByDefault();

/** What a newcomer met in the first hour; each is pinned here. */
let mock: MockServer | undefined;
let sb: Sandbox | undefined;
let world: OAuthWorld | undefined;
afterEach(async () => {
  await mock?.close();
  await sb?.cleanup();
  await world?.cleanup();
  mock = sb = world = undefined;
});

async function fresh(): Promise<{ mock: MockServer; sb: Sandbox }> {
  mock = await startMock();
  sb = await createSandbox({ WISE_API_URL: mock.url });
  return { mock, sb };
}

describe('the store an account was saved in is remembered', () => {
  it('after WISE_STORE=file token add, plain commands find the token there', async () => {
    const { mock, sb } = await fresh();
    expect((await sb.run(['token', 'add'], { input: mock.personalToken })).code).toBe(0);
    // No WISE_STORE from here on (the passphrase is still in the environment).
    const plain = { env: { WISE_STORE: undefined } };
    const token = await sb.run(['auth', 'token'], plain);
    expect(token.code, token.stderr).toBe(0);
    expect(token.stdout).toBe(`${mock.personalToken}\n`);
    const status = await sb.run(['auth', 'status'], plain);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(`secrets: encrypted file ${join(sb.configDir, 'secrets.enc')}`);
    expect(status.stdout).toContain('Online check: accepted by Wise (2 profiles)');
    const doc = JSON.parse((await sb.run(['--json', 'auth', 'status', '--offline'], plain)).stdout);
    expect(doc.accounts[0]).toMatchObject({ name: 'default', store: { backend: 'file' }, storeError: null });
  });

  it('a token missing from the store is no verdict from Wise: "not made", never "rejected by Wise"', async () => {
    const { mock, sb } = await fresh();
    await sb.run(['token', 'add'], { input: mock.personalToken });
    await new FileStore(join(sb.configDir, 'secrets.enc'), async () => sb?.env.WISE_STORE_PASSPHRASE as string).delete(
      'default:sandbox:personal-token',
    );
    const status = await sb.run(['auth', 'status']);
    expect(status.code).toBe(4);
    expect(status.stdout).toContain('Online check: not made (The personal token of account "default"');
    expect(status.stdout).not.toContain('rejected by Wise');
    const doc = JSON.parse((await sb.run(['--json', 'auth', 'status'])).stdout);
    expect(doc.active.valid).toBeNull();
  });
});

describe('messages that pointed the wrong way', () => {
  it('a 401 with WISE_TOKEN set names WISE_TOKEN, not `wise token add`', async () => {
    const { sb } = await fresh();
    const r = await sb.run(['api', '/v1/me'], { env: { WISE_TOKEN: 'wrong-token-123456' } });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('Wise rejected the token in WISE_TOKEN');
    expect(r.stderr).not.toContain('wise token add');
  });

  it("the support hint says what to give Wise's support", async () => {
    const { mock, sb } = await fresh();
    expectContractViolation(/GET \/v9\/nothing: no operation/);
    const r = await sb.run(['api', '/v9/nothing'], { env: { WISE_TOKEN: mock.personalToken } });
    expect(r.stderr).toMatch(
      /hint: If you contact Wise support, give them the correlation id [0-9a-f-]{36}, Wise trace id/,
    );
  });

  it('auth status names the default account plainly and shows the OAuth client of the environment', async () => {
    world = await oauthWorld();
    await world.sb.run(['token', 'add', '--no-verify'], { input: 'tok-123456789' });
    const status = await world.sb.run(['auth', 'status', '--offline']);
    expect(status.stdout).toContain('Account "default" (used when no --account is given), environment sandbox');
    expect(status.stdout).toContain(
      `OAuth client (sandbox): ${world.mock.clientId}, redirect URI ${world.redirectUri}`,
    );
    const doc = JSON.parse((await world.sb.run(['--json', 'auth', 'status', '--offline'])).stdout);
    expect(doc.oauthClient).toEqual({ env: 'sandbox', clientId: world.mock.clientId, redirectUri: world.redirectUri });
  });

  it('logout --all counts what it removed in plain words', async () => {
    const { sb } = await fresh();
    const none = await sb.run(['logout', '--all']);
    expect(none.stderr).toContain('Removed 0 stored accounts, the OAuth clients and their JOSE keys');
    await sb.run(['token', 'add', '--no-verify'], { input: 'tok-123456789' });
    const one = await sb.run(['logout', '--all']);
    expect(one.stderr).toContain('Removed 1 stored account, the OAuth clients and their JOSE keys; 1 secret deleted');
  });
});

describe('--json where it was ignored', () => {
  it('auth token --json gives {token, expiresAt}', async () => {
    const { mock, sb } = await fresh();
    const r = await sb.run(['--json', 'auth', 'token'], { env: { WISE_TOKEN: mock.personalToken } });
    expect(JSON.parse(r.stdout)).toEqual({ token: mock.personalToken, expiresAt: null });
  });

  it('auth token --json with an OAuth login gives the access token expiry', async () => {
    world = await oauthWorld();
    const { loggedIn } = await import('../helpers/oauth.js');
    await world.cleanup();
    world = await loggedIn();
    const r = await world.sb.run(['--json', 'auth', 'token']);
    const doc = JSON.parse(r.stdout);
    expect(doc.token).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(Date.parse(doc.expiresAt) - Date.now()).toBeGreaterThan(11 * 3600_000);
  });

  it('oauth client-token --json gives {token, expiresAt}', async () => {
    world = await oauthWorld();
    const r = await world.sb.run(['--json', 'oauth', 'client-token']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.token).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(Date.parse(doc.expiresAt)).toBeGreaterThan(Date.now());
  });

  it('profiles list --json marks the default profile', async () => {
    const { mock, sb } = await fresh();
    await sb.run(['token', 'add'], { input: mock.personalToken });
    const doc = JSON.parse((await sb.run(['--json', 'profiles', 'list'])).stdout);
    expect(doc).toEqual([
      expect.objectContaining({ id: 2001, type: 'PERSONAL', default: true }),
      expect.objectContaining({ id: 2002, type: 'BUSINESS', default: false }),
    ]);
  });
});

describe('wise api on an error status', () => {
  it("prints Wise's body on stdout like on success, the error on stderr, and -i shows both", async () => {
    const { mock, sb } = await fresh();
    const env = { WISE_TOKEN: mock.personalToken };
    expectContractViolation(/GET \/v9\/nothing: no operation/);
    const r = await sb.run(['api', '/v9/nothing'], { env });
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({ errors: [{ code: 'NOT_FOUND' }] });
    expect(r.stderr).toMatch(/^error: Wise answered 404 Not Found: NOT_FOUND/);
    const i = await sb.run(['api', '-i', '/v9/nothing'], { env });
    expect(i.code).toBe(3);
    expect(i.stdout).toMatch(/^HTTP\/1\.1 404 Not Found\n[\s\S]*\n\n\{"errors":\[/);
  });
});

describe('a busy port', () => {
  it('gives the same exit code (1) for wise mock and wise oauth authorize', async () => {
    const port = await freePort();
    const blocker = createServer().listen(port, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    try {
      const { sb } = await fresh();
      const m = await sb.run(['mock', '--port', String(port)]);
      expect(m.code).toBe(1);
      expect(m.stderr).toContain(`Port ${port} on 127.0.0.1 is already in use`);
      const json = await sb.run(['--json', 'mock', '--port', String(port)]);
      expect(JSON.parse(json.stderr).error).toMatchObject({ code: 'port_in_use', port });
      // oauth authorize on a busy port: exit 1 too (test/oauth/authorize.test.ts, "a busy port").
    } finally {
      blocker.close();
    }
  });
});
