import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runInProcessByDefault } from '../helpers/cli.js';
import { grantsSeen, loggedIn, type OAuthWorld, oauthWorld } from '../helpers/oauth.js';

runInProcessByDefault();

let world: OAuthWorld;
afterEach(async () => {
  await world?.cleanup();
});

/** Makes the cached access token look expired, as if 12 hours had passed. */
async function expireAccessToken(w: OAuthWorld): Promise<void> {
  const store = w.store();
  const name = 'default:sandbox:access-token';
  const access = JSON.parse((await store.get(name)) as string);
  await store.set(
    name,
    JSON.stringify({ ...access, expiresAt: Date.now() - 1000, obtainedAt: Date.now() - 13 * 3600_000 }),
  );
}

/** Starts 10 `wise api /v1/me` at once; all must succeed with exactly one refresh between them. */
async function tenAtOnce(w: OAuthWorld): Promise<void> {
  const results = await Promise.all(
    Array.from({ length: 10 }, () => w.sb.run(['api', '/v1/me'], { timeoutMs: 60_000, spawn: true })),
  );
  for (const r of results) {
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ id: 1001 });
  }
  expect(await grantsSeen(w.mock, 'refresh_token')).toBe(1);
  // The next call still works, with the refreshed token (the old one was invalidated by the refresh).
  expect((await w.sb.run(['api', '/v1/me'])).code).toBe(0);
  expect(await grantsSeen(w.mock, 'refresh_token')).toBe(1);
  expect((await readdir(w.sb.configDir)).filter((f) => f.endsWith('.lock'))).toEqual([]);
}

describe('access token reuse and refresh', () => {
  it('reuses the access token while fresh: no refresh for ordinary calls', async () => {
    world = await loggedIn();
    for (let i = 0; i < 3; i++) expect((await world.sb.run(['api', '/v1/me'])).code).toBe(0);
    expect(await grantsSeen(world.mock, 'refresh_token')).toBe(0);
  });

  it('10 processes started together after expiry: all succeed, and Wise sees exactly one refresh', async () => {
    world = await loggedIn();
    await expireAccessToken(world);
    await tenAtOnce(world);
  }, 90_000);

  it('stores the rotated refresh token; the old access token no longer works', async () => {
    world = await loggedIn();
    const store = world.store();
    const before = await store.get('default:sandbox:refresh-token');
    const oldAccess = (await world.sb.run(['auth', 'token'])).stdout.trim();
    const r = await world.sb.run(['oauth', 'refresh']);
    expect(r.code, r.stderr).toBe(0);
    store.invalidate();
    const after = await store.get('default:sandbox:refresh-token');
    expect(after).not.toBe(before);
    const newAccess = (await world.sb.run(['auth', 'token'])).stdout.trim();
    expect(newAccess).not.toBe(oldAccess);
    const stale = await world.sb.run(['api', '/v1/me'], { env: { WISE_TOKEN: oldAccess } });
    expect(stale.code).toBe(4);
    expect((await world.sb.run(['api', '/v1/me'])).code).toBe(0);
  });

  it('a refresh token Wise refuses (invalid_grant) exits 4 with "run wise oauth authorize"', async () => {
    world = await loggedIn();
    await world.store().set('default:sandbox:refresh-token', 'revoked-refresh-token-123456');
    await expireAccessToken(world);
    const r = await world.sb.run(['api', '/v1/me']);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('invalid_grant');
    expect(r.stderr).toContain('run `wise oauth authorize`');
  });

  it('a stale refresh lock left by a killed process is recovered', async () => {
    world = await loggedIn();
    await expireAccessToken(world);
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(world.sb.configDir, 'oauth-default-sandbox.lock'), '999999999 0 dead');
    const r = await world.sb.run(['api', '/v1/me']);
    expect(r.code, r.stderr).toBe(0);
  });
});

async function revokeAccessTokens(w: OAuthWorld): Promise<void> {
  const res = await fetch(`${w.mock.url}/__mock/revoke-access-tokens`, { method: 'POST' });
  expect(((await res.json()) as { revoked: number }).revoked).toBeGreaterThan(0);
}

async function requestsTo(w: OAuthWorld, path: string): Promise<{ method: string; status: number }[]> {
  const list = (await (await fetch(`${w.mock.url}/__mock/requests`)).json()) as {
    path: string;
    method: string;
    status: number;
  }[];
  return list.filter((r) => r.path === path);
}

