/**
 * The read-only tools of `wise mcp` (and `create_quote`, which makes a quote and moves no money). Each has an input
 * schema, an output schema its `structuredContent` matches, and annotations. Lists page: a `nextCursor` in the
 * result, given back as `cursor`. A statement answers with a summary and the rows asked for, never the whole file.
 */
import { z } from 'zod';
import {
  type Activity,
  activityText,
  type Balance,
  createQuote,
  describeState,
  parseTransferStates,
  paymentOption,
  type RecipientV2,
  recipientOf,
  type Transfer,
} from '../account/money.js';
import { MAX_WINDOW_DAYS } from '../account/statements.js';
import { parseCurrency, parseDate } from '../account/validate.js';
import { UsageError } from '../errors.js';
import { Journal, verifyJournal } from '../guard/journal.js';
import { policyPath } from '../guard/policy.js';
import { todayUnderPolicy } from '../guard/precheck.js';
import { endpoint } from '../http/endpoints.js';
import { money, moneyList, ok } from './results.js';
import type { ToolSet } from './server.js';

const MoneySchema = z.object({
  value: z.string().describe('a decimal amount, such as "10.00"'),
  currency: z.string().describe('ISO 4217 code'),
});
const profileId = z
  .number()
  .int()
  .positive()
  .optional()
  .describe("the Wise profile; left out: the account's default profile");
const cursor = z.string().max(200).optional().describe('nextCursor of the previous page');
const currency = z
  .string()
  .regex(/^[A-Za-z]{3}$/)
  .describe('three-letter currency code');
export const amountSchema = z
  .string()
  .regex(/^\d{1,12}(\.\d{1,2})?$/)
  .describe('a decimal string such as "10.00" (at most two decimals)');
const date = z.string().max(40).describe('a date (2026-01-31) or an ISO 8601 time');
const nextCursor = z.string().nullable().describe('give it back as `cursor` for the next page; null on the last');

const READ = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true } as const;

const toNumber = (cursorText: string | undefined, what: string): number => {
  if (cursorText === undefined) return 0;
  if (!/^\d{1,9}$/.test(cursorText)) throw new UsageError(`${what}: not a cursor this tool gave.`);
  return Number(cursorText);
};

function transferOut(t: Transfer) {
  return {
    id: t.id,
    created: t.created ?? null,
    status: t.status,
    statusMeaning: describeState(t.status),
    recipientId: t.targetAccount,
    reference: t.reference ?? t.details?.reference ?? '',
    source: money(t.sourceValue, t.sourceCurrency),
    target: money(t.targetValue, t.targetCurrency),
    rate: t.rate,
  };
}
const TransferSchema = z.object({
  id: z.number(),
  created: z.string().nullable(),
  status: z.string(),
  statusMeaning: z.string(),
  recipientId: z.number(),
  reference: z.string(),
  source: MoneySchema,
  target: MoneySchema,
  rate: z.number(),
});

