/**
 * The guard's specs, one call kind at a time, with a fake journal, a fixed clock and a fake Wise: what each kind
 * journals, how it is priced, and when the policy stops it before anything is sent.
 */
import { describe, expect, it } from 'vitest';
import { classifyMoneyCall } from '../../src/guard/classify.js';
import { createGuardState, type GuardOptions, type GuardState, runGuarded } from '../../src/guard/guarded.js';
import type { JournalFields, JournalView } from '../../src/guard/journal.js';
import type { PolicyRule } from '../../src/guard/policy.js';
import type { PipelineRequest, WiseResponse } from '../../src/http/pipeline.js';

interface Line {
  entry: string;
  phase: 'intent' | 'outcome';
  fields: JournalFields;
}

function fakeJournal(spent: Record<string, number> = {}, known: number[] = []) {
  const lines: Line[] = [];
  const view: JournalView = {
    spentToday: () => new Map(Object.entries(spent)),
    transferKnown: (id) => known.includes(id),
    append: async (entry, phase, fields) => {
      lines.push({ entry, phase, fields: structuredClone(fields) });
    },
  };
  return { lines, locked: async <T>(fn: (v: JournalView) => Promise<T> | T) => fn(view) };
}

function setUp(
  rules: PolicyRule[],
  o: { spent?: Record<string, number>; known?: number[]; wise?: Record<string, unknown>; tty?: boolean } = {},
) {
  const journal = fakeJournal(o.spent, o.known);
  const state: GuardState = {
    ...createGuardState(),
    policyRead: true,
    policy: { path: '/policy.json', rules },
    journal,
  };
  const asked: string[] = [];
  const options: GuardOptions = {
    ctx: {
      configDir: '/nowhere',
      env: {},
      clock: { now: () => 1_765_000_000_000, sleep: async () => {} },
      io: { stdinIsTTY: o.tty ?? false },
    },
    account: 'default',
    env: 'sandbox',
    getJson: async <T>(path: string) => {
      asked.push(path);
      if (!o.wise || !(path in o.wise)) throw new Error(`404 ${path}`);
      return o.wise[path] as T;
    },
    profileCandidates: async () => [2001],
  };
  let sent = 0;
  const call = async (
    method: string,
    path: string,
    body: unknown,
    answer: unknown,
    status = 200,
    extra: Partial<GuardOptions> = {},
  ) => {
    const kind = classifyMoneyCall(method, path);
    if (!kind) throw new Error(`${method} ${path} is not a money call`);
    const url = new URL(`https://api.example${path}`);
    const request: PipelineRequest = {
      method,
      url,
      headers: {},
      body: Buffer.from(JSON.stringify(body)),
      correlationId: 'corr-1',
      marks: new Set(),
    };
    return runGuarded({ ...options, ...extra }, state, kind, request, async () => {
      sent++;
      if (answer instanceof Error) throw answer;
      return {
        status,
        statusText: '',
        headers: {},
        body: Buffer.from(JSON.stringify(answer)),
        correlationId: 'corr-1',
        url,
      } as WiseResponse;
    });
  };
  return { state, journal, call, asked, sent: () => sent };
}

const QUOTE = {
  id: 'q-1',
  targetAmount: 40,
  targetCurrency: 'EUR',
  sourceAmount: 40.5,
  sourceCurrency: 'EUR',
  profile: 2001,
};
const TRANSFER = {
  targetAccount: 7002,
  quoteUuid: 'q-1',
  customerTransactionId: 'k-1',
  details: { reference: 'Rent' },
};

