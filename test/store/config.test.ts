import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { ConfigFile, parseConfig } from '../../src/store/config.js';
import { acquireLock } from '../../src/store/lock.js';
import { bundleScript } from '../helpers/bundle.js';
import { createSandbox, type Sandbox } from '../helpers/cli.js';

let sb: Sandbox;
beforeEach(async () => {
  sb = await createSandbox();
});
afterEach(async () => {
  await sb.cleanup();
});

describe('config file', () => {
  it('is created with folder 0700 and file 0600', async () => {
    const config = new ConfigFile(sb.configDir);
    await config.update((c) => {
      c.defaultAccount = 'x';
    });
    expect((await stat(sb.configDir)).mode & 0o777).toBe(0o700);
    expect((await stat(config.path)).mode & 0o777).toBe(0o600);
    expect(await config.read()).toMatchObject({ version: 1, defaultAccount: 'x' });
  });

  it.each([
    ['not json', /damaged: /],
    ['[]', /not a JSON object/],
    ['{"accounts":{}}', /no schema version/],
    ['{"version":1,"accounts":[]}', /"accounts" is not an object/],
    ['{"version":99,"accounts":{}}', /schema version 99, newer than this wise/],
  ])('refuses %s', (text, message) => {
    expect(() => parseConfig(text, '/x/config.json')).toThrow(ConfigError);
    expect(() => parseConfig(text, '/x/config.json')).toThrow(message);
  });

  it('20 processes adding accounts at once lose none of them', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        sb.run(['--account', `acct-${i}`, 'token', 'add', '--no-verify'], { input: `token-${i}-abcdefgh` }),
      ),
    );
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const config = await new ConfigFile(sb.configDir).read();
    expect(Object.keys(config.accounts).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `acct-${i}`).sort());
    // Every secret survived the concurrent writes to the encrypted store too.
    const tokens = await Promise.all(
      Array.from({ length: 20 }, (_, i) => sb.run(['--account', `acct-${i}`, 'auth', 'token'])),
    );
    tokens.forEach((t, i) => {
      expect(t.stdout).toBe(`token-${i}-abcdefgh\n`);
    });
    expect((await readdir(sb.configDir)).filter((f) => f.endsWith('.tmp') || f.endsWith('.lock'))).toEqual([]);
  }, 60_000);

  it('a writer killed with SIGKILL mid-write never leaves a config that fails to parse', async () => {
    await mkdir(sb.configDir, { recursive: true });
    const config = new ConfigFile(sb.configDir);
    const writer = bundleScript('test/fixtures/config-writer.ts');
    for (let round = 0; round < 15; round++) {
      const child = spawn(process.execPath, [writer, sb.configDir], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      await new Promise((r) => setTimeout(r, 5 + Math.random() * 40));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const text = await readFile(config.path, 'utf8');
      expect(() => JSON.parse(text)).not.toThrow();
      expect((await config.read()).version).toBe(1);
    }
    // The lock left by a killed writer is recovered: the next update goes through, and removes the temporary
    // files that killed writers left behind once they are a minute old.
    const { utimes } = await import('node:fs/promises');
    await writeFile(join(sb.configDir, '.config.json.0123456789ab.tmp'), '{"half":');
    const old = new Date(Date.now() - 120_000);
    for (const f of await readdir(sb.configDir)) if (f.endsWith('.tmp')) await utimes(join(sb.configDir, f), old, old);
    await config.update((c) => {
      c.defaultAccount = 'after-kill';
    });
    expect((await config.read()).defaultAccount).toBe('after-kill');
    expect((await readdir(sb.configDir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  }, 60_000);
});

describe('lock', () => {
  it('recovers a lock whose owner is dead', async () => {
    await mkdir(sb.configDir, { recursive: true });
    const path = join(sb.configDir, 'x.lock');
    await writeFile(path, '999999999 0 dead');
    const lock = await acquireLock(path, { timeoutMs: 2000 });
    await lock.release();
    await expect(readFile(path)).rejects.toThrow();
  });

  it('waits for a live owner, then times out with a clear message', async () => {
    await mkdir(sb.configDir, { recursive: true });
    const path = join(sb.configDir, 'y.lock');
    const held = await acquireLock(path);
    await expect(acquireLock(path, { timeoutMs: 200 })).rejects.toThrow(/Timed out waiting for the lock/);
    await held.release();
    const again = await acquireLock(path, { timeoutMs: 200 });
    await again.release();
  });
});
