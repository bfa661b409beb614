#!/usr/bin/env node
// Runs the keychain tests against a real gnome-keyring inside a private D-Bus session, so they never touch the
// developer's own keyring. Where the daemon is missing they are skipped loudly, except under CI=true.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const need = ['dbus-run-session', 'gnome-keyring-daemon', 'secret-tool'];
const missing = need.filter((cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0);
if (missing.length) {
  const banner = '!'.repeat(78);
  const message = `Keychain tests NOT run: ${missing.join(', ')} not installed (apt-get install gnome-keyring dbus dbus-x11 libsecret-tools).`;
  console.error(`\n${banner}\n${message}\n${banner}\n`);
  process.exit(process.env.CI === 'true' ? 1 : 0);
}

// The keyring files live in a temporary folder too (gnome-keyring keeps them in $XDG_DATA_HOME/keyrings), so the
// tests never read or write the machine's own keyring.
const data = mkdtempSync(join(tmpdir(), 'wise-keyring-'));
const inner =
  'printf pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null && npm run --silent test:keychain';
// The private bus and keyring chatter on stderr (fd limits, the prompter that cannot open a display when the locked
// keyring test asks it to unlock): expected here, and easily mistaken for failures, so those lines are dropped.
const NOISE = [
  /^dbus-daemon\[\d+\]: /,
  /^\(gcr-prompter:\d+\): Gtk-WARNING/,
  /^\*\* Message: .*gcr/i,
  /^gnome-keyring-daemon: /,
  /^\s*$/,
];
const child = spawn('dbus-run-session', ['--', 'sh', '-c', inner], {
  stdio: ['inherit', 'inherit', 'pipe'],
  env: { ...process.env, XDG_DATA_HOME: data },
});
createInterface({ input: child.stderr }).on('line', (line) => {
  if (!NOISE.some((pattern) => pattern.test(line))) process.stderr.write(`${line}\n`);
});
const status = await new Promise((resolve) => child.on('close', (code) => resolve(code ?? 1)));
rmSync(data, { recursive: true, force: true });
process.exit(status);
