/**
 * `wise jose sign|verify|encrypt|decrypt`: offline JOSE with the environment's keys, for scripts and debugging. Input
 * from a file argument or stdin, result on stdout. `verify` and `encrypt` take the other party's public key with
 * `--key`; without it, Wise's key for the environment (cached, or fetched with the partner client).
 */
import { resolveTarget } from '../auth/target.js';
import type { Context } from '../context.js';
import { UsageError, WiseError } from '../errors.js';
import { readFileOrStdin, readTextOrFail } from '../util/input.js';
import type { JoseDecryptOptions, JoseEncryptOptions, JoseSignOptions, JoseVerifyOptions } from './specs.js';

const MAX_INPUT = 10 * 1024 * 1024;

const readInput = (ctx: Context, file: string | undefined) => readFileOrStdin(ctx, file, 'input', MAX_INPUT);

async function readPublicKey(file: string) {
  const { createPublicKey } = await import('node:crypto');
  const text = readTextOrFail(file, 'key file');
  try {
    return createPublicKey(text.trim().startsWith('{') ? { key: JSON.parse(text), format: 'jwk' } : text);
  } catch {
    throw new UsageError(`${file} is not a public key (PEM, or a JWK).`);
  }
}

function compact(input: Buffer, parts: number, what: string): string {
  const text = input.toString('utf8').trim();
  if (text.split('.').length !== parts || !/^[\w.-]+$/.test(text)) {
    throw new UsageError(`The input is not a compact ${what} (${parts} base64url parts separated by dots).`);
  }
  return text;
}

function checkUrl(url: string | undefined): string | undefined {
  if (url !== undefined && !url.startsWith('/'))
    throw new UsageError(`--url is the request path, e.g. /v1/auth/jose/playground/jws, not "${url}".`);
  return url;
}

/** `wise jose sign`: a compact JWS of the input with the active (or `--kid`) signing key. */
export async function joseSign(ctx: Context, file: string | undefined, opts: JoseSignOptions): Promise<void> {
  const url = checkUrl(opts.url);
  const { findKey, loadPrivateKey } = await import('../jose/keys.js');
  const target = await resolveTarget(ctx);
  const record = findKey(target.config, target.env, 'signing', opts.kid);
  const key = await loadPrivateKey(ctx, target.env, record);
  const payload = await readInput(ctx, file);
  const { CompactSign } = await import('jose');
  const jws = await new CompactSign(payload)
    .setProtectedHeader({ alg: record.alg, kid: record.kid, ...(url ? { url } : {}) })
    .sign(key);
  ctx.io.out(`${jws}\n`);
}

/** `wise jose verify`: the payload of a compact JWS that verifies with `--key`, or with Wise's signing key. */
export async function joseVerify(ctx: Context, file: string | undefined, opts: JoseVerifyOptions): Promise<void> {
  const jws = compact(await readInput(ctx, file), 3, 'JWS');
  const jose = await import('jose');
  const { SIGNING_ALGS } = await import('../jose/keys.js');
  let header: ReturnType<typeof jose.decodeProtectedHeader>;
  try {
    header = jose.decodeProtectedHeader(jws);
  } catch {
    throw new UsageError('The JWS header is not readable JSON.');
  }
  const alg = String(header.alg);
  if (!(SIGNING_ALGS as readonly string[]).includes(alg)) {
    throw new WiseError(`The JWS is signed with ${alg}, which Wise does not allow (${SIGNING_ALGS.join(', ')}).`);
  }
  const keys = opts.key
    ? [await readPublicKey(opts.key)]
    : await (async () => {
        const { wiseKey, fetchWiseKey, publicKeyOf } = await import('../jose/wise-keys.js');
        const target = await resolveTarget(ctx);
        const cached = await wiseKey(ctx, target.env, 'PAYLOAD_SIGNING', alg);
        return [
          publicKeyOf(cached),
          async () => publicKeyOf(await fetchWiseKey(ctx, target.env, 'PAYLOAD_SIGNING', alg)),
        ];
      })();
  for (const candidate of keys) {
    const key = typeof candidate === 'function' ? await candidate() : candidate;
    try {
      const { payload } = await jose.compactVerify(jws, key, { algorithms: [alg] });
      ctx.io.out(Buffer.from(payload));
      if (ctx.io.stdoutIsTTY) ctx.io.out('\n');
      return;
    } catch {}
  }
  throw new WiseError(`The JWS does not verify with ${opts.key ?? "Wise's signing key"}: its payload is not shown.`, {
    details: { alg, kid: header.kid ?? null },
  });
}