describe('refresh on 401', () => {
  it('10 processes started together after Wise invalidated the token (not by time): all succeed, one refresh', async () => {
    world = await loggedIn();
    await revokeAccessTokens(world);
    await tenAtOnce(world);
    const me = await requestsTo(world, '/v1/me');
    expect(me.filter((r) => r.status === 401).length).toBeGreaterThanOrEqual(1);
    expect(me.filter((r) => r.status === 200)).toHaveLength(11);
  }, 90_000);

  it('a POST refused with 401 is sent once more after the refresh (Wise did not act on it)', async () => {
    world = await loggedIn();
    const { draftTransferFunding } = await import('../helpers/mock.js');
    const path = await draftTransferFunding(world.mock);
    await revokeAccessTokens(world);
    const r = await world.sb.run(['api', '-X', 'POST', path, '-d', '{"type":"BALANCE"}']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'COMPLETED' });
    expect((await requestsTo(world, path)).map((x) => `${x.method} ${x.status}`)).toEqual(['POST 401', 'POST 200']);
    expect(await grantsSeen(world.mock, 'refresh_token')).toBe(1);
  });

  it('a second 401 is exit 4: one refresh, two tries, never a loop', async () => {
    world = await loggedIn();
    const { queueFault } = await import('../helpers/mock.js');
    await queueFault(world.mock, { path: '/v1/me', status: 401, count: 5 });
    const r = await world.sb.run(['api', '/v1/me']);
    expect(r.code).toBe(4);
    expect((await requestsTo(world, '/v1/me')).map((x) => x.status)).toEqual([401, 401]);
    expect(await grantsSeen(world.mock, 'refresh_token')).toBe(1);
  });

  it('a personal token refused with 401 is not sent again', async () => {
    world = await oauthWorld({ setup: false });
    const add = await world.sb.run(['token', 'add'], { input: world.mock.personalToken });
    expect(add.code, add.stderr).toBe(0);
    const { queueFault } = await import('../helpers/mock.js');
    await queueFault(world.mock, { path: '/v1/me', status: 401, count: 5 });
    expect((await world.sb.run(['api', '/v1/me'])).code).toBe(4);
    expect(await requestsTo(world, '/v1/me')).toHaveLength(1);
  });
});

describe('credentials from the environment (CI)', () => {
  it('WISE_CLIENT_ID + WISE_CLIENT_SECRET + WISE_REFRESH_TOKEN refresh in memory and write nothing', async () => {
    world = await loggedIn();
    const refresh = (await world.store().get('default:sandbox:refresh-token')) as string;
    const { createSandbox } = await import('../helpers/cli.js');
    const ci = await createSandbox({ WISE_API_URL: world.mock.url });
    try {
      const env = {
        WISE_CLIENT_ID: world.mock.clientId,
        WISE_CLIENT_SECRET: world.mock.clientSecret,
        WISE_REFRESH_TOKEN: refresh,
      };
      const token = await ci.run(['auth', 'token'], { env });
      expect(token.code, token.stderr).toBe(0);
      expect(token.stdout.trim()).toMatch(/^[A-Za-z0-9_-]{20,}$/);
      expect(token.stderr).toContain('Wise issued a new refresh token');
      expect(token.stderr).not.toContain(refresh);
      const status = JSON.parse((await ci.run(['--json', 'auth', 'status', '--offline'], { env })).stdout);
      expect(status.active).toMatchObject({ source: 'env-refresh', kind: 'oauth' });
      const { existsSync } = await import('node:fs');
      expect(existsSync(ci.configDir)).toBe(false);
      // The printed token serves the following calls.
      const me = await ci.run(['api', '/v1/me'], { env: { WISE_TOKEN: token.stdout.trim() } });
      expect(me.code).toBe(0);
    } finally {
      await ci.cleanup();
    }
  });
});

