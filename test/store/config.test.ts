import { spawn, spawnSync } from 'node:child_process';
import { chmod, chown, lstat, mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { ConfigFile, parseConfig } from '../../src/store/config.js';
import { acquireLock } from '../../src/store/lock.js';
import { bundleScript } from '../helpers/bundle.js';
import { createSandbox, runInProcessByDefault, type Sandbox } from '../helpers/cli.js';

runInProcessByDefault();

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
        sb.run(['--account', `acct-${i}`, 'token', 'add', '--no-verify'], {
          input: `token-${i}-abcdefgh`,
          spawn: true,
        }),
      ),
    );
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const config = await new ConfigFile(sb.configDir).read();
    expect(Object.keys(config.accounts).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `acct-${i}`).sort());
    // Every secret survived the concurrent writes to the encrypted store too.
    const tokens = await Promise.all(
      Array.from({ length: 20 }, (_, i) => sb.run(['--account', `acct-${i}`, 'auth', 'token'], { spawn: true })),
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

describe('the config folder is checked, not trusted as found', () => {
  it('a 0777 folder is made 0700, saying so on stderr', async () => {
    await mkdir(sb.configDir, { recursive: true });
    await chmod(sb.configDir, 0o777);
    const r = await sb.run(['token', 'add', '--no-verify'], { input: 'tok-123456789' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`the config folder ${sb.configDir} was open to other users (0777); wise made it 0700`);
    expect((await stat(sb.configDir)).mode & 0o777).toBe(0o700);
  });

  it('~/.config/wise symlinked to a world-writable folder: the folder behind the link is made 0700', async () => {
    const elsewhere = join(sb.dir, 'shared-tmp');
    await mkdir(elsewhere, { mode: 0o777 });
    await chmod(elsewhere, 0o777);
    await mkdir(join(sb.dir, '.config'));
    await symlink(elsewhere, join(sb.dir, '.config', 'wise'));
    const r = await sb.run(['token', 'add', '--no-verify'], {
      input: 'tok-123456789',
      env: { WISE_CONFIG_DIR: undefined, XDG_CONFIG_HOME: undefined },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('was open to other users (0777); wise made it 0700');
    expect((await stat(elsewhere)).mode & 0o777).toBe(0o700);
    expect(JSON.parse(await readFile(join(elsewhere, 'config.json'), 'utf8')).accounts).toHaveProperty('default');
  });

  it.runIf(process.getuid?.() === 0)('a folder owned by another user is refused (exit 1), naming it', async () => {
    await mkdir(sb.configDir, { recursive: true, mode: 0o700 });
    await chown(sb.configDir, 65534, 65534);
    const r = await sb.run(['token', 'add', '--no-verify'], { input: 'tok-123456789' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`The config folder ${sb.configDir} belongs to another user (uid 65534)`);
    expect(await readdir(sb.configDir)).toEqual([]);
    const status = await sb.run(['auth', 'status', '--offline']);
    expect(status.code).toBe(1);
  });

  it('a config file readable by others is made 0600, saying so', async () => {
    await sb.run(['token', 'add', '--no-verify'], { input: 'tok-123456789' });
    const path = join(sb.configDir, 'config.json');
    await chmod(path, 0o644);
    const r = await sb.run(['auth', 'status', '--offline']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`the config file ${path} was open to other users (0644); wise made it 0600`);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('a config.json that is a FIFO is reported, not waited on', async () => {
    await mkdir(sb.configDir, { recursive: true, mode: 0o700 });
    spawnSync('mkfifo', [join(sb.configDir, 'config.json')]);
    const r = await sb.run(['auth', 'status', '--offline'], { timeoutMs: 10_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('is not a regular file');
  });

  it('a lock file planted as a symlink to a FIFO neither hangs nor is followed', async () => {
    await mkdir(sb.configDir, { recursive: true, mode: 0o700 });
    const fifo = join(sb.dir, 'fifo');
    spawnSync('mkfifo', [fifo]);
    await symlink(fifo, join(sb.configDir, 'config.lock'));
    const started = Date.now();
    const r = await sb.run(['token', 'add', '--no-verify'], { input: 'tok-123456789', timeoutMs: 14_000 });
    expect(r.code, r.stderr).toBe(0);
    // Well before the 15 s lock timeout: the planted link was moved aside as no lock of ours.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect((await lstat(fifo)).isFIFO()).toBe(true);
    expect(await readdir(sb.configDir)).not.toContain('config.lock');
  });
});

describe('every field of the config is checked on read', () => {
  it.each([
    [
      '{"version":1,"accounts":{"default":{"env":"sandbox"}}}',
      /config\.accounts\.default\.credentials is not an object/,
    ],
    [
      '{"version":1,"accounts":{"default":{"env":"staging","credentials":{}}}}',
      /env is not one of sandbox, production/,
    ],
    [
      '{"version":1,"accounts":{"a":{"env":"sandbox","credentials":{"sandbox":{"type":"magic","addedAt":"x"}}}}}',
      /type is not one of personal, oauth/,
    ],
    [
      '{"version":1,"accounts":{"a":{"env":"sandbox","credentials":{"sandbox":{"type":"personal","addedAt":"x","profileId":"12"}}}}}',
      /profileId is not a whole number/,
    ],
    [
      '{"version":1,"accounts":{"a":{"env":"sandbox","credentials":{"sandbox":{"type":"personal","addedAt":"x","profiles":[{"id":1}]}}}}}',
      /profiles\[0\]\.type is not a string/,
    ],
    [
      '{"version":1,"accounts":{"a":{"env":"sandbox","credentials":{"live":{"type":"personal","addedAt":"x"}}}}}',
      /unknown environment "live"/,
    ],
    ['{"version":1,"accounts":{},"clients":{"sandbox":{"clientId":7}}}', /clientId is not a string/],
    ['{"version":1,"accounts":{},"clients":[]}', /clients is not an object/],
    ['{"version":1,"defaultAccount":5,"accounts":{}}', /defaultAccount is not a string/],
  ])('refuses %s', (text, message) => {
    expect(() => parseConfig(text, '/x/config.json')).toThrow(ConfigError);
    expect(() => parseConfig(text, '/x/config.json')).toThrow(message);
  });

  it('a config of the wrong shape: exit 1 naming the file, which is left untouched', async () => {
    await mkdir(sb.configDir, { recursive: true, mode: 0o700 });
    const path = join(sb.configDir, 'config.json');
    const text = '{"version":1,"accounts":{"default":{"env":"sandbox"}}}';
    await writeFile(path, text, { mode: 0o600 });
    for (const args of [['auth', 'status'], ['auth', 'token'], ['token', 'add', '--no-verify'], ['logout']]) {
      const r = await sb.run(args, { input: 'tok-123456789' });
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toContain(`The config file ${path} is damaged`);
      expect(r.stderr).not.toContain('Cannot read properties');
    }
    expect(await readFile(path, 'utf8')).toBe(text);
  });

  it('unknown fields survive a write', async () => {
    await mkdir(sb.configDir, { recursive: true, mode: 0o700 });
    const path = join(sb.configDir, 'config.json');
    await writeFile(path, '{"version":1,"accounts":{},"clients":{},"note":"mine"}', { mode: 0o600 });
    await sb.run(['token', 'add', '--no-verify'], { input: 'tok-123456789' });
    expect(JSON.parse(await readFile(path, 'utf8')).note).toBe('mine');
  });
});