/** `wise jose encrypt`: a compact JWE (RSA-OAEP-256 / A256GCM) of the input to `--key`, or to Wise's key. */
export async function joseEncrypt(ctx: Context, file: string | undefined, opts: JoseEncryptOptions): Promise<void> {
  const url = checkUrl(opts.url);
  const { CONTENT_ENCRYPTION, ENCRYPTION_ALG } = await import('../jose/keys.js');
  let key: import('node:crypto').KeyObject;
  if (opts.key) key = await readPublicKey(opts.key);
  else {
    const { wiseKey, publicKeyOf } = await import('../jose/wise-keys.js');
    const target = await resolveTarget(ctx);
    key = publicKeyOf(await wiseKey(ctx, target.env, 'PAYLOAD_ENCRYPTION', 'RSA_OAEP_256'));
  }
  if (key.asymmetricKeyType !== 'rsa') throw new UsageError(`${ENCRYPTION_ALG} needs an RSA public key.`);
  const payload = await readInput(ctx, file);
  const { CompactEncrypt } = await import('jose');
  const jwe = await new CompactEncrypt(payload)
    .setProtectedHeader({
      alg: ENCRYPTION_ALG,
      enc: CONTENT_ENCRYPTION,
      ...(url ? { url } : {}),
      ...(opts.kid ? { kid: opts.kid } : {}),
    })
    .encrypt(key);
  ctx.io.out(`${jwe}\n`);
}

/** `wise jose decrypt`: the plaintext of a compact JWE made for one of the environment's encryption keys. */
export async function joseDecrypt(ctx: Context, file: string | undefined, opts: JoseDecryptOptions): Promise<void> {
  const jwe = compact(await readInput(ctx, file), 5, 'JWE');
  const jose = await import('jose');
  const { CONTENT_ENCRYPTION, ENCRYPTION_ALG, findKey, joseKeys, loadPrivateKey, openJwe } = await import(
    '../jose/keys.js'
  );
  const target = await resolveTarget(ctx);
  let header: ReturnType<typeof jose.decodeProtectedHeader>;
  try {
    header = jose.decodeProtectedHeader(jwe);
  } catch {
    throw new UsageError('The JWE header is not readable JSON.');
  }
  const kid = opts.kid ?? (typeof header.kid === 'string' ? header.kid : undefined);
  const records = kid
    ? [findKey(target.config, target.env, 'encryption', kid)]
    : joseKeys(target.config, target.env).filter((k) => k.use === 'encryption');
  if (!records.length) {
    throw new UsageError(`There is no encryption key for ${target.env}.`, {
      hint: 'Run `wise keys generate --use encryption`.',
    });
  }
  const keys = [];
  for (const record of records) keys.push(await loadPrivateKey(ctx, target.env, record));
  const plaintext = await openJwe(jwe, keys);
  if (plaintext) {
    ctx.io.out(Buffer.from(plaintext));
    if (ctx.io.stdoutIsTTY) ctx.io.out('\n');
    return;
  }
  throw new WiseError(
    `The JWE cannot be decrypted with ${kid ? `key ${kid}` : `any of the ${records.length} encryption key(s) of ${target.env}`} (it must be ${ENCRYPTION_ALG} / ${CONTENT_ENCRYPTION}).`,
  );
}
