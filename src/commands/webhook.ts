import { readFileSync } from 'node:fs';
import type { Context } from '../context.js';
import { UsageError, WiseError } from '../errors.js';
import { parseEnv } from '../http/endpoints.js';
import { printJson } from '../util/output.js';
import { decodeSignature, verifyWebhook, WISE_WEBHOOK_KEYS, webhookPublicKey } from '../webhooks/signature.js';
import type { WebhookVerifyOptions } from './specs.js';

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
  const env = ctx.options.env
    ? parseEnv(ctx.options.env, '--env')
    : ctx.env.WISE_ENV
      ? parseEnv(ctx.env.WISE_ENV, 'WISE_ENV')
      : 'sandbox';
  let key: ReturnType<typeof webhookPublicKey>;
  let keyName: string;
  if (opts.publicKey) {
    let pem: string;
    try {
      pem = readFileSync(opts.publicKey, 'utf8');
    } catch (error) {
      throw new UsageError(`Cannot read ${opts.publicKey}: ${(error as NodeJS.ErrnoException).code ?? error}.`);
    }
    key = webhookPublicKey(pem, opts.publicKey);
    keyName = opts.publicKey;
  } else {
    key = webhookPublicKey(WISE_WEBHOOK_KEYS[env], `Wise's ${env} key`);
    keyName = `Wise's ${env} webhook key`;
  }
  let body: Buffer;
  if (file === undefined || file === '-') {
    if (file === undefined && ctx.io.stdinIsTTY)
      throw new UsageError('Give the raw body as a file, or pipe it on standard input.');
    body = await ctx.io.readStdin(MAX_BODY);
  } else {
    try {
      body = readFileSync(file);
    } catch (error) {
      throw new UsageError(`Cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? error}.`);
    }
  }
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
