import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { chmod, stat, symlink, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { capture, cleanEnv, createSandbox, type Sandbox, WISE_BIN } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait.js';

function deliver(url: string, body: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The same, written on a raw socket: header bytes a well-behaved client would refuse to send. */
function deliverRaw(url: string, body: string, headers: Record<string, string>): Promise<number> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    let answer = '';
    socket.on('data', (c: Buffer) => {
      answer += c.toString('latin1');
    });
    socket.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0)));
    socket.on('error', reject);
    const head = Object.entries({ 'content-type': 'application/json', ...headers })
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    socket.end(
      Buffer.from(
        `POST / HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${head}\r\n${body}`,
        'latin1',
      ),
    );
  });
}

const event = (n: number) =>
  JSON.stringify({ data: { resource: { id: n } }, event_type: 'transfers#state-change', schema_version: '2.0.0' });

let sb: Sandbox;
let key: KeyObject;
let pub: string;
let downstream: Server;
let forward: string;
const received: IncomingMessage['headers'][] = [];
const running: ChildProcess[] = [];
const signed = (body: string) => sign('sha256', Buffer.from(body), key).toString('base64');

beforeAll(async () => {
  sb = await createSandbox();
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  key = pair.privateKey;
  pub = join(sb.dir, 'signer.pem');
  await writeFile(pub, pair.publicKey.export({ type: 'spki', format: 'pem' }));
  downstream = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received.push(req.headers);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => downstream.listen(0, '127.0.0.1', resolve));
  forward = `http://127.0.0.1:${(downstream.address() as AddressInfo).port}/hooks`;
});
afterEach(() => {
  for (const child of running.splice(0)) child.kill('SIGTERM');
});
afterAll(async () => {
  downstream?.closeAllConnections();
  downstream?.close();
  await sb?.cleanup();
});

