import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context } from '../context.js';
import { ExitWith, PortInUseError, UsageError, WiseError } from '../errors.js';
import type { MockServer, TestPki } from '../mock/server.js';
import type { MockCommandOptions } from './specs.js';

let pki: TestPki | undefined;

/** The CA and certificates in `dir` when it holds them, else new ones (in `dir`, or a new temporary folder). */
async function testPki(dir: string | undefined): Promise<TestPki> {
  const folder = dir ?? mkdtempSync(join(tmpdir(), 'wise-mock-tls-'));
  const files = ['ca.pem', 'server.pem', 'server.key', 'client.pem', 'client.key'].map((f) => join(folder, f));
  if (files.every((f) => existsSync(f))) {
    const [ca, serverCert, serverKey, clientCert, clientKey] = files as [string, string, string, string, string];
    pki = { dir: folder, ca, serverCert, serverKey, clientCert, clientKey };
  } else {
    // From the emulator's bundle, like the server: the client bundle holds none of the emulator.
    const { makeTestPki } = await import('../mock/server.js');
    pki = await makeTestPki(folder);
  }
  return pki;
}

/** Runs the emulator until SIGINT/SIGTERM. The base URL is the first line on stdout, for scripts. */
export async function mock(ctx: Context, opts: MockCommandOptions): Promise<void> {
  if (!/^\d+$/.test(opts.port) || Number(opts.port) > 65535) {
    throw new UsageError(`--port must be a number from 0 to 65535, not "${opts.port}".`);
  }
  if (opts.detach) return detach(ctx, opts);
  // The emulator is its own bundle (dist/mock.cjs): the client never loads it, and it shares no code with it.
  const { startMockServer } = await import('../mock/server.js');
  let server: MockServer;
  try {
    if (opts.tokenTtl !== undefined && !/^[1-9]\d*$/.test(opts.tokenTtl)) {
      throw new UsageError(`--token-ttl must be a whole number of seconds, not "${opts.tokenTtl}".`);
    }
    if (opts.latencyMs !== undefined && !/^\d+$/.test(opts.latencyMs)) {
      throw new UsageError(`--latency-ms must be a whole number of milliseconds, not "${opts.latencyMs}".`);
    }
    if (opts.clockSkew !== undefined && !/^-?\d+$/.test(opts.clockSkew)) {
      throw new UsageError(`--clock-skew must be a whole number of seconds, not "${opts.clockSkew}".`);
    }
    const scaPublicKeys = (opts.scaPublicKey ?? []).map((file) => {
      try {
        return readFileSync(file, 'utf8');
      } catch (error) {
        throw new UsageError(
          `Cannot read --sca-public-key ${file}: ${(error as NodeJS.ErrnoException).code ?? error}.`,
        );
      }
    });
    const tls = opts.tls || opts.mtls ? await testPki(opts.tlsDir) : undefined;
    server = await startMockServer({
      ...(tls
        ? {
            tls: {
              cert: readFileSync(tls.serverCert, 'utf8'),
              key: readFileSync(tls.serverKey, 'utf8'),
              ca: readFileSync(tls.ca, 'utf8'),
              requestCert: Boolean(opts.mtls),
            },
          }
        : {}),
      ...(scaPublicKeys.length ? { scaPublicKeys } : {}),
      ...(opts.clockSkew ? { clockSkewSeconds: Number(opts.clockSkew) } : {}),
      ...(opts.latencyMs ? { latencyMs: Number(opts.latencyMs) } : {}),
      port: Number(opts.port),
      redirectUris: opts.redirectUri ?? [],
      ...(opts.autoApprove ? { autoApprove: true } : {}),
      ...(opts.tokenTtl ? { tokenTtlSeconds: Number(opts.tokenTtl) } : {}),
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new PortInUseError(
        '127.0.0.1',
        Number(opts.port),
        'the emulator cannot listen there',
        'Pick another with --port, or 0 for any free port.',
      );
    }
    throw error;
  }
  // Stopped by Ctrl-C or SIGTERM: the handlers are in place before the first line that says the emulator is up.
  const stopped = new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  ctx.io.out(`${server.url}\n`);
  ctx.io.out(`personal-token ${server.personalToken}\n`);
  ctx.io.out(`client-id ${server.clientId}\n`);
  ctx.io.out(`client-secret ${server.clientSecret}\n`);
  // Beside the certificates when there are some; else in a folder of its own, removed when the emulator stops.
  const ownKeyDir = pki ? undefined : mkdtempSync(join(tmpdir(), 'wise-mock-'));
  const keyDir = pki?.dir ?? (ownKeyDir as string);
  const webhookKey = join(keyDir, 'webhook-public-key.pem');
  writeFileSync(webhookKey, server.webhookPublicKey);
  ctx.io.out(`webhook-public-key ${webhookKey}\n`);
  if (pki) ctx.io.out(`ca ${pki.ca}\nclient-cert ${pki.clientCert}\nclient-key ${pki.clientKey}\n`);
  ctx.io.err(
    `${LISTENING} ${server.url} (Ctrl-C to stop).\n` +
      `Try: WISE_API_URL=${server.url} WISE_TOKEN=<the token above> wise profiles list`,
  );
  await stopped;
  await server.close();
  if (ownKeyDir) rmSync(ownKeyDir, { recursive: true, force: true });
}

const LISTENING = 'Wise emulator listening on';
/** How long `--detach` waits for the emulator to listen (key generation on a busy machine takes a few seconds). */
const DETACH_WAIT_MS = 60_000;

/** The emulator's own options, as its command line. */
function mockArgs(opts: MockCommandOptions): string[] {
  return [
    '--port',
    opts.port,
    ...(opts.redirectUri ?? []).flatMap((uri) => ['--redirect-uri', uri]),
    ...(opts.autoApprove ? ['--auto-approve'] : []),
    ...(opts.tokenTtl !== undefined ? ['--token-ttl', opts.tokenTtl] : []),
    ...(opts.clockSkew !== undefined ? ['--clock-skew', opts.clockSkew] : []),
    ...(opts.latencyMs !== undefined ? ['--latency-ms', opts.latencyMs] : []),
    ...(opts.scaPublicKey ?? []).flatMap((file) => ['--sca-public-key', file]),
    ...(opts.tls ? ['--tls'] : []),
    ...(opts.mtls ? ['--mtls'] : []),
    ...(opts.tlsDir !== undefined ? ['--tls-dir', opts.tlsDir] : []),
  ];
}

/**
 * `--detach`: starts the emulator as a background process and returns once it listens, with its lines on stdout
 * and then `pid <n>` and `log <file>`, so a script needs no `sleep`. The emulator writes to the log file, never to
 * a pipe that closes when this process ends. It stays in this command's process group, so whatever stops a script's
 * jobs stops it too; `kill <pid>` stops it on its own.
 */
async function detach(ctx: Context, opts: MockCommandOptions): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'wise-mock-run-'));
  const outFile = join(dir, 'stdout.txt');
  const logFile = join(dir, 'emulator.log');
  const [out, log] = [openSync(outFile, 'w', 0o600), openSync(logFile, 'w', 0o600)];
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1] as string, 'mock', ...mockArgs(opts)], {
    env: { ...ctx.env },
    stdio: ['ignore', out, log],
  });
  closeSync(out);
  closeSync(log);
  const exited = new Promise<number>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
    child.once('error', () => resolve(127));
  });
  const deadline = Date.now() + DETACH_WAIT_MS;
  for (;;) {
    const state = await Promise.race([exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), 50))]);
    if (state !== undefined) {
      // It stopped before it listened: what it said is the reason (exit 2 for bad options, port in use, ...).
      ctx.io.err(readFileSync(logFile, 'utf8').trimEnd());
      rmSync(dir, { recursive: true, force: true });
      throw new ExitWith(state);
    }
    if (readFileSync(logFile, 'utf8').includes(LISTENING)) break;
    if (Date.now() > deadline) {
      child.kill('SIGTERM');
      throw new WiseError(`The emulator did not start within ${DETACH_WAIT_MS / 1000} s; see ${logFile}.`);
    }
  }
  // Its lines hold the demo token and the client secret: printed here, and not left in a file.
  ctx.io.out(readFileSync(outFile, 'utf8'));
  rmSync(outFile);
  ctx.io.out(`pid ${child.pid}\nlog ${logFile}\n`);
  ctx.io.err(`Wise emulator running in the background (pid ${child.pid}); stop it with: kill ${child.pid}`);
  child.unref();
}
