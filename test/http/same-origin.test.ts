import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { assertSameOrigin, WiseClient } from '../../src/http/client.js';
import { createTransport } from '../../src/http/transport.js';
import { Redactor } from '../../src/util/redact.js';
import { createSandbox, type Sandbox } from '../helpers/cli.js';
import { expectContractViolation } from '../helpers/contract.js';
import { type MockServer, recordedRequests, startMock } from '../helpers/mock.js';

/** A recorder on a second loopback address: it must never see a request, let alone a credential. */
let recorder: Server;
let recorderPort: number;
const seen: { method: string; url: string; headers: IncomingHttpHeaders }[] = [];
let mock: MockServer;
let sb: Sandbox;

beforeAll(async () => {
  recorder = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"stolen":true}');
  });
  await new Promise<void>((resolve) => recorder.listen(0, '127.0.0.2', resolve));
  recorderPort = (recorder.address() as AddressInfo).port;
  mock = await startMock();
  sb = await createSandbox({ WISE_API_URL: mock.url });
  const add = await sb.run(['token', 'add'], { input: mock.personalToken });
  if (add.code !== 0) throw new Error(add.stderr);
});
afterAll(async () => {
  recorder.close();
  await mock.close();
  await sb.cleanup();
});

/** Path forms that URL parsing could turn into another host: each is refused with exit 2 before anything is sent. */
const refused = (p: number) => [
  `/\\/127.0.0.2:${p}/steal`,
  `\\\\127.0.0.2:${p}/steal`,
  `\\/127.0.0.2:${p}/steal`,
  `/\\127.0.0.2:${p}/steal`,
  `//127.0.0.2:${p}/steal`,
  `///127.0.0.2:${p}/steal`,
  `http://127.0.0.2:${p}/steal`,
  `HTTP:127.0.0.2:${p}/steal`,
  `http:/127.0.0.2:${p}/steal`,
  `/\t/127.0.0.2:${p}/steal`,
  `\t//127.0.0.2:${p}/steal`,
  `\u0001//127.0.0.2:${p}/steal`,
  `\n//127.0.0.2:${p}/steal`,
  ` //127.0.0.2:${p}/steal`,
  `//127.0.0.2:${p}@127.0.0.1/steal`,
];

/** Forms that look odd but stay on the API host (the emulator answers 404): allowed, and nothing leaves either. */
const stayHome = (p: number) => [`@127.0.0.2:${p}/steal`, `/..//127.0.0.2:${p}/steal`, `/%2F%2F127.0.0.2:${p}/steal`];

describe('a credential never leaves for another host', () => {
  const sources = [
    ['WISE_TOKEN', () => ({ WISE_TOKEN: mock.personalToken })],
    ['stored personal token', () => ({})],
  ] as const;

  it.each(sources)(
    '%s: every refused path form, GET and POST, exits 2 and sends nothing',
    async (_, env) => {
      const before = (await recordedRequests(mock)).length;
      const runs = [];
      for (const path of refused(recorderPort)) {
        runs.push(sb.run(['api', path], { env: env() }).then((r) => ({ path, method: 'GET', r })));
        runs.push(
          sb.run(['api', '-X', 'POST', path, '-d', '{}'], { env: env() }).then((r) => ({ path, method: 'POST', r })),
        );
      }
      for (const { path, method, r } of await Promise.all(runs)) {
        expect(r.code, `${method} ${JSON.stringify(path)}: ${r.stderr}`).toBe(2);
        expect(r.stdout).toBe('');
      }
      expect(seen).toEqual([]);
      // Refused before a byte was sent: not to the emulator either.
      expect((await recordedRequests(mock)).length).toBe(before);
    },
    60_000,
  );

  it.each(sources)('%s: forms that stay on the API host go there and nowhere else', async (_, env) => {
    expectContractViolation(/\/steal: no operation/);
    for (const path of stayHome(recorderPort)) {
      const r = await sb.run(['api', path], { env: env() });
      expect(r.code, `${path}: ${r.stderr}`).toBe(3);
    }
    expect(seen).toEqual([]);
  });

  it('with the default API host, a backslash path is refused before anything is traced or sent', async () => {
    const home = await createSandbox();
    try {
      const r = await home.run(['--debug', 'api', '\\\\evil.example/x'], { env: { WISE_TOKEN: 'a-token-123456' } });
      expect(r.code).toBe(2);
      expect(r.stderr).not.toMatch(/^> /m);
      // What the trace would print for a request that went there.
      expect(r.stderr).not.toContain('> GET https://evil.example/x');
      expect(r.stderr).toContain('not a URL: \\\\evil.example/x');
    } finally {
      await home.cleanup();
    }
  });

  it.each([
    ['--api-url', 'http://127.0.0.1.attacker.example'],
    ['--api-url', 'http://127.0.0.1@attacker.example'],
    ['--api-url', 'http://localhost.attacker.example:8700'],
    ['WISE_API_URL', 'http://127.0.0.1.attacker.example'],
    ['WISE_API_URL', 'http://127.0.0.1.attacker.example:8700/wise'],
  ])('%s %s is refused (exit 2) and nothing is sent', async (how, url) => {
    const args =
      how === '--api-url' ? ['--debug', '--api-url', url, 'api', '/v2/profiles'] : ['--debug', 'api', '/v2/profiles'];
    const r = await sb.run(args, {
      env: { WISE_TOKEN: mock.personalToken, ...(how === 'WISE_API_URL' ? { WISE_API_URL: url } : {}) },
    });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).not.toMatch(/^> /m);
  });
});

