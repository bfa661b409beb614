import { describe, expect, it } from 'vitest';
import { endpoint } from '../../src/http/endpoints.js';
import { runInProcessByDefault } from '../helpers/cli.js';
import { recordedRequests } from '../helpers/mock.js';
import { type OAuthWorld, oauthWorld } from '../helpers/oauth.js';

runInProcessByDefault();

describe('the endpoint table', () => {
  it('uses the versioned path only where Wise documents one', () => {
    expect(endpoint('token', undefined)).toBe('/oauth/token');
    expect(endpoint('token', '2026Q4')).toBe('/2026Q4/oauth/token');
    expect(endpoint('joseResponseKeys', '2026Q3')).toBe('/2026Q3/auth/jose/response/public-keys');
    // No versioned form documented: the classic path, whatever the version.
    expect(endpoint('profiles', '2026Q4')).toBe('/v2/profiles');
    expect(endpoint('balances', '2026Q4', 2001)).toBe('/v4/profiles/2001/balances?types=STANDARD');
  });
});

describe('--api-version and WISE_API_VERSION', () => {
  let world: OAuthWorld;

  it('select the versioned token path; other built-in paths and `wise api` stay as they are', async () => {
    world = await oauthWorld();
    try {
      const before = (await recordedRequests(world.mock)).length;
      const token = await world.sb.run(['--api-version', '2026Q4', 'oauth', 'client-token']);
      expect(token.code, token.stderr).toBe(0);
      await world.sb.run(['token', 'add', '--no-verify'], { input: world.mock.personalToken });
      const list = await world.sb.run(['profiles', 'list'], { env: { WISE_API_VERSION: '2026Q3' } });
      expect(list.code, list.stderr).toBe(0);
      const raw = await world.sb.run(['--api-version', '2026Q4', 'api', '/v1/me']);
      expect(raw.code, raw.stderr).toBe(0);
      const seen = (await recordedRequests(world.mock)).slice(before).map((r) => `${r.method} ${r.path}`);
      expect(seen).toEqual(['POST /2026Q4/oauth/token', 'GET /v2/profiles', 'GET /v1/me']);
      const status = await world.sb.run(['--api-version', '2026Q4', 'auth', 'status', '--offline']);
      expect(status.stdout).toContain('API version: 2026Q4 (--api-version)');
      const json = JSON.parse((await world.sb.run(['--json', 'auth', 'status', '--offline'])).stdout);
      expect(json.apiVersion).toBeNull();
    } finally {
      await world.cleanup();
    }
  });

  it.each([
    [['--api-version', '2026Q5'], {}, /--api-version must be a Wise API version such as 2026Q4/],
    [[], { WISE_API_VERSION: 'latest' }, /WISE_API_VERSION must be a Wise API version/],
  ])('%o %o: exit 2', async (args, env, message) => {
    world = await oauthWorld();
    try {
      const r = await world.sb.run([...args, 'oauth', 'client-token'], { env });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
    } finally {
      await world.cleanup();
    }
  });
});
