import { parseCount, parseDate } from '../account/validate.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { endpoint } from '../http/endpoints.js';
import { formatTable } from '../util/output.js';
import { stripControl } from '../util/redact.js';
import { profileClient } from './account/common.js';
import type { ActivitiesOptions } from './account-specs.js';

interface Activity {
  id: string;
  type: string;
  title?: string;
  description?: string;
  primaryAmount?: string;
  status?: string;
  createdOn?: string;
}

/** Wise's activity titles carry a little HTML (`<strong>…</strong>`): text only on the terminal. */
const plain = (html: string | undefined) => stripControl((html ?? '').replace(/<[^>]*>/g, '')).trim();

export async function activities(ctx: Context, opts: ActivitiesOptions): Promise<void> {
  const since = opts.since ? parseDate(opts.since, '--since') : undefined;
  const until = opts.until ? parseDate(opts.until, '--until', { end: true }) : undefined;
  if (since !== undefined && until !== undefined && until < since) throw new UsageError('--until is before --since.');
  const limit = opts.all ? Number.POSITIVE_INFINITY : parseCount(opts.limit, '--limit', 10_000);
  const { client, profileId } = await profileClient(ctx);
  const json = ctx.options.json;
  const rows: string[][] = [];
  let shown = 0;
  let cursor: string | undefined;
  if (json) ctx.io.out('[');
  // Page by page, each printed (with --json) before the next is asked for: memory stays flat with --all.
  do {
    const query = new URLSearchParams({ size: String(Math.min(100, limit - shown)) });
    if (since !== undefined) query.set('since', new Date(since).toISOString());
    if (until !== undefined) query.set('until', new Date(until).toISOString());
    if (cursor) query.set('nextCursor', cursor);
    const page = await client.getJson<{ cursor?: string | null; activities?: Activity[] }>(
      `${endpoint('activities', client.apiVersion, profileId)}?${query}`,
    );
    for (const a of page.activities ?? []) {
      if (shown >= limit) break;
      if (json) ctx.io.out(`${shown ? ',' : ''}\n  ${JSON.stringify(a)}`);
      else
        rows.push([(a.createdOn ?? '').slice(0, 10), a.type, plain(a.title), plain(a.primaryAmount), a.status ?? '']);
      shown++;
    }
    cursor = page.cursor ?? undefined;
  } while (cursor && shown < limit);
  if (json) {
    ctx.io.out(`${shown ? '\n' : ''}]\n`);
    return;
  }
  if (!rows.length) {
    ctx.io.err('No activity in this range.');
    return;
  }
  ctx.io.out(formatTable(['DATE', 'TYPE', 'WHO', 'AMOUNT', 'STATUS'], rows));
  if (cursor) ctx.io.err(`Showing the newest ${shown}; --all lists every one.`);
}
