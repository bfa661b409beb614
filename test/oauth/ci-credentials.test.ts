import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { capture, createSandbox, ROOT, runInProcessByDefault, type Sandbox, WISE_BIN } from '../helpers/cli.js';
import { grantsSeen, loggedIn, type OAuthWorld, oauthWorld } from '../helpers/oauth.js';

runInProcessByDefault();

let world: OAuthWorld;
let ci: Sandbox | undefined;
afterEach(async () => {
  await world?.cleanup();
  await ci?.cleanup();
  ci = undefined;
});

/** Runs a command asynchronously: the emulator answers from this very process, so nothing may block it. */
function run(
  command: string,
  args: string[],
  env: Record<string, string | undefined>,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env, cwd: ROOT });
    const out = capture(child);
    child.on('close', (status) => resolve({ status, stdout: out.stdout(), stderr: out.stderr() }));
  });
}

/** A CI machine: its own empty config folder, no stored credentials, the client pair in the environment. */
async function ciMachine(w: OAuthWorld): Promise<{ sb: Sandbox; env: Record<string, string> }> {
  ci = await createSandbox({ WISE_API_URL: w.mock.url });
  return { sb: ci, env: { WISE_CLIENT_ID: w.mock.clientId, WISE_CLIENT_SECRET: w.mock.clientSecret } };
}

/**
 * A login moved to a CI machine through a refresh-token file: exported here, written to `runner/refresh-token`
 * (mode `mode`) in a fresh sandbox that has the client pair in its environment.
 */
async function ciWithTokenFile(mode: number) {
  world = await loggedIn();
  const exported = (await world.sb.run(['oauth', 'export-login'])).stdout.trim();
  const { sb, env } = await ciMachine(world);
  const file = join(sb.dir, 'runner', 'refresh-token');
  await mkdir(join(sb.dir, 'runner'), { mode: 0o700 });
  await writeFile(file, `${exported}\n`, { mode });
  return { exported, sb, env, file };
}

