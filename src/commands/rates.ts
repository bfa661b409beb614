import { accountClient } from '../account/session.js';
import { parseCurrency, parseDate } from '../account/validate.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { endpoint } from '../http/endpoints.js';
import { formatTable, printJson } from '../util/output.js';
import type { RatesOptions } from './account-specs.js';

interface Rate {
  rate: number;
  source: string;
  target: string;
  time: string;
}

export async function rates(ctx: Context, opts: RatesOptions): Promise<void> {
  const source = parseCurrency(opts.source, '--source');
  const target = parseCurrency(opts.target, '--target');
  const query = new URLSearchParams({ source, target });
  const period = opts.from !== undefined || opts.to !== undefined || opts.group !== undefined;
  if (opts.at && period) throw new UsageError('Give either --at, or --from and --to (with --group), not both.');
  if (opts.at) query.set('time', new Date(parseDate(opts.at, '--at')).toISOString());
  if (period) {
    if (!opts.from || !opts.to) throw new UsageError('A period needs both --from and --to.');
    const from = parseDate(opts.from, '--from');
    const to = parseDate(opts.to, '--to', { end: true });
    if (to < from) throw new UsageError('--to is before --from.');
    query.set('from', new Date(from).toISOString());
    query.set('to', new Date(Math.min(to, Date.now())).toISOString());
    query.set('group', opts.group ?? 'day');
  }
  const { client } = await accountClient(ctx);
  const list = await client.getJson<Rate[]>(`${endpoint('rates', client.apiVersion)}?${query}`);
  if (ctx.options.json) return printJson(ctx, list);
  ctx.io.out(
    formatTable(
      ['TIME', `${source}→${target}`],
      list.map((r) => [r.time, String(r.rate)]),
    ),
  );
}
