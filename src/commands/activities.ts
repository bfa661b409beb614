import { type Activity, activityText } from '../account/money.js';
import { profileClient } from '../account/session.js';
import { parseCount, parseDate } from '../account/validate.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { endpoint } from '../http/endpoints.js';
import { csvWriter } from '../util/csv.js';
import { listJq } from '../util/jq.js';
import { formatTable } from '../util/output.js';
import type { ActivitiesOptions } from './account-specs.js';

const CSV_HEADER = ['id', 'created', 'type', 'status', 'title', 'description', 'direction', 'amount', 'currency'];

/**
 * Wise's amount as shown ("+ 1,250.00 EUR" for money in, "12.50 EUR" for money out): the direction, the amount
 * without grouping and the currency; the text as it is when it reads otherwise.
 */
function amountCells(text: string): [string, string, string] {
  const m = /^([+-])?\s*(\d{1,3}(?:,\d{3})*(?:\.\d+)?|\d+(?:\.\d+)?)\s+([A-Z]{3})$/.exec(text);
  if (!m) return ['', text, ''];
  return [m[1] === '+' ? 'in' : 'out', (m[2] as string).replaceAll(',', ''), m[3] as string];
}

export async function activities(ctx: Context, opts: ActivitiesOptions): Promise<void> {
  const since = opts.since ? parseDate(opts.since, '--since') : undefined;
  const until = opts.until ? parseDate(opts.until, '--until', { end: true }) : undefined;
  if (since !== undefined && until !== undefined && until < since) throw new UsageError('--until is before --since.');
  const limit = opts.all ? Number.POSITIVE_INFINITY : parseCount(opts.limit, '--limit', 10_000);
  const jq = await listJq(opts.jq, opts.format, ctx.io.stdoutIsTTY);
  const { client, profileId } = await profileClient(ctx);
  const format = opts.format ?? (ctx.options.json || jq ? 'json' : 'table');
  // With --jq the list is gathered and filtered whole (as `jq` would read it); without, JSON streams page by page.
  const gathered: Activity[] | undefined = jq ? [] : undefined;
  const json = format === 'json' && !gathered;
  const rows: string[][] = [];
  const write = format === 'csv' ? await csvWriter(ctx, CSV_HEADER) : undefined;
  let shown = 0;
  let more = false;
  if (json) ctx.io.out('[');
  // Page by page (Wise's cursor, sent back as nextCursor), each printed (with --json) before the next is asked for:
  // memory stays flat with --all.
  const { walkPages } = await import('../http/paging.js');
  const query = new URLSearchParams({ size: String(Math.min(100, limit)) });
  if (since !== undefined) query.set('since', new Date(since).toISOString());
  if (until !== undefined) query.set('until', new Date(until).toISOString());
  const first = `${endpoint('activities', client.apiVersion, profileId)}?${query}`;
  const get = (path: string) => client.getJson<{ cursor?: string | null; activities?: Activity[] }>(path);
  for await (const page of walkPages(first, get)) {
    const list = page.activities ?? [];
    const taken = list.slice(0, limit - shown);
    for (const a of taken) {
      if (gathered) gathered.push(a);
      else if (json) ctx.io.out(`${shown ? ',' : ''}\n  ${JSON.stringify(a)}`);
      else if (write) {
        const created = a.createdOn ?? '';
        const text = [a.type, a.status ?? '', activityText(a.title), activityText(a.description)];
        write([[a.id, created, ...text, ...amountCells(activityText(a.primaryAmount))]]);
      } else
        rows.push([
          (a.createdOn ?? '').slice(0, 10),
          a.type,
          activityText(a.title),
          activityText(a.primaryAmount),
          a.status ?? '',
        ]);
      shown++;
    }
    more = list.length > taken.length || Boolean(page.cursor);
    if (shown >= limit) break;
  }
  if (jq && gathered) return ctx.io.out(await jq(JSON.stringify(gathered)));
  if (json) {
    ctx.io.out(`${shown ? '\n' : ''}]\n`);
    return;
  }
  if (write) return;
  if (!rows.length) {
    ctx.io.err('No activity in this range.');
    return;
  }
  ctx.io.out(formatTable(['DATE', 'TYPE', 'WHO', 'AMOUNT', 'STATUS'], rows));
  if (more && shown >= limit) ctx.io.err(`Showing the newest ${shown}; --all lists every one.`);
}
