import { spawnSync } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Script } from 'node:vm';
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

function run(root: string, args: string[]) {
  return spawnSync(process.execPath, [join(root, 'bin/wise'), ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: root, WISE_CONFIG_DIR: join(root, 'config'), WISE_TOKEN: 'not-a-token' },
  });
}

describe('the code cache of the bundle', () => {
  it.each(['wise.cjs', 'commands.cjs', 'jose.cjs'])('is made by the build for %s, and V8 accepts it', async (name) => {
    const source = await readFile(join(ROOT, 'dist', name), 'latin1');
    const id = /\/\/# wise-build=([0-9a-f]+)\s*$/.exec(source)?.[1];
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    const caches = (await readdir(join(ROOT, 'dist'))).filter(
      (file) => file.startsWith(`${name}.`) && file.endsWith('.cache'),
    );
    expect(caches).toEqual([`${name}.${id}.cache`]);
    const cachedData = await readFile(join(ROOT, 'dist', caches[0] as string));
    expect(cachedData.byteLength).toBeGreaterThan(20_000);
    // Compiled as bin/wise compiles it: the same text and the same filename.
    const script = new Script(source, { filename: join(ROOT, 'dist', name), cachedData });
    expect(script.cachedDataRejected).toBe(false);
  });

  it('a missing, damaged or foreign cache costs only time: the tool runs as usual', async () => {
    const root = await copyOfTheTool();
    const [cache] = (await readdir(join(root, 'dist'))).filter(
      (name) => name.startsWith('wise.cjs.') && name.endsWith('.cache'),
    );
    const cachePath = join(root, 'dist', cache as string);
    const good = await readFile(cachePath);
    const cases: Array<[string, () => Promise<void>]> = [
      ['missing', () => rm(cachePath)],
      ['garbage', () => writeFile(cachePath, Buffer.alloc(good.byteLength, 7))],
      ['truncated', () => writeFile(cachePath, good.subarray(0, 1000))],
      [
        'made for another build of the same length',
        async () => {
          await writeFile(cachePath, good);
          const source = await readFile(join(root, 'dist/wise.cjs'), 'latin1');
          // A changed bundle keeps its id only if the build forgot to stamp it: the cache named after the old id
          // must then not be found under the new one.
          await writeFile(
            join(root, 'dist/wise.cjs'),
            source.replace(/wise-build=[0-9a-f]+/, `wise-build=${'0'.repeat(32)}`),
            'latin1',
          );
        },
      ],
    ];
    for (const [what, breakIt] of cases) {
      await breakIt();
      const version = run(root, ['--version']);
      expect(version.status, `${what}: ${version.stderr}`).toBe(0);
      expect(version.stdout.trim(), what).toMatch(/^\d+\.\d+\.\d+/);
      // A command that loads more of the bundle (and import()s the HTTP modules), failing as documented.
      const usage = run(root, ['api', '/v2/profiles', '--api-url', 'http://127.0.0.1:1']);
      expect(usage.status, `${what}: ${usage.stderr}`).toBe(6);
      expect(usage.stderr, what).not.toMatch(STACK_TRACE);
      const help = run(root, ['mock', '--help']);
      expect(help.status, what).toBe(0);
    }
  });
});

describe('the two bundles of the client', () => {
  it('--version, help, `wise auth token` and `wise api` run from dist/wise.cjs alone; other commands need dist/commands.cjs', async () => {
    const root = await copyOfTheTool();
    for (const name of await readdir(join(root, 'dist'))) {
      if (name.startsWith('commands.cjs')) await rm(join(root, 'dist', name));
    }
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
