import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { printJson } from '../util/output.js';
import type { MtlsCsrOptions } from './specs.js';

const KEY_LABELS = { rsa2048: 'RSA 2048', rsa4096: 'RSA 4096', 'ec-p256': 'EC P-256' } as const;

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
