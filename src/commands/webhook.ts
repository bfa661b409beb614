import type { KeyObject } from 'node:crypto';
import type { Context } from '../context.js';
import { PortInUseError, UsageError, WiseError } from '../errors.js';
import { isLoopbackHost, parseEnv } from '../http/endpoints.js';
import { readFileOrStdin, readTextOrFail } from '../util/input.js';
import { printJson } from '../util/output.js';
import { decodeSignature, verifyWebhook, WISE_WEBHOOK_KEYS, webhookPublicKey } from '../webhooks/signature.js';
import type { WebhookListenOptions, WebhookVerifyOptions } from './specs.js';

const MAX_BODY = 10 * 1024 * 1024;

/**
 * `wise webhook verify --signature <b64> [<file>|-]`: checks `X-Signature-SHA256` over the raw body with Wise's
 * published key for the environment (or `--public-key`). Exit 0 valid, 1 invalid, 2 bad input.
 */
export async function webhookVerify(ctx: Context, file: string | undefined, opts: WebhookVerifyOptions): Promise<void> {
  if (opts.signature === undefined) {
    throw new UsageError('Give the X-Signature-SHA256 header of the delivery with --signature.', {
      hint: 'wise webhook verify --signature "$SIGNATURE" body.json',
    });
  }
  const signature = decodeSignature(opts.signature);
  const { key, keyName } = signerKey(ctx, opts.publicKey);
  const body = await readFileOrStdin(ctx, file, 'raw body', MAX_BODY);
  if (!body.byteLength) throw new UsageError('The body is empty: verify the raw bytes Wise sent, unchanged.');
  const valid = verifyWebhook(body, signature, key);
  if (ctx.options.json) printJson(ctx, { valid, key: keyName, bytes: body.byteLength });
  if (!valid) {
    throw new WiseError(`The signature does not match this body with ${keyName}: do not process it.`, {
      hint: 'Verify the raw bytes as received (not re-serialised JSON), with the key of the environment that sent it.',
      details: { valid: false },
    });
  }
  if (!ctx.options.json) ctx.io.err(`✓ Signature valid (${keyName}, ${body.byteLength} bytes).`);
}

/** The key deliveries are checked with: `--public-key`, else Wise's published key for --env / WISE_ENV (sandbox). */
function signerKey(ctx: Context, publicKey: string | undefined): { key: KeyObject; keyName: string } {
  if (publicKey)
    return { key: webhookPublicKey(readTextOrFail(publicKey, 'public key'), publicKey), keyName: publicKey };
  const env = ctx.options.env
    ? parseEnv(ctx.options.env, '--env')
    : ctx.env.WISE_ENV
      ? parseEnv(ctx.env.WISE_ENV, 'WISE_ENV')
      : 'sandbox';
  return { key: webhookPublicKey(WISE_WEBHOOK_KEYS[env], `Wise's ${env} key`), keyName: `Wise's ${env} webhook key` };
}

/**
 * The --state file: the hashes of deliveries handled, one a line, so that a restarted listener does not print or
 * forward a replayed body again. A regular file of this user's, mode 0600, not a symlink; else refused, named.
 * Compacted to the newest hashes when it has grown to twice what is remembered.
 */
async function openDeliveryState(path: string): Promise<{ remembered: string[]; add(hash: string): void }> {
  const [fs, { REMEMBERED_DELIVERIES }, { openOwnStateFile }] = await Promise.all([
    import('node:fs'),
    import('../webhooks/listen.js'),
    import('../store/private-files.js'),
  ]);
  const open = () => {
    const opened = openOwnStateFile(path);
    if ('problem' in opened) {
      throw new UsageError(`The webhook state file ${path} ${opened.problem}: it is not used.`, {
        hint: `Give a file of your own with mode 0600 (chmod 600 ${path}), or a new path.`,
      });
    }
    return opened;
  };
  const opened = open();
  let fd = opened.fd;
  const all = opened.text.split('\n').filter((line) => /^[0-9a-f]{64}$/.test(line));
  const remembered = all.slice(-REMEMBERED_DELIVERIES);
  if (all.length > 2 * REMEMBERED_DELIVERIES) {
    // Grown to twice what is remembered: kept to the newest, and the new file is the one appended to.
    const { writeFileAtomic } = await import('../store/atomic.js');
    await writeFileAtomic(path, remembered.map((h) => `${h}\n`).join(''));
    fs.closeSync(fd);
    fd = open().fd;
  }
  return {
    remembered,
    add: (hash) => {
      try {
        fs.writeSync(fd, `${hash}\n`);
      } catch {}
    },
  };
}

