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
import type { KeysGenerateOptions, KeysImportOptions, KeysPublicOptions } from './specs.js';

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

/** The account's SCA key as `keys list` shows it: where it is, its size, and the fingerprint of its public key. */
async function describeScaKey(ctx: Context) {
  const { loadScaKey } = await import('../sca/keys.js');
  const { createHash, createPublicKey } = await import('node:crypto');
  const target = await resolveTarget(ctx);
  const key = await loadScaKey(ctx, target);
  if (!key) return { target, key: undefined, row: undefined };
  const der = createPublicKey(key).export({ type: 'spki', format: 'der' });
  const row = {
    use: 'sca',
    algorithm: 'RSA',
    bits: key.asymmetricKeyDetails?.modulusLength ?? 0,
    source: ctx.env.WISE_SCA_PRIVATE_KEY ? 'WISE_SCA_PRIVATE_KEY' : 'secret store',
    sha256: createHash('sha256').update(der).digest('hex'),
  };
  return { target, key, row };
}

/** `wise keys list`: the keys of the account and environment, public facts only. */
export async function keysList(ctx: Context): Promise<void> {
  const { target, row } = await describeScaKey(ctx);
  const rows = row ? [row] : [];
  if (ctx.options.json) {
    printJson(ctx, { account: target.account, env: target.env, keys: rows });
    return;
  }
  if (!rows.length) {
    ctx.io.err(
      `No keys for account "${target.account}" (${target.env}). Make one with \`wise keys generate --use sca\`.`,
    );
    return;
  }
  const { formatTable } = await import('../util/output.js');
  ctx.io.out(
    formatTable(
      ['USE', 'KEY', 'FROM', 'SHA-256 OF THE PUBLIC KEY'],
      rows.map((r) => [r.use, `${r.algorithm} ${r.bits}`, r.source, r.sha256]),
    ),
  );
}

/** `wise keys public --use sca`: the public key in PEM, base64 DER (as Wise's key APIs carry it) or JWK. */
export async function keysPublic(ctx: Context, opts: KeysPublicOptions): Promise<void> {
  checkUse(opts.use);
  const { target, key } = await describeScaKey(ctx);
  if (!key) {
    throw new UsageError(`Account "${target.account}" (${target.env}) has no SCA key.`, {
      hint: 'Run `wise keys generate --use sca`, or set WISE_SCA_PRIVATE_KEY.',
    });
  }
  const { createPublicKey } = await import('node:crypto');
  const publicKey = createPublicKey(key);
  if (opts.format === 'jwk') ctx.io.out(`${JSON.stringify(publicKey.export({ format: 'jwk' }))}\n`);
  else if (opts.format === 'der-base64') {
    ctx.io.out(`${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}\n`);
  } else ctx.io.out(publicKey.export({ type: 'spki', format: 'pem' }) as string);
}

/** `wise sca status <ott>`: the action a one-time token approves and its challenges, as Wise lists them. */
export async function scaStatus(ctx: Context, ott: string): Promise<void> {
  if (!/^[A-Za-z0-9-]{8,128}$/.test(ott)) throw new UsageError(`"${ott}" does not look like a one-time token.`);
  const [{ resolveCredential }, { createClient }, { readOttStatus }] = await Promise.all([
    import('../auth/credentials.js'),
    import('../http/factory.js'),
    import('../sca/challenges.js'),
  ]);
  const target = await resolveTarget(ctx);
  const client = createClient(ctx, target.env, await resolveCredential(ctx, target));
  const status = await readOttStatus(client, ott);
  if (ctx.options.json) {
    printJson(ctx, status);
    return;
  }
  const lines = [`One-time token ${ott}: approves ${status.actionType ?? 'an unknown action'}`];
  for (const c of status.challenges ?? []) {
    const state = c.passed ? 'passed' : c.required ? 'required' : 'optional';
    lines.push(`  ${c.primaryChallenge?.type ?? 'UNKNOWN'}: ${state}`);
  }
  ctx.io.out(`${lines.join('\n')}\n`);
}

/** `wise sca device-fingerprint set`: the fingerprint from a hidden prompt or stdin, into the secret store. */
export async function scaFingerprintSet(ctx: Context): Promise<void> {
  const { MAX_SECRET_LENGTH, normaliseSecret } = await import('../auth/personal-token.js');
  const { accountSecretName } = await import('../store/secret-store.js');
  const target = await resolveTarget(ctx);
  const raw = ctx.io.stdinIsTTY
    ? await ctx.io.promptSecret('Device fingerprint (as registered with Wise)')
    : (await ctx.io.readStdin(MAX_SECRET_LENGTH + 2)).toString('utf8');
  const fingerprint = normaliseSecret(raw, 'device fingerprint', {
    empty: 'Give the fingerprint on stdin, e.g. `wise sca device-fingerprint set < fingerprint.txt`.',
    multiline: 'Give exactly one fingerprint.',
  });
  ctx.redactor.add(fingerprint);
  const store = await accountStore(ctx, target);
  await store.set(accountSecretName(target.account, target.env, 'device-fingerprint'), fingerprint);
  if (ctx.options.json) printJson(ctx, { account: target.account, env: target.env, store: store.backend });
  else
    ctx.io.err(
      `Stored the device fingerprint of account "${target.account}" (${target.env}) in the ${store.description}.`,
    );
}
