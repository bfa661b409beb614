import { spawnSync } from 'node:child_process';
import { cp, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, STACK_TRACE } from '../helpers/cli.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** A copy of bin/ and dist/ (node_modules linked), to break its code cache without touching the real build. */
async function copyOfTheTool(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'wise-cache-'));
  dirs.push(dir);
  await cp(join(ROOT, 'bin'), join(dir, 'bin'), { recursive: true });
  await cp(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
  await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

function run(root: string, args: string[], o: { node?: string; env?: Record<string, string> } = {}) {
  return spawnSync(o.node ?? process.execPath, [join(root, 'bin/wise'), ...args], {
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      HOME: root,
      WISE_CONFIG_DIR: join(root, 'config'),
      WISE_TOKEN: 'not-a-token',
      ...o.env,
    },
  });
}

/** A Node with the built-in compile cache (22.1+): this one, or the Node 24 CI passes in. */
const nodeWithCache = [process.env.WISE_TEST_NODE_EXECVE, process.execPath].find(
  (node) =>
    node &&
    spawnSync(node, ['-p', "typeof require('node:module').enableCompileCache"], { encoding: 'utf8' }).stdout.trim() ===
      'function',
);

async function filesUnder(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name);
  } catch {
    return [];
  }
}

describe("Node's compile cache", () => {
  it.skipIf(!nodeWithCache)(
    'the first run leaves the compiled bundles in the user cache folder; the next runs use them',
    async () => {
      const root = await copyOfTheTool();
      const cache = join(root, 'xdg-cache');
      const env = { XDG_CACHE_HOME: cache, NODE_DEBUG_NATIVE: 'COMPILE_CACHE' };
      const first = run(root, ['--version'], { node: nodeWithCache, env });
      expect(first.status, first.stderr).toBe(0);
      expect(first.stdout).toMatch(/^\d+\.\d+\.\d+/);
      expect((await filesUnder(join(cache, 'wise', 'compile-cache'))).length).toBeGreaterThan(0);
      const second = run(root, ['--version'], { node: nodeWithCache, env });
      expect(second.status).toBe(0);
      expect(second.stderr).toMatch(/V8 code cache for CommonJS \S+dist\/wise\.cjs was accepted/);
      // The commands off the start-up path (dist/commands.cjs) are cached when first run, and used after.
      const profiles = ['profiles', 'list', '--api-url', 'http://127.0.0.1:1'];
      run(root, profiles, { node: nodeWithCache, env });
      const commands = run(root, profiles, { node: nodeWithCache, env });
      expect(commands.status).toBe(6);
      expect(commands.stderr).toMatch(/V8 code cache for CommonJS \S+dist\/commands\.cjs was accepted/);
    },
  );

  it.skipIf(!nodeWithCache)(
    'a cache folder that cannot be written, or NODE_DISABLE_COMPILE_CACHE, costs nothing',
    async () => {
      const root = await copyOfTheTool();
      // XDG_CACHE_HOME is a file: no folder can be made under it.
      const blocked = join(root, 'not-a-folder');
      await writeFile(blocked, 'x');
      const r = run(root, ['api', '/v2/profiles', '--api-url', 'http://127.0.0.1:1'], {
        node: nodeWithCache,
        env: { XDG_CACHE_HOME: blocked },
      });
      expect(r.status, r.stderr).toBe(6);
      expect(r.stderr).toContain('Cannot reach');
      expect(r.stderr).not.toMatch(/compile cache|ENOTDIR|EACCES/i);
      expect(r.stderr).not.toMatch(STACK_TRACE);
      const off = join(root, 'off');
      const disabled = run(root, ['--version'], {
        node: nodeWithCache,
        env: { XDG_CACHE_HOME: off, NODE_DISABLE_COMPILE_CACHE: '1' },
      });
      expect(disabled.status).toBe(0);
      expect(await filesUnder(off)).toEqual([]);
    },
  );

  it('on a Node without it (20), the tool runs as usual and writes no cache', async () => {
    const root = await copyOfTheTool();
    const cache = join(root, 'xdg-cache');
    const r = run(root, ['--version'], { env: { XDG_CACHE_HOME: cache } });
    expect(r.status).toBe(0);
    if (!nodeWithCache || nodeWithCache !== process.execPath) expect(await filesUnder(cache)).toEqual([]);
  });
});

describe('the two bundles of the client', () => {
  it('--version, help, `wise auth token` and `wise api` run from dist/wise.cjs alone; other commands need dist/commands.cjs', async () => {
    const root = await copyOfTheTool();
    await rm(join(root, 'dist', 'commands.cjs'));
    expect(run(root, ['--version']).status).toBe(0);
    expect(run(root, ['profiles', 'list', '--help']).status).toBe(0);
    const token = run(root, ['auth', 'token']);
    expect(token.stdout).toBe('not-a-token\n');
    // The request itself fails (nothing listens there), as documented: the code to make it was all there.
    const api = run(root, ['api', '/v2/profiles', '--api-url', 'http://127.0.0.1:1']);
    expect(api.stderr).toContain('Cannot reach');
    expect(api.status).toBe(6);
    const profiles = run(root, ['profiles', 'list', '--api-url', 'http://127.0.0.1:1']);
    expect(profiles.status).toBe(1);
    expect(profiles.stderr).toMatch(/commands\.cjs/);
  });
});
