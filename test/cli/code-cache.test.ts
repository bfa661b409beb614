import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readdir, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
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

/** The trained code caches of dist/wise.cjs in a cache folder: file name -> modification time. */
async function trainedCaches(cache: string): Promise<Map<string, number>> {
  const dir = join(cache, 'wise', 'code-cache');
  const names = await readdir(dir).catch(() => [] as string[]);
  return new Map(
    await Promise.all(names.map(async (n) => [n, (await stat(join(dir, n))).mtimeMs] as [string, number])),
  );
}

const nodes = [...new Set([process.execPath, process.env.WISE_TEST_NODE_EXECVE].filter((n): n is string => !!n))];

describe('the code cache of dist/wise.cjs, made on this machine', () => {
  it.each(nodes)(
    'with %s: the first run of a kind makes it, the next ones use it; one V8 refuses is made again',
    async (node) => {
      const root = await copyOfTheTool();
      const cache = join(root, 'xdg-cache');
      const env = { XDG_CACHE_HOME: cache };
      const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
      const first = run(root, ['--version'], { node, env });
      expect(first.status, first.stderr).toBe(0);
      expect(first.stdout).toMatch(/^\d+\.\d+\.\d+/);
      const made = await trainedCaches(cache);
      const [name] = [...made.keys()];
      expect(name).toMatch(
        new RegExp(`^wise-[0-9a-f]{16}-${version.replaceAll('.', '\\.')}-${process.arch}-other\\.bin$`),
      );
      // Used as it is: V8 accepted it, so nothing is written again.
      expect(run(root, ['--version'], { node, env }).status).toBe(0);
      expect(await trainedCaches(cache)).toEqual(made);
      // `auth token` and `api` have caches of their own, trained on what they run.
      expect(run(root, ['auth', 'token'], { node, env }).stdout).toBe('not-a-token\n');
      expect([...(await trainedCaches(cache)).keys()].sort()).toEqual(
        [name as string, (name as string).replace(/-other\.bin$/, '-auth.bin')].sort(),
      );
      // A damaged cache is refused by V8: the run goes on as usual, and the cache is made again.
      const file = join(cache, 'wise', 'code-cache', name as string);
      await writeFile(file, Buffer.alloc(4096, 7));
      const damaged = run(root, ['--version'], { node, env });
      expect(damaged.status).toBe(0);
      expect(damaged.stderr).toBe('');
      expect((await stat(file)).size).toBeGreaterThan(4096);
      // A new build (another id on the bundle's last line) writes its own cache beside the old build's: two
      // installations used in turn keep theirs. Of the other builds, the three written last are kept.
      const dir = join(cache, 'wise', 'code-cache');
      const day = 24 * 3600;
      for (const [n, id] of ['0000000000000001', '0000000000000002', '0000000000000003'].entries()) {
        const old = join(dir, `wise-${id}-${version}-${process.arch}-other.bin`);
        await writeFile(old, 'x');
        await utimes(old, Date.now() / 1000 - (n + 1) * day, Date.now() / 1000 - (n + 1) * day);
      }
      const bundle = join(root, 'dist', 'wise.cjs');
      const text = await readFile(bundle, 'utf8');
      await writeFile(bundle, text.replace(/wise-build=[0-9a-f]+/, 'wise-build=00000000000000aa'));
      expect(run(root, ['--version'], { node, env }).status).toBe(0);
      const builds = new Set([...(await trainedCaches(cache)).keys()].map((n) => n.split('-')[1]));
      // The new build, the one before it, and the two written last of the three old ones.
      expect([...builds].sort()).toEqual(
        ['00000000000000aa', (name as string).split('-')[1] as string, '0000000000000001', '0000000000000002'].sort(),
      );
    },
  );

  it.each(nodes)(
    'with %s: a run that fails or shows help trains no cache of its kind; the first that succeeds does',
    async (node) => {
      const root = await copyOfTheTool();
      const cache = join(root, 'xdg-cache');
      const env = { XDG_CACHE_HOME: cache };
      const unreachable = run(root, ['api', '/v2/profiles', '--api-url', 'http://127.0.0.1:1'], { node, env });
      expect(unreachable.status).toBe(6);
      expect(run(root, ['auth', 'token', '--bogus'], { node, env }).status).toBe(2);
      expect([...(await trainedCaches(cache)).keys()]).toEqual([]);
      // Help is the rest's: it trains the cache of the other commands, not of `api`.
      expect(run(root, ['api', '--help'], { node, env }).status).toBe(0);
      expect([...(await trainedCaches(cache)).keys()]).toEqual([expect.stringMatching(/-other\.bin$/)]);
      expect(run(root, ['auth', 'token'], { node, env }).stdout).toBe('not-a-token\n');
      expect([...(await trainedCaches(cache)).keys()].sort()).toEqual([
        expect.stringMatching(/-auth\.bin$/),
        expect.stringMatching(/-other\.bin$/),
      ]);
    },
  );

  it('parallel first runs all succeed and leave one cache, with no temporary file', async () => {
    const root = await copyOfTheTool();
    const cache = join(root, 'xdg-cache');
    const runs = Array.from(
      { length: 8 },
      () =>
        new Promise<number | null>((resolve) => {
          const child = spawn(process.execPath, [join(root, 'bin/wise'), 'auth', 'token'], {
            env: { PATH: process.env.PATH, HOME: root, WISE_TOKEN: 'not-a-token', XDG_CACHE_HOME: cache },
            stdio: 'ignore',
          });
          child.on('exit', resolve);
        }),
    );
    expect(await Promise.all(runs)).toEqual(Array(8).fill(0));
    expect([...(await trainedCaches(cache)).keys()]).toEqual([expect.stringMatching(/-auth\.bin$/)]);
  });
});

