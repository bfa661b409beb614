import { connect } from 'node:net';
import { SecretStoreError } from '../errors.js';

/** The unix socket of a D-Bus address (`unix:path=...` or `unix:abstract=...`), if it names one. */
export function sessionBusSocket(address: string): string | undefined {
  for (const entry of address.split(';')) {
    if (!entry.startsWith('unix:')) continue;
    const params = new Map(
      entry
        .slice(5)
        .split(',')
        .map((kv) => {
          const eq = kv.indexOf('=');
          return [kv.slice(0, eq), decodeURIComponent(kv.slice(eq + 1))] as [string, string];
        }),
    );
    const path = params.get('path');
    if (path) return path;
    const abstract = params.get('abstract');
    if (abstract) return `\0${abstract}`;
  }
  return undefined;
}

/**
 * Checks, with a timeout, that the D-Bus session bus answers its authentication handshake. The keychain library
 * connects synchronously on the main thread, so a bus that accepts connections and then hangs would hang the tool
 * beyond any timer; this asynchronous check turns that into a clear error instead. A bus that is absent or refuses
 * the connection is left to the keychain library, which reports it at once.
 */
export function checkSessionBus(address: string | undefined, uid: number, timeoutMs: number): Promise<void> {
  const path = address ? sessionBusSocket(address) : undefined;
  if (!path) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    let answer = '';
    const done = (error?: Error) => {
      clearTimeout(timer);
      if (answer && !error) {
        // The bus answered. The socket is paused, unref'd and left to close with the process rather than destroyed:
        // Node's Socket#_destroy looks at process.stderr, and its first use builds the stderr stream, 1.5-2 ms of
        // every run that reads the keychain. Its error and close listeners stay, so a late error is still handled.
        socket.removeAllListeners('data');
        socket.pause();
        socket.unref();
      } else {
        socket.destroy();
      }
      if (error) reject(error);
      else resolve();
    };
    const timer = setTimeout(
      () =>
        done(
          new SecretStoreError(`The OS keychain cannot be used: D-Bus did not answer within ${timeoutMs / 1000} s.`, {
            hint: 'Restart your session bus, or use the encrypted file store: export WISE_STORE=file.',
          }),
        ),
      timeoutMs,
    );
    socket.once('connect', () => {
      socket.write(`\0AUTH EXTERNAL ${Buffer.from(String(uid)).toString('hex')}\r\n`);
    });
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1');
      if (answer.includes('\r\n')) done();
    });
    // Absent or refusing: the keychain library says so itself, without hanging.
    socket.once('error', () => done());
    socket.once('close', () => done());
  });
}

let once: Promise<void> | undefined;

/** `checkSessionBus` once per process (Linux only; elsewhere there is no bus to check). */
export function sessionBusCheckedOnce(env: Readonly<Record<string, string | undefined>>): Promise<void> {
  if (process.platform !== 'linux') return Promise.resolve();
  if (!once) {
    once = checkSessionBus(env.DBUS_SESSION_BUS_ADDRESS, process.getuid?.() ?? 0, keychainTimeoutMs(env));
    // Started early, it may fail before anyone waits for it: whoever does is told.
    once.catch(() => {});
  }
  return once;
}

export function keychainTimeoutMs(env: Readonly<Record<string, string | undefined>>): number {
  return Number(env.WISE_KEYCHAIN_TIMEOUT_MS) || 5_000;
}
