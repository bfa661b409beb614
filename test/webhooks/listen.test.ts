import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync, type KeyObject, randomUUID, sign } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capture, cleanEnv, createSandbox, type Sandbox, WISE_BIN } from '../helpers/cli.js';
import { opensslCa, opensslCsr, opensslSign } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';

interface Sent {
  status: number;
  ms: number;
}

/** POSTs a delivery as Wise does: raw body, X-Signature-SHA256 over it, X-Delivery-Id. */
function deliver(url: string, body: string, headers: Record<string, string>): Promise<Sent> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: Date.now() - started }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const event = (n: number) =>
  JSON.stringify({
    data: { resource: { id: n, type: 'transfer' }, current_state: 'processing' },
    subscription_id: 'f2cd5f06-2b3b-4a37-a25c-6b7f2d3e0b61',
    event_type: 'transfers#state-change',
    schema_version: '2.0.0',
    sent_at: '2026-11-28T10:00:00Z',
  });

describe('wise webhook listen', () => {
  let sb: Sandbox;
  let key: KeyObject;
  let child: ChildProcess;
  let out: ReturnType<typeof capture>;
  let url: string;
  let downstream: Server;
  const received: { body: string; headers: IncomingMessage['headers'] }[] = [];
  let slow = false;
  const signed = (body: string) => sign('sha256', Buffer.from(body), key).toString('base64');

  beforeAll(async () => {
    sb = await createSandbox();
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    key = pair.privateKey;
    const pub = join(sb.dir, 'signer.pem');
    await writeFile(pub, pair.publicKey.export({ type: 'spki', format: 'pem' }));
    downstream = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ body: Buffer.concat(chunks).toString('utf8'), headers: req.headers });
        setTimeout(() => res.writeHead(204).end(), slow ? 8_000 : 0);
      });
    });
    await new Promise<void>((resolve) => downstream.listen(0, '127.0.0.1', resolve));
    const forward = `http://127.0.0.1:${(downstream.address() as AddressInfo).port}/hooks`;
    child = spawn(
      process.execPath,
      [WISE_BIN, '--json', 'webhook', 'listen', '--port', '0', '--public-key', pub, '--forward-to', forward],
      { env: cleanEnv(sb.env), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    out = capture(child);
    await waitFor(() => /Listening/.test(out.stderr()), 'the listener to say Listening');
    url = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out.stderr())?.[1] as string;
    expect(url, out.stderr()).toBeDefined();
  });
  afterAll(async () => {
    child?.kill('SIGTERM');
    downstream?.closeAllConnections();
    downstream?.close();
    await sb?.cleanup();
  });

  const printed = () =>
    out
      .stdout()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { deliveryId: string; test: boolean; eventType: string; event: unknown });

  it('a good delivery: 200, printed once as a JSON line, forwarded with its raw bytes and headers; a redelivery only acknowledged', async () => {
    const body = event(1);
    const headers = { 'x-signature-sha256': signed(body), 'x-delivery-id': 'd-0001', 'x-test-notification': 'true' };
    expect((await deliver(url, body, headers)).status).toBe(200);
    expect((await deliver(url, body, headers)).status).toBe(200);
    await waitFor(() => received.length === 1 && /forwarded d-0001/.test(out.stderr()), 'the delivery forwarded');
    expect(printed()).toEqual([
      { deliveryId: 'd-0001', test: true, eventType: 'transfers#state-change', event: JSON.parse(body) },
    ]);
    expect(received).toHaveLength(1);
    expect(received[0]?.body).toBe(body);
    expect(received[0]?.headers['x-signature-sha256']).toBe(headers['x-signature-sha256']);
    expect(received[0]?.headers['x-delivery-id']).toBe('d-0001');
    expect(out.stderr()).toContain('acknowledged a redelivery of d-0001');
    expect(out.stderr()).toMatch(/forwarded d-0001 to http:\/\/127\.0\.0\.1:\d+\/hooks: 204/);
  });

  it('forged or unsigned deliveries get 4xx and are neither printed nor forwarded', async () => {
    const before = printed().length;
    const forwarded = received.length;
    const body = event(2);
    const forged = await deliver(url, body.replace('"id":2', '"id":3'), {
      'x-signature-sha256': signed(body),
      'x-delivery-id': 'd-forged',
    });
    expect(forged.status).toBe(403);
    expect((await deliver(url, body, { 'x-delivery-id': 'd-unsigned' })).status).toBe(401);
    expect((await deliver(url, body, { 'x-signature-sha256': 'not base64!', 'x-delivery-id': 'd-junk' })).status).toBe(
      403,
    );
    // A good delivery after them, as a barrier: once it is printed and forwarded, the bad ones would have been too.
    const good = event(40);
    await deliver(url, good, { 'x-signature-sha256': signed(good), 'x-delivery-id': 'd-barrier' });
    await waitFor(() => printed().length === before + 1 && received.length === forwarded + 1, 'the barrier delivery');
    expect(printed().at(-1)?.deliveryId).toBe('d-barrier');
    expect(out.stdout()).not.toContain('d-forged');
  });

  it('a downstream that hangs does not hold the answer to Wise', async () => {
    slow = true;
    const body = event(4);
    const sent = await deliver(url, body, { 'x-signature-sha256': signed(body), 'x-delivery-id': randomUUID() });
    slow = false;
    expect(sent.status).toBe(200);
    expect(sent.ms).toBeLessThan(1_000);
  });

  it('1,000 deliveries, a tenth forged, 50 at a time: each good one printed once, no forged one, all answered in time, memory flat', async () => {
    const pid = child.pid as number;
    const rss = async () => Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1]);
    const round = async (name: string) => {
      const jobs = Array.from({ length: 1000 }, (_, i) => {
        const body = event((name === 'load-a' ? 1000 : 5000) + i);
        const forged = i % 10 === 9;
        return {
          id: `${name}-${i}`,
          forged,
          body: forged ? body.replace('processing', 'completed') : body,
          signature: signed(body),
        };
      });
      const results: Sent[] = [];
      for (let i = 0; i < jobs.length; i += 50) {
        results.push(
          ...(await Promise.all(
            jobs
              .slice(i, i + 50)
              .map((j) => deliver(url, j.body, { 'x-signature-sha256': j.signature, 'x-delivery-id': j.id })),
          )),
        );
      }
      expect(results.filter((r, i) => r.status === (jobs[i]?.forged ? 403 : 200))).toHaveLength(1000);
      await waitFor(
        () => printed().filter((p) => p.deliveryId.startsWith(`${name}-`)).length >= 900,
        'the 900 good deliveries printed',
      );
      const ids = printed()
        .map((p) => p.deliveryId)
        .filter((id) => id.startsWith(`${name}-`));
      expect(ids).toHaveLength(900);
      expect(new Set(ids).size).toBe(900);
      expect(ids.some((id) => jobs.find((j) => j.id === id)?.forged)).toBe(false);
      return Math.max(...results.map((r) => r.ms));
    };
    const rssStart = await rss();
    const slowestA = await round('load-a');
    const rssMid = await rss();
    const slowestB = await round('load-b');
    const rssEnd = await rss();
    expect(Math.max(slowestA, slowestB)).toBeLessThan(5_000);
    // Flat memory: the second thousand costs no more than a little over the first (the first loads the forwarding
    // client and grows the heap to its working size).
    expect(rssEnd - rssMid).toBeLessThan(20_000);
    console.log(
      `webhook listen load: 2 x 1000 deliveries (10% forged), 50 at a time; slowest answer ${Math.max(slowestA, slowestB)} ms; RSS ${rssStart} -> ${rssMid} -> ${rssEnd} kB`,
    );
  });
});

