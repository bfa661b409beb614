#!/usr/bin/env node
// Start-up benchmark: medians of whole-process wall times, and their ratio to bare `node -e 0` measured in the
// same run with the runs interleaved. The `wise api` case reads its token from a real keychain, so the script
// re-runs itself inside a private D-Bus session with an unlocked gnome-keyring when it can.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const wise = join(root, 'bin/wise');
const runs = Number(process.env.BENCH_RUNS) || 40;

if (!process.env.WISE_BENCH_INNER) {
  const haveKeyring =
    spawnSync('sh', ['-c', 'command -v dbus-run-session && command -v gnome-keyring-daemon']).status === 0;
  if (haveKeyring) {
    const inner = `printf pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null && WISE_BENCH_INNER=keychain "${process.execPath}" "${fileURLToPath(import.meta.url)}"`;
    // A private keyring folder as well as a private bus: the machine's own keyring is never touched.
    const data = mkdtempSync(join(tmpdir(), 'wise-bench-keyring-'));
    const r = spawnSync('dbus-run-session', ['--', 'sh', '-c', inner], {
      stdio: 'inherit',
      env: { ...process.env, XDG_DATA_HOME: data },
    });
    rmSync(data, { recursive: true, force: true });
    process.exit(r.status ?? 1);
  }
  console.error('gnome-keyring/dbus not found: the token is kept in the encrypted file store for this run.');
  process.env.WISE_BENCH_INNER = 'file';
}

const dir = mkdtempSync(join(tmpdir(), 'wise-bench-'));
const baseEnv = { ...process.env, WISE_CONFIG_DIR: join(dir, 'config'), NO_COLOR: '1' };
for (const k of Object.keys(baseEnv)) if (k.startsWith('WISE_') && k !== 'WISE_CONFIG_DIR') delete baseEnv[k];
if (process.env.WISE_BENCH_INNER === 'file')
  Object.assign(baseEnv, { WISE_STORE: 'file', WISE_STORE_PASSPHRASE: 'bench-passphrase' });

const mock = spawn(process.execPath, [wise, 'mock', '--port', '0'], {
  env: baseEnv,
  stdio: ['ignore', 'pipe', 'ignore'],
});
const [url, token, clientId, clientSecret] = await new Promise((resolve) => {
  let buf = '';
  mock.stdout.on('data', (c) => {
    buf += c;
    const lines = buf.split('\n');
    if (lines.length >= 5) resolve([lines[0], ...lines.slice(1, 4).map((l) => l.split(' ')[1])]);
  });
});
const env = { ...baseEnv, WISE_API_URL: url };
const add = spawnSync(process.execPath, [wise, 'token', 'add'], { env, input: token, encoding: 'utf8' });
if (add.status !== 0) throw new Error(`token add failed: ${add.stderr}`);
// The encrypted file store, for comparison: scrypt makes each process pay about a quarter of a second once.
const fileEnv = { WISE_STORE: 'file', WISE_STORE_PASSPHRASE: 'bench-passphrase', WISE_CONFIG_DIR: join(dir, 'file') };
const addFile = spawnSync(process.execPath, [wise, 'token', 'add'], {
  env: { ...env, ...fileEnv },
  input: token,
  encoding: 'utf8',
});
if (addFile.status !== 0) throw new Error(`token add (file store) failed: ${addFile.stderr}`);

// JOSE: a partner client with a user made over the API, and registered keys (one config per signing algorithm), in
// the same secret store as the case above. The calls use the user's access token from WISE_TOKEN, so that only the
// JOSE work differs from the plain call.
function setUpJose(name, alg, { encryption = true } = {}) {
  const joseEnv = { ...env, WISE_CONFIG_DIR: join(dir, name) };
  const run = (args, input = '') => {
    const r = spawnSync(process.execPath, [wise, ...args], { env: joseEnv, input, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  };
  run(
    [
      'oauth',
      'setup',
      '--client-id',
      clientId,
      '--redirect-uri',
      'http://127.0.0.1:8765/callback',
      '--client-secret-stdin',
    ],
    clientSecret,
  );
  // An account of its own: the keychain is shared with the cases above, whose "default" account must stay.
  run(['--account', name, 'oauth', 'create-user', '--email', `bench-${name}@example.com`]);
  run(['keys', 'generate', '--use', 'signing', '--alg', alg]);
  run(['keys', 'register', '--use', 'signing']);
  if (encryption) {
    run(['keys', 'generate', '--use', 'encryption']);
    run(['keys', 'register', '--use', 'encryption']);
  }
  const userToken = run(['--account', name, 'auth', 'token']).trim();
  // Wise's keys fetched once, as every later call finds them cached.
  const [mode, path] = encryption ? ['jws+jwe', 'jwe'] : ['jws', 'jws'];
  run(['api', '--jose', mode, '-X', 'POST', `/v1/auth/jose/playground/${path}`, '-d', '{}']);
  return { WISE_CONFIG_DIR: joseEnv.WISE_CONFIG_DIR, WISE_TOKEN: userToken };
}
const joseEs = setUpJose('jose-es256', 'ES256');
// Signing only: Wise encrypts its replies to the partner client's one registered encryption key, the ES256 config's.
const josePs = setUpJose('jose-ps256', 'PS256', { encryption: false });
const jose = (mode, path) => ['api', '--jose', mode, '-X', 'POST', path, '-d', '{"amount":"10.00"}'];

function time(args, extraEnv = {}) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c) => {
      err += c;
    });
    child.stdout.resume();
    child.on('exit', (code) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (code !== 0) reject(new Error(`${args.join(' ')} exited ${code}: ${err}`));
      else resolve(ms);
    });
  });
}

