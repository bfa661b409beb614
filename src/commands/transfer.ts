import {
  describeState,
  listRecipients,
  parseTransferStates,
  TRANSFER_STATES,
  type Transfer,
} from '../account/money.js';
import { accountClient, profileClient } from '../account/session.js';
import { parseCount, parseDate } from '../account/validate.js';
import type { Context } from '../context.js';
import { UsageError, WiseError } from '../errors.js';
import { endpoint } from '../http/endpoints.js';
import { csvWriter } from '../util/csv.js';
import { listJq } from '../util/jq.js';
import { formatTable, printJson } from '../util/output.js';
import type { TransferListOptions, TransferWatchOptions } from './account-specs.js';

function transferId(raw: string): number {
  if (!/^\d+$/.test(raw)) throw new UsageError(`A transfer id is a number, not "${raw}".`);
  return Number(raw);
}

const CSV_HEADER = [
  'id',
  'created',
  'status',
  'recipient_id',
  'recipient_name',
  'reference',
  'source_amount',
  'source_currency',
  'target_amount',
  'target_currency',
  'rate',
];

/** The transfers of a profile, page by page (Wise pages transfers by offset and limit); one page unless `all`. */
async function* transferPages(
  client: Awaited<ReturnType<typeof profileClient>>['client'],
  query: URLSearchParams,
  all: boolean,
): AsyncGenerator<Transfer[]> {
  const { walkPages } = await import('../http/paging.js');
  const first = `${endpoint('transfers', client.apiVersion)}?${query}`;
  for await (const page of walkPages(first, (path) => client.getJson<Transfer[]>(path))) {
    yield page;
    if (!all) return;
  }
}

export async function transferList(ctx: Context, opts: TransferListOptions): Promise<void> {
  const jq = await listJq(opts.jq, opts.format, ctx.io.stdoutIsTTY);
  const format = opts.format ?? (ctx.options.json || jq ? 'json' : 'table');
  const all = opts.all === true;
  const limit = parseCount(opts.limit, '--limit', 1000);
  const since = opts.since !== undefined ? parseDate(opts.since, '--since') : undefined;
  const until = opts.until !== undefined ? parseDate(opts.until, '--until', { end: true }) : undefined;
  if (since !== undefined && until !== undefined && since > until) {
    throw new UsageError('--since is after --until: no transfer can match.');
  }
  const statuses = parseTransferStates(opts.status);
  const { client, profileId } = await profileClient(ctx);
  // With --all, pages of 100 until a shorter one; else one page of --limit.
  const query = new URLSearchParams({ profile: String(profileId), limit: String(all ? 100 : limit), offset: '0' });
  if (statuses.length) query.set('status', statuses.join(','));
  if (since !== undefined) query.set('createdDateStart', new Date(since).toISOString());
  if (until !== undefined) query.set('createdDateEnd', new Date(until).toISOString());
  // The recipients' names, read once (20 a page, as Wise allows); one Wise no longer lists keeps its id.
  const names = new Map((await listRecipients(client, profileId)).map((r) => [r.id, r.name]));
  const reference = (t: Transfer) => t.reference ?? t.details?.reference ?? '';
  const name = (t: Transfer) => names.get(t.targetAccount) ?? '';

  if (format === 'csv') {
    // Written page by page: a year of transfers never sits in memory.
    const write = await csvWriter(ctx, CSV_HEADER);
    for await (const page of transferPages(client, query, all)) {
      write(
        page.map((t) => [
          t.id,
          t.created ?? '',
          t.status,
          t.targetAccount,
          name(t),
          reference(t),
          t.sourceValue.toFixed(2),
          t.sourceCurrency,
          t.targetValue.toFixed(2),
          t.targetCurrency,
          t.rate,
        ]),
      );
    }
    return;
  }
  const list: (Transfer & { recipientName: string | null })[] = [];
  for await (const page of transferPages(client, query, all)) {
    for (const t of page) list.push({ ...t, recipientName: names.get(t.targetAccount) ?? null });
  }
  if (jq) return ctx.io.out(await jq(JSON.stringify(list)));
  if (format === 'json') return printJson(ctx, list);
  if (!list.length) {
    ctx.io.err('No transfers.');
    return;
  }
  ctx.io.out(
    formatTable(
      ['ID', 'CREATED', 'RECIPIENT', 'REFERENCE', 'SOURCE', 'TARGET', 'STATUS'],
      list.map((t) => [
        String(t.id),
        t.created?.slice(0, 16) ?? '',
        name(t) || String(t.targetAccount),
        reference(t),
        `${t.sourceValue.toFixed(2)} ${t.sourceCurrency}`,
        `${t.targetValue.toFixed(2)} ${t.targetCurrency}`,
        t.status,
      ]),
    ),
  );
}

export async function transferGet(ctx: Context, raw: string): Promise<void> {
  const id = transferId(raw);
  const { client } = await accountClient(ctx);
  const t = await client.getJson<Transfer>(endpoint('transfer', client.apiVersion, id));
  if (ctx.options.json) return printJson(ctx, { ...t, statusMeaning: describeState(t.status) });
  ctx.io.out(
    formatTable(
      ['', ''],
      [
        ['Transfer', String(t.id)],
        ['Status', `${t.status}: ${describeState(t.status)}`],
        ['Created', t.created],
        ['You pay', `${t.sourceValue.toFixed(2)} ${t.sourceCurrency}`],
        ['Recipient gets', `${t.targetValue.toFixed(2)} ${t.targetCurrency}`],
        ['Recipient', String(t.targetAccount)],
        ['Reference', t.details?.reference || t.reference || ''],
        ['Idempotency key', t.customerTransactionId ?? ''],
      ],
    ).replace(/^\s*\n/, ''),
  );
}

export async function transferWatch(ctx: Context, raw: string, opts: TransferWatchOptions): Promise<void> {
  const id = transferId(raw);
  const interval = Number(opts.interval);
  const timeout = Number(opts.timeout);
  if (!(interval >= 0.1) || !(timeout > 0))
    throw new UsageError('--interval and --timeout take seconds (at least 0.1).');
  const { client } = await accountClient(ctx);
  const deadline = ctx.clock.now() + timeout * 1000;
  let last: string | undefined;
  for (;;) {
    const t = await client.getJson<Transfer>(endpoint('transfer', client.apiVersion, id));
    if (t.status !== last) {
      last = t.status;
      const at = new Date(ctx.clock.now()).toISOString();
      if (ctx.options.json)
        ctx.io.out(`${JSON.stringify({ id, status: t.status, meaning: describeState(t.status), at })}\n`);
      else ctx.io.out(`${at}  ${t.status}  ${describeState(t.status)}\n`);
    }
    if (TRANSFER_STATES[t.status]?.final) return;
    if (ctx.clock.now() + interval * 1000 > deadline) {
      throw new WiseError(`Transfer ${id} is still ${t.status} after ${timeout} s.`, {
        hint: `Keep watching with \`wise transfer watch ${id}\`.`,
      });
    }
    await ctx.clock.sleep(interval * 1000);
  }
}

export async function transferCancel(ctx: Context, raw: string): Promise<void> {
  const id = transferId(raw);
  const { client } = await accountClient(ctx);
  const t = await client.sendJson<Transfer>('PUT', endpoint('cancelTransfer', client.apiVersion, id), {});
  if (ctx.options.json) return printJson(ctx, t);
  ctx.io.err(`Transfer ${id} is ${t.status}.`);
}