/** `wise webhook listen --port <n>`: receive, verify, print and forward Wise's webhooks until Ctrl-C. */
export async function webhookListen(ctx: Context, opts: WebhookListenOptions): Promise<void> {
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port must be 0-65535, not "${opts.port}".`);
  const host = opts.host ?? '127.0.0.1';
  const { key, keyName } = signerKey(ctx, opts.publicKey);
  let forwardTo: URL | undefined;
  if (opts.forwardTo) {
    try {
      forwardTo = new URL(opts.forwardTo);
    } catch {
      throw new UsageError(`--forward-to must be a URL, not "${opts.forwardTo}".`);
    }
    if (forwardTo.protocol !== 'http:' && forwardTo.protocol !== 'https:')
      throw new UsageError('--forward-to must be http(s).');
  }
  if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined))
    throw new UsageError('--tls-cert and --tls-key go together.');
  if (opts.clientCa && !opts.tlsCert)
    throw new UsageError('--client-ca needs --tls-cert and --tls-key (it serves HTTPS).');
  const { createListener } = await import('../webhooks/listen.js');
  const { showUrl } = await import('../util/redact.js');
  const forwardName = forwardTo ? showUrl(forwardTo) : undefined;
  const state = opts.state ? await openDeliveryState(opts.state) : undefined;
  const handler = createListener({
    key,
    log: (line) => ctx.io.err(line),
    ...(forwardTo ? { forwardTo } : {}),
    ...(state ? { remembered: state.remembered, onRemember: state.add } : {}),
    onDelivery(delivery) {
      if (ctx.options.json) {
        let event: unknown = null;
        try {
          event = JSON.parse(delivery.body.toString('utf8'));
        } catch {}
        ctx.io.out(
          `${JSON.stringify({ deliveryId: delivery.deliveryId, test: delivery.test, eventType: delivery.eventType, event })}\n`,
        );
      } else {
        ctx.io.out(
          `${delivery.eventType ?? '(no event_type)'} ${delivery.deliveryId ?? '(no delivery id)'}${delivery.test ? ' (test)' : ''}\n${delivery.body.toString('utf8')}\n`,
        );
      }
    },
  });
  const tls = opts.tlsCert
    ? {
        cert: readTextOrFail(opts.tlsCert, 'TLS certificate'),
        key: readTextOrFail(opts.tlsKey as string, 'TLS key'),
        ...(opts.clientCa
          ? { ca: readTextOrFail(opts.clientCa, 'client CA'), requestCert: true, rejectUnauthorized: true }
          : {}),
      }
    : undefined;
  const server = tls
    ? (await import('node:https')).createServer(tls, handler)
    : (await import('node:http')).createServer(handler);
  server.requestTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        reject(new PortInUseError(host, port, 'the webhook listener cannot start', 'Choose another --port.'));
      } else reject(error);
    });
    server.listen(port, host, () => resolve());
  });
  // Stopped by Ctrl-C or SIGTERM: the handlers are in place before the line that says the listener is up.
  const stopped = new Promise<void>((resolve) => {
    const stop = () => {
      server.close(() => resolve());
      server.closeAllConnections?.();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  const address = server.address() as import('node:net').AddressInfo;
  const shown = host.includes(':') ? `[${host}]` : host;
  ctx.io.err(
    `Listening for Wise webhooks on ${tls ? 'https' : 'http'}://${shown}:${address.port}/ (${keyName}${opts.clientCa ? ', client certificates required' : ''}${forwardName ? `, forwarding to ${forwardName}` : ''}${state ? `, state in ${opts.state}` : ''}). Ctrl-C to stop.`,
  );
  if (!isLoopbackHost(host)) {
    ctx.io.err(
      `warning: listening on ${host}, reachable from other machines${tls ? '' : ': serve TLS (--tls-cert, --tls-key) for anything but a test'}.`,
    );
  }
  await stopped;
}