describe('assertSameOrigin', () => {
  const base = new URL('https://api.wise-sandbox.com/');
  const bearer = { authorization: 'Bearer t' };
  it.each([
    ['https://api.wise-sandbox.com/v2/profiles', bearer, true],
    ['https://evil.example/v2/profiles', bearer, false],
    ['http://api.wise-sandbox.com/v2/profiles', bearer, false],
    ['https://api.wise-sandbox.com:8443/v2/profiles', bearer, false],
    ['https://evil.example/x', { authorization: 'Basic abc' }, false],
    ['https://evil.example/x', { 'x-signature': 'sig' }, false],
    ['https://evil.example/x', { 'x-2fa-approval': 'ott' }, false],
    ['https://evil.example/x', { 'one-time-token': 'ott' }, false],
    ['https://evil.example/x', { accept: 'application/json' }, true],
  ])('%s with %o: allowed=%s', (url, headers, allowed) => {
    const check = () => assertSameOrigin(new URL(url), base, headers);
    if (allowed) expect(check).not.toThrow();
    else expect(check).toThrow(UsageError);
  });

  it('a base with a path keeps requests below it', () => {
    const prefixed = new URL('https://proxy.example/wise/');
    expect(() => assertSameOrigin(new URL('https://proxy.example/wise/v1/me'), prefixed, bearer)).not.toThrow();
    expect(() => assertSameOrigin(new URL('https://proxy.example/other/v1/me'), prefixed, bearer)).toThrow(UsageError);
  });

  it('resolve() appends the path to the base as text: no form of path changes the host', () => {
    const client = new WiseClient({
      baseUrl: new URL('http://127.0.0.1:8700/'),
      transport: createTransport({}),
      redactor: new Redactor(),
      debug: () => {},
      debugEnabled: false,
      clock: { now: () => Date.now(), sleep: async () => {} },
    });
    for (const path of [...refused(9911), ...stayHome(9911)]) {
      expect(client.resolve(path).host, JSON.stringify(path)).toBe('127.0.0.1:8700');
    }
  });
});

describe('the client registers the token it sends with the redactor', () => {
  it('a token from accessToken() is redacted wherever it appears in --debug, not only in Authorization', async () => {
    // A server that echoes the token back in a header and in the body.
    const echo = createServer((req, res) => {
      const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
      res.writeHead(200, { 'content-type': 'text/plain', 'x-echo': token }).end(`you sent ${token}`);
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    const token = `tok-${Math.random().toString(36).slice(2)}-${Date.now()}`;
    const lines: string[] = [];
    const redactor = new Redactor();
    try {
      const client = new WiseClient({
        baseUrl: new URL(`http://127.0.0.1:${(echo.address() as AddressInfo).port}/`),
        transport: createTransport({}),
        redactor,
        debug: (line) => lines.push(redactor.text(line)),
        debugEnabled: true,
        clock: { now: () => Date.now(), sleep: async () => {} },
        accessToken: async () => token,
      });
      const response = await client.send({ method: 'GET', path: '/echo' });
      expect(response.body.toString()).toBe(`you sent ${token}`);
    } finally {
      echo.close();
    }
    const trace = lines.join('\n');
    expect(trace).toContain('< x-echo: [REDACTED]');
    expect(trace).toContain('you sent [REDACTED]');
    expect(trace).not.toContain(token);
  });
});
