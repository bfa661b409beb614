import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { profileClient } from '../account/session.js';
import {
  BINARY_FORMATS,
  ensureFolder,
  STATEMENT_FORMATS,
  statementWindows,
  type WrittenFile,
  writeStatement,
} from '../account/statements.js';
import { parseCurrency, parseDate } from '../account/validate.js';
import type { Context } from '../context.js';
import { ApiError, UsageError } from '../errors.js';
import { endpoint } from '../http/endpoints.js';
import { printJson } from '../util/output.js';
import type { StatementOptions } from './account-specs.js';

interface Balance {
  id: number;
  currency: string;
}

async function isFolder(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return path.endsWith('/');
  }
}

export async function statement(ctx: Context, opts: StatementOptions): Promise<void> {
  if (Boolean(opts.currency) === Boolean(opts.allCurrencies)) {
    throw new UsageError('Give either --currency <code> or --all-currencies.');
  }
  const currency = opts.currency ? parseCurrency(opts.currency, '--currency') : undefined;
  const start = parseDate(opts.from, '--from');
  const end = parseDate(opts.to, '--to', { end: true });
  if (end < start) throw new UsageError('--to is before --from.');
  if (start > Date.now()) throw new UsageError('--from is in the future: there is nothing to list yet.');
  const binary = BINARY_FORMATS.has(opts.format);
  const toStdout = opts.out === '-' || (opts.out === undefined && !binary && !opts.allCurrencies);
  if (toStdout && opts.allCurrencies)
    throw new UsageError('--all-currencies writes one file per currency: give --out <folder>.');
  if (toStdout && binary && ctx.io.stdoutIsTTY) {
    throw new UsageError(`A ${opts.format} statement is binary and is not written to a terminal.`, {
      hint: 'Give --out <file>, or redirect standard output to a file.',
    });
  }
  const windows = statementWindows(start, end);
  const { client, profileId } = await profileClient(ctx);
  const balances = await client.getJson<Balance[]>(endpoint('balances', client.apiVersion, profileId));
  const chosen = currency ? balances.filter((b) => b.currency === currency) : balances;
  if (!chosen.length) {
    throw new UsageError(
      currency
        ? `Profile ${profileId} has no ${currency} balance (it has ${balances.map((b) => b.currency).join(', ') || 'none'}).`
        : `Profile ${profileId} has no balances.`,
      { hint: 'See `wise balances list`.' },
    );
  }
  if (windows.length > 1) {
    ctx.io.err(
      `${windows.length} windows of at most 469 days (Wise's limit)${['json', 'csv'].includes(opts.format) ? ', joined into one document' : ', one file each'}.`,
    );
  }
  const day = (t: number) => new Date(t).toISOString().slice(0, 10);
  const ext = STATEMENT_FORMATS[opts.format] as string;
  const folder =
    !toStdout && (opts.allCurrencies || opts.out === undefined || (await isFolder(opts.out)))
      ? (opts.out ?? '.')
      : undefined;
  if (folder) await ensureFolder(folder);
  const written: WrittenFile[] = [];
  for (const balance of chosen) {
    const request = {
      profileId,
      balanceId: balance.id,
      currency: balance.currency,
      format: opts.format,
      type: opts.type,
    };
    const destination = toStdout
      ? { stream: ctx.io.outStream() as Writable }
      : folder
        ? join(folder, `statement-${balance.currency}-${day(start)}-${day(end)}.${ext}`)
        : (opts.out as string);
    try {
      written.push(...(await writeStatement(client, request, { start, end }, destination)));
    } catch (error) {
      if (error instanceof ApiError && error.details?.reason === 'psd2') {
        throw new ApiError(error.message, {
          hint:
            'Wise does not let personal tokens of EU/UK accounts read statements (PSD2). `wise activities` lists the ' +
            'same payments without that limit; full statements need an OAuth login (`wise oauth authorize`) or the ' +
            'Wise website.',
          details: error.details,
        });
      }
      throw error;
    }
  }
  if (toStdout) return;
  if (ctx.options.json) return printJson(ctx, { files: written, windows: windows.length });
  for (const file of written) ctx.io.err(`Wrote ${file.path} (${file.from} to ${file.to}, ${file.bytes} bytes).`);
}
