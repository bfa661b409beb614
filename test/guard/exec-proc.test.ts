import { spawn } from 'node:child_process';
import { chown, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanEnv, type Sandbox, WISE_BIN } from '../helpers/cli.js';
import { type MockServer, personalTokenUser, startMock } from '../helpers/mock.js';

// The check runs as an ordinary user, as an attacker's script in `wise exec` would: root reads every /proc entry.
const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;

/**
 * A child that walks up its ancestors and prints the environment of each one it may read (the same user's
 * processes), as `readable <pid>` followed by `<pid> NAME=value` lines.
 */
const WALKER = `
pid=$PPID
while [ "$pid" -gt 1 ]; do
  if env=$( { tr '\\0' '\\n' < /proc/$pid/environ; } 2>/dev/null); then
    echo "readable $pid"
    printf '%s\\n' "$env" | sed "s/^/$pid /"
  fi
  pid=$(sed 's/.*) //' /proc/$pid/stat | cut -d' ' -f2)
done
`;

/** Nodes to try: the one running the suite, and one with process.execve when the suite is given one. */
const NODES: [string, string][] = [[`node ${process.versions.node}`, process.execPath]];
const other = process.env.WISE_TEST_NODE_EXECVE;
if (other) NODES.push([`node from WISE_TEST_NODE_EXECVE`, other]);

let mock: MockServer;
let sb: Sandbox;
beforeEach(async () => {
  mock = await startMock();
  sb = await personalTokenUser(mock, { env: { WISE_PROFILE_ID: '2001' } });
  if (asRoot) await chownTree(sb.dir, NOBODY);
});
afterEach(async () => {
  await mock.close();
  await sb.cleanup();
});

async function chownTree(path: string, uid: number): Promise<void> {
  await chown(path, uid, uid);
  if ((await stat(path)).isDirectory()) for (const name of await readdir(path)) await chownTree(join(path, name), uid);
}

/** Runs `<node> <args>` as the ordinary user with `env`; resolves with stdout and the exit code. */
function runAsUser(
  node: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; out: string; err: string }> {
  const argv = asRoot
    ? ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '--', node, ...args]
    : [node, ...args];
  return new Promise((resolve, reject) => {
    // A PATH the ordinary user may search (root's own folders on it would make a missing command EACCES).
    const child = spawn(argv[0] as string, argv.slice(1), {
      env: cleanEnv({ PATH: '/usr/local/bin:/usr/bin:/bin', ...env }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => {
      out += c;
    });
    child.stderr.on('data', (c) => {
      err += c;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, out, err }));
  });
}

describe.each(NODES)('wise exec on %s: no ancestor of the child holds a secret', (_, node) => {
  it('walking every readable ancestor environment finds none of the secrets wise was given', async () => {
    const secrets = {
      WISE_STORE_PASSPHRASE: sb.env.WISE_STORE_PASSPHRASE as string,
      WISE_SCA_PIN: '8412',
      WISE_SCA_PRIVATE_KEY: 'sca-private-key-material-77',
    };
    const env = { ...sb.env, ...secrets };
    // The control: an ordinary parent that keeps its environment is caught by the same walk.
    const control = await runAsUser(
      node,
      ['-e', `require('node:child_process').spawnSync('sh', ['-c', process.argv[1]], { stdio: 'inherit' })`, WALKER],
      env,
    );
    expect(control.out).toContain(secrets.WISE_STORE_PASSPHRASE);
    expect(control.out).toContain(secrets.WISE_SCA_PIN);

    const r = await runAsUser(node, [WISE_BIN, 'exec', '--', 'sh', '-c', `echo "token=$WISE_TOKEN"; ${WALKER}`], env);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toBe('');
    // The child got its token; nothing above it shows a secret, in its environment or as the token's source.
    expect(r.out).toContain(`token=${mock.personalToken}\n`);
    for (const value of Object.values(secrets)) expect(r.out).not.toContain(value);
    for (const name of Object.keys(secrets)) expect(r.out).not.toContain(`${name}=`);
  });
});

describe.each(NODES)('wise exec as an ordinary user on %s', (_, node) => {
  it('keeps exit codes and the message for a command that cannot start, and SIGPIPE ends a pipe as it would without wise', async () => {
    const code = await runAsUser(node, [WISE_BIN, 'exec', '--', 'sh', '-c', 'exit 9'], sb.env);
    expect(code.code).toBe(9);
    const missing = await runAsUser(node, [WISE_BIN, 'exec', '--', 'no-such-command-here'], sb.env);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('Cannot run "no-such-command-here": no such command');
    // A script without #! runs under sh, as a shell would run it.
    const script = join(sb.dir, 'plain-script');
    await writeFile(script, 'echo "plain $1"\n', { mode: 0o755 });
    if (asRoot) await chown(script, NOBODY, NOBODY);
    const plain = await runAsUser(node, [WISE_BIN, 'exec', '--', script, 'ok'], sb.env);
    expect(plain.out).toBe('plain ok\n');
    const pipe = await runAsUser(
      node,
      [WISE_BIN, 'exec', '--', 'sh', '-c', 'yes | head -1; grep SigIgn /proc/self/status'],
      sb.env,
    );
    expect(pipe.code, pipe.err).toBe(0);
    expect(pipe.out).toBe('y\nSigIgn:\t0000000000000000\n');
    expect(pipe.err).toBe('');
  });
});

if (process.env.CI && !other) {
  it('CI gives the suite a Node with process.execve (WISE_TEST_NODE_EXECVE)', () => {
    expect(other).toBeDefined();
  });
}
