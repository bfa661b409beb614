import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSessionBus, sessionBusSocket } from '../../src/store/dbus-probe.js';
import { createSandbox, type Sandbox, STACK_TRACE } from '../helpers/cli.js';

// A session bus that accepts connections and never answers: the keychain library would block on it forever.
let bus: Server;
let sb: Sandbox;
let socket: string;
beforeAll(async () => {
  sb = await createSandbox();
  socket = join(sb.dir, 'hung-bus.sock');
  bus = createServer(() => {}).listen(socket);
  await new Promise((r) => bus.once('listening', r));
  delete sb.env.WISE_STORE;
  Object.assign(sb.env, { DBUS_SESSION_BUS_ADDRESS: `unix:path=${socket}`, WISE_KEYCHAIN_TIMEOUT_MS: '500' });
  // An account whose token would be in the keychain.
  const { ConfigFile } = await import('../../src/store/config.js');
  await new ConfigFile(sb.configDir).update((c) => {
    c.accounts.default = { env: 'sandbox', credentials: { sandbox: { type: 'personal', addedAt: 'now' } } };
  });
});
afterAll(async () => {
  bus.close();
  await sb.cleanup();
});

describe('a hung D-Bus', () => {
  it.each([
    [['token', 'add', '--no-verify'], 'tok-1234567890'],
    [['auth', 'token'], ''],
    [['api', '/v1/me'], ''],
    [['logout', '--all'], ''],
  ])('wise %j exits 7 instead of hanging', async (args, input) => {
    const r = await sb.run(args, { input, timeoutMs: 15_000 });
    expect(r.code).toBe(7);
    expect(r.stderr + r.stdout).toMatch(/did not answer within 0\.5 s/);
    expect(r.stderr).not.toMatch(STACK_TRACE);
  });
});

describe('no session bus at all (a container, a CI shell)', () => {
  it('exit 7 naming the encrypted file store', async () => {
    const r = await sb.run(['auth', 'token'], { env: { DBUS_SESSION_BUS_ADDRESS: undefined, DISPLAY: undefined } });
    expect(r.code).toBe(7);
    expect(r.stderr).toContain('The OS keychain cannot be used: no D-Bus session or Secret Service is reachable');
    expect(r.stderr).toContain('WISE_STORE=file');
    expect(r.stderr).not.toMatch(STACK_TRACE);
  });

  it('auth status says the keychain is unusable even when nothing is stored', async () => {
    const empty = await createSandbox();
    try {
      delete empty.env.WISE_STORE;
      const r = await empty.run(['--json', 'auth', 'status', '--offline'], {
        env: { DBUS_SESSION_BUS_ADDRESS: undefined },
      });
      expect(r.code).toBe(4);
      expect(JSON.parse(r.stdout)).toMatchObject({
        store: { backend: 'keychain' },
        storeError: expect.stringContaining('no D-Bus session'),
      });
    } finally {
      await empty.cleanup();
    }
  });
});

describe('sessionBusSocket', () => {
  it.each([
    ['unix:path=/run/user/1000/bus', '/run/user/1000/bus'],
    ['unix:abstract=/tmp/dbus-XYZ,guid=abc', '\0/tmp/dbus-XYZ'],
    ['tcp:host=localhost,port=1234;unix:path=/tmp/b', '/tmp/b'],
    ['tcp:host=localhost,port=1234', undefined],
    ['unix:path=/tmp/with%20space', '/tmp/with space'],
  ])('%s → %s', (address, expected) => {
    expect(sessionBusSocket(address)).toBe(expected);
  });
});

describe('checkSessionBus on a bus that answers', () => {
  it('resolves without touching process.stderr (its first use builds a stream on every keychain run)', async () => {
    const dir = await createSandbox();
    const path = join(dir.dir, 'answering-bus.sock');
    const seen: string[] = [];
    const answering = createServer((s) => {
      s.on('data', (c) => {
        seen.push(c.toString('latin1'));
        s.write('OK 0123456789abcdef\r\n');
      });
      s.on('error', () => {});
    }).listen(path);
    await new Promise((r) => answering.once('listening', r));
    const own = Object.getOwnPropertyDescriptor(process, 'stderr');
    let reads = 0;
    Object.defineProperty(process, 'stderr', {
      configurable: true,
      enumerable: own?.enumerable ?? true,
      get() {
        reads++;
        return own?.get ? own.get.call(process) : own?.value;
      },
    });
    try {
      await checkSessionBus(`unix:path=${path}`, 1000, 2_000);
      // Let any close or destroy the check started run its course.
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      if (own) Object.defineProperty(process, 'stderr', own);
      answering.close();
      await dir.cleanup();
    }
    expect(seen.join('')).toBe(`\0AUTH EXTERNAL ${Buffer.from('1000').toString('hex')}\r\n`);
    expect(reads).toBe(0);
  });
});
