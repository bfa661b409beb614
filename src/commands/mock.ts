import { readFileSync } from 'node:fs';
import type { Context } from '../context.js';
import { PortInUseError, UsageError } from '../errors.js';
import type { MockServer } from '../mock/server.js';
import type { MockCommandOptions } from './specs.js';

/** Runs the emulator until SIGINT/SIGTERM. The base URL is the first line on stdout, for scripts. */
export async function mock(ctx: Context, opts: MockCommandOptions): Promise<void> {
  if (!/^\d+$/.test(opts.port) || Number(opts.port) > 65535) {
    throw new UsageError(`--port must be a number from 0 to 65535, not "${opts.port}".`);
  }
  // The emulator is its own bundle (dist/mock.cjs): the client never loads it, and it shares no code with it.
  const { startMockServer } = await import('../mock/server.js');
  let server: MockServer;
  try {
    if (opts.tokenTtl !== undefined && !/^[1-9]\d*$/.test(opts.tokenTtl)) {
      throw new UsageError(`--token-ttl must be a whole number of seconds, not "${opts.tokenTtl}".`);
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
    server = await startMockServer({
      ...(scaPublicKeys.length ? { scaPublicKeys } : {}),
      ...(opts.clockSkew ? { clockSkewSeconds: Number(opts.clockSkew) } : {}),
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
  ctx.io.out(`${server.url}\n`);
  ctx.io.out(`personal-token ${server.personalToken}\n`);
  ctx.io.out(`client-id ${server.clientId}\n`);
  ctx.io.out(`client-secret ${server.clientSecret}\n`);
  ctx.io.err(
    `Wise emulator listening on ${server.url} (Ctrl-C to stop).\n` +
      `Try: WISE_API_URL=${server.url} WISE_TOKEN=<the token above> wise profiles list`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
}
