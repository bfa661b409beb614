import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capture, cleanEnv, createSandbox, type Sandbox, WISE_BIN } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait.js';

/** `wise mock` as a user runs it, its stdout lines read as `name value`. */
async function startCliMock(
  sb: Sandbox,
  args: string[],
): Promise<{ child: ChildProcess; url: string; lines: Map<string, string> }> {
  const child = spawn(process.execPath, [WISE_BIN, 'mock', '--port', '0', ...args], {
    env: cleanEnv(sb.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = capture(child);
  await waitFor(() => /listening/.test(out.stderr()), 'it to say listening');
  const [url, ...rest] = out.stdout().trim().split('\n');
  const lines = new Map(rest.map((l) => [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)] as [string, string]));
  return { child, url: url as string, lines };
}

/** The emulator's delivery control over curl, as a user would call it (its CA trusted, its client certificate shown). */
function deliverVia(mock: { url: string; lines: Map<string, string> }, url: string, eventType: string) {
  const tls = ['--cacert', 'ca', '--cert', 'client-cert', '--key', 'client-key'].map((a) =>
    a.startsWith('--') ? a : (mock.lines.get(a) as string),
  );
  const out = execFileSync(
    'curl',
    ['-s', ...tls, '-X', 'POST', `${mock.url}/__mock/webhooks/deliver`, '-d', JSON.stringify({ url, eventType })],
    {
      encoding: 'utf8',
    },
  );
  return JSON.parse(out) as { status: number; deliveryId: string };
}

describe('wise mock --mtls and signed test deliveries', () => {
  let sb: Sandbox;
  let mock: Awaited<ReturnType<typeof startCliMock>>;
  beforeAll(async () => {
    sb = await createSandbox();
    mock = await startCliMock(sb, ['--mtls']);
  });
  afterAll(async () => {
    mock?.child.kill('SIGTERM');
    await sb?.cleanup();
  });

  it('makes a CA, server and client certificate (openssl verifies them) and serves HTTPS demanding the client one', async () => {
    expect(mock.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const ca = mock.lines.get('ca') as string;
    const clientCert = mock.lines.get('client-cert') as string;
    const clientKey = mock.lines.get('client-key') as string;
    expect(execFileSync('openssl', ['verify', '-CAfile', ca, clientCert], { encoding: 'utf8' })).toContain(': OK');
    const env = { WISE_API_URL: mock.url, WISE_TOKEN: mock.lines.get('personal-token') as string };
    const without = await sb.run(['api', '/v2/profiles'], { env: { ...env, NODE_EXTRA_CA_CERTS: ca } });
    expect(without.code).toBe(6);
    expect(without.stderr).toContain('client certificate (mTLS)');
    const setup = await sb.run(['mtls', 'setup', '--cert', clientCert, '--key', clientKey, '--ca', ca]);
    expect(setup.code, setup.stderr).toBe(0);
    expect(setup.stderr).not.toContain('warning');
    const call = await sb.run(['api', '/v2/profiles'], { env });
    expect(call.code, call.stderr).toBe(0);
    expect(call.stdout).toContain('"id":2001');
  });

  it('delivers signed test events that wise webhook listen verifies with the key the emulator printed', async () => {
    const keyFile = mock.lines.get('webhook-public-key') as string;
    expect(await readFile(keyFile, 'utf8')).toContain('BEGIN PUBLIC KEY');
    const listener = spawn(
      process.execPath,
      [WISE_BIN, '--json', 'webhook', 'listen', '--port', '0', '--public-key', keyFile],
      { env: cleanEnv(sb.env), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const out = capture(listener);
    try {
      await waitFor(() => /Listening/.test(out.stderr()), 'it to say Listening');
      const listenUrl = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out.stderr())?.[1] as string;
      const deliver = (eventType: string, to = listenUrl) => deliverVia(mock, to, eventType);
      expect(deliver('balances#credit')).toMatchObject({ status: 200 });
      await waitFor(() => out.stdout().includes('\n'), 'the delivery printed');
      const event = JSON.parse(out.stdout().trim().split('\n')[0] as string);
      expect(event).toMatchObject({ test: true, eventType: 'balances#credit' });
      expect(event.deliveryId).toMatch(/^[0-9a-f-]{36}$/);
      // A listener that trusts Wise's sandbox key instead refuses the emulator's deliveries.
      const strict = spawn(process.execPath, [WISE_BIN, 'webhook', 'listen', '--port', '0'], {
        env: cleanEnv(sb.env),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const strictOut = capture(strict);
      try {
        await waitFor(() => /Listening/.test(strictOut.stderr()), 'it to say Listening');
        const strictUrl = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(strictOut.stderr())?.[1] as string;
        const refused = deliverVia(mock, strictUrl, 'transfers#state-change');
        expect(refused.status).toBe(403);
        expect(strictOut.stdout()).toBe('');
      } finally {
        strict.kill('SIGTERM');
      }
    } finally {
      listener.kill('SIGTERM');
    }
  });
});