describe('wise webhook listen over TLS, demanding client certificates (mTLS webhooks)', () => {
  it('answers a delivery that presents a certificate of the client CA, and refuses a connection without one', async () => {
    const { readFileSync } = await import('node:fs');
    const https = await import('node:https');
    const sb = await createSandbox();
    const dir = sb.dir;
    try {
      opensslCa(dir, 'ca');
      for (const name of ['server', 'client']) {
        opensslCsr(dir, name);
        opensslSign(dir, 'ca', `${name}.csr`, `${name}.pem`, 'DNS:localhost,IP:127.0.0.1');
      }
      const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
      await writeFile(join(dir, 'signer.pem'), pair.publicKey.export({ type: 'spki', format: 'pem' }));
      const child = spawn(
        process.execPath,
        [
          WISE_BIN,
          'webhook',
          'listen',
          '--port',
          '0',
          '--host',
          '127.0.0.1',
          '--public-key',
          join(dir, 'signer.pem'),
          '--tls-cert',
          join(dir, 'server.pem'),
          '--tls-key',
          join(dir, 'server.key'),
          '--client-ca',
          join(dir, 'ca.pem'),
        ],
        { env: cleanEnv(sb.env), stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const out = capture(child);
      try {
        await waitFor(() => /Listening/.test(out.stderr()), 'the listener to say Listening');
        const url = /(https:\/\/127\.0\.0\.1:\d+\/)/.exec(out.stderr())?.[1] as string;
        expect(out.stderr()).toContain('client certificates required');
        const body = event(7);
        const post = (withCert: boolean) =>
          new Promise<number>((resolve, reject) => {
            const req = https.request(
              url,
              {
                method: 'POST',
                ca: readFileSync(join(dir, 'ca.pem')),
                ...(withCert
                  ? {
                      cert: readFileSync(join(dir, 'client.pem')),
                      key: readFileSync(join(dir, 'client.key')),
                    }
                  : {}),
                headers: {
                  'x-signature-sha256': sign('sha256', Buffer.from(body), pair.privateKey).toString('base64'),
                  'x-delivery-id': withCert ? 'tls-1' : 'tls-2',
                },
              },
              (res) => {
                res.resume();
                resolve(res.statusCode ?? 0);
              },
            );
            req.on('error', reject);
            req.end(body);
          });
        expect(await post(true)).toBe(200);
        await expect(post(false)).rejects.toThrow();
        await waitFor(() => out.stdout().includes('transfers#state-change tls-1'), 'the delivery printed');
        expect(out.stdout()).not.toContain('tls-2');
      } finally {
        child.kill('SIGTERM');
      }
    } finally {
      await sb.cleanup();
    }
  });

  it('another --host than loopback is warned about; bad flags are exit 2', async () => {
    const { runWise } = await import('../helpers/cli.js');
    const sb = await createSandbox();
    try {
      const child = spawn(process.execPath, [WISE_BIN, 'webhook', 'listen', '--port', '0', '--host', '0.0.0.0'], {
        env: cleanEnv(sb.env),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const out = capture(child);
      await waitFor(() => /warning/.test(out.stderr()), 'the listener to say warning');
      child.kill('SIGTERM');
      expect(out.stderr()).toContain('warning: listening on 0.0.0.0, reachable from other machines: serve TLS');
      for (const args of [
        ['--port', 'x'],
        ['--port', '0', '--tls-cert', 'a.pem'],
        ['--port', '0', '--forward-to', 'not a url'],
        ['--port', '0', '--client-ca', 'ca.pem'],
      ]) {
        const r = await runWise(['webhook', 'listen', ...args], { env: sb.env });
        expect(r.code, args.join(' ')).toBe(2);
      }
    } finally {
      await sb.cleanup();
    }
  });
});