// The floor for an API call: a ten-line node:http client making the same request.
const bareClient = `const u=new URL('/v2/profiles',process.env.WISE_API_URL);require('node:http').get(u,{headers:{authorization:'Bearer '+process.env.WISE_TOKEN,accept:'application/json'}},(r)=>{r.pipe(process.stdout)})`;

// Budgets: a ratio to bare node (`of: 0`), or to the bare node:http client (`of: 1`).
const cases = [
  { name: 'node -e 0', args: ['-e', '0'] },
  { name: 'bare node:http client, same call', args: ['-e', bareClient], env: { WISE_TOKEN: token } },
  { name: 'wise --version', args: [wise, '--version'], budget: 1.2, of: 0 },
  {
    name: 'wise auth token (WISE_TOKEN set)',
    args: [wise, 'auth', 'token'],
    env: { WISE_TOKEN: token },
    budget: 1.2,
    of: 0,
  },
  {
    name: 'wise api /v2/profiles (WISE_TOKEN, emulator)',
    args: [wise, 'api', '/v2/profiles'],
    env: { WISE_TOKEN: token },
    budget: 1.15,
    of: 1,
  },
  {
    name: `wise api /v2/profiles (${process.env.WISE_BENCH_INNER} token, emulator)`,
    args: [wise, 'api', '/v2/profiles'],
    budget: 1.25,
    of: 1,
  },
  { name: 'wise api /v2/profiles (encrypted file store)', args: [wise, 'api', '/v2/profiles'], env: fileEnv },
  // JOSE, against the plain call of the ES256 user (index 7): at most 40 ms more per call.
  { name: 'plain: wise api /v2/profiles (OAuth user)', args: [wise, 'api', '/v2/profiles'], env: joseEs },
  {
    name: 'JWS ES256 (P-256): sign + verify reply',
    args: [wise, ...jose('jws', '/v1/auth/jose/playground/jws')],
    env: joseEs,
    delta: 40,
  },
  {
    name: 'JWS PS256 (RSA 2048): sign + verify reply',
    args: [wise, ...jose('jws', '/v1/auth/jose/playground/jws')],
    env: josePs,
    delta: 40,
  },
  {
    name: 'JWE RSA 2048: encrypt + decrypt reply',
    args: [wise, ...jose('jwe', '/v1/auth/jose/playground/jwe')],
    env: joseEs,
    delta: 40,
  },
  {
    name: 'JWS+JWE (ES256, RSA 2048)',
    args: [wise, ...jose('jws+jwe', '/v1/auth/jose/playground/jwe')],
    env: joseEs,
    delta: 40,
  },
];
const PLAIN_JOSE_BASE = 7;
const samples = cases.map(() => []);
// The emulator's own time for the last request (its JOSE work is Wise's, not the tool's), for the JOSE rows.
const serverMs = cases.map(() => []);
const lastServerMs = async () => (await (await fetch(`${url}/__mock/requests`)).json()).at(-1).durationMs;
for (let w = 0; w < 3; w++) for (const c of cases) await time(c.args, c.env); // warm the file cache
for (let i = 0; i < runs; i++) {
  for (const [j, c] of cases.entries()) {
    samples[j].push(await time(c.args, c.env));
    if (j >= PLAIN_JOSE_BASE) serverMs[j].push(await lastServerMs());
  }
}
mock.kill();
rmSync(dir, { recursive: true, force: true });

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const base = median(samples[0]);
const client = median(samples[1]);
let failed = false;
console.log(`node ${process.version}, ${runs} interleaved runs each\n`);
console.log(
  'command'.padEnd(52),
  'median ms'.padStart(10),
  'vs node'.padStart(8),
  'vs client'.padStart(10),
  'budget'.padStart(20),
);
for (const [j, c] of cases.entries()) {
  const m = median(samples[j]);
  const ratio = m / (c.of === 1 ? client : base);
  // JOSE rows: the extra wall time over the plain call, less the extra time the emulator itself spent (verifying,
  // decrypting, signing, encrypting as Wise would): what the tool adds. Both are printed.
  const wallExtra = c.delta === undefined ? undefined : m - median(samples[PLAIN_JOSE_BASE]);
  const serverExtra = c.delta === undefined ? 0 : median(serverMs[j]) - median(serverMs[PLAIN_JOSE_BASE]);
  const extra = wallExtra === undefined ? undefined : wallExtra - serverExtra;
  const ok = (c.budget === undefined || ratio <= c.budget) && (extra === undefined || extra <= c.delta);
  if (!ok) failed = true;
  console.log(
    c.name.padEnd(52),
    m.toFixed(1).padStart(10),
    `${(m / base).toFixed(2)}x`.padStart(8),
    `${(m / client).toFixed(2)}x`.padStart(10),
    (c.budget
      ? `${c.budget}x of ${c.of === 1 ? 'client' : 'node'} ${ok ? 'ok' : 'OVER'}`
      : extra !== undefined
        ? `+${(wallExtra ?? 0).toFixed(1)} ms, emulator +${serverExtra.toFixed(1)}, tool +${extra.toFixed(1)} (<= ${c.delta}) ${ok ? 'ok' : 'OVER'}`
        : ''
    ).padStart(26),
  );
}
process.exit(failed ? 1 : 0);