describe('wise oauth client-token', () => {
  it('prints only a client-credentials token, stores nothing, and Wise refuses it for user endpoints', async () => {
    world = await oauthWorld();
    const configBefore = await readFile(join(world.sb.configDir, 'config.json'), 'utf8');
    const r = await world.sb.run(['oauth', 'client-token']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const token = r.stdout.trim();
    expect(r.stdout).toBe(`${token}\n`);
    expect(await readFile(join(world.sb.configDir, 'config.json'), 'utf8')).toBe(configBefore);
    const secrets = await readFile(join(world.sb.configDir, 'secrets.enc'), 'utf8');
    expect(secrets).not.toContain(token);
    const me = await world.sb.run(['api', '/v1/me'], { env: { WISE_TOKEN: token } });
    expect(me.code).toBe(3);
    expect(me.stderr).toContain('needs a user access token');
  });

  it('works from WISE_CLIENT_ID and WISE_CLIENT_SECRET without any setup', async () => {
    world = await oauthWorld({ setup: false });
    const r = await world.sb.run(['oauth', 'client-token'], {
      env: { WISE_CLIENT_ID: world.mock.clientId, WISE_CLIENT_SECRET: world.mock.clientSecret },
    });
    expect(r.code, r.stderr).toBe(0);
    const bad = await world.sb.run(['oauth', 'client-token'], {
      env: { WISE_CLIENT_ID: world.mock.clientId, WISE_CLIENT_SECRET: 'wrong' },
    });
    expect(bad.code).toBe(4);
    expect(bad.stderr).toContain('invalid_client');
  });
});

describe('wise oauth create-user', () => {
  it('signs a user up with a registration code, stores its tokens and code, and the tokens work', async () => {
    world = await oauthWorld();
    const r = await world.sb.run([
      '--account',
      'alice',
      'oauth',
      'create-user',
      '--email',
      'alice@example.com',
      '--language',
      'de',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('Created Wise user alice@example.com');
    const code = (await world.store().get('alice:sandbox:registration-code')) as string;
    expect(code.length).toBeGreaterThanOrEqual(32);
    const profiles = await world.sb.run(['--account', 'alice', 'api', '/v2/profiles']);
    expect(profiles.code).toBe(0);
    expect(JSON.parse(profiles.stdout)[0]).toMatchObject({ type: 'PERSONAL' });
    const files =
      (await readFile(join(world.sb.configDir, 'config.json'), 'utf8')) +
      (await readFile(join(world.sb.configDir, 'secrets.enc'), 'utf8'));
    expect(files).not.toContain(code);
    expect(
      JSON.parse(await readFile(join(world.sb.configDir, 'config.json'), 'utf8')).accounts.alice.credentials.sandbox,
    ).toMatchObject({
      type: 'oauth',
      grant: 'registration_code',
      email: 'alice@example.com',
    });
  });

  it('gets new tokens with the registration code when the refresh token is gone', async () => {
    world = await oauthWorld();
    await world.sb.run(['--account', 'bob', 'oauth', 'create-user', '--email', 'bob@example.com']);
    const store = world.store();
    await store.set('bob:sandbox:refresh-token', 'lost-refresh-token-123456');
    const access = JSON.parse((await store.get('bob:sandbox:access-token')) as string);
    await store.set('bob:sandbox:access-token', JSON.stringify({ ...access, expiresAt: 0, obtainedAt: 0 }));
    const r = await world.sb.run(['--account', 'bob', 'api', '/v1/me']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ email: 'bob@example.com' });
    expect(await grantsSeen(world.mock, 'registration_code')).toBe(2);
  });

  it('refuses an email Wise already knows (exit 3), and an account that already has credentials (exit 2)', async () => {
    world = await oauthWorld();
    expect((await world.sb.run(['--account', 'c1', 'oauth', 'create-user', '--email', 'carol@example.com'])).code).toBe(
      0,
    );
    const again = await world.sb.run(['--account', 'c2', 'oauth', 'create-user', '--email', 'carol@example.com']);
    expect(again.code).toBe(3);
    expect(again.stderr).toContain('NOT_UNIQUE');
    const taken = await world.sb.run(['--account', 'c1', 'oauth', 'create-user', '--email', 'dave@example.com']);
    expect(taken.code).toBe(2);
    const bad = await world.sb.run(['--account', 'c3', 'oauth', 'create-user', '--email', 'not-an-email']);
    expect(bad.code).toBe(2);
  });
});

describe('wise login', () => {
  it('without a terminal exits 2 and names the non-interactive commands', async () => {
    world = await oauthWorld({ setup: false });
    const r = await world.sb.run(['login']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('wise token add --stdin');
    expect(r.stderr).toContain('wise oauth setup');
    expect(r.stderr).toContain('wise oauth authorize');
  });
});
