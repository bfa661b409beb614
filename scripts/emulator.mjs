// What the benchmark scripts share: a private environment for the tool, and `wise mock` started in it.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const wise = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin/wise');

/** A temporary folder and an environment without the caller's WISE_* variables, with the encrypted file store. */
export function benchEnv(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const env = { ...process.env, NO_COLOR: '1' };
  for (const k of Object.keys(env)) if (k.startsWith('WISE_')) delete env[k];
  Object.assign(env, {
    WISE_CONFIG_DIR: join(dir, 'config'),
    WISE_STORE: 'file',
    WISE_STORE_PASSPHRASE: 'bench-passphrase',
  });
  return { dir, env };
}

/** Starts `wise mock` (with `args`); resolves once it printed its URL, personal token and partner client. */
export function startEmulator(env, args = []) {
  const mock = spawn(process.execPath, [wise, 'mock', '--port', '0', ...args], {
    env,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  // A benchmark that fails half-way leaves no emulator running.
  process.once('exit', () => mock.kill());
  return new Promise((resolve) => {
    let buf = '';
    mock.stdout.on('data', (c) => {
      buf += c;
      const lines = buf.split('\n');
      if (lines.length >= 5) {
        const [token, clientId, clientSecret] = lines.slice(1, 4).map((l) => l.split(' ')[1]);
        resolve({ mock, url: lines[0], token, clientId, clientSecret });
      }
    });
  });
}

/** Stops the emulator and waits for it to end (it writes its start-up cache as it exits), then removes `dir`. */
export async function stopAndRemove(mock, dir) {
  if (mock.exitCode === null && mock.signalCode === null) {
    const ended = new Promise((resolve) => mock.once('exit', resolve));
    mock.kill();
    await ended;
  }
  rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
}