describe('the guard, one call kind at a time', () => {
  it('quote.create records what Wise priced; transfer.create is priced from that quote without asking Wise', async () => {
    const g = setUp([{ maxPerTransfer: { EUR: 100 } }]);
    await g.call(
      'POST',
      '/v3/profiles/2001/quotes',
      { sourceCurrency: 'EUR', targetCurrency: 'EUR', targetAmount: 40, targetAccount: 7002 },
      QUOTE,
    );
    expect(g.state.quotes.get('q-1')).toMatchObject({ targetAmount: 40, targetCurrency: 'EUR', profile: 2001 });
    const quoteOutcome = g.journal.lines[1]?.fields;
    expect(quoteOutcome).toMatchObject({
      kind: 'quote.create',
      quoteId: 'q-1',
      amount: 40,
      sourceAmount: 40.5,
      recipientId: 7002,
      status: 'ok',
    });

    await g.call('POST', '/v1/transfers', TRANSFER, { id: 49000001, status: 'incoming_payment_waiting' });
    expect(g.asked).toEqual([]);
    const [intent, outcome] = g.journal.lines.slice(2).map((l) => l.fields);
    expect(intent).toMatchObject({
      kind: 'transfer.create',
      status: 'pending',
      quoteId: 'q-1',
      recipientId: 7002,
      idempotencyKey: 'k-1',
      reference: 'Rent',
      counted: true,
      amount: 40,
      currency: 'EUR',
      profileId: 2001,
    });
    expect(outcome).toMatchObject({
      status: 'ok',
      transferId: 49000001,
      wiseStatus: 'incoming_payment_waiting',
      httpStatus: 200,
    });
    expect(g.journal.lines[2]?.entry).toBe(g.journal.lines[3]?.entry);
  });

  it('a transfer over a cap, or of a quote nobody can find, is refused before anything is sent or journaled', async () => {
    const over = setUp([{ maxPerTransfer: { EUR: 30 } }], { wise: { '/v3/profiles/2001/quotes/q-1': QUOTE } });
    await expect(over.call('POST', '/v1/transfers', TRANSFER, {})).rejects.toThrow(/maxPerTransfer EUR is 30.00/);
    expect(over.asked).toEqual(['/v3/profiles/2001/quotes/q-1']);
    expect(over.sent()).toBe(0);
    expect(over.journal.lines).toEqual([]);

    const unknown = setUp([{ maxPerTransfer: { EUR: 100 } }]);
    await expect(unknown.call('POST', '/v1/transfers', TRANSFER, {})).rejects.toThrow(
      /cannot be priced \(no quote q-1/,
    );
    expect(unknown.sent()).toBe(0);

    // Without a policy nothing is priced or refused: the call is journaled as it goes.
    const free = setUp([]);
    await free.call('POST', '/v1/transfers', TRANSFER, { id: 1, status: 'incoming_payment_waiting' });
    expect(free.asked).toEqual([]);
    expect(free.journal.lines.map((l) => l.fields.status)).toEqual(['pending', 'ok']);
  });

  it("the day's total counts what the journal holds", async () => {
    const g = setUp([{ maxPerDay: { EUR: 100 } }], {
      spent: { EUR: 70 },
      wise: { '/v3/profiles/2001/quotes/q-1': QUOTE },
    });
    await expect(g.call('POST', '/v1/transfers', TRANSFER, {})).rejects.toThrow(
      /maxPerDay EUR is 100.00; 70.00 EUR is already paid or in flight today \(UTC\), and 40.00 more would make 110.00/,
    );
    expect(g.sent()).toBe(0);
  });

  it('transfer.fund of a transfer the journal does not know is priced from Wise and counted; unpriceable is refused', async () => {
    const path = '/v3/profiles/2001/transfers/49000009/payments';
    const priced = setUp([{ maxPerTransfer: { EUR: 100 } }], {
      wise: { '/v1/transfers/49000009': { targetValue: 25, targetCurrency: 'EUR', targetAccount: 7002 } },
    });
    await priced.call('POST', path, { type: 'BALANCE' }, { type: 'BALANCE', status: 'COMPLETED', errorCode: null });
    expect(priced.journal.lines[0]?.fields).toMatchObject({
      kind: 'transfer.fund',
      transferId: 49000009,
      amount: 25,
      recipientId: 7002,
      counted: true,
    });

    const known = setUp([{ maxPerTransfer: { EUR: 100 } }], { known: [49000009] });
    await known.call('POST', path, { type: 'BALANCE' }, { status: 'COMPLETED' });
    expect(known.asked).toEqual([]);
    expect(known.journal.lines[0]?.fields.counted).toBeUndefined();

    const blind = setUp([{ maxPerTransfer: { EUR: 100 } }], { wise: { '/v1/transfers/49000009': {} } });
    await expect(blind.call('POST', path, { type: 'BALANCE' }, {})).rejects.toThrow(
      /transfer 49000009 cannot be priced/,
    );
    expect(blind.sent()).toBe(0);
  });

  it('a rejected funding, an error answer and no answer at all are journaled as such', async () => {
    const g = setUp([]);
    const path = '/v3/profiles/2001/transfers/1/payments';
    await g.call('POST', path, {}, { status: 'REJECTED', errorCode: 'transfer.insufficient_funds' });
    expect(g.journal.lines[1]?.fields).toMatchObject({
      status: 'failed',
      errorCode: 'transfer.insufficient_funds',
      wiseStatus: 'REJECTED',
    });
    await g.call('POST', '/v1/transfers', TRANSFER, { errors: [{ code: 'error.quote.expired' }] }, 422);
    expect(g.journal.lines[3]?.fields).toMatchObject({
      status: 'failed',
      httpStatus: 422,
      errorCode: 'error.quote.expired',
    });
    await expect(
      g.call('POST', path, {}, Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })),
    ).rejects.toThrow('socket hang up');
    expect(g.journal.lines[5]?.fields).toMatchObject({ status: 'unknown', errorCode: 'ECONNRESET' });
    // A batch funding answered with a list: one rejected makes the call failed.
    await g.call('POST', '/v3/profiles/2001/batch-payments/bg-1/payments', {}, [
      { status: 'COMPLETED' },
      { status: 'REJECTED', errorCode: 'x' },
    ]);
    expect(g.journal.lines[7]?.fields).toMatchObject({ kind: 'batch.fund', status: 'failed', errorCode: 'x' });
  });

  it('a batch completed as CANCELLED is journaled as a cancellation; a new batch group records its id', async () => {
    const g = setUp([]);
    await g.call(
      'POST',
      '/v3/profiles/2001/batch-groups',
      { name: 'x', sourceCurrency: 'EUR' },
      { id: 'bg-9', status: 'NEW' },
    );
    expect(g.journal.lines[1]?.fields).toMatchObject({ kind: 'batch.create', batchGroupId: 'bg-9' });
    await g.call(
      'PATCH',
      '/v3/profiles/2001/batch-groups/bg-9',
      { status: 'CANCELLED', version: 0 },
      { id: 'bg-9', status: 'CANCELLED' },
    );
    expect(g.journal.lines[2]?.fields).toMatchObject({ kind: 'batch.cancel', batchGroupId: 'bg-9' });
  });

  it("production without a person is refused by unattendedProduction, unless a person approved an agent's payment", async () => {
    // A funding of a transfer the journal knows: only who may confirm it is checked.
    const g = setUp([{ unattendedProduction: false }], { known: [1] });
    const fund = (extra = {}) =>
      g.call('POST', '/v3/profiles/2001/transfers/1/payments', {}, { status: 'COMPLETED' }, 200, {
        env: 'production',
        ...extra,
      });
    await expect(fund()).rejects.toThrow(/unattendedProduction is false/);
    await fund({ onBehalfOf: { agent: 'claude-code 2.1', approvedVia: 'elicitation' } });
    expect(g.journal.lines[0]?.fields).toMatchObject({
      env: 'production',
      agent: 'claude-code 2.1',
      approvedVia: 'elicitation',
    });
    // An agent's call no person approved is not attended.
    await expect(fund({ onBehalfOf: { agent: 'claude-code 2.1' } })).rejects.toThrow(/unattendedProduction/);
  });
});
