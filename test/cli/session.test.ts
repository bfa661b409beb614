import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSandbox, runInProcessByDefault, type Sandbox } from '../helpers/cli.js';
import { expectContractViolation } from '../helpers/contract.js';
import { type MockServer, queueFault, recordedRequests, startMock } from '../helpers/mock.js';

runInProcessByDefault();

let mock: MockServer;
let sb: Sandbox;

beforeAll(async () => {
  mock = await startMock();
});
afterAll(async () => {
  await mock.close();
});
beforeEach(async () => {
  sb = await createSandbox({ WISE_API_URL: mock.url });
});
afterEach(async () => {
  await sb.cleanup();
});

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

describe('wise token add', () => {
  it('verifies with GET /v2/profiles, lists the profiles and stores the token encrypted', async () => {
    const added = await sb.run(['token', 'add'], { input: `${mock.personalToken}\n` });
    expect(added.code).toBe(0);
    expect(added.stderr).toContain('Stored the personal token for account "default" (sandbox)');
    expect(added.stderr).toMatch(/2001\s+PERSONAL\s+Jane Doe/);
    expect(added.stderr).toMatch(/2002\s+BUSINESS\s+Doe Trading GmbH/);

    const token = await sb.run(['auth', 'token']);
    expect(token).toMatchObject({ code: 0, stdout: `${mock.personalToken}\n`, stderr: '' });

    const config = JSON.parse(await readFile(join(sb.configDir, 'config.json'), 'utf8'));
    expect(config.version).toBe(1);
    expect(config.accounts.default.credentials.sandbox).toMatchObject({ type: 'personal', profileId: 2001 });
    for (const file of await filesUnder(sb.configDir)) {
      const bytes = await readFile(file, 'utf8');
      expect(bytes, file).not.toContain(mock.personalToken);
      expect(bytes, file).not.toContain(Buffer.from(mock.personalToken).toString('base64'));
    }
  });

  it('--json reports what was stored', async () => {
    const added = await sb.run(['--json', 'token', 'add', '--stdin'], { input: mock.personalToken });
    expect(added.code).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({
      account: 'default',
      env: 'sandbox',
      store: 'file',
      verified: true,
      profiles: [
        { id: 2001, type: 'PERSONAL', name: 'Jane Doe' },
        { id: 2002, type: 'BUSINESS', name: 'Doe Trading GmbH' },
      ],
    });
  });

  it('--no-verify stores without calling Wise', async () => {
    const before = (await recordedRequests(mock)).length;
    const added = await sb.run(['token', 'add', '--no-verify', '--account', 'offline'], {
      input: 'some-token-123456\n',
    });
    expect(added.code).toBe(0);
    expect((await recordedRequests(mock)).length).toBe(before);
    expect((await sb.run(['--account', 'offline', 'auth', 'token'])).stdout).toBe('some-token-123456\n');
  });

  it('a rejected token leaves nothing stored', async () => {
    const added = await sb.run(['token', 'add'], { input: 'wrong-token-123456\n' });
    expect(added.code).toBe(4);
    expect((await sb.run(['auth', 'token'])).code).toBe(4);
  });
});

describe('credential precedence', () => {
  it('WISE_TOKEN wins over the stored token and is never stored', async () => {
    await sb.run(['token', 'add'], { input: mock.personalToken });
    const viaEnv = await sb.run(['auth', 'token'], { env: { WISE_TOKEN: 'env-token-abcdef' } });
    expect(viaEnv.stdout).toBe('env-token-abcdef\n');
    const status = await sb.run(['--json', 'auth', 'status', '--offline'], { env: { WISE_TOKEN: 'env-token-abcdef' } });
    expect(JSON.parse(status.stdout).active).toMatchObject({ source: 'env-token', origin: 'WISE_TOKEN' });
    for (const file of await filesUnder(sb.configDir)) {
      expect(await readFile(file, 'utf8')).not.toContain('env-token-abcdef');
    }
  });
});

