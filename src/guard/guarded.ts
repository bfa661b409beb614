/**
 * The guard around one money-moving call: price it (from a quote this process saw, or by asking Wise), check it
 * against the spending policy and reserve its amount in the journal under one lock (so parallel payers cannot
 * overspend together), send it, and journal how it ended before the caller sees the answer.
 *
 * What differs between kinds of call is one small spec each (SPECS below): what its request and Wise's answer say
 * for the journal (read with typed decoders), whether it pays, and how it is priced. `runGuarded` is the order of
 * things, the same for all.
 */
import type { Context } from '../context.js';
import { PolicyError } from '../errors.js';
import { endpoint } from '../http/endpoints.js';
import type { Next, PipelineRequest, WiseResponse } from '../http/pipeline.js';
import type { MoneyCall } from './classify.js';
import { type EntryKind, Journal, type JournalFields, type JournalView, newEntryId } from './journal.js';
import { checkAttended, checkPayments, type PlannedPayment, type Policy, type PolicyRule, rulesFor } from './policy.js';
import { policyInForce } from './precheck.js';

export interface GuardOptions {
  ctx: Pick<Context, 'configDir' | 'env' | 'clock'> & { io: Pick<Context['io'], 'stdinIsTTY'> };
  account: string;
  env: string;
  /** GETs through the same client, to price a call (a quote, a transfer). */
  getJson: <T>(path: string) => Promise<T>;
  /** The profiles to look a quote up in when the path does not say (the chosen one first). */
  profileCandidates: () => Promise<number[]>;
  /** The call comes from an AI agent (`wise mcp`), and for a payment, how a person approved it. */
  onBehalfOf?: OnBehalfOf | undefined;
}

export interface OnBehalfOf {
  agent: string;
  approvedVia?: 'elicitation' | 'terminal';
}

interface QuoteFacts {
  id: string;
  profile?: number;
  targetAmount: number;
  targetCurrency: string;
  sourceAmount?: number;
  sourceCurrency?: string;
}

/** The journal as the guard uses it: a view of it under its lock. */
export interface GuardJournal {
  locked<T>(fn: (view: JournalView) => Promise<T> | T): Promise<T>;
}

/** Per process: the policy file read once, the journal's state, the quotes seen created. */
export interface GuardState {
  policy?: Policy | undefined;
  policyRead: boolean;
  journal?: GuardJournal;
  quotes: Map<string, QuoteFacts>;
}

export function createGuardState(): GuardState {
  return { policyRead: false, quotes: new Map() };
}

// Typed decoders: a JSON body is untrusted; each reads the fields its kind has, each of the type it must be.
type Json = Record<string, unknown>;
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
/** `fields` without its undefined entries, to merge into a journal line. */
const defined = <T extends object>(fields: T): Partial<T> =>
  Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<T>;

const quoteRequest = (b: Json) => ({
  amount: num(b.targetAmount),
  currency: str(b.targetCurrency),
  sourceAmount: num(b.sourceAmount),
  sourceCurrency: str(b.sourceCurrency),
  recipientId: num(b.targetAccount),
});
const quoteAnswer = (b: Json) => ({
  id: str(b.id),
  targetAmount: num(b.targetAmount),
  targetCurrency: str(b.targetCurrency),
  sourceAmount: num(b.sourceAmount),
  sourceCurrency: str(b.sourceCurrency),
  profile: num(b.profile),
});
const transferRequest = (b: Json) => ({
  quoteId: str(b.quoteUuid),
  recipientId: num(b.targetAccount),
  idempotencyKey: str(b.customerTransactionId),
  reference: str(obj(b.details).reference),
});
const transferAnswer = (b: Json) => ({
  targetValue: num(b.targetValue),
  targetCurrency: str(b.targetCurrency),
  targetAccount: num(b.targetAccount),
  quoteUuid: str(b.quoteUuid),
});

/** What the guard knows while it handles one call. */
interface Guard {
  o: GuardOptions;
  state: GuardState;
  rules: PolicyRule[];
  call: MoneyCall;
  fields: JournalFields;
}

/** One kind of money call, as the guard sees it. */
interface Spec {
  /** It pays (a transfer made, money sent to one, a batch funded): the policy checks it. */
  pays: boolean;
  /** What the request says, for the journal. */
  request?(g: Guard, body: Json): void;
  /** Its payment, priced before the lock; undefined when it cannot be (a PolicyError when a policy needs it). */
  price?(g: Guard, body: Json): Promise<PlannedPayment | undefined>;
  /** Its payment, priced under the journal's lock with what the journal holds. */
  priceLocked?(g: Guard, view: JournalView): Promise<PlannedPayment | undefined>;
  /** What Wise's answer says, for the journal (and the quotes this process saw). */
  answer?(g: Guard, answer: Json, outcome: JournalFields, ok: boolean): void;
}