export function registerReadTools(tools: ToolSet): void {
  const { session } = tools;

  tools.add(
    'list_profiles',
    {
      title: 'List profiles',
      description:
        "The Wise profiles (personal, business) this login can act for. Use an id as other tools' profileId.",
      inputSchema: z.object({}),
      outputSchema: z.object({
        profiles: z.array(z.object({ id: z.number(), type: z.string(), name: z.string() })),
      }),
      annotations: READ,
    },
    async () =>
      session.with(async ({ client }) => {
        const { fetchProfiles } = await import('../auth/profiles.js');
        const profiles = await fetchProfiles(client);
        return ok({ profiles: profiles.map((p) => ({ id: p.id, type: p.type, name: p.name })) });
      }),
  );

  tools.add(
    'list_balances',
    {
      title: 'List balances',
      description: 'The balances of a profile, each with its amount and what is reserved.',
      inputSchema: z.object({ profileId }),
      outputSchema: z.object({
        profileId: z.number(),
        balances: z.array(
          z.object({
            id: z.number(),
            currency: z.string(),
            kind: z.string(),
            name: z.string().nullable(),
            amount: MoneySchema,
            reserved: MoneySchema,
          }),
        ),
      }),
      annotations: READ,
    },
    async (args) =>
      session.with(async (a) => {
        const id = await a.profileId(args.profileId);
        const list = await a.client.getJson<Balance[]>(endpoint('allBalances', a.client.apiVersion, id));
        return ok({
          profileId: id,
          balances: list.map((b) => ({
            id: b.id,
            currency: b.currency,
            kind: b.type === 'SAVINGS' ? 'jar' : 'standard',
            name: b.name ?? null,
            amount: money(b.amount.value, b.amount.currency),
            reserved: money(b.reservedAmount?.value ?? 0, b.currency),
          })),
        });
      }),
  );

  tools.add(
    'get_exchange_rate',
    {
      title: 'Get an exchange rate',
      description: "Wise's current mid-market rate from one currency to another.",
      inputSchema: z.object({ source: currency, target: currency }),
      outputSchema: z.object({ source: z.string(), target: z.string(), rate: z.number(), time: z.string() }),
      annotations: READ,
    },
    async (args) =>
      session.with(async ({ client }) => {
        const source = parseCurrency(args.source, 'source');
        const target = parseCurrency(args.target, 'target');
        const [rate] = await client.getJson<{ rate: number; time: string }[]>(
          `${endpoint('rates', client.apiVersion)}?${new URLSearchParams({ source, target })}`,
        );
        if (!rate) throw new UsageError(`Wise has no rate from ${source} to ${target}.`);
        return ok({ source, target, rate: rate.rate, time: rate.time });
      }),
  );

  tools.add(
    'list_recipients',
    {
      title: 'List recipients',
      description: "The profile's recipients (bank accounts it pays), with the masked account Wise shows.",
      inputSchema: z.object({
        profileId,
        currency: currency.optional(),
        limit: z.number().int().min(1).max(20).optional().describe('at most 20 a page (Wise pages by 20)'),
        cursor,
      }),
      outputSchema: z.object({
        recipients: z.array(
          z.object({ id: z.number(), name: z.string(), currency: z.string(), type: z.string(), account: z.string() }),
        ),
        nextCursor,
      }),
      annotations: READ,
    },
    async (args) =>
      session.with(async (a) => {
        const id = await a.profileId(args.profileId);
        const query = new URLSearchParams({ profileId: String(id), size: String(args.limit ?? 20) });
        if (args.currency) query.set('currency', parseCurrency(args.currency, 'currency'));
        if (args.cursor !== undefined) query.set('seekPosition', String(toNumber(args.cursor, 'cursor')));
        const page = await a.client.getJson<{ content?: RecipientV2[]; seekPositionForNext?: number | null }>(
          `${endpoint('recipients', a.client.apiVersion)}?${query}`,
        );
        const recipients = (page.content ?? []).map(recipientOf);
        const next = page.seekPositionForNext;
        return ok({ recipients, nextCursor: typeof next === 'number' && recipients.length ? String(next) : null });
      }),
  );

  tools.add(
    'list_transfers',
    {
      title: 'List transfers',
      description: "The profile's transfers, newest first, with amounts, reference and state.",
      inputSchema: z.object({
        profileId,
        status: z
          .string()
          .max(300)
          .optional()
          .describe('comma-separated states, e.g. "processing,outgoing_payment_sent"'),
        since: date.optional(),
        until: date.optional(),
        limit: z.number().int().min(1).max(100).optional().describe('a page of at most 100 (default 20)'),
        cursor,
      }),
      outputSchema: z.object({ transfers: z.array(TransferSchema), nextCursor }),
      annotations: READ,
    },
    async (args) =>
      session.with(async (a) => {
        const id = await a.profileId(args.profileId);
        const limit = args.limit ?? 20;
        const offset = toNumber(args.cursor, 'cursor');
        const query = new URLSearchParams({ profile: String(id), limit: String(limit), offset: String(offset) });
        const states = parseTransferStates(args.status);
        if (states.length) query.set('status', states.join(','));
        if (args.since) query.set('createdDateStart', new Date(parseDate(args.since, 'since')).toISOString());
        if (args.until)
          query.set('createdDateEnd', new Date(parseDate(args.until, 'until', { end: true })).toISOString());
        const list = await a.client.getJson<Transfer[]>(`${endpoint('transfers', a.client.apiVersion)}?${query}`);
        return ok({
          transfers: list.map(transferOut),
          nextCursor: list.length === limit ? String(offset + limit) : null,
        });
      }),
  );

  tools.add(
    'get_transfer',
    {
      title: 'Get a transfer',
      description: 'One transfer: its state (and what the state means), amounts, recipient and reference.',
      inputSchema: z.object({ transferId: z.number().int().positive() }),
      outputSchema: TransferSchema,
      annotations: READ,
    },
    async (args) =>
      session.with(async ({ client }) =>
        ok(transferOut(await client.getJson<Transfer>(endpoint('transfer', client.apiVersion, args.transferId)))),
      ),
  );

  tools.add(
    'list_activities',
    {
      title: 'List activities',
      description: "The profile's activity feed (payments in and out, conversions, card spending), newest first.",
      inputSchema: z.object({
        profileId,
        since: date.optional(),
        until: date.optional(),
        limit: z.number().int().min(1).max(100).optional().describe('a page of at most 100 (default 20)'),
        cursor,
      }),
      outputSchema: z.object({
        activities: z.array(
          z.object({
            id: z.string(),
            type: z.string(),
            status: z.string(),
            title: z.string(),
            description: z.string(),
            amount: z.string().describe('as Wise shows it, e.g. "+ 1,250.00 EUR"'),
            createdOn: z.string().nullable(),
          }),
        ),
        nextCursor,
      }),
      annotations: READ,
    },
    async (args) =>
      session.with(async (a) => {
        const id = await a.profileId(args.profileId);
        const query = new URLSearchParams({ size: String(args.limit ?? 20) });
        if (args.since) query.set('since', new Date(parseDate(args.since, 'since')).toISOString());
        if (args.until) query.set('until', new Date(parseDate(args.until, 'until', { end: true })).toISOString());
        if (args.cursor) query.set('nextCursor', args.cursor);
        const page = await a.client.getJson<{ cursor?: string | null; activities?: Activity[] }>(
          `${endpoint('activities', a.client.apiVersion, id)}?${query}`,
        );
        return ok({
          activities: (page.activities ?? []).map((x) => ({
            id: x.id,
            type: x.type,
            status: x.status ?? '',
            title: activityText(x.title),
            description: activityText(x.description),
            amount: activityText(x.primaryAmount),
            createdOn: x.createdOn ?? null,
          })),
          nextCursor: page.cursor && page.cursor !== args.cursor ? page.cursor : null,
        });
      }),
  );

  tools.add(
    'get_statement',
    {
      title: 'Get a balance statement',
      description:
        'A summary of one balance over a period (opening and closing balance, money in and out) and a page of its transactions. Strong Customer Authentication is answered as the CLI does.',
      inputSchema: z.object({
        profileId,
        currency,
        from: date,
        to: date,
        limit: z.number().int().min(1).max(100).optional().describe('transactions in this page (default 20)'),
        cursor,
      }),
      outputSchema: z.object({
        summary: z.object({
          currency: z.string(),
          from: z.string(),
          to: z.string(),
          opening: MoneySchema,
          closing: MoneySchema,
          moneyIn: MoneySchema,
          moneyOut: MoneySchema,
          transactions: z.number(),
        }),
        transactions: z.array(
          z.object({
            date: z.string(),
            type: z.string(),
            description: z.string(),
            reference: z.string(),
            amount: MoneySchema,
            balance: MoneySchema,
          }),
        ),
        nextCursor,
      }),
      annotations: READ,
    },
    async (args) =>
      session.with(async (a) => {
        const id = await a.profileId(args.profileId);
        const cur = parseCurrency(args.currency, 'currency');
        const from = parseDate(args.from, 'from');
        const to = Math.min(parseDate(args.to, 'to', { end: true }), Date.now());
        if (to < from) throw new UsageError('to is before from.');
        if (to - from > MAX_WINDOW_DAYS * 86_400_000) {
          throw new UsageError(`A statement covers at most ${MAX_WINDOW_DAYS} days; ask for a shorter period.`);
        }
        const balances = await a.client.getJson<Balance[]>(endpoint('allBalances', a.client.apiVersion, id));
        const balance = balances.find((b) => b.currency === cur && b.type !== 'SAVINGS');
        if (!balance) throw new UsageError(`Profile ${id} has no ${cur} balance.`);
        const query = new URLSearchParams({
          currency: cur,
          intervalStart: new Date(from).toISOString(),
          intervalEnd: new Date(to).toISOString(),
          type: 'COMPACT',
        });
        const statement = await a.client.getJson<Statement>(
          `${endpoint('statement', a.client.apiVersion, id, balance.id, 'json')}?${query}`,
        );
        const rows = statement.transactions ?? [];
        let moneyIn = 0;
        let moneyOut = 0;
        for (const t of rows) {
          if (t.amount.value >= 0) moneyIn += t.amount.value;
          else moneyOut -= t.amount.value;
        }
        const start = toNumber(args.cursor, 'cursor');
        const limit = args.limit ?? 20;
        const page = rows.slice(start, start + limit);
        const closing = statement.endOfStatementBalance ?? { value: 0, currency: cur };
        const opening = statement.startOfStatementBalance ?? {
          value: closing.value - moneyIn + moneyOut,
          currency: cur,
        };
        return ok({
          summary: {
            currency: cur,
            from: new Date(from).toISOString(),
            to: new Date(to).toISOString(),
            opening: money(opening.value, cur),
            closing: money(closing.value, cur),
            moneyIn: money(moneyIn, cur),
            moneyOut: money(moneyOut, cur),
            transactions: rows.length,
          },
          transactions: page.map((t) => ({
            date: t.date,
            type: t.type,
            description: activityText(t.details?.description),
            reference: t.details?.paymentReference ?? t.referenceNumber ?? '',
            amount: money(t.amount.value, t.amount.currency),
            balance: money(t.runningBalance?.value ?? 0, cur),
          })),
          nextCursor: start + limit < rows.length ? String(start + limit) : null,
        });
      }),
  );

  tools.add(
    'show_policy',
    {
      title: 'Show the spending policy',
      description:
        "The spending policy rules in force for this account (limits per transfer and per day, allowed recipients and currencies), what today's payments used and what is left.",
      inputSchema: z.object({}),
      outputSchema: z.object({
        file: z.string(),
        inForce: z.boolean(),
        account: z.string(),
        env: z.string(),
        rules: z.array(
          z.object({
            maxPerTransfer: z.array(MoneySchema),
            maxPerDay: z.array(MoneySchema),
            allowedRecipients: z.array(z.number()).nullable(),
            allowedTargetCurrencies: z.array(z.string()).nullable(),
            unattendedProduction: z.boolean().nullable(),
          }),
        ),
        spentToday: z.array(MoneySchema),
        leftToday: z.array(MoneySchema),
      }),
      annotations: { ...READ, openWorldHint: false },
    },
    async () => {
      const { ctx } = session;
      const { resolveTarget } = await import('../auth/target.js');
      const target = await resolveTarget(ctx);
      const { rules, spent, left } = await todayUnderPolicy(ctx, target);
      return ok({
        file: policyPath(ctx.configDir, ctx.env),
        inForce: rules.length > 0,
        account: target.account,
        env: target.env,
        rules: rules.map((r) => ({
          maxPerTransfer: moneyList(r.maxPerTransfer ?? {}),
          maxPerDay: moneyList(r.maxPerDay ?? {}),
          allowedRecipients: r.allowedRecipients ?? null,
          allowedTargetCurrencies: r.allowedTargetCurrencies ?? null,
          unattendedProduction: r.unattendedProduction ?? null,
        })),
        spentToday: moneyList(spent),
        leftToday: moneyList(left),
      });
    },
  );

  tools.add(
    'verify_journal',
    {
      title: 'Verify the journal',
      description:
        'Checks the hash chain of the money journal (every money-moving call this tool made) and names the first line edited, removed or reordered.',
      inputSchema: z.object({}),
      outputSchema: z.object({
        ok: z.boolean(),
        lines: z.number(),
        head: z.string().nullable(),
        brokenAtLine: z.number().nullable(),
        reason: z.string().nullable(),
      }),
      annotations: { ...READ, openWorldHint: false },
    },
    async () => {
      const { readFile } = await import('node:fs/promises');
      const journal = new Journal(session.ctx.configDir, session.ctx.clock);
      let text = '';
      try {
        text = await readFile(journal.path, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
      const v = verifyJournal(text);
      return ok(
        v.ok
          ? { ok: true, lines: v.lines, head: v.head, brokenAtLine: null, reason: null }
          : { ok: false, lines: v.lines, head: null, brokenAtLine: v.line, reason: v.reason },
      );
    },
  );

  tools.add(
    'create_quote',
    {
      title: 'Create a quote',
      description:
        'Asks Wise for a quote (rate, fee, amounts) for paying from a balance. It moves no money and is kept by Wise for a while; give exactly one of sourceAmount and targetAmount.',
      inputSchema: z.object({
        profileId,
        sourceCurrency: currency,
        targetCurrency: currency,
        sourceAmount: amountSchema.optional(),
        targetAmount: amountSchema.optional(),
      }),
      outputSchema: z.object({
        quoteId: z.string(),
        rate: z.number(),
        source: MoneySchema,
        target: MoneySchema,
        fee: MoneySchema.nullable(),
        expiresAt: z.string(),
      }),
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    },
    async (args) =>
      session.with(async (a) => {
        if ((args.sourceAmount === undefined) === (args.targetAmount === undefined)) {
          throw new UsageError('Give exactly one of sourceAmount and targetAmount.');
        }
        const id = await a.profileId(args.profileId);
        const source = parseCurrency(args.sourceCurrency, 'sourceCurrency');
        const target = parseCurrency(args.targetCurrency, 'targetCurrency');
        const quote = await createQuote(a.client, id, {
          sourceCurrency: source,
          targetCurrency: target,
          ...(args.sourceAmount !== undefined ? { sourceAmount: Number(args.sourceAmount) } : {}),
          ...(args.targetAmount !== undefined ? { targetAmount: Number(args.targetAmount) } : {}),
        });
        const option = paymentOption(quote);
        return ok({
          quoteId: quote.id,
          rate: quote.rate,
          source: money(option?.sourceAmount ?? quote.sourceAmount, source),
          target: money(option?.targetAmount ?? quote.targetAmount, target),
          fee: option ? money(option.fee.total, source) : null,
          expiresAt: quote.expirationTime,
        });
      }),
  );
}

interface Statement {
  transactions?: {
    type: string;
    date: string;
    amount: { value: number; currency: string };
    details?: { description?: string; paymentReference?: string };
    runningBalance?: { value: number; currency: string };
    referenceNumber?: string;
  }[];
  endOfStatementBalance?: { value: number; currency: string };
  startOfStatementBalance?: { value: number; currency: string };
}