describe('wise auth status', () => {
  it('shows accounts with masked secrets and checks the token online', async () => {
    await sb.run(['token', 'add'], { input: mock.personalToken });
    const status = await sb.run(['auth', 'status']);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`****${mock.personalToken.slice(-4)}`);
    expect(status.stdout).not.toContain(mock.personalToken);
    expect(status.stdout).toContain('Online check: accepted by Wise (2 profiles)');
    expect(status.stdout).toContain('Active: account default in sandbox, credentials: stored personal token');
  });

  it('--json --offline makes no request', async () => {
    await sb.run(['token', 'add'], { input: mock.personalToken });
    const before = (await recordedRequests(mock)).length;
    const status = await sb.run(['--json', 'auth', 'status', '--offline']);
    expect(status.code).toBe(0);
    expect((await recordedRequests(mock)).length).toBe(before);
    const doc = JSON.parse(status.stdout);
    expect(doc.store).toMatchObject({ backend: 'file' });
    expect(doc.active).toMatchObject({
      account: 'default',
      env: 'sandbox',
      source: 'stored',
      kind: 'personal',
      valid: null,
    });
    expect(doc.accounts[0].credentials[0].secret).toBe(`****${mock.personalToken.slice(-4)}`);
  });

  it('exits 4 when the active credentials are missing or rejected', async () => {
    expect((await sb.run(['auth', 'status'])).code).toBe(4);
    await sb.run(['token', 'add', '--no-verify'], { input: 'revoked-token-123456' });
    const rejected = await sb.run(['auth', 'status']);
    expect(rejected.code).toBe(4);
    expect(rejected.stdout).toContain('Online check: rejected by Wise');
  });
});

describe('accounts', () => {
  it('switch, logout and logout --all', async () => {
    await sb.run(['token', 'add'], { input: mock.personalToken });
    await sb.run(['--account', 'work', 'token', 'add', '--no-verify'], { input: 'work-token-123456' });
    expect((await sb.run(['auth', 'switch', 'work'])).code).toBe(0);
    expect((await sb.run(['auth', 'token'])).stdout).toBe('work-token-123456\n');

    const out = await sb.run(['logout']);
    expect(out.code).toBe(0);
    expect(out.stderr).toContain('Logged out of account "work"');
    expect((await sb.run(['--account', 'work', 'auth', 'token'])).code).toBe(4);
    expect((await sb.run(['auth', 'token'])).stdout).toBe(`${mock.personalToken}\n`);

    await sb.run(['--account', 'other', 'token', 'add', '--no-verify'], { input: 'other-token-123456' });
    // A secret whose account the config no longer knows is removed too.
    const { FileStore } = await import('../../src/store/file-store.js');
    await new FileStore(join(sb.configDir, 'secrets.enc'), async () => sb.env.WISE_STORE_PASSPHRASE as string).set(
      'lost:production:refresh-token',
      'orphaned-refresh-token-123456',
    );
    // Partner clients of both environments: their secrets go too.
    for (const env of ['sandbox', 'production']) {
      const unchecked = await sb.run(
        [
          '--env',
          env,
          'oauth',
          'setup',
          '--client-id',
          `client-${env}`,
          '--redirect-uri',
          'http://127.0.0.1:8765/cb',
          '--no-verify',
        ],
        { input: `client-secret-${env}-123456` },
      );
      expect(unchecked.code, unchecked.stderr).toBe(0);
    }
    const { FileStore: Before } = await import('../../src/store/file-store.js');
    const storeBefore = new Before(
      join(sb.configDir, 'secrets.enc'),
      async () => sb.env.WISE_STORE_PASSPHRASE as string,
    );
    expect(await storeBefore.get('@client:production:client-secret')).toBe('client-secret-production-123456');
    const all = await sb.run(['logout', '--all']);
    expect(all.code).toBe(0);
    const config = JSON.parse(await readFile(join(sb.configDir, 'config.json'), 'utf8'));
    expect(config.clients).toEqual({});
    const doc = JSON.parse((await sb.run(['--json', 'auth', 'status', '--offline'])).stdout);
    expect(doc.accounts).toEqual([]);
    const { FileStore: Store } = await import('../../src/store/file-store.js');
    expect(
      await new Store(join(sb.configDir, 'secrets.enc'), async () => sb.env.WISE_STORE_PASSPHRASE as string).list(),
    ).toEqual([]);
  });
});