/** A transfer made (alone or in a batch group): priced from its quote, counted in the day. */
const makesTransfer: Spec = {
  pays: true,
  request(g, body) {
    Object.assign(g.fields, defined(transferRequest(body)), { counted: true });
  },
  async price(g) {
    const quoteId = g.fields.quoteId;
    const quote = quoteId
      ? (g.state.quotes.get(quoteId) ??
        (g.rules.length ? await lookUpQuote(g.o, quoteId, g.call.profileId) : undefined))
      : undefined;
    if (!quote) {
      if (!g.rules.length) return undefined;
      throw new PolicyError(
        `Refused by policy: the transfer cannot be priced (no quote ${quoteId ?? ''} found). Nothing was sent.`,
        { hint: 'A transfer needs the quoteUuid of a quote of this login (POST /v3/profiles/<id>/quotes first).' },
      );
    }
    Object.assign(
      g.fields,
      defined({
        amount: quote.targetAmount,
        currency: quote.targetCurrency,
        sourceAmount: quote.sourceAmount,
        sourceCurrency: quote.sourceCurrency,
        profileId: g.fields.profileId ?? quote.profile,
      }),
    );
    return defined({
      amount: quote.targetAmount,
      currency: quote.targetCurrency,
      recipientId: g.fields.recipientId,
    }) as PlannedPayment;
  },
  answer(_g, answer, outcome) {
    const id = num(answer.id);
    if (id !== undefined) outcome.transferId = id;
  },
};

const SPECS: Record<EntryKind, Spec> = {
  'quote.create': {
    pays: false,
    request(g, body) {
      Object.assign(g.fields, defined(quoteRequest(body)));
    },
    answer(g, answer, outcome, ok) {
      const q = quoteAnswer(answer);
      if (!q.id) return;
      // What Wise priced: both amounts, whichever the request gave.
      Object.assign(
        outcome,
        defined({
          quoteId: q.id,
          amount: q.targetAmount,
          currency: q.targetCurrency,
          sourceAmount: q.sourceAmount,
          sourceCurrency: q.sourceCurrency,
        }),
      );
      if (ok) {
        g.state.quotes.set(q.id, {
          id: q.id,
          targetAmount: q.targetAmount ?? 0,
          targetCurrency: q.targetCurrency ?? '',
          ...defined({ sourceAmount: q.sourceAmount, sourceCurrency: q.sourceCurrency, profile: q.profile }),
        });
      }
    },
  },
  'transfer.create': makesTransfer,
  'batch.transfer': makesTransfer,
  'transfer.fund': {
    pays: true,
    /**
     * A funding of a transfer made elsewhere (another tool, the website) or before a policy was in force, so that the
     * journal has no amount for it: priced from Wise (the transfer, else its quote) and counted now. A transfer the
     * journal knows was checked when it was made: only who may confirm is checked.
     */
    async priceLocked(g, view) {
      const id = g.call.transferId;
      if (id === undefined || view.transferKnown(id) || !g.rules.length) return undefined;
      const t = await g.o
        .getJson<Json>(endpoint('transfer', undefined, id))
        .then(transferAnswer)
        .catch(() => undefined);
      let priced =
        t?.targetValue !== undefined && t.targetCurrency
          ? { amount: t.targetValue, currency: t.targetCurrency }
          : undefined;
      if (!priced && t?.quoteUuid) {
        const quote = await lookUpQuote(g.o, t.quoteUuid, g.call.profileId);
        if (quote) priced = { amount: quote.targetAmount, currency: quote.targetCurrency };
      }
      if (!priced) {
        throw new PolicyError(
          `Refused by policy: transfer ${id} cannot be priced (Wise shows neither its amount nor its quote), so it cannot be counted toward the day. Nothing was sent.`,
        );
      }
      const payment: PlannedPayment = { ...priced, ...defined({ recipientId: t?.targetAccount }) };
      Object.assign(g.fields, { amount: payment.amount, currency: payment.currency, counted: true });
      if (payment.recipientId !== undefined) g.fields.recipientId = payment.recipientId;
      return payment;
    },
  },
  'batch.fund': { pays: true },
  'transfer.cancel': { pays: false },
  'batch.create': {
    pays: false,
    answer(_g, answer, outcome) {
      const id = str(answer.id);
      if (id) outcome.batchGroupId = id;
    },
  },
  'batch.complete': {
    pays: false,
    request(g, body) {
      // Completing a batch group as CANCELLED cancels it.
      if (body.status === 'CANCELLED') g.fields.kind = 'batch.cancel';
    },
  },
  'batch.cancel': { pays: false },
};