describe('wise oauth export-login', () => {
  it('prints the refresh token once on stdout, warns on stderr, and removes the login here', async () => {
    world = await loggedIn();
    const refresh = (await world.store().get('default:sandbox:refresh-token')) as string;
    const r = await world.sb.run(['oauth', 'export-login']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${refresh}\n`);
    expect(r.stderr).toContain('warning: the refresh token below gives lasting access');
    expect(r.stderr).not.toContain(refresh);
    const store = world.store();
    for (const kind of ['refresh-token', 'access-token']) expect(await store.get(`default:sandbox:${kind}`)).toBeNull();
    const status = JSON.parse((await world.sb.run(['--json', 'auth', 'status', '--offline'])).stdout);
    expect(status.accounts).toEqual([]);
    // The client stays: it is the environment's, not the login's.
    expect(status.active.source).toBeNull();
    const again = await world.sb.run(['oauth', 'export-login']);
    expect(again.code).toBe(4);
    expect(again.stdout).toBe('');
  });

  it('--keep keeps the login; --json gives one document', async () => {
    world = await loggedIn();
    const r = await world.sb.run(['--json', 'oauth', 'export-login', '--keep']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ account: 'default', env: 'sandbox', kept: true });
    expect(doc.refreshToken).toBe(await world.store().get('default:sandbox:refresh-token'));
    expect((await world.sb.run(['api', '/v1/me'])).code).toBe(0);
  });

  it('a personal-token account has no login to export (exit 4)', async () => {
    world = await oauthWorld({ setup: false });
    await world.sb.run(['token', 'add', '--no-verify'], { input: world.mock.personalToken });
    const r = await world.sb.run(['oauth', 'export-login']);
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
  });
});

describe('WISE_REFRESH_TOKEN_FILE', () => {
  it('survives rotation: every run works, the file keeps the newest token (0600), nothing else is written', async () => {
    const { exported, sb, env, file } = await ciWithTokenFile(0o644);
    const seen = new Set([exported]);
    for (let run = 1; run <= 3; run++) {
      const r = await sb.run(['api', '/v1/me'], { env: { ...env, WISE_REFRESH_TOKEN_FILE: file } });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ id: 1001 });
      const now = (await readFile(file, 'utf8')).trim();
      expect(seen.has(now), `run ${run}: the emulator rotates, so the file holds a new token`).toBe(false);
      seen.add(now);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect(r.stderr).not.toContain(now);
    }
    expect(await grantsSeen(world.mock, 'refresh_token')).toBe(3);
    expect(existsSync(sb.configDir)).toBe(false);
    const status = JSON.parse(
      (await sb.run(['--json', 'auth', 'status', '--offline'], { env: { ...env, WISE_REFRESH_TOKEN_FILE: file } }))
        .stdout,
    );
    expect(status.active).toMatchObject({ source: 'env-refresh', kind: 'oauth' });
  });

  it('wise oauth refresh honours the environment: the file gets the rotated token; WISE_TOKEN has nothing to refresh', async () => {
    const { exported, sb, env, file } = await ciWithTokenFile(0o600);
    const r = await sb.run(['--json', 'oauth', 'refresh'], { env: { ...env, WISE_REFRESH_TOKEN_FILE: file } });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).source).toContain('WISE_REFRESH_TOKEN_FILE');
    expect((await readFile(file, 'utf8')).trim()).not.toBe(exported);
    expect(await grantsSeen(world.mock, 'refresh_token')).toBe(1);
    expect(existsSync(sb.configDir)).toBe(false);
    const bearer = await sb.run(['oauth', 'refresh'], { env: { WISE_TOKEN: 'some-token-123456' } });
    expect(bearer.code).toBe(2);
    expect(bearer.stderr).toContain('nothing to refresh');
  });

  it('without the file, the second run fails once Wise has rotated the token (why the file exists)', async () => {
    world = await loggedIn();
    const exported = (await world.sb.run(['oauth', 'export-login'])).stdout.trim();
    const { sb, env } = await ciMachine(world);
    const first = await sb.run(['api', '/v1/me'], { env: { ...env, WISE_REFRESH_TOKEN: exported } });
    expect(first.code).toBe(0);
    expect(first.stderr).toContain('WISE_REFRESH_TOKEN_FILE');
    const second = await sb.run(['api', '/v1/me'], { env: { ...env, WISE_REFRESH_TOKEN: exported } });
    expect(second.code).toBe(4);
    expect(second.stderr).toContain('invalid_grant');
  });

  it('5 jobs sharing the file at once: one token chain, no invalid_grant', async () => {
    world = await loggedIn();
    const exported = (await world.sb.run(['oauth', 'export-login'])).stdout.trim();
    const { sb, env } = await ciMachine(world);
    const file = join(sb.dir, 'refresh-token');
    await writeFile(file, exported, { mode: 0o600 });
    const runs = await Promise.all(
      Array.from({ length: 5 }, () =>
        sb.run(['api', '/v1/me'], {
          env: { ...env, WISE_REFRESH_TOKEN_FILE: file },
          timeoutMs: 60_000,
          spawn: true,
        }),
      ),
    );
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const last = await sb.run(['api', '/v1/me'], { env: { ...env, WISE_REFRESH_TOKEN_FILE: file } });
    expect(last.code, last.stderr).toBe(0);
  }, 60_000);

  it.each([
    ['a missing file', async (dir: string) => join(dir, 'absent'), 2, /cannot be used: ENOENT/],
    [
      'a file with two lines',
      async (dir: string) => {
        await writeFile(join(dir, 'two'), 'token-one-abcdef\ntoken-two-abcdef\n');
        return join(dir, 'two');
      },
      2,
      /refresh token in .+ \(WISE_REFRESH_TOKEN_FILE\) spans several lines/,
    ],
    [
      'a FIFO',
      async (dir: string) => {
        spawnSync('mkfifo', [join(dir, 'fifo')]);
        return join(dir, 'fifo');
      },
      2,
      /cannot be used|not a regular file/,
    ],
  ])('%s is a clear error', async (_, make, code, message) => {
    world = await oauthWorld();
    const { sb, env } = await ciMachine(world);
    const file = await make(sb.dir);
    const r = await sb.run(['api', '/v1/me'], { env: { ...env, WISE_REFRESH_TOKEN_FILE: file }, timeoutMs: 10_000 });
    expect(r.code, r.stderr).toBe(code);
    expect(r.stderr).toMatch(message);
  });

  it('a folder the job cannot write: the rotated token cannot be kept, said before the token is used', async () => {
    world = await loggedIn();
    const exported = (await world.sb.run(['oauth', 'export-login'])).stdout.trim();
    const { sb, env } = await ciMachine(world);
    const dir = join(sb.dir, 'ro');
    await mkdir(dir);
    await writeFile(join(dir, 'refresh-token'), exported);
    await chmod(dir, 0o555);
    // root ignores modes: run as nobody when we are root.
    const asNobody = process.getuid?.() === 0;
    if (asNobody) {
      await chmod(sb.dir, 0o755);
      await chmod(join(dir, 'refresh-token'), 0o444);
    }
    const r = await run(
      asNobody ? 'setpriv' : process.execPath,
      asNobody
        ? ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, WISE_BIN, 'api', '/v1/me']
        : [WISE_BIN, 'api', '/v1/me'],
      { ...process.env, ...sb.env, ...env, WISE_REFRESH_TOKEN_FILE: join(dir, 'refresh-token'), HOME: '/tmp' },
    );
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/must be writable/);
  });
});

describe('OAuth variables from the environment go together', () => {
  it.each([
    [{ WISE_CLIENT_ID: 'id' }, ['WISE_CLIENT_SECRET', 'WISE_REFRESH_TOKEN (or WISE_REFRESH_TOKEN_FILE)']],
    [
      { WISE_CLIENT_ID: 'id', WISE_CLIENT_SECRET: 'secret-123456' },
      ['WISE_REFRESH_TOKEN (or WISE_REFRESH_TOKEN_FILE)'],
    ],
    [{ WISE_REFRESH_TOKEN: 'refresh-123456' }, ['WISE_CLIENT_ID', 'WISE_CLIENT_SECRET']],
    [{ WISE_REFRESH_TOKEN_FILE: '/nonexistent' }, ['WISE_CLIENT_ID', 'WISE_CLIENT_SECRET']],
  ])('%o: exit 4 naming the missing ones, stored credentials untouched', async (vars, missing) => {
    world = await oauthWorld({ setup: false });
    await world.sb.run(['token', 'add', '--no-verify'], { input: world.mock.personalToken });
    const r = await world.sb.run(['--json', 'api', '/v1/me'], { env: vars });
    expect(r.code).toBe(4);
    const error = JSON.parse(r.stderr).error;
    expect(error.missing).toEqual(missing);
    for (const name of missing) expect(error.message).toContain(name);
    expect(r.stdout).toBe('');
  });

  it('both WISE_REFRESH_TOKEN and WISE_REFRESH_TOKEN_FILE: exit 2', async () => {
    world = await oauthWorld({ setup: false });
    const r = await world.sb.run(['api', '/v1/me'], {
      env: { WISE_CLIENT_ID: 'i', WISE_CLIENT_SECRET: 's', WISE_REFRESH_TOKEN: 'r', WISE_REFRESH_TOKEN_FILE: '/x' },
    });
    expect(r.code).toBe(2);
  });

  it('client-token needs only the client pair', async () => {
    world = await oauthWorld({ setup: false });
    const r = await world.sb.run(['oauth', 'client-token'], {
      env: { WISE_CLIENT_ID: world.mock.clientId, WISE_CLIENT_SECRET: world.mock.clientSecret },
    });
    expect(r.code, r.stderr).toBe(0);
  });

  it('WISE_TOKEN comes first: other variables are not looked at', async () => {
    world = await oauthWorld({ setup: false });
    const r = await world.sb.run(['api', '/v1/me'], {
      env: { WISE_TOKEN: world.mock.personalToken, WISE_CLIENT_ID: 'only-the-id' },
    });
    expect(r.code, r.stderr).toBe(0);
  });
});

describe('the CI recipe of docs/oauth.md, as written', () => {
  /** The shell block that follows `<!-- test: NAME -->` in the doc. */
  async function block(name: string): Promise<string> {
    const doc = await readFile(join(ROOT, 'docs/oauth.md'), 'utf8');
    const m = new RegExp(`<!-- test: ${name} -->\\n\`\`\`sh\\n([\\s\\S]*?)\`\`\``).exec(doc);
    if (!m?.[1]) throw new Error(`no block ${name} in docs/oauth.md`);
    return m[1];
  }

  it('export once, then three jobs in a row on the runner', async () => {
    world = await loggedIn();
    const bin = join(world.sb.dir, 'bin');
    await mkdir(bin);
    await symlink(WISE_BIN, join(bin, 'wise'));
    const runnerDir = join(world.sb.dir, 'var-lib-wise-ci');
    await mkdir(runnerDir, { mode: 0o700 });
    const place = (script: string) =>
      script
        .replaceAll('/var/lib/wise-ci', runnerDir)
        .replaceAll('<client-id>', world.mock.clientId)
        .replaceAll('<client-secret>', world.mock.clientSecret);
    const shell = (script: string, env: Record<string, string>) =>
      run('bash', ['-e', '-o', 'pipefail', '-c', script], {
        PATH: `${bin}:${process.env.PATH}`,
        HOME: world.sb.dir,
        ...env,
      });
    const exported = await shell(place(await block('ci-token-file-export')), world.sb.env);
    expect(exported.status, exported.stderr).toBe(0);
    expect((await stat(join(runnerDir, 'refresh-token'))).mode & 0o777).toBe(0o600);

    const { sb, env } = await ciMachine(world);
    const job = place(await block('ci-token-file-job'));
    for (let i = 0; i < 3; i++) {
      const r = await shell(job, { ...sb.env, ...env });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain('Jane Doe');
    }
  });
});
