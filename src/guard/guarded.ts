/**
 * The guard around one money-moving call: price it (from a quote this process saw, or by asking Wise), check it
 * against the spending policy and reserve its amount in the journal under one lock (so parallel payers cannot
 * overspend together), send it, and journal how it ended before the caller sees the answer.
 */
import type { Context } from '../context.js';
import { PolicyError } from '../errors.js';
import { endpoint } from '../http/endpoints.js';
import type { Next, PipelineRequest, WiseResponse } from '../http/pipeline.js';
import type { MoneyCall } from './classify.js';
import { Journal, type JournalFields, newEntryId } from './journal.js';
import {
  checkAttended,
  checkPayments,
  loadPolicy,
  type PlannedPayment,
  type Policy,
  policyPath,
  rulesFor,
} from './policy.js';

export interface GuardOptions {
  ctx: Context;
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

/** Per process: the policy file read once, the journal's state, the quotes seen created. */
export interface GuardState {
  policy?: Policy | undefined;
  policyRead: boolean;
  journal?: Journal;
  quotes: Map<string, QuoteFacts>;
}

export function createGuardState(): GuardState {
  return { policyRead: false, quotes: new Map() };
}

function parseBody(request: PipelineRequest): Record<string, unknown> {
  if (!request.body?.byteLength) return {};
  try {
    const parsed = JSON.parse(Buffer.from(request.body).toString('utf8')) as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function parseAnswer(response: WiseResponse): Record<string, unknown> | unknown[] | undefined {
  try {
    return JSON.parse(response.body.toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);

export async function runGuarded(
  o: GuardOptions,
  state: GuardState,
  call: MoneyCall,
  request: PipelineRequest,
  next: Next,
): Promise<WiseResponse> {
  const { ctx } = o;
  if (!state.policyRead) {
    state.policy = loadPolicy(policyPath(ctx.configDir, ctx.env), Boolean(ctx.env.WISE_POLICY_FILE));
    state.policyRead = true;
  }
  const rules = rulesFor(state.policy, o.account, o.env);
  state.journal ??= new Journal(ctx.configDir, ctx.clock);
  const journal = state.journal;
  const body = parseBody(request);
  const fields: JournalFields = {
    kind: call.kind,
    account: o.account,
    env: o.env,
    ...(call.profileId !== undefined ? { profileId: call.profileId } : {}),
    method: request.method,
    path: request.url.pathname,
    ...(call.transferId !== undefined ? { transferId: call.transferId } : {}),
    ...(call.batchGroupId !== undefined ? { batchGroupId: call.batchGroupId } : {}),
    status: 'pending',
    correlationId: request.correlationId,
    ...(o.onBehalfOf ? { agent: o.onBehalfOf.agent } : {}),
    ...(o.onBehalfOf?.approvedVia ? { approvedVia: o.onBehalfOf.approvedVia } : {}),
  };
  if (call.kind === 'batch.complete' && body.status === 'CANCELLED') fields.kind = 'batch.cancel';
  if (call.kind === 'quote.create') {
    const target = num(body.targetAmount);
    Object.assign(fields, {
      ...(target !== undefined ? { amount: target } : {}),
      ...(str(body.targetCurrency) ? { currency: body.targetCurrency } : {}),
      ...(num(body.sourceAmount) !== undefined ? { sourceAmount: body.sourceAmount } : {}),
      ...(str(body.sourceCurrency) ? { sourceCurrency: body.sourceCurrency } : {}),
      ...(num(body.targetAccount) !== undefined ? { recipientId: body.targetAccount } : {}),
    });
  }

  // What the payment is worth, in the currency it pays out.
  let payment: PlannedPayment | undefined;
  if (call.kind === 'transfer.create' || call.kind === 'batch.transfer') {
    const quoteId = str(body.quoteUuid);
    const recipientId = num(body.targetAccount);
    const details = (body.details ?? {}) as { reference?: unknown };
    Object.assign(fields, {
      ...(quoteId ? { quoteId } : {}),
      ...(recipientId !== undefined ? { recipientId } : {}),
      ...(str(body.customerTransactionId) ? { idempotencyKey: body.customerTransactionId } : {}),
      ...(str(details.reference) ? { reference: details.reference } : {}),
      counted: true,
    });
    const quote = quoteId
      ? (state.quotes.get(quoteId) ?? (rules.length ? await lookUpQuote(o, quoteId, call.profileId) : undefined))
      : undefined;
    if (quote) {
      Object.assign(fields, {
        amount: quote.targetAmount,
        currency: quote.targetCurrency,
        ...(quote.sourceAmount !== undefined ? { sourceAmount: quote.sourceAmount } : {}),
        ...(quote.sourceCurrency ? { sourceCurrency: quote.sourceCurrency } : {}),
        ...(fields.profileId === undefined && quote.profile !== undefined ? { profileId: quote.profile } : {}),
      });
      payment = {
        amount: quote.targetAmount,
        currency: quote.targetCurrency,
        ...(recipientId !== undefined ? { recipientId } : {}),
      };
    } else if (rules.length) {
      throw new PolicyError(
        `Refused by policy: the transfer cannot be priced (no quote ${quoteId ?? ''} found). Nothing was sent.`,
        {
          hint: 'A transfer needs the quoteUuid of a quote of this login (POST /v3/profiles/<id>/quotes first).',
        },
      );
    }
  }

  // A person confirmed an agent's payment (in the agent's app, or with `wise approve`): attended, without a terminal.
  const unattended = !ctx.io.stdinIsTTY && !o.onBehalfOf?.approvedVia;
  const entry = newEntryId();
  await journal.locked(async (view) => {
    if (
      call.kind === 'transfer.fund' &&
      call.transferId !== undefined &&
      !view.transferKnown(call.transferId) &&
      rules.length
    ) {
      // A funding of a transfer made elsewhere (another tool, the website) or before a policy was in force, so that
      // the journal has no amount for it: priced from Wise (the transfer, else its quote) and counted now.
      const t = await o
        .getJson<{ targetValue?: number; targetCurrency?: string; targetAccount?: number; quoteUuid?: string }>(
          endpoint('transfer', undefined, call.transferId),
        )
        .catch(() => undefined);
      let priced =
        t && num(t.targetValue) !== undefined && str(t.targetCurrency)
          ? { amount: t.targetValue as number, currency: t.targetCurrency as string }
          : undefined;
      if (!priced && t && str(t.quoteUuid)) {
        const quote = await lookUpQuote(o, t.quoteUuid as string, call.profileId);
        if (quote) priced = { amount: quote.targetAmount, currency: quote.targetCurrency };
      }
      if (!priced) {
        throw new PolicyError(
          `Refused by policy: transfer ${call.transferId} cannot be priced (Wise shows neither its amount nor its quote), so it cannot be counted toward the day. Nothing was sent.`,
        );
      }
      payment = {
        ...priced,
        ...(t && num(t.targetAccount) !== undefined ? { recipientId: t.targetAccount as number } : {}),
      };
      Object.assign(fields, {
        amount: payment.amount,
        currency: payment.currency,
        recipientId: payment.recipientId,
        counted: true,
      });
    }
    const pays = ['transfer.create', 'batch.transfer', 'transfer.fund', 'batch.fund'].includes(fields.kind);
    if (rules.length && pays) {
      const situation = { env: o.env, unattended, spentToday: view.spentToday(o.account, o.env) };
      // A funding of a transfer already journaled was checked when it was made: only who may confirm is checked.
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
  const answer = parseAnswer(response);
  const outcome: JournalFields = {
    ...fields,
    status: response.status < 400 ? 'ok' : 'failed',
    httpStatus: response.status,
  };
  if (answer && !Array.isArray(answer)) {
    if (call.kind === 'quote.create' && str(answer.id)) {
      outcome.quoteId = answer.id as string;
      // What Wise priced: both amounts, whichever the request gave.
      if (num(answer.targetAmount) !== undefined) outcome.amount = answer.targetAmount as number;
      if (str(answer.targetCurrency)) outcome.currency = answer.targetCurrency as string;
      if (num(answer.sourceAmount) !== undefined) outcome.sourceAmount = answer.sourceAmount as number;
      if (str(answer.sourceCurrency)) outcome.sourceCurrency = answer.sourceCurrency as string;
      const facts: QuoteFacts = {
        id: answer.id as string,
        targetAmount: num(answer.targetAmount) ?? 0,
        targetCurrency: str(answer.targetCurrency) ?? '',
        ...(num(answer.sourceAmount) !== undefined ? { sourceAmount: answer.sourceAmount as number } : {}),
        ...(str(answer.sourceCurrency) ? { sourceCurrency: answer.sourceCurrency as string } : {}),
        ...(num(answer.profile) !== undefined ? { profile: answer.profile as number } : {}),
      };
      if (response.status < 400) state.quotes.set(facts.id, facts);
    }
    if ((call.kind === 'transfer.create' || call.kind === 'batch.transfer') && num(answer.id) !== undefined) {
      outcome.transferId = answer.id as number;
    }
    if (str(answer.status)) outcome.wiseStatus = answer.status as string;
    if (call.kind === 'batch.create' && str(answer.id)) outcome.batchGroupId = answer.id as string;
    if (answer.status === 'REJECTED') {
      outcome.status = 'failed';
      if (str(answer.errorCode)) outcome.errorCode = answer.errorCode as string;
    }
    const errorsList = (answer as { errors?: { code?: string }[] }).errors;
    if (response.status >= 400 && Array.isArray(errorsList) && errorsList[0]?.code)
      outcome.errorCode = errorsList[0].code;
  } else if (Array.isArray(answer)) {
    const rejected = answer.find((r) => (r as { status?: unknown }).status === 'REJECTED') as
      | { errorCode?: string }
      | undefined;
    if (rejected) {
      outcome.status = 'failed';
      if (rejected.errorCode) outcome.errorCode = rejected.errorCode;
    }
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
      const q = await o.getJson<Record<string, unknown>>(endpoint('quote', undefined, p, id));
      if (num(q.targetAmount) !== undefined && str(q.targetCurrency)) {
        return {
          id,
          profile: p,
          targetAmount: q.targetAmount as number,
          targetCurrency: q.targetCurrency as string,
          ...(num(q.sourceAmount) !== undefined ? { sourceAmount: q.sourceAmount as number } : {}),
          ...(str(q.sourceCurrency) ? { sourceCurrency: q.sourceCurrency as string } : {}),
        };
      }
    } catch {
      // Not this profile's quote.
    }
  }
  return undefined;
}