describe("Node's compile cache, for the other bundles", () => {
  it.skipIf(!nodeWithCache)(
    'the start-up path turns it on for nothing; the first run of another command leaves dist/commands.cjs compiled, and the next runs use it',
    async () => {
      const root = await copyOfTheTool();
      const cache = join(root, 'xdg-cache');
      const env = { XDG_CACHE_HOME: cache, NODE_DEBUG_NATIVE: 'COMPILE_CACHE' };
      // A run on the start-up path loads no other JavaScript: Node's compile cache is not even turned on.
      const token = run(root, ['auth', 'token'], { node: nodeWithCache, env: { ...env, WISE_TOKEN: 'abc' } });
      expect(token.status, token.stderr).toBe(0);
      expect(existsSync(join(cache, 'wise', 'compile-cache'))).toBe(false);
      const profiles = ['profiles', 'list', '--api-url', 'http://127.0.0.1:1'];
      run(root, profiles, { node: nodeWithCache, env });
      expect((await filesUnder(join(cache, 'wise', 'compile-cache'))).length).toBeGreaterThan(0);
      const commands = run(root, profiles, { node: nodeWithCache, env });
      expect(commands.status).toBe(6);
      expect(commands.stderr).toMatch(/V8 code cache for CommonJS \S+dist\/commands\.cjs was accepted/);
    },
  );

  it.each(nodes)(
    'with %s: a cache folder that cannot be written, or NODE_DISABLE_COMPILE_CACHE, costs nothing',
    async (node) => {
      const root = await copyOfTheTool();
      // XDG_CACHE_HOME is a file: no folder can be made under it.
      const blocked = join(root, 'not-a-folder');
      await writeFile(blocked, 'x');
      const r = run(root, ['api', '/v2/profiles', '--api-url', 'http://127.0.0.1:1'], {
        node,
        env: { XDG_CACHE_HOME: blocked },
      });
      expect(r.status, r.stderr).toBe(6);
      expect(r.stderr).toContain('Cannot reach');
      expect(r.stderr).not.toMatch(/compile cache|code cache|ENOTDIR|EACCES/i);
      expect(r.stderr).not.toMatch(STACK_TRACE);
      // A run that succeeds tries to write its cache there, and says nothing of it.
      const version = run(root, ['--version'], { node, env: { XDG_CACHE_HOME: blocked } });
      expect(version.status).toBe(0);
      expect(version.stderr).toBe('');
      const off = join(root, 'off');
      const disabled = run(root, ['--version'], {
        node,
        env: { XDG_CACHE_HOME: off, NODE_DISABLE_COMPILE_CACHE: '1' },
      });
      expect(disabled.status).toBe(0);
      expect(await filesUnder(off)).toEqual([]);
    },
  );
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
