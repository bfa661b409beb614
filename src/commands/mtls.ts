import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { printJson } from '../util/output.js';
import type { MtlsCsrOptions, MtlsSetupOptions } from './specs.js';

const KEY_LABELS = {
  rsa2048: 'RSA 2048',
  rsa3072: 'RSA 3072',
  rsa4096: 'RSA 4096',
  'ec-p256': 'EC P-256',
  'ec-p384': 'EC P-384',
} as const;

/**
 * `wise mtls csr --org <name> [--country <cc>] [--key-type] [--out <dir>]`: `<name>.key` (mode 0600) and
 * `<name>.csr` in the folder; existing files are never overwritten.
 */
export async function mtlsCsr(ctx: Context, opts: MtlsCsrOptions): Promise<void> {
  const { baseName, makeCsr } = await import('../mtls/csr.js');
  const { constants, open, stat } = await import('node:fs/promises');
  const { join, resolve } = await import('node:path');
  const dir = resolve(opts.out ?? '.');
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw new UsageError(`--out ${opts.out ?? '.'} is not a folder.`);
  const name = baseName(opts.org);
  const keyPath = join(dir, `${name}.key`);
  const csrPath = join(dir, `${name}.csr`);
  for (const path of [keyPath, csrPath]) {
    if (await stat(path).catch(() => undefined)) {
      throw new UsageError(`${path} exists; wise never overwrites it.`, {
        hint: 'Move it away, or give another folder with --out.',
      });
    }
  }
  const made = await makeCsr(opts.org, opts.country, opts.keyType);
  ctx.redactor.add(made.keyPem);
  // Created exclusively (a file that appeared meanwhile is not replaced), the key readable by its owner only.
  const write = async (path: string, text: string, mode: number) => {
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST')
        throw new UsageError(`${path} exists; wise never overwrites it.`);
      throw new UsageError(`Cannot write ${path}: ${(error as NodeJS.ErrnoException).code ?? error}.`);
    }
    try {
      await handle.writeFile(text);
      await handle.chmod(mode);
    } finally {
      await handle.close();
    }
  };
  await write(keyPath, made.keyPem, 0o600);
  await write(csrPath, made.csrPem, 0o644);
  if (ctx.options.json) {
    printJson(ctx, { key: keyPath, csr: csrPath, subject: made.subject, keyType: opts.keyType });
    return;
  }
  ctx.io.out(`${keyPath}\n${csrPath}\n`);
  ctx.io.err(
    `Made an ${KEY_LABELS[opts.keyType]} key (mode 0600) and a CSR for ${made.subject}. Send ${name}.csr to Wise (Wise sets the common name when it signs); keep ${name}.key private.`,
  );
}

/**
 * `wise mtls setup --cert <file> --key <file> [--ca <file>] [--import-key]`: checks the pair and uses it for the
 * environment's calls from then on.
 */
export async function mtlsSetup(ctx: Context, opts: MtlsSetupOptions): Promise<void> {
  const { checkKeyFileMode, checkPair, EXPIRY_WARNING_DAYS, mtlsKeyName, parseCertificate } = await import(
    '../mtls/setup.js'
  );
  const { readTextOrFail } = await import('../util/input.js');
  const { resolve } = await import('node:path');
  const { resolveTarget } = await import('../auth/target.js');
  const target = await resolveTarget(ctx);
  const certPath = resolve(opts.cert);
  const keyPath = resolve(opts.key);
  const caPath = opts.ca ? resolve(opts.ca) : undefined;
  const certPem = readTextOrFail(certPath, 'certificate');
  const keyPem = readTextOrFail(keyPath, 'key');
  ctx.redactor.add(keyPem.trim());
  checkKeyFileMode(keyPath);
  const facts = checkPair(certPem, keyPem, opts.cert, opts.key, ctx.clock.now());
  if (caPath) parseCertificate(readTextOrFail(caPath, 'CA certificate'), opts.ca as string);
  let store: Awaited<ReturnType<Context['secrets']>> | undefined;
  if (opts.importKey) {
    store = await ctx.secrets(target.config.clients[target.env]?.store);
    await store.set(mtlsKeyName(target.env), keyPem);
  }
  await ctx.config.update((config) => {
    config.mtls = {
      ...config.mtls,
      [target.env]: {
        cert: certPath,
        ...(store ? { keyInStore: true, store: store.backend } : { key: keyPath }),
        ...(caPath ? { ca: caPath } : {}),
        subject: facts.subject,
        notAfter: facts.validTo,
      },
    };
  });
  if (store) {
    const { unlink } = await import('node:fs/promises');
    await unlink(keyPath);
  }
  const { apiBaseUrl } = await import('../http/endpoints.js');
  const host = apiBaseUrl(ctx, target.env, true).origin;
  if (ctx.options.json) {
    printJson(ctx, { env: target.env, ...facts, keyInStore: Boolean(store), host });
    return;
  }
  ctx.io.err(
    `✓ mTLS for ${target.env}: ${facts.subject}, issued by ${facts.issuer}, valid until ${facts.validTo} (${facts.daysLeft} days).\n` +
      `Calls to ${target.env} now go to ${host} with this certificate.` +
      (store ? `\nThe key is in the ${store.description}; ${keyPath} was removed.` : ''),
  );
  if (facts.daysLeft < EXPIRY_WARNING_DAYS) {
    ctx.io.err(`warning: the certificate expires in ${facts.daysLeft} days: ask Wise for a new one (wise mtls csr).`);
  }
}

/**
 * `wise mtls check`: a request to the environment's API host with the certificate; prints the certificate's subject,
 * issuer and expiry and whether the server accepted it.
 */
export async function mtlsCheck(ctx: Context): Promise<void> {
  const { factsOf, loadTlsMaterial, parseCertificate } = await import('../mtls/setup.js');
  const { resolveTarget } = await import('../auth/target.js');
  const target = await resolveTarget(ctx);
  const settings = target.config.mtls?.[target.env];
  if (!settings) {
    throw new UsageError(`No client certificate is set up for ${target.env}.`, {
      hint: 'Run `wise mtls setup --cert <file> --key <file>` (make the CSR with `wise mtls csr`).',
    });
  }
  const material = await loadTlsMaterial(ctx, target.env, settings);
  const facts = factsOf(parseCertificate(material.cert, settings.cert), ctx.clock.now());
  const client = ctx.client(target.env, undefined, target);
  // Any HTTP answer means the handshake, client certificate included, went through.
  const response = await client.send({ method: 'GET', path: '/' });
  if (ctx.options.json) {
    printJson(ctx, { env: target.env, host: client.baseUrl.origin, accepted: true, status: response.status, ...facts });
    return;
  }
  const lines = [
    `host      ${client.baseUrl.origin}`,
    `subject   ${facts.subject}`,
    `issuer    ${facts.issuer}`,
    `expires   ${facts.validTo} (${facts.daysLeft} days)`,
    `accepted  yes (the server answered HTTP ${response.status})`,
  ];
  ctx.io.out(`${lines.join('\n')}\n`);
}
