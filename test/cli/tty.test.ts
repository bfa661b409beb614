import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cleanEnv, createSandbox, type Sandbox, WISE_BIN } from '../helpers/cli.js';
import { useEmulatorAndSandbox } from '../helpers/mock.js';
import { CURL_BROWSER, oauthWorld } from '../helpers/oauth.js';

// A real pseudo-terminal through util-linux `script`, so the tool sees a TTY as it does for a person.
const haveScript = spawnSync('sh', ['-c', 'command -v script']).status === 0;
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`);

const shared = useEmulatorAndSandbox();

/** Runs wise on a terminal; `typed` is written to the terminal after a short pause, as a person would. */
async function onTerminal(
  args: string[],
  {
    typed,
    env = {},
    sandbox = shared.sb,
  }: { typed?: string | string[]; env?: Record<string, string>; sandbox?: Sandbox } = {},
) {
  const command = [process.execPath, WISE_BIN, ...args].map((a) => `'${a}'`).join(' ');
  const { spawn } = await import('node:child_process');
  return new Promise<{ code: number; transcript: string }>((resolve) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], {
      env: cleanEnv({ ...sandbox.env, TERM: 'xterm', ...env }),
    });
    let transcript = '';
    child.stdout.on('data', (c: Buffer) => {
      transcript += c.toString();
    });
    if (typed === undefined) child.stdin.end();
    else {
      // Keystrokes a person types, each after a pause that lets the prompt appear.
      (Array.isArray(typed) ? typed : [typed]).forEach((keys, i) => {
        setTimeout(() => child.stdin.write(keys), 800 * (i + 1));
      });
    }
    // Give up well before the test's own timeout, so a failure shows the screen instead of a bare timeout.
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, transcript });
    });
  });
}

describe.skipIf(!haveScript)('on a terminal', () => {
  it('token add asks with a hidden prompt and never echoes the token', async () => {
    const { code, transcript } = await onTerminal(['token', 'add'], { typed: `${shared.mock.personalToken}\r` });
    expect(code).toBe(0);
    expect(transcript).toContain('Paste your sandbox personal API token');
    expect(transcript).toContain('Stored the personal token for account "default" (sandbox)');
    expect(transcript).not.toContain(shared.mock.personalToken);
    expect(transcript).not.toContain(shared.mock.personalToken.slice(0, 8));
  });

  it('api pretty-prints JSON on a terminal', async () => {
    const { code, transcript } = await onTerminal(['api', '/v1/me']);
    expect(code).toBe(0);
    expect(transcript).toContain('{\r\n  "id": 1001,\r\n  "name": "Jane Doe"');
  });

  it('errors are coloured on a terminal, and not with NO_COLOR or --no-color', async () => {
    const coloured = await onTerminal(['api', '/nope']);
    expect(coloured.code).toBe(3);
    expect(coloured.transcript).toMatch(ANSI);
    const noColor = await onTerminal(['api', '/nope'], { env: { NO_COLOR: '1' } });
    expect(noColor.transcript).toContain('error: Wise answered 404');
    expect(noColor.transcript).not.toMatch(ANSI);
    const flag = await onTerminal(['--no-color', 'api', '/nope']);
    expect(flag.transcript).not.toMatch(ANSI);
  });

  it('a prompt cancelled with Ctrl-C exits 130', async () => {
    const { code } = await onTerminal(['--account', 'cancel', 'token', 'add'], { typed: '\x03' });
    expect(code).toBe(130);
  });

  it('wise login: choose the personal token, paste it at the hidden prompt', async () => {
    const fresh = await createSandbox({ WISE_API_URL: shared.mock.url });
    try {
      const { code, transcript } = await onTerminal(['login'], {
        sandbox: fresh,
        typed: ['\r', `${shared.mock.personalToken}\r`],
      });
      expect(code, transcript).toBe(0);
      expect(transcript).toContain('How do you want to log in to Wise (sandbox)?');
      expect(transcript).toContain('Stored the personal token for account "default" (sandbox)');
      expect(transcript).not.toContain(shared.mock.personalToken);
    } finally {
      await fresh.cleanup();
    }
  });

  it('wise login: choose OAuth with a client set up, approve in the browser', async () => {
    const world = await oauthWorld();
    try {
      const { code, transcript } = await onTerminal(['login'], {
        sandbox: world.sb,
        typed: ['\x1b[B', '\r'],
        env: { BROWSER: CURL_BROWSER },
      });
      expect(code, transcript).toBe(0);
      expect(transcript).toContain('Logged in account "default" (sandbox) with OAuth');
    } finally {
      await world.cleanup();
    }
  });

  it('wise login: OAuth without a client asks for the client id, redirect URI and hidden secret first', async () => {
    const world = await oauthWorld({ setup: false });
    try {
      const { code, transcript } = await onTerminal(['login'], {
        sandbox: world.sb,
        typed: ['\x1b[B', '\r', `${world.mock.clientId}\r`, `${world.redirectUri}\r`, `${world.mock.clientSecret}\r`],
        env: { BROWSER: CURL_BROWSER },
      });
      expect(code, transcript).toBe(0);
      expect(transcript).toContain('Client id (from Wise)');
      expect(transcript).toContain('Stored OAuth client wise-mock-partner for sandbox');
      expect(transcript).toContain('Logged in account "default" (sandbox) with OAuth');
      expect(transcript).not.toContain(world.mock.clientSecret);
    } finally {
      await world.cleanup();
    }
  });
});
