import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runInProcessByDefault, STACK_TRACE } from '../helpers/cli.js';
import { recordedRequests, useEmulatorAndSandbox } from '../helpers/mock.js';

runInProcessByDefault();

describe('wise config: per-account settings', () => {
  const world = useEmulatorAndSandbox();

  it('sets, shows and unsets the API version of an account; other accounts keep theirs', async () => {
    const { sb } = world;
    const unset = await sb.run(['config', 'get', 'api-version']);
    expect(unset.code).toBe(1);
    expect(unset.stderr).toContain('api-version is not set for account "default"');
    expect(unset.stdout).toBe('');

    const set = await sb.run(['config', 'set', 'api-version', '2026Q4']);
    expect(set.code, set.stderr).toBe(0);
    expect((await sb.run(['config', 'get', 'api-version'])).stdout).toBe('2026Q4\n');
    expect((await sb.run(['--account', 'shop', 'config', 'get', 'api-version'])).code).toBe(1);
    const list = JSON.parse((await sb.run(['--json', 'config', 'list'])).stdout);
    expect(list).toEqual({ account: 'default', settings: { 'api-version': '2026Q4', jose: null } });
    const config = JSON.parse(await readFile(join(sb.configDir, 'config.json'), 'utf8'));
    expect(config.accounts.default.settings).toEqual({ apiVersion: '2026Q4' });

    const gone = await sb.run(['config', 'unset', 'api-version']);
    expect(gone.code, gone.stderr).toBe(0);
    expect((await sb.run(['config', 'get', 'api-version'])).code).toBe(1);
    const again = await sb.run(['config', 'unset', 'api-version']);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('was not set');
  });

  it('refuses an unknown setting or a malformed version with exit 2, and stores nothing', async () => {
    const { sb } = world;
    const before = await readFile(join(sb.configDir, 'config.json'), 'utf8').catch(() => '');
    const unknown = await sb.run(['config', 'set', 'colour', 'blue']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('There is no setting named "colour"');
    expect(unknown.stderr).toContain('api-version');
    for (const bad of ['2026Q5', 'latest', '26Q1', '']) {
      const r = await sb.run(['config', 'set', 'api-version', bad]);
      expect(r.code, bad).toBe(2);
      expect(r.stderr).toMatch(/api-version must be a Wise API version/);
      expect(r.stderr).not.toMatch(STACK_TRACE);
    }
    expect(await readFile(join(sb.configDir, 'config.json'), 'utf8').catch(() => '')).toBe(before);
  });

  it("the account's version picks the versioned paths; WISE_API_VERSION and --api-version win over it", async () => {
    const { sb, mock } = world;
    await sb.run(
      [
        'oauth',
        'setup',
        '--client-id',
        mock.clientId,
        '--redirect-uri',
        'http://127.0.0.1:8765/callback',
        '--client-secret-stdin',
      ],
      {
        input: mock.clientSecret,
      },
    );
    expect((await sb.run(['config', 'set', 'api-version', '2026Q3'])).code).toBe(0);
    const before = (await recordedRequests(mock)).length;
    expect((await sb.run(['oauth', 'client-token'])).code).toBe(0);
    expect((await sb.run(['oauth', 'client-token'], { env: { WISE_API_VERSION: '2026Q4' } })).code).toBe(0);
    expect((await sb.run(['--api-version', '2026Q2', 'oauth', 'client-token'])).code).toBe(0);
    // Another account has no setting: the classic path.
    expect((await sb.run(['--account', 'other', 'oauth', 'client-token'])).code).toBe(0);
    const seen = (await recordedRequests(mock)).slice(before).map((r) => `${r.method} ${r.path}`);
    expect(seen).toEqual([
      'POST /2026Q3/oauth/token',
      'POST /2026Q4/oauth/token',
      'POST /2026Q2/oauth/token',
      'POST /oauth/token',
    ]);
    const status = await sb.run(['auth', 'status', '--offline']);
    expect(status.stdout).toContain('API version: 2026Q3 (setting api-version of account "default")');
    const json = JSON.parse((await sb.run(['--json', 'auth', 'status', '--offline'])).stdout);
    expect(json.apiVersion).toBe('2026Q3');
    expect(json.apiVersionSource).toBe('setting api-version of account "default"');
    await sb.run(['config', 'unset', 'api-version']);
  });

  it('a hand-edited config with a malformed version is reported as damaged and left alone', async () => {
    const { sb } = world;
    const path = join(sb.configDir, 'config.json');
    const config = JSON.parse(await readFile(path, 'utf8'));
    config.accounts.default.settings = { apiVersion: 'next' };
    const text = `${JSON.stringify(config, null, 2)}\n`;
    await writeFile(path, text, { mode: 0o600 });
    const r = await sb.run(['config', 'list']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('is damaged: config.accounts.default.settings.apiVersion is not an API version');
    expect(await readFile(path, 'utf8')).toBe(text);
    delete config.accounts.default.settings;
    await writeFile(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  });
});
