import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox, STACK_TRACE } from '../helpers/cli.js';
import { type MockServer, startMock } from '../helpers/mock.js';
import { haveTinyproxy, selfSignedCert, startHttpsServer, startTinyproxy, type Tinyproxy } from '../helpers/servers.js';

let dir: string;
let proxy: Tinyproxy;
let strictProxy: Tinyproxy;
let api: Awaited<ReturnType<typeof startHttpsServer>>;
let certFile: string;
let mock: MockServer;
let sb: Sandbox;
const seen: { path: string; authorization: string | undefined }[] = [];

beforeAll(async () => {
  if (!haveTinyproxy) return;
  dir = await mkdtemp(join(tmpdir(), 'wise-proxy-'));
  const tls = await selfSignedCert(dir);
  certFile = tls.certFile;
  // An HTTPS server standing in for Wise's API host (Wise itself is HTTPS only).
  api = await startHttpsServer(tls, (req, res) => {
    seen.push({ path: req.url ?? '', authorization: req.headers.authorization });
    res.writeHead(200, { 'content-type': 'application/json', date: new Date().toUTCString() }).end('{"id":1001}');
  });
  await mkdtemp(join(dir, 'p1-')).then(async (d) => {
    proxy = await startTinyproxy(d);
  });
  await mkdtemp(join(dir, 'p2-')).then(async (d) => {
    strictProxy = await startTinyproxy(d, { connectPorts: [443] });
  });
  mock = await startMock();
  sb = await createSandbox({ NODE_EXTRA_CA_CERTS: certFile });
});
afterAll(async () => {
  if (!haveTinyproxy) return;
  await proxy.stop();
  await strictProxy.stop();
  await api.close();
  await mock.close();
  await sb.cleanup();
  await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!haveTinyproxy)('through a real proxy (tinyproxy)', () => {
  const https = () => `https://localhost:${api.port}`;

  it.each(['HTTPS_PROXY', 'https_proxy'])('%s: an HTTPS call goes through a CONNECT tunnel', async (variable) => {
    const before = seen.length;
    const r = await sb.run(['--api-url', https(), 'api', '/v1/me'], {
      env: { WISE_TOKEN: 'tok-through-proxy-123', [variable]: proxy.url },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ id: 1001 });
    expect(seen.slice(before)).toEqual([{ path: '/v1/me', authorization: 'Bearer tok-through-proxy-123' }]);
    expect(await proxy.log()).toContain(`CONNECT localhost:${api.port}`);
    // The proxy saw the tunnel, never the token (it travels inside TLS).
    expect(await proxy.log()).not.toContain('tok-through-proxy-123');
  });

  it('HTTP_PROXY: a plain-http call (the emulator) is forwarded by the proxy', async () => {
    const r = await sb.run(['--api-url', mock.url, 'api', '/v2/profiles'], {
      env: { WISE_TOKEN: mock.personalToken, HTTP_PROXY: proxy.url },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(await proxy.log()).toContain(`GET ${mock.url}/v2/profiles`);
  });

  it('NO_PROXY: a listed host is reached directly', async () => {
    const dead = 'http://127.0.0.1:9';
    for (const noProxy of ['localhost', 'example.com, localhost', `localhost:${api.port}`, '*']) {
      const r = await sb.run(['--api-url', https(), 'api', '/v1/me'], {
        env: { WISE_TOKEN: 'tok-123456789', HTTPS_PROXY: dead, NO_PROXY: noProxy },
      });
      expect(r.code, `${noProxy}: ${r.stderr}`).toBe(0);
    }
    const lower = await sb.run(['--api-url', https(), 'api', '/v1/me'], {
      env: { WISE_TOKEN: 'tok-123456789', https_proxy: dead, no_proxy: 'localhost' },
    });
    expect(lower.code, lower.stderr).toBe(0);
  });

  it("the proxy's own failures are exit 6 naming the proxy, never taken for Wise's answer", async () => {
    const down = await sb.run(['--api-url', https(), 'api', '/v1/me'], {
      env: { WISE_TOKEN: 'tok-123456789', HTTPS_PROXY: 'http://127.0.0.1:9' },
    });
    expect(down.code).toBe(6);
    expect(down.stderr).toContain('connection refused by the proxy http://127.0.0.1:9');
    expect(down.stderr).not.toMatch(STACK_TRACE);

    const refused = await sb.run(['--json', '--api-url', https(), 'api', '/v1/me'], {
      env: { WISE_TOKEN: 'tok-123456789', HTTPS_PROXY: strictProxy.url },
    });
    expect(refused.code).toBe(6);
    const error = JSON.parse(refused.stderr).error;
    expect(error.message).toMatch(
      /the proxy answered 403 .* to CONNECT localhost:\d+ \(proxy http:\/\/127\.0\.0\.1:\d+\)/,
    );
    expect(error.proxy).toBe(strictProxy.url);

    const credentials = await sb.run(['--api-url', https(), 'api', '/v1/me'], {
      env: { WISE_TOKEN: 'tok-123456789', HTTPS_PROXY: 'http://user:proxy-pass-123@127.0.0.1:9' },
    });
    expect(credentials.code).toBe(6);
    expect(credentials.stderr).not.toContain('proxy-pass-123');
  });

  it('an IP-literal API URL through the proxy: the certificate is checked against that IP, and passes', async () => {
    // A certificate that names the IP only, and the proxy reached by name: the check must use the API's IP.
    const ipOnly = await selfSignedCert(dir, { cn: '127.0.0.1', san: 'IP:127.0.0.1', file: 'ip-only' });
    const server = await startHttpsServer(ipOnly, (_, res) => res.writeHead(200).end('{"id":1001}'));
    try {
      const r = await sb.run(['--api-url', `https://127.0.0.1:${server.port}`, 'api', '/v1/me'], {
        env: {
          WISE_TOKEN: 'tok-through-proxy-123',
          HTTPS_PROXY: proxy.url.replace('127.0.0.1', 'localhost'),
          NODE_EXTRA_CA_CERTS: ipOnly.certFile,
        },
      });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({ id: 1001 });
      // The certificate is still checked: by the name localhost, which it does not carry, the call fails.
      const other = await sb.run(['--api-url', `https://localhost:${server.port}`, 'api', '/v1/me'], {
        env: { WISE_TOKEN: 'tok-123456789', HTTPS_PROXY: proxy.url, NODE_EXTRA_CA_CERTS: ipOnly.certFile },
      });
      expect(other.code).toBe(6);
      expect(other.stderr).toContain('the certificate does not match localhost');
    } finally {
      await server.close();
    }
  });

  it('wise doctor checks connectivity, TLS and the clock through the proxy', async () => {
    const env = { WISE_TOKEN: 'tok-123456789', HTTPS_PROXY: proxy.url };
    const r = await sb.run(['--json', '--api-url', https(), 'doctor'], { env });
    const rows = JSON.parse(r.stdout).checks as { check: string; status: string; detail: string; fix?: string }[];
    const connectivity = rows.find((c) => c.check === 'connectivity');
    expect(connectivity?.status).toBe('pass');
    expect(connectivity?.detail).toContain(`https://localhost:${api.port} through the proxy ${proxy.url}`);
    expect(connectivity?.detail).toContain('TLS certificate trusted');
    expect(rows.find((c) => c.check === 'clock')?.status).toBe('pass');

    const dead = await sb.run(['--json', '--api-url', https(), 'doctor'], {
      env: { ...env, HTTPS_PROXY: 'http://127.0.0.1:9' },
    });
    expect(dead.code).toBe(1);
    const failed = (JSON.parse(dead.stdout).checks as { check: string; status: string; fix?: string }[]).find(
      (c) => c.check === 'connectivity',
    );
    expect(failed).toMatchObject({ status: 'fail' });
    expect(failed?.fix).toContain('NO_PROXY');
  });
});

describe.skipIf(!haveTinyproxy)('a proxy password that makes no valid URL', () => {
  it('is never shown: not in the error, not in doctor', async () => {
    const env = { WISE_TOKEN: 'tok-123456789', HTTPS_PROXY: 'http://alice:S3cret/PW2@127.0.0.1:9' };
    const r = await sb.run(['--api-url', 'https://localhost:1', 'api', '/v1/me'], { env });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('http://***@127.0.0.1:9');
    const doctor = await sb.run(['--api-url', 'https://localhost:1', 'doctor'], { env });
    expect(doctor.stdout).toContain('http://***@127.0.0.1:9');
    for (const out of [r.stderr, doctor.stdout, doctor.stderr]) {
      expect(out).not.toContain('S3cret');
      expect(out).not.toContain('alice');
    }
  });
});
