import { readFileSync } from 'node:fs';
import { accountStore, resolveTarget } from '../auth/target.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import {
  generateScaKeyPair,
  parseScaPrivateKey,
  publicPemOf,
  SCA_KEY_SIZES,
  scaKeyName,
  uploadPlace,
} from '../sca/keys.js';
import { printJson } from '../util/output.js';
import type { KeysGenerateOptions, KeysImportOptions } from './specs.js';

function checkUse(use: string): void {
  if (use !== 'sca') {
    throw new UsageError(`--use ${use} is not available yet; this version of wise makes keys for --use sca.`);
  }
}

async function storeKey(ctx: Context, privatePem: string, publicPem: string, bits: number, made: string) {
  const target = await resolveTarget(ctx);
  ctx.redactor.add(privatePem);
  const store = await accountStore(ctx, target);
  await store.set(scaKeyName(target), privatePem);
  if (ctx.options.json) {
    printJson(ctx, { account: target.account, env: target.env, use: 'sca', bits, publicKey: publicPem });
    return;
  }
  ctx.io.out(publicPem);
  ctx.io.err(
    `${made} an RSA ${bits} SCA key for account "${target.account}" (${target.env}); the private key is in the ${store.description}.\n` +
      `Upload the public key printed above at ${uploadPlace(target.env)}.`,
  );
}

/** `wise keys generate --use sca`: a new RSA key; the private half to the secret store, the public half printed. */
export async function keysGenerate(ctx: Context, opts: KeysGenerateOptions): Promise<void> {
  checkUse(opts.use);
  const bits = Number(opts.bits);
  if (!(SCA_KEY_SIZES as readonly number[]).includes(bits)) {
    throw new UsageError(`--bits must be one of ${SCA_KEY_SIZES.join(', ')}, not "${opts.bits}".`);
  }
  const { privatePem, publicPem } = generateScaKeyPair(bits);
  await storeKey(ctx, privatePem, publicPem, bits, 'Made');
}

/** `wise keys import --use sca <file|->`: an existing RSA private key (PEM), checked, then stored. */
export async function keysImport(ctx: Context, source: string, opts: KeysImportOptions): Promise<void> {
  checkUse(opts.use);
  let pem: string;
  try {
    pem = source === '-' ? (await ctx.io.readStdin(64 * 1024)).toString('utf8') : readFileSync(source, 'utf8');
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`Cannot read the key file ${source}: ${(error as NodeJS.ErrnoException).code ?? error}.`);
  }
  ctx.redactor.add(pem.trim());
  const key = parseScaPrivateKey(pem, source === '-' ? 'standard input' : source);
  const privatePem = key.export({ type: 'pkcs8', format: 'pem' }) as string;
  await storeKey(ctx, privatePem, publicPemOf(key), key.asymmetricKeyDetails?.modulusLength ?? 0, 'Imported');
}

/** `wise sca sign <ott>`: the base64 SHA256withRSA signature of a one-time token, with the account's SCA key. */
export async function scaSign(ctx: Context, ott: string): Promise<void> {
  const { loadScaKey, signOneTimeToken } = await import('../sca/keys.js');
  if (!/^[A-Za-z0-9-]{8,128}$/.test(ott)) throw new UsageError(`"${ott}" does not look like a one-time token.`);
  const target = await resolveTarget(ctx);
  const key = await loadScaKey(ctx, target);
  if (!key) {
    throw new UsageError(`Account "${target.account}" (${target.env}) has no SCA key.`, {
      hint: 'Run `wise keys generate --use sca`, or set WISE_SCA_PRIVATE_KEY.',
    });
  }
  ctx.io.out(`${signOneTimeToken(key, ott)}\n`);
}
