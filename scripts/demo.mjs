#!/usr/bin/env node
// A scripted session against the built-in Wise emulator: no Wise account, no keychain needed. It uses a temporary
// config folder and the encrypted file store, and removes both at the end.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const wise = join(root, 'bin/wise');
const dir = mkdtempSync(join(tmpdir(), 'wise-demo-'));
const bold = (s) => (process.stdout.isTTY && !process.env.NO_COLOR ? `\x1b[1m${s}\x1b[0m` : s);

const env = { ...process.env };
for (const k of Object.keys(env)) if (k.startsWith('WISE_')) delete env[k];
Object.assign(env, {
  WISE_CONFIG_DIR: join(dir, 'config'),
  WISE_STORE: 'file',
  WISE_STORE_PASSPHRASE: randomBytes(12).toString('hex'),
});

let mock;
let failed = false;
function cleanup() {
  mock?.kill();
  rmSync(dir, { recursive: true, force: true });
}
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));

function step(title, shown, args, { input, expect = 0, extraEnv = {} } = {}) {
  console.log(`\n${bold(`# ${title}`)}\n$ ${shown}`);
  const r = spawnSync(process.execPath, [wise, ...args], {
    env: { ...env, ...extraEnv },
    input: input ?? '',
    encoding: 'utf8',
  });
  if (r.stdout) process.stdout.write(r.stdout);
  if (r.stderr) process.stdout.write(r.stderr);
  if (r.status !== expect) {
    console.log(`!! expected exit ${expect}, got ${r.status}`);
    failed = true;
  } else if (expect !== 0) {
    console.log(`(exit ${r.status}, as documented)`);
  }
  return r;
}

console.log(bold('wise demo: a scripted session against the local Wise emulator'));
console.log(`$ wise mock --port 0 &`);
mock = spawn(process.execPath, [wise, 'mock', '--port', '0'], { env, stdio: ['ignore', 'pipe', 'ignore'] });
const [url, token] = await new Promise((resolve, reject) => {
  let buf = '';
  mock.stdout.on('data', (c) => {
    buf += c;
    const lines = buf.split('\n');
    if (lines.length >= 3) resolve([lines[0], lines[1].split(' ')[1]]);
  });
  mock.once('exit', (code) => reject(new Error(`the emulator exited (${code})`)));
});
env.WISE_API_URL = url;
console.log(`$ export WISE_API_URL=${url}`);

step(
  'Store the demo personal token (read from stdin, checked with GET /v2/profiles)',
  'wise token add --stdin < token.txt',
  ['token', 'add', '--stdin'],
  { input: `${token}\n` },
);
step('What is stored, and is it valid?', 'wise auth status', ['auth', 'status']);
step('Your profiles', 'wise profiles list', ['profiles', 'list']);
step('Balances of the default profile', 'wise balances list', ['balances', 'list']);
step('Balances of the business profile', 'wise --profile-id 2002 balances list', [
  '--profile-id',
  '2002',
  'balances',
  'list',
]);
step('Any API call, like gh api', 'wise api -i /v1/me', ['api', '-i', '/v1/me']);
step(
  'A balance statement with a personal token: Wise refuses it for EU/UK accounts (PSD2), and wise explains why',
  'wise api /v1/profiles/2001/balance-statements/3001/statement.json?currency=EUR',
  ['api', '/v1/profiles/2001/balance-statements/3001/statement.json?currency=EUR'],
  { expect: 3 },
);
step('For CI: print the token once, export it, and use it without the store', 'export WISE_TOKEN=$(wise auth token)', [
  'auth',
  'token',
]);
step(
  'WISE_TOKEN takes precedence and is never stored',
  'WISE_TOKEN=... wise --json auth status --offline',
  ['--json', 'auth', 'status', '--offline'],
  { extraEnv: { WISE_TOKEN: token } },
);
step('A token Wise rejects is not stored (exit 4)', 'echo wrong-token | wise token add', ['token', 'add'], {
  input: 'wrong-token\n',
  expect: 4,
});
step('Log out: the secrets and the account are deleted', 'wise logout', ['logout']);

console.log(failed ? '\nThe demo FAILED.' : '\nThe demo finished; its temporary folder is removed.');
process.exit(failed ? 1 : 0);
