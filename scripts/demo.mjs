#!/usr/bin/env node
// A scripted session against the built-in Wise emulator: no Wise account, no keychain needed. It uses a temporary
// config folder and the encrypted file store, and removes both at the end.
import { spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// HTTP calls from this script each on a connection of their own. The steps run `wise` with spawnSync, which blocks
// this process's event loop for seconds, so a connection kept alive from an earlier call can be closed by the
// emulator's idle timeout (5 s) before this process can notice, and the next call on it fails ("other side closed").
const call = (url, init = {}) => fetch(url, { ...init, headers: { ...init.headers, connection: 'close' } });
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
  rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
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
  if (r.stdout) process.stdout.write(r.stdout.endsWith('\n') ? r.stdout : `${r.stdout}\n`);
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
const callbackPort = await new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => resolve(port));
  });
});
const redirectUri = `http://127.0.0.1:${callbackPort}/callback`;
console.log(`$ wise mock --port 0 --redirect-uri ${redirectUri} &`);
mock = spawn(process.execPath, [wise, 'mock', '--port', '0', '--redirect-uri', redirectUri], {
  env,
  stdio: ['ignore', 'pipe', 'ignore'],
});
const [url, token, clientId, clientSecret, webhookKey] = await new Promise((resolve, reject) => {
  let buf = '';
  mock.stdout.on('data', (c) => {
    buf += c;
    const lines = buf.split('\n');
    if (lines.length >= 6) resolve(lines.slice(0, 5).map((l, i) => (i === 0 ? l : l.split(' ')[1])));
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
  'wise statement --currency EUR --from 2026-11-01 --to 2026-11-30',
  ['statement', '--currency', 'EUR', '--from', '2026-11-01', '--to', '2026-11-30'],
  { expect: 3 },
);
console.log(`\n${bold('Strong Customer Authentication with a personal token')}`);
const key = step(
  'Make an SCA key: the private key stays in the secret store, the public key is printed to upload at wise.com',
  'wise keys generate --use sca > sca.pub',
  ['keys', 'generate', '--use', 'sca'],
);
// What a user does at wise.com, done through the emulator's controls: she lives in the US (where personal tokens may
// read statements) and has uploaded the public key.
await call(`${url}/__mock/users/1001`, { method: 'POST', body: '{"country":"US"}' });
await call(`${url}/__mock/users/1001/sca-keys`, { method: 'POST', body: key.stdout });
console.log('(in the emulator: Jane now lives in the US, and her public key is uploaded)');
step(
  'The statement again: Wise asks for SCA (403 with a one-time token); wise signs it and sends the call once more',
  'wise statement --currency EUR --from 2026-11-01 --to 2026-11-30',
  ['statement', '--currency', 'EUR', '--from', '2026-11-01', '--to', '2026-11-30'],
);
step(
  'The same for your accounting: CSV, CAMT.053, MT940, QIF, PDF or XLSX, any range (split into 469-day windows)',
  'wise statement --currency EUR --from 2026-11-01 --to 2026-11-30 --format csv',
  ['statement', '--currency', 'EUR', '--from', '2026-11-01', '--to', '2026-11-30', '--format', 'csv'],
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

console.log(`\n${bold('OAuth 2.0, as a partner application')}`);
step(
  'Store the partner client: id and redirect URI in config, the secret in the secret store only',
  `wise oauth setup --client-id ${clientId} --redirect-uri ${redirectUri} --client-secret-stdin < secret.txt`,
  ['oauth', 'setup', '--client-id', clientId, '--redirect-uri', redirectUri, '--client-secret-stdin'],
  { input: clientSecret },
);

// The browser part: wise listens on the redirect URI; a "browser" opens the consent page and clicks Approve.
console.log(`\n${bold('# Log a Wise user in through the browser (the demo plays the browser and clicks Approve)')}`);
console.log('$ wise --account partner oauth authorize --no-browser');
const authorize = spawn(
  process.execPath,
  [wise, '--account', 'partner', 'oauth', 'authorize', '--no-browser', '--timeout', '30'],
  {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  },
);
let authorizeErr = '';
const consentUrl = await new Promise((resolve, reject) => {
  authorize.stderr.on('data', (c) => {
    authorizeErr += c;
    const m = /(http:\/\/\S+\/oauth\/authorize\?\S+)/.exec(authorizeErr);
    if (m) resolve(m[1]);
  });
  authorize.once('exit', () => reject(new Error(authorizeErr)));
});
const consent = await (await call(consentUrl)).text();
const form = new URLSearchParams();
for (const m of consent.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) form.set(m[1], m[2]);
form.set('decision', 'approve');
const landed = await call(`${url}/oauth/authorize/decision`, { method: 'POST', body: form });
const authorizeCode = await new Promise((resolve) => authorize.once('exit', resolve));
process.stdout.write(authorizeErr);
console.log(`(the browser landed on ${landed.url}: "${/<h1>([^<]*)<\/h1>/.exec(await landed.text())?.[1]}")`);
if (authorizeCode !== 0) failed = true;

step(
  'Call the API as that user; the access token is refreshed when needed, once for all processes',
  'wise --account partner api /v1/me',
  ['--account', 'partner', 'api', '/v1/me'],
);
step(
  'Refresh now (Wise rotates the refresh token; the new one is stored first)',
  'wise --account partner oauth refresh',
  ['--account', 'partner', 'oauth', 'refresh'],
);
console.log(`\n${bold('JOSE: signed (JWS) and encrypted (JWE) calls')}`);
step(
  'A signing key (ES256) for the partner client: the private half in the secret store, the public half printed',
  'wise keys generate --use signing --alg ES256',
  ['keys', 'generate', '--use', 'signing', '--alg', 'ES256'],
);
step(
  'An encryption key (RSA, for RSA-OAEP-256): Wise encrypts its replies to it',
  'wise keys generate --use encryption',
  ['keys', 'generate', '--use', 'encryption'],
);
step('Register both with Wise (client-credentials token)', 'wise keys register --use signing', [
  'keys',
  'register',
  '--use',
  'signing',
]);
step('And the encryption key', 'wise keys register --use encryption', ['keys', 'register', '--use', 'encryption']);
step('The keys: public facts only', 'wise keys list', ['keys', 'list']);
step(
  "A signed call: the body goes as a JWS (alg, kid, url); Wise's signed reply is verified before it is shown",
  `wise --account partner api --jose jws -X POST /v1/auth/jose/playground/jws -d '{"message":"hello wise"}'`,
  [
    '--account',
    'partner',
    'api',
    '--jose',
    'jws',
    '-X',
    'POST',
    '/v1/auth/jose/playground/jws',
    '-d',
    '{"message":"hello wise"}',
  ],
);
step(
  "An encrypted call: signed, then encrypted to Wise's key; the reply is decrypted with ours, then verified",
  `wise --account partner api --jose jws+jwe -X POST /v1/auth/jose/playground/jwsjwe -d '{"message":"hello wise"}'`,
  [
    '--account',
    'partner',
    'api',
    '--jose',
    'jws+jwe',
    '-X',
    'POST',
    '/v1/auth/jose/playground/jwsjwe',
    '-d',
    '{"message":"hello wise"}',
  ],
);

step(
  'A user created over the API (registration_code)',
  'wise --account alice oauth create-user --email alice@example.com',
  ['--account', 'alice', 'oauth', 'create-user', '--email', 'alice@example.com'],
);
console.log(`\n${bold('Webhooks: every delivery verified over its raw bytes before anything else')}`);
console.log(
  `$ wise --json webhook listen --port 0 --public-key ${webhookKey} &   # the emulator's key; Wise's is built in`,
);
const listener = spawn(
  process.execPath,
  [wise, '--json', 'webhook', 'listen', '--port', '0', '--public-key', webhookKey],
  {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  },
);
let listenOut = '';
let listenErr = '';
listener.stdout.on('data', (c) => {
  listenOut += c;
});
const listenUrl = await new Promise((resolve) => {
  listener.stderr.on('data', (c) => {
    listenErr += c;
    const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(listenErr);
    if (m) resolve(m[1]);
  });
});
const sent = await (
  await call(`${url}/__mock/webhooks/deliver`, {
    method: 'POST',
    body: JSON.stringify({ url: listenUrl, eventType: 'balances#credit' }),
  })
).json();
console.log(`(the emulator sent a signed test event: the listener answered ${sent.status})`);
const forged = await call(listenUrl, {
  method: 'POST',
  headers: { 'x-signature-sha256': Buffer.alloc(256).toString('base64'), 'x-delivery-id': 'forged-1' },
  body: '{"event_type":"balances#credit","data":{"amount":1000000}}',
});
console.log(`(a forged delivery: the listener answered ${forged.status}; it is neither printed nor forwarded)`);
await new Promise((r) => setTimeout(r, 300));
listener.kill('SIGTERM');
process.stdout.write(listenOut);
process.stdout.write(listenErr.replace(/^Listening.*\n/, ''));
if (sent.status !== 200 || forged.status !== 403 || !listenOut.includes('"test":true')) failed = true;

console.log(`\n${bold('mTLS: a client certificate on every call')}`);
console.log(
  '$ wise mock --port 0 --mtls &   # HTTPS, demanding a client certificate; prints a throwaway CA and client certificate',
);
const mtlsMock = spawn(process.execPath, [wise, 'mock', '--port', '0', '--mtls', '--tls-dir', join(dir, 'pki')], {
  env,
  stdio: ['ignore', 'pipe', 'ignore'],
});
const mtlsLines = await new Promise((resolve) => {
  let buf = '';
  mtlsMock.stdout.on('data', (c) => {
    buf += c;
    if (/client-key .+\n/.test(buf))
      resolve(
        new Map(
          buf
            .trim()
            .split('\n')
            .map((l) => [l.split(' ')[0], l.split(' ')[1] ?? l]),
        ),
      );
  });
});
const mtlsUrl = [...mtlsLines.keys()][0];
const mtlsEnv = { WISE_API_URL: mtlsUrl, WISE_TOKEN: mtlsLines.get('personal-token') };
step(
  'Without a client certificate the server ends the handshake (exit 6, naming mTLS)',
  'wise api /v2/profiles',
  ['api', '/v2/profiles'],
  { expect: 6, extraEnv: { ...mtlsEnv, NODE_EXTRA_CA_CERTS: mtlsLines.get('ca') } },
);
step(
  'Set up the certificate: checked (key match, dates, key file mode), then used for every call of the environment',
  'wise mtls setup --cert client.pem --key client.key --ca ca.pem',
  [
    'mtls',
    'setup',
    '--cert',
    mtlsLines.get('client-cert'),
    '--key',
    mtlsLines.get('client-key'),
    '--ca',
    mtlsLines.get('ca'),
  ],
  { extraEnv: mtlsEnv },
);
step('An mTLS call', 'wise api /v2/profiles', ['api', '/v2/profiles'], { extraEnv: mtlsEnv });
step('The handshake, checked', 'wise mtls check', ['mtls', 'check'], { extraEnv: mtlsEnv });
mtlsMock.kill('SIGTERM');

console.log(`\n${bold('A short account tour (the demo token in WISE_TOKEN, nothing stored)')}`);
const tour = { extraEnv: { WISE_TOKEN: token, WISE_PROFILE_ID: '2001' } };
step('Profiles', 'wise profiles list', ['profiles', 'list'], tour);
step(
  'Balances and jars of every profile',
  'wise balances list --all-profiles',
  ['balances', 'list', '--all-profiles'],
  tour,
);
step(
  'What would 100 EUR to GBP cost?',
  'wise quote --source EUR --target GBP --source-amount 100',
  ['quote', '--source', 'EUR', '--target', 'GBP', '--source-amount', '100'],
  tour,
);
step(
  'A payment, checked but not made: recipient, amount, fee and rate',
  'wise pay --to "Acme Supplies Ltd" --amount 50 --currency GBP --source-currency EUR --reference "Invoice 42" --dry-run',
  [
    'pay',
    '--to',
    'Acme Supplies Ltd',
    '--amount',
    '50',
    '--currency',
    'GBP',
    '--source-currency',
    'EUR',
    '--reference',
    'Invoice 42',
    '--dry-run',
  ],
  tour,
);
step('What happened lately', 'wise activities --limit 5', ['activities', '--limit', '5'], tour);

console.log(`\n${bold('Guard rails: a spending policy, and a journal of every money-moving call')}`);
writeFileSync(
  join(env.WISE_CONFIG_DIR, 'policy.json'),
  JSON.stringify({
    version: 1,
    rules: [{ maxPerTransfer: { GBP: '40.00', EUR: '100.00' }, allowedRecipients: [7001, 7002] }],
  }),
);
console.log('$ cat "$WISE_CONFIG_DIR/policy.json"');
console.log(readFileSync(join(env.WISE_CONFIG_DIR, 'policy.json'), 'utf8'));
step('The rules in force', 'wise policy show', ['policy', 'show'], tour);
step(
  'A payment over the limit is refused before anything is sent (exit 8)',
  'wise pay --to 7001 --amount 50 --currency GBP --source-currency EUR --yes',
  ['pay', '--to', '7001', '--amount', '50', '--currency', 'GBP', '--source-currency', 'EUR', '--yes'],
  { ...tour, expect: 8 },
);
// Jane (in the US in the emulator) signs SCA with a key of her own here: WISE_SCA_PRIVATE_KEY, nothing stored.
const sca = generateKeyPairSync('rsa', { modulusLength: 2048 });
await call(`${url}/__mock/users/1001/sca-keys`, {
  method: 'POST',
  body: sca.publicKey.export({ type: 'spki', format: 'pem' }),
});
const paying = {
  extraEnv: { ...tour.extraEnv, WISE_SCA_PRIVATE_KEY: sca.privateKey.export({ type: 'pkcs8', format: 'pem' }) },
};
step(
  'One within the limit goes out: quote, transfer, funding with SCA',
  'wise pay --to 7001 --amount 30 --currency GBP --source-currency EUR --reference "Invoice 42" --yes',
  [
    'pay',
    '--to',
    '7001',
    '--amount',
    '30',
    '--currency',
    'GBP',
    '--source-currency',
    'EUR',
    '--reference',
    'Invoice 42',
    '--yes',
  ],
  paying,
);
step('Every money-moving call, with its outcome', 'wise journal show', ['journal', 'show'], tour);
step(
  'The journal is hash-chained: an edited, removed or moved line is found',
  'wise journal verify',
  ['journal', 'verify'],
  tour,
);

step('Every account at a glance (secrets masked)', 'wise auth status --offline', ['auth', 'status', '--offline']);
step('Delete everything wise stored', 'wise logout --all', ['logout', '--all']);

console.log(failed ? '\nThe demo FAILED.' : '\nThe demo finished; its temporary folder is removed.');
process.exit(failed ? 1 : 0);
