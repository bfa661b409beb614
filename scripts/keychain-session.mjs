#!/usr/bin/env node
// Runs the keychain tests against a real gnome-keyring inside a private D-Bus session, so they never touch the
// developer's own keyring. Where the daemon is missing they are skipped loudly, except under CI=true.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
const result = spawnSync('dbus-run-session', ['--', 'sh', '-c', inner], {
  stdio: 'inherit',
  env: { ...process.env, XDG_DATA_HOME: data },
});
rmSync(data, { recursive: true, force: true });
process.exit(result.status ?? 1);
