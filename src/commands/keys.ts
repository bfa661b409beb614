import type { KeyObject } from 'node:crypto';
import { accountStore, resolveTarget } from '../auth/target.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import type { WiseKeyScope } from '../jose/wise-keys.js';
import {
  generateScaKeyPair,
  parseScaPrivateKey,
  publicPemOf,
  SCA_KEY_SIZES,
  scaKeyName,
  uploadPlace,
} from '../sca/keys.js';
import type { JoseKeyRecord, JoseUse, WiseEnv } from '../store/config.js';
import { readFileOrStdin } from '../util/input.js';
import { printJson } from '../util/output.js';
import type {
  KeysGenerateOptions,
  KeysImportOptions,
  KeysPublicOptions,
  KeysRegisterOptions,
  KeysWiseOptions,
} from './specs.js';

/** The SCA key's bookkeeping in config (when made, size, how), next to the key itself in the secret store. */
async function storeScaKey(
  ctx: Context,
  privatePem: string,
  publicPem: string,
  bits: number,
  made: 'generated' | 'imported',
) {
  const target = await resolveTarget(ctx);
  ctx.redactor.add(privatePem);
  const store = await accountStore(ctx, target);
  await store.set(scaKeyName(target), privatePem);
  const createdAt = new Date(ctx.clock.now()).toISOString();
  await ctx.config.update((config) => {
    const account = config.accounts[target.account] ?? { env: target.env, credentials: {} };
    account.scaKeys = { ...account.scaKeys, [target.env]: { createdAt, bits, source: made } };
    if (!account.store) account.store = store.backend;
    config.accounts[target.account] = account;
  });
  if (ctx.options.json) {
    printJson(ctx, { account: target.account, env: target.env, use: 'sca', bits, createdAt, publicKey: publicPem });
    return;
  }
  ctx.io.out(publicPem);
  ctx.io.err(
    `${made === 'generated' ? 'Made' : 'Imported'} an RSA ${bits} SCA key for account "${target.account}" (${target.env}); the private key is in the ${store.description}.\n` +
      `Upload the public key ${ctx.io.stdoutIsTTY ? 'printed above' : 'written to standard output'} at ${uploadPlace(target.env)} (\`wise keys public --use sca\` prints it again).`,
  );
}

/** A JOSE key of the environment's partner client: private half to the secret store, public facts to config. */
async function storeJoseKey(ctx: Context, use: JoseUse, alg: string, key: KeyObject, source: 'generated' | 'imported') {
  const { addJoseKey, changeKeyBundle, newKid, thumbprintOf } = await import('../jose/keys.js');
  const { createPublicKey } = await import('node:crypto');
  const target = await resolveTarget(ctx);
  const kid = newKid();
  const privatePem = key.export({ type: 'pkcs8', format: 'pem' }) as string;
  ctx.redactor.add(privatePem);
  const store = await ctx.secrets(target.config.clients[target.env]?.store);
  await changeKeyBundle(ctx, target.env, store, (bundle) => {
    bundle[kid] = privatePem;
  });
  let record: JoseKeyRecord = {
    kid,
    use,
    alg,
    createdAt: new Date(ctx.clock.now()).toISOString(),
    thumbprint: await thumbprintOf(key),
    active: false,
    source,
    store: store.backend,
  };
  await ctx.config.update((config) => {
    record = addJoseKey(config, target.env, record);
  });
  const publicPem = createPublicKey(key).export({ type: 'spki', format: 'pem' }) as string;
  if (ctx.options.json) {
    printJson(ctx, { env: target.env, ...record, publicKey: publicPem });
    return;
  }
  ctx.io.out(publicPem);
  ctx.io.err(
    `${source === 'generated' ? 'Made' : 'Imported'} ${alg} ${use} key ${kid} for the ${target.env} partner client; the private key is in the ${store.description}.\n` +
      `Register it with Wise: wise keys register --use ${use}${record.active ? '' : ` --kid ${kid}`}` +
      (record.active ? '' : `\nThen make it the one in use: wise keys activate ${kid}`),
  );
}

