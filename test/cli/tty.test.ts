import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, createSandbox, type Sandbox, WISE_BIN } from '../helpers/cli.js';
import { type MockServer, startMock } from '../helpers/mock.js';

// A real pseudo-terminal through util-linux `script`, so the tool sees a TTY as it does for a person.
const haveScript = spawnSync('sh', ['-c', 'command -v script']).status === 0;
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`);

let mock: MockServer;
let sb: Sandbox;
beforeAll(async () => {
  mock = await startMock();
  sb = await createSandbox({ WISE_API_URL: mock.url });
});
afterAll(async () => {
  await mock.close();
  await sb.cleanup();
});

/** Runs wise on a terminal; `typed` is written to the terminal after a short pause, as a person would. */
async function onTerminal(args: string[], { typed, env = {} }: { typed?: string; env?: Record<string, string> } = {}) {
  const command = [process.execPath, WISE_BIN, ...args].map((a) => `'${a}'`).join(' ');
  const { spawn } = await import('node:child_process');
  return new Promise<{ code: number; transcript: string }>((resolve) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], {
      env: cleanEnv({ ...sb.env, TERM: 'xterm', ...env }),
    });
    let transcript = '';
    child.stdout.on('data', (c: Buffer) => {
      transcript += c.toString();
    });
    if (typed !== undefined) setTimeout(() => child.stdin.write(typed), 800);
    else child.stdin.end();
    child.on('close', (code) => resolve({ code: code ?? 1, transcript }));
  });
}

describe.skipIf(!haveScript)('on a terminal', () => {
  it('token add asks with a hidden prompt and never echoes the token', async () => {
    const { code, transcript } = await onTerminal(['token', 'add'], { typed: `${mock.personalToken}\r` });
    expect(code).toBe(0);
    expect(transcript).toContain('Paste your sandbox personal API token');
    expect(transcript).toContain('Stored the personal token for account "default" (sandbox)');
    expect(transcript).not.toContain(mock.personalToken);
    expect(transcript).not.toContain(mock.personalToken.slice(0, 8));
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
});