function parseJson(bytes: Uint8Array | undefined): unknown {
  if (!bytes?.byteLength) return undefined;
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

export async function runGuarded(
  o: GuardOptions,
  state: GuardState,
  call: MoneyCall,
  request: PipelineRequest,
  next: Next,
): Promise<WiseResponse> {
  const { ctx } = o;
  if (!state.policyRead) {
    state.policy = policyInForce(ctx);
    state.policyRead = true;
  }
  const rules = rulesFor(state.policy, o.account, o.env);
  state.journal ??= new Journal(ctx.configDir, ctx.clock);
  const journal = state.journal;
  const spec = SPECS[call.kind];
  const fields: JournalFields = {
    kind: call.kind,
    account: o.account,
    env: o.env,
    ...defined({ profileId: call.profileId }),
    method: request.method,
    path: request.url.pathname,
    ...defined({ transferId: call.transferId, batchGroupId: call.batchGroupId }),
    status: 'pending',
    correlationId: request.correlationId,
    ...defined({ agent: o.onBehalfOf?.agent, approvedVia: o.onBehalfOf?.approvedVia }),
  };
  const g: Guard = { o, state, rules, call, fields };
  const body = obj(parseJson(request.body));
  spec.request?.(g, body);
  let payment = await spec.price?.(g, body);

  // A person confirmed an agent's payment (in the agent's app, or with `wise approve`): attended, without a terminal.
  const unattended = !ctx.io.stdinIsTTY && !o.onBehalfOf?.approvedVia;
  const entry = newEntryId();
  await journal.locked(async (view) => {
    payment = (await spec.priceLocked?.(g, view)) ?? payment;
    if (rules.length && spec.pays) {
      const situation = { env: o.env, unattended, spentToday: view.spentToday(o.account, o.env) };
      if (payment) checkPayments(rules, situation, [payment], state.policy?.path);
      else checkAttended(rules, situation, state.policy?.path);
    }
    await view.append(entry, 'intent', fields);
  });

  let response: WiseResponse;
  try {
    response = await next(request);
  } catch (error) {
    // No answer: Wise may or may not have acted. The entry says so, and a re-run with the same key is safe.
    await journal.locked((view) =>
      view.append(entry, 'outcome', {
        ...fields,
        status: 'unknown',
        errorCode: (error as { code?: string }).code ?? 'no answer',
      }),
    );
    throw error;
  }
  const ok = response.status < 400;
  const outcome: JournalFields = { ...fields, status: ok ? 'ok' : 'failed', httpStatus: response.status };
  const answer = parseJson(response.body);
  if (Array.isArray(answer)) {
    // A batch of answers: one rejected makes the call failed.
    const rejected = answer.map(obj).find((r) => r.status === 'REJECTED');
    if (rejected) Object.assign(outcome, { status: 'failed' }, defined({ errorCode: str(rejected.errorCode) }));
  } else if (answer !== undefined) {
    const a = obj(answer);
    spec.answer?.(g, a, outcome, ok);
    const wiseStatus = str(a.status);
    if (wiseStatus) outcome.wiseStatus = wiseStatus;
    if (wiseStatus === 'REJECTED')
      Object.assign(outcome, { status: 'failed' }, defined({ errorCode: str(a.errorCode) }));
    const firstError = Array.isArray(a.errors) ? str(obj(a.errors[0]).code) : undefined;
    if (!ok && firstError) outcome.errorCode = firstError;
  }
  await journal.locked((view) => view.append(entry, 'outcome', outcome));
  return response;
}

async function lookUpQuote(
  o: GuardOptions,
  id: string,
  profileId: number | undefined,
): Promise<QuoteFacts | undefined> {
  const candidates = profileId !== undefined ? [profileId] : await o.profileCandidates();
  for (const p of candidates) {
    try {
      const q = quoteAnswer(await o.getJson<Json>(endpoint('quote', undefined, p, id)));
      if (q.targetAmount !== undefined && q.targetCurrency) {
        return {
          id,
          profile: p,
          targetAmount: q.targetAmount,
          targetCurrency: q.targetCurrency,
          ...defined({ sourceAmount: q.sourceAmount, sourceCurrency: q.sourceCurrency }),
        };
      }
    } catch {
      // Not this profile's quote.
    }
  }
  return undefined;
}
