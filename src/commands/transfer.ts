import { describeState, TRANSFER_STATES, type Transfer } from '../account/money.js';
import { parseCount } from '../account/validate.js';
import type { Context } from '../context.js';
import { UsageError, WiseError } from '../errors.js';
import { endpoint } from '../http/endpoints.js';
import { formatTable, printJson } from '../util/output.js';
import { accountClient, profileClient } from './account/common.js';
import type { TransferListOptions, TransferWatchOptions } from './account-specs.js';

function transferId(raw: string): number {
  if (!/^\d+$/.test(raw)) throw new UsageError(`A transfer id is a number, not "${raw}".`);
  return Number(raw);
}

const row = (t: Transfer) => [
  String(t.id),
  t.created?.slice(0, 16) ?? '',
  `${t.sourceValue.toFixed(2)} ${t.sourceCurrency}`,
  `${t.targetValue.toFixed(2)} ${t.targetCurrency}`,
  String(t.targetAccount),
  t.status,
];

export async function transferList(ctx: Context, opts: TransferListOptions): Promise<void> {
  const limit = parseCount(opts.limit, '--limit', 1000);
  const statuses =
    opts.status
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean) ?? [];
  const unknown = statuses.filter((s) => !(s in TRANSFER_STATES));
  if (unknown.length) {
    throw new UsageError(`Unknown transfer state ${unknown.join(', ')}.`, {
      hint: `States: ${Object.keys(TRANSFER_STATES).join(', ')}.`,
    });
  }
  const { client, profileId } = await profileClient(ctx);
  const query = new URLSearchParams({ profile: String(profileId), limit: String(limit), offset: '0' });
  if (statuses.length) query.set('status', statuses.join(','));
  const list = await client.getJson<Transfer[]>(`${endpoint('transfers', client.apiVersion)}?${query}`);
  if (ctx.options.json) return printJson(ctx, list);
  if (!list.length) {
    ctx.io.err('No transfers.');
    return;
  }
  ctx.io.out(formatTable(['ID', 'CREATED', 'SOURCE', 'TARGET', 'RECIPIENT', 'STATUS'], list.map(row)));
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