/** `wise keys generate --use <sca|signing|encryption>`: a new key; the private half to the secret store. */
export async function keysGenerate(ctx: Context, opts: KeysGenerateOptions): Promise<void> {
  const bits = Number(opts.bits);
  if (opts.use === 'sca') {
    if (opts.alg) throw new UsageError('--alg is for JOSE keys; an SCA key is RSA (SHA256withRSA).');
    if (!(SCA_KEY_SIZES as readonly number[]).includes(bits)) {
      throw new UsageError(`--bits must be one of ${SCA_KEY_SIZES.join(', ')}, not "${opts.bits}".`);
    }
    const { privatePem, publicPem } = generateScaKeyPair(bits);
    await storeScaKey(ctx, privatePem, publicPem, bits, 'generated');
    return;
  }
  const { checkAlg, generateJoseKeyPair, RSA_SIZES } = await import('../jose/keys.js');
  const alg = checkAlg(opts.use, opts.alg);
  if (!alg.startsWith('ES') && !(RSA_SIZES as readonly number[]).includes(bits)) {
    throw new UsageError(`--bits must be one of ${RSA_SIZES.join(', ')}, not "${opts.bits}".`);
  }
  await storeJoseKey(ctx, opts.use, alg, generateJoseKeyPair(alg, bits), 'generated');
}