/** Starts a listener; resolves with its URL and output once it says it listens, or with its exit when it refuses. */
async function listen(args: string[]) {
  const child = spawn(
    process.execPath,
    [WISE_BIN, '--json', 'webhook', 'listen', '--port', '0', '--public-key', pub, ...args],
    { env: cleanEnv(sb.env), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  running.push(child);
  const out = capture(child);
  let exited: number | null = null;
  child.on('exit', (code) => {
    exited = code;
  });
  await waitFor(() => /Listening/.test(out.stderr()) || exited !== null, 'the listener to listen (or exit)');
  const url = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out.stderr())?.[1] as string;
  const printed = () => out.stdout().split('\n').filter(Boolean);
  return { url, out, printed, exited: () => exited };
}

/** How often `pattern` is in the listener's stderr. */
const count = (text: string, pattern: RegExp) => text.match(new RegExp(pattern, 'g'))?.length ?? 0;

describe('webhook replays and unsigned headers', () => {
  it('the same signed body under four new delivery ids is printed and forwarded once', async () => {
    const l = await listen(['--forward-to', forward]);
    const before = received.length;
    const body = event(1);
    for (const id of ['r-1', 'r-2', 'r-3', 'r-4'])
      expect(await deliver(l.url, body, { 'x-signature-sha256': signed(body), 'x-delivery-id': id })).toBe(200);
    await waitFor(
      () => count(l.out.stderr(), /acknowledged a redelivery/) === 3 && received.length > before,
      'three redeliveries acknowledged and the first forwarded',
    );
    expect(l.printed()).toHaveLength(1);
    expect(received.length - before).toBe(1);
    expect(l.out.stderr().match(/acknowledged a redelivery/g)).toHaveLength(3);
  });

  it('X-Test-Notification: true does not let a forged body through', async () => {
    const l = await listen([]);
    const body = event(2);
    const status = await deliver(l.url, body.replace('"id":2', '"id":3'), {
      'x-signature-sha256': signed(body),
      'x-test-notification': 'true',
      'x-delivery-id': 'forged-test',
    });
    expect(status).toBe(403);
    expect(await deliver(l.url, body.replace('"id":2', '"id":3'), { 'x-test-notification': 'true' })).toBe(401);
    await waitFor(() => count(l.out.stderr(), /refused /) === 2, 'both deliveries refused');
    expect(l.printed()).toEqual([]);
  });

  it('control characters of an echoed header (C1 0x9B included) never reach the terminal', async () => {
    const l = await listen([]);
    const body = event(5);
    const id = 'ab\u009b31mcd\u0085';
    expect(await deliverRaw(l.url, body, { 'x-signature-sha256': signed(body), 'x-delivery-id': id })).toBe(200);
    expect(await deliverRaw(l.url, body, { 'x-signature-sha256': signed(body), 'x-delivery-id': id })).toBe(200);
    expect(await deliverRaw(l.url, event(6), { 'x-signature-sha256': 'AAAA', 'x-delivery-id': id })).toBe(403);
    await waitFor(
      () =>
        l.printed().length === 1 && /acknowledged a redelivery/.test(l.out.stderr()) && /refused /.test(l.out.stderr()),
      'the delivery printed, its redelivery acknowledged, the forgery refused',
    );
    const all = l.out.stdout() + l.out.stderr();
    expect(all).toContain('ab31mcd');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: what must not appear
    expect(all).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
  });

  it('--state keeps handled deliveries across a restart (0600); a state file of others or a symlink is refused', async () => {
    const state = join(sb.dir, 'hooks.state');
    const body = event(7);
    const headers = { 'x-signature-sha256': signed(body), 'x-delivery-id': 's-1' };
    const first = await listen(['--state', state]);
    expect(await deliver(first.url, body, headers)).toBe(200);
    await waitFor(() => first.printed().length === 1, 'the delivery printed');
    expect((await stat(state)).mode & 0o777).toBe(0o600);
    for (const child of running.splice(0)) child.kill('SIGTERM');
    const second = await listen(['--state', state]);
    expect(await deliver(second.url, body, { ...headers, 'x-delivery-id': 's-2' })).toBe(200);
    await waitFor(
      () => second.out.stderr().includes('acknowledged a redelivery of s-2'),
      'the redelivery acknowledged',
    );
    expect(second.printed()).toEqual([]);
    // Without --state a restart forgets.
    const forgetful = await listen([]);
    expect(await deliver(forgetful.url, body, headers)).toBe(200);
    await waitFor(() => forgetful.printed().length === 1, 'the delivery printed again');

    await chmod(state, 0o666);
    const shared = await listen(['--state', state]);
    expect(shared.exited()).toBe(2);
    expect(shared.out.stderr()).toContain(`The webhook state file ${state} can be read or written by others`);
    const link = join(sb.dir, 'link.state');
    await symlink(state, link);
    const linked = await listen(['--state', link]);
    expect(linked.exited()).toBe(2);
    expect(linked.out.stderr()).toContain('is a symbolic link');
  });

  it('--forward-to credentials are never printed, at start-up or per forwarded delivery', async () => {
    const withUser = forward.replace('http://', 'http://hookuser:Hook-S3cret@');
    const l = await listen(['--forward-to', withUser]);
    const body = event(8);
    expect(await deliver(l.url, body, { 'x-signature-sha256': signed(body), 'x-delivery-id': 'f-1' })).toBe(200);
    await waitFor(() => /forwarded f-1 /.test(l.out.stderr()), 'the delivery forwarded');
    expect(l.out.stderr()).toContain('forwarding to http://***@127.0.0.1:');
    expect(l.out.stderr()).toMatch(/forwarded f-1 to http:\/\/\*\*\*@127\.0\.0\.1:\d+\/hooks: 204/);
    expect(l.out.stderr()).not.toContain('Hook-S3cret');
    expect(l.out.stderr()).not.toContain('hookuser');
  });
});