describe('wise api', () => {
  beforeEach(async () => {
    await sb.run(['token', 'add'], { input: mock.personalToken });
  });

  it("terminal escapes in Wise's error messages are stripped, in the error and in the --debug trace", async () => {
    const evil = '\u001b]0;pwned\u0007\u001b[2J\u009b31m\u202eOOPS';
    for (const args of [
      ['api', '/v1/me'],
      ['--debug', 'api', '/v1/me'],
      ['--json', 'api', '/v1/me'],
    ]) {
      await queueFault(mock, { path: '/v1/me', status: 400, body: { errors: [{ code: 'BAD', message: evil }] } });
      const r = await sb.run(args);
      expect(r.code).toBe(3);
      expect(r.stderr).toContain('OOPS');
      // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters is the point.
      expect(r.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
    }
  });

  it('prints the raw body when stdout is not a terminal', async () => {
    const res = await sb.run(['api', '/v2/profiles']);
    expect(res.code).toBe(0);
    const direct = await fetch(`${mock.url}/v2/profiles`, {
      headers: { authorization: `Bearer ${mock.personalToken}` },
    });
    expect(res.stdout).toBe(await direct.text());
  });

  it('accepts a path without the leading slash and a query string', async () => {
    const res = await sb.run(['api', 'v4/profiles/2002/balances?types=STANDARD']);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout).map((b: { currency: string }) => b.currency)).toEqual(['EUR', 'USD']);
  });

  it('-i adds the status line and headers, with the correlation id echoed', async () => {
    const res = await sb.run(['api', '-i', '/v1/me']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^HTTP\/1\.1 200 OK\n/);
    expect(res.stdout).toMatch(/\nx-external-correlation-id: [0-9a-f-]{36}\n/);
    expect(res.stdout).toMatch(/\nx-trace-id: \w+\n/);
    expect(res.stdout).toContain('"email":"jane.doe@example.com"');
  });

  it('-d sends text, @file and @- with POST by default', async () => {
    const file = join(sb.dir, 'body.json');
    await writeFile(file, '{"type":"BALANCE"}');
    for (const [data, input] of [
      ['{"type":"BALANCE"}', ''],
      [`@${file}`, ''],
      ['@-', '{"type":"BALANCE"}'],
    ] as const) {
      const res = await sb.run(['api', '/v3/profiles/2001/transfers/1/payments', '-d', data], { input });
      expect(res.code).toBe(3); // Wise refuses funding with a personal token of an EU user
      const last = (await recordedRequests(mock)).at(-1);
      expect(last).toMatchObject({ method: 'POST', path: '/v3/profiles/2001/transfers/1/payments', status: 403 });
    }
  });

  it('a 403 on a statement with a personal token explains PSD2', async () => {
    const res = await sb.run([
      'api',
      '/v1/profiles/2001/balance-statements/3001/statement.json?currency=EUR&intervalStart=2026-01-01T00:00:00Z&intervalEnd=2026-01-31T23:59:59Z',
    ]);
    expect(res.code).toBe(3);
    expect(res.stderr).toMatch(/Personal API tokens cannot do this for EU and UK accounts \(PSD2\)/);
    expect(res.stderr).toMatch(/correlation id [0-9a-f-]{36}, Wise trace id \w+/);
  });

  it('-H sends extra headers and -X chooses the method', async () => {
    expectContractViolation(/DELETE \/v2\/profiles: no operation/);
    const res = await sb.run(['api', '-X', 'DELETE', '-H', 'X-Custom: 1', '/v2/profiles']);
    expect(res.code).toBe(3);
    expect((await recordedRequests(mock)).at(-1)).toMatchObject({
      method: 'DELETE',
      path: '/v2/profiles',
      status: 404,
    });
  });
});

describe('profiles and balances', () => {
  it('lists profiles and the default profile balances', async () => {
    await sb.run(['token', 'add'], { input: mock.personalToken });
    const profiles = await sb.run(['profiles', 'list']);
    expect(profiles.stdout).toMatch(/2001\s+PERSONAL\s+Jane Doe\s+\(default\)/);
    const balances = await sb.run(['balances', 'list']);
    expect(balances.stdout).toMatch(/EUR\s+1250\.50/);
    const business = await sb.run(['--json', '--profile-id', '2002', 'balances', 'list']);
    expect(JSON.parse(business.stdout).map((b: { currency: string }) => b.currency)).toEqual(['EUR', 'USD']);
  });
});