/** `wise keys import --use <use> <file|->`: an existing private key (PEM), checked, then stored. */
export async function keysImport(ctx: Context, source: string, opts: KeysImportOptions): Promise<void> {
  const pem = (await readFileOrStdin(ctx, source, 'key file', 64 * 1024)).toString('utf8');
  ctx.redactor.add(pem.trim());
  const where = source === '-' ? 'standard input' : source;
  if (opts.use === 'sca') {
    const key = parseScaPrivateKey(pem, where);
    const privatePem = key.export({ type: 'pkcs8', format: 'pem' }) as string;
    await storeScaKey(ctx, privatePem, publicPemOf(key), key.asymmetricKeyDetails?.modulusLength ?? 0, 'imported');
    return;
  }
  const { checkAlg, checkKeyFitsAlg, parsePrivateKey } = await import('../jose/keys.js');
  const key = parsePrivateKey(pem, where);
  const { createPublicKey } = await import('node:crypto');
  const curve = key.asymmetricKeyType === 'ec' ? createPublicKey(key).export({ format: 'jwk' }).crv : undefined;
  const implied = curve ? { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' }[curve] : 'PS256';
  const alg = checkAlg(opts.use, opts.alg ?? (opts.use === 'signing' ? implied : undefined));
  checkKeyFitsAlg(key, alg, where);
  await storeJoseKey(ctx, opts.use, alg, key, 'imported');
}

/** The account's SCA key as `keys list` shows it: where it is, its size, when made, and its public key's hash. */
async function describeScaKey(ctx: Context) {
  const { loadScaKey } = await import('../sca/keys.js');
  const { createHash, createPublicKey } = await import('node:crypto');
  const target = await resolveTarget(ctx);
  const key = await loadScaKey(ctx, target);
  if (!key) return { target, key: undefined, row: undefined };
  const der = createPublicKey(key).export({ type: 'spki', format: 'der' });
  const fromEnv = Boolean(ctx.env.WISE_SCA_PRIVATE_KEY);
  const made = fromEnv ? undefined : target.config.accounts[target.account]?.scaKeys?.[target.env];
  const row = {
    use: 'sca',
    algorithm: 'RSA',
    bits: key.asymmetricKeyDetails?.modulusLength ?? 0,
    source: fromEnv ? 'WISE_SCA_PRIVATE_KEY' : 'secret store',
    createdAt: made?.createdAt ?? null,
    sha256: createHash('sha256').update(der).digest('hex'),
  };
  return { target, key, row };
}

const day = (iso: string | undefined | null) => (iso ? iso.slice(0, 10) : '-');

/** `wise keys list`: the account's SCA key and the environment's JOSE keys, public facts only. */
export async function keysList(ctx: Context): Promise<void> {
  const { target, row } = await describeScaKey(ctx);
  const jose = target.config.jose?.[target.env] ?? [];
  const wise = await wiseKeysOf(ctx, target.env);
  if (ctx.options.json) {
    printJson(ctx, { account: target.account, env: target.env, sca: row ?? null, jose, wise });
    return;
  }
  if (wise.length) {
    const { formatTable } = await import('../util/output.js');
    ctx.io.err(`Wise's keys this tool trusts (${target.env}):`);
    ctx.io.err(wiseKeysTable(formatTable, wise));
  }
  if (!row && !jose.length) {
    ctx.io.err(
      `No keys for account "${target.account}" (${target.env}). Make one with \`wise keys generate --use sca|signing|encryption\`.`,
    );
    return;
  }
  const { formatTable } = await import('../util/output.js');
  const rows: string[][] = [];
  if (row)
    rows.push(['sca', `RSA ${row.bits}`, '-', day(row.createdAt), row.source, '-', 'yes', `sha256:${row.sha256}`]);
  for (const k of jose) {
    rows.push([
      k.use,
      k.alg,
      k.kid,
      day(k.createdAt),
      'secret store',
      k.registered ? `until ${day(k.registered.validTill)}` : 'no',
      k.active ? 'yes' : 'no',
      k.thumbprint,
    ]);
  }
  ctx.io.out(formatTable(['USE', 'ALG', 'KID', 'CREATED', 'FROM', 'REGISTERED', 'ACTIVE', 'THUMBPRINT'], rows));
}

/** Wise's trusted keys of the environment's API host. */
async function wiseKeysOf(ctx: Context, env: WiseEnv) {
  const { trustedWiseKeysFor } = await import('../jose/wise-keys.js');
  return trustedWiseKeysFor(ctx, env).map(({ scope, algorithm, version, fingerprint, since }) => ({
    scope,
    algorithm,
    version,
    fingerprint,
    since: since ?? null,
  }));
}

function wiseKeysTable(
  formatTable: (headers: string[], rows: string[][]) => string,
  keys: Awaited<ReturnType<typeof wiseKeysOf>>,
): string {
  return formatTable(
    ['SCOPE', 'ALG', 'VERSION', 'SHA-256 FINGERPRINT', 'SINCE'],
    keys.map((k) => [k.scope, k.algorithm, String(k.version ?? '-'), k.fingerprint, k.since ? day(k.since) : '-']),
  );
}

/**
 * `wise keys wise [--trust]`: Wise's own JOSE keys as this tool trusts them. With --trust, on a terminal: fetch what
 * Wise serves now for each kept slot (and the encryption key, and the signing key of the active algorithm, when
 * none is kept yet), show both fingerprints of each that changed, and trust the new key if the person says so.
 */
export async function keysWise(ctx: Context, opts: KeysWiseOptions): Promise<void> {
  const target = await resolveTarget(ctx);
  const { formatTable } = await import('../util/output.js');
  if (!opts.trust) {
    const wise = await wiseKeysOf(ctx, target.env);
    if (ctx.options.json) {
      printJson(ctx, { env: target.env, keys: wise });
      return;
    }
    if (!wise.length) {
      ctx.io.err(
        `No key of Wise's is kept for ${target.env} yet: the first JOSE call or SCA answer fetches and keeps them.`,
      );
      return;
    }
    ctx.io.out(wiseKeysTable(formatTable, wise));
    return;
  }
  if (!ctx.io.stdinIsTTY || !ctx.io.stderrIsTTY) {
    throw new UsageError('Trusting a new key of Wise is for a person on a terminal, after checking its fingerprint.', {
      hint: 'Run `wise keys wise --trust` on a terminal.',
    });
  }
  const { fingerprintOf, servedWiseKey, trustWiseKey } = await import('../jose/wise-keys.js');
  const kept = await wiseKeysOf(ctx, target.env);
  const slots = new Map<string, { scope: WiseKeyScope; algorithm: string }>();
  for (const k of kept) slots.set(`${k.scope} ${k.algorithm}`, { scope: k.scope, algorithm: k.algorithm });
  if (![...slots.values()].some((s) => s.scope === 'PAYLOAD_ENCRYPTION'))
    slots.set('PAYLOAD_ENCRYPTION RSA_OAEP_256', { scope: 'PAYLOAD_ENCRYPTION', algorithm: 'RSA_OAEP_256' });
  const signing = (target.config.jose?.[target.env] ?? []).find((k) => k.use === 'signing' && k.active);
  if (signing && !slots.has(`PAYLOAD_SIGNING ${signing.alg}`))
    slots.set(`PAYLOAD_SIGNING ${signing.alg}`, { scope: 'PAYLOAD_SIGNING', algorithm: signing.alg });
  for (const { scope, algorithm } of slots.values()) {
    const served = await servedWiseKey(ctx, target.env, scope, algorithm);
    const fingerprint = fingerprintOf(served.der);
    const trusted = kept.find((k) => k.scope === scope && k.algorithm === algorithm);
    const what = `${scope} ${algorithm} (${target.env})`;
    if (trusted?.fingerprint === fingerprint) {
      ctx.io.err(`${what}: unchanged, ${fingerprint}`);
      continue;
    }
    if (!trusted) {
      // Nothing kept yet: the first key is trusted, as the first call that needs it would.
      await trustWiseKey(ctx, target.env, scope, algorithm, served);
      ctx.io.err(`${what}: none kept yet; trusted ${fingerprint} (version ${served.version ?? 'unknown'})`);
      continue;
    }
    const since = trusted.since ? ` (since ${day(trusted.since)})` : '';
    ctx.io.err(`${what}:`);
    ctx.io.err(`  trusted now:     ${trusted.fingerprint}${since}`);
    ctx.io.err(`  Wise serves now: ${fingerprint} (version ${served.version ?? 'unknown'})`);
    if (!(await ctx.io.confirm(`Trust the key Wise serves now for ${scope} ${algorithm}?`))) {
      ctx.io.err('  Kept the trusted key.');
      continue;
    }
    await trustWiseKey(ctx, target.env, scope, algorithm, served);
    ctx.io.err(`  Trusted ${fingerprint}.`);
  }
}

/** `wise keys public --use <use> [--kid]`: the public key in PEM, base64 DER (as Wise's key APIs carry it) or JWK. */
export async function keysPublic(ctx: Context, opts: KeysPublicOptions): Promise<void> {
  const { createPublicKey } = await import('node:crypto');
  let publicKey: KeyObject;
  let jwkExtra: Record<string, string> = {};
  if (opts.use === 'sca') {
    const { target, key } = await describeScaKey(ctx);
    if (!key) {
      throw new UsageError(`Account "${target.account}" (${target.env}) has no SCA key.`, {
        hint: 'Run `wise keys generate --use sca`, or set WISE_SCA_PRIVATE_KEY.',
      });
    }
    publicKey = createPublicKey(key);
  } else {
    const { findKey, loadPrivateKey } = await import('../jose/keys.js');
    const target = await resolveTarget(ctx);
    const record = findKey(target.config, target.env, opts.use, opts.kid);
    publicKey = createPublicKey(await loadPrivateKey(ctx, target.env, record));
    jwkExtra = { kid: record.kid, alg: record.alg, use: record.use === 'signing' ? 'sig' : 'enc' };
  }
  if (opts.format === 'jwk') ctx.io.out(`${JSON.stringify({ ...publicKey.export({ format: 'jwk' }), ...jwkExtra })}\n`);
  else if (opts.format === 'der-base64') {
    ctx.io.out(`${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}\n`);
  } else ctx.io.out(publicKey.export({ type: 'spki', format: 'pem' }) as string);
}

/**
 * `wise keys register --use <signing|encryption> [--kid] [--valid-days]`: the public key to Wise
 * (`POST /v1/auth/jose/request/public-keys`) with a client-credentials token of the environment's partner client.
 */
export async function keysRegister(ctx: Context, opts: KeysRegisterOptions): Promise<void> {
  const [{ findKey, loadPrivateKey, wiseAlgorithmName, wiseDate }, { clientCredentialsToken }] = await Promise.all([
    import('../jose/keys.js'),
    import('../jose/wise-keys.js'),
  ]);
  const { createPublicKey } = await import('node:crypto');
  const days = Number(opts.validDays);
  if (!Number.isInteger(days) || days < 1 || days > 3650) {
    throw new UsageError(`--valid-days must be a whole number of days from 1 to 3650, not "${opts.validDays}".`);
  }
  const target = await resolveTarget(ctx);
  const record = findKey(target.config, target.env, opts.use, opts.kid);
  const key = await loadPrivateKey(ctx, target.env, record);
  const token = await clientCredentialsToken(ctx, target.env, 'Registering a JOSE key');
  const client = ctx.client(target.env, { kind: 'oauth', accessToken: async () => token });
  const now = ctx.clock.now();
  const validFrom = wiseDate(now);
  const validTill = wiseDate(now + days * 86_400_000);
  const body = {
    keyId: record.kid,
    validFrom,
    validTill,
    scope: record.use === 'signing' ? 'PAYLOAD_SIGNING' : 'PAYLOAD_ENCRYPTION',
    publicKeyMaterial: {
      algorithm: wiseAlgorithmName(record.alg),
      keyMaterial: createPublicKey(key).export({ type: 'spki', format: 'der' }).toString('base64'),
    },
  };
  await client.request({
    method: 'POST',
    path: '/v1/auth/jose/request/public-keys',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const registered = { at: new Date(now).toISOString(), validFrom, validTill };
  const { markJoseKeyRegistered } = await import('../jose/keys.js');
  await ctx.config.update((config) => markJoseKeyRegistered(config, target.env, record.kid, registered));
  if (ctx.options.json) {
    printJson(ctx, { env: target.env, kid: record.kid, use: record.use, registered });
    return;
  }
  ctx.io.err(
    `Wise accepted ${record.use} key ${record.kid} (${record.alg}) for ${target.env}, valid until ${validTill} UTC.` +
      (record.active ? '' : `\nMake it the one in use with: wise keys activate ${record.kid}`),
  );
}

/** `wise keys activate <kid>`: the key new requests use for its use (the others of that use stay, inactive). */
export async function keysActivate(ctx: Context, kid: string): Promise<void> {
  const target = await resolveTarget(ctx);
  const { activateJoseKey, findKey } = await import('../jose/keys.js');
  const record = findKey(target.config, target.env, undefined, kid);
  await ctx.config.update((config) => activateJoseKey(config, target.env, kid));
  if (ctx.options.json) {
    printJson(ctx, { env: target.env, kid, use: record.use, active: true });
    return;
  }
  ctx.io.err(`${record.use} key ${kid} is now the one in use for ${target.env}.`);
  if (!record.registered)
    ctx.io.err(`It is not registered with Wise yet: wise keys register --use ${record.use} --kid ${kid}`);
}

/**
 * `wise keys remove <kid>`: deletes the private key and its record. Replies Wise encrypted to it can no longer be
 * opened; Wise keeps the registration until its end date.
 */
export async function keysRemove(ctx: Context, kid: string): Promise<void> {
  const target = await resolveTarget(ctx);
  const { changeKeyBundle, findKey, removeJoseKey } = await import('../jose/keys.js');
  const record = findKey(target.config, target.env, undefined, kid);
  await changeKeyBundle(ctx, target.env, await ctx.secrets(record.store), (bundle) => {
    delete bundle[kid];
  });
  await ctx.config.update((config) => removeJoseKey(config, target.env, kid));
  if (ctx.options.json) {
    printJson(ctx, { env: target.env, kid, removed: true });
    return;
  }
  ctx.io.err(`Removed ${record.use} key ${kid} (${record.alg}) of ${target.env}.`);
  if (record.active) {
    ctx.io.err(
      `It was the active ${record.use} key: until you activate another (wise keys list, wise keys activate <kid>), JOSE calls that need one fail.`,
    );
  }
}
