/**
 * Quotes, from Wise's "Create a quote" reference (`POST /v3/profiles/{profileId}/quotes`): the caller gives the
 * currencies and either the source or the target amount; Wise answers with the rate, the other amount, fees per
 * payment option and a 30-minute expiry. Rates here are fixed so that answers are predictable.
 */
import { randomUUID } from 'node:crypto';
import { errors, json, type Reply } from './reply.js';
import type { MockState } from './state.js';

/** Mid-market rates against EUR. */
export const EUR_RATES: Record<string, number> = { EUR: 1, GBP: 0.86, USD: 1.08, CHF: 0.94, PLN: 4.3, SEK: 11.2 };
const FEE_PERCENT = 0.0043;
const FIXED_FEE = 0.39;

interface QuoteRequest {
  sourceCurrency?: unknown;
  targetCurrency?: unknown;
  sourceAmount?: unknown;
  targetAmount?: unknown;
  payOut?: unknown;
  targetAccount?: unknown;
}

const round = (value: number) => Math.round(value * 100) / 100;

export function createQuote(state: MockState, profileId: number, userId: number, body: Buffer): Reply {
  let request: QuoteRequest;
  try {
    request = JSON.parse(body.toString('utf8') || '{}') as QuoteRequest;
  } catch {
    return errors(400, 'INVALID_JSON', 'The request body is not JSON');
  }
  const { sourceCurrency, targetCurrency, sourceAmount, targetAmount } = request;
  const currency = (c: unknown): c is string => typeof c === 'string' && c in EUR_RATES;
  if (!currency(sourceCurrency)) return errors(422, 'error.sourceCurrency.invalid', 'sourceCurrency is not supported');
  if (!currency(targetCurrency)) return errors(422, 'error.targetCurrency.invalid', 'targetCurrency is not supported');
  const amount = (a: unknown) => typeof a === 'number' && Number.isFinite(a) && a > 0;
  if ((sourceAmount === undefined || sourceAmount === null) === (targetAmount === undefined || targetAmount === null)) {
    return errors(422, 'error.amount.invalid', 'Give exactly one of sourceAmount and targetAmount');
  }
  if (sourceAmount != null && !amount(sourceAmount))
    return errors(422, 'error.sourceAmount.invalid', 'sourceAmount must be positive');
  if (targetAmount != null && !amount(targetAmount))
    return errors(422, 'error.targetAmount.invalid', 'targetAmount must be positive');
  const rate = Number(((EUR_RATES[targetCurrency] as number) / (EUR_RATES[sourceCurrency] as number)).toFixed(6));
  let source: number;
  let fee: number;
  let target: number;
  if (typeof sourceAmount === 'number') {
    source = round(sourceAmount);
    fee = round(source * FEE_PERCENT + FIXED_FEE);
    target = round((source - fee) * rate);
  } else {
    target = round(targetAmount as number);
    const net = target / rate;
    source = round((net + FIXED_FEE) / (1 - FEE_PERCENT));
    fee = round(source - net);
  }
  if (target <= 0) return errors(422, 'error.amount.tooLow', 'The amount does not cover the fee');
  const now = new Date();
  const payOut = typeof request.payOut === 'string' ? request.payOut : 'BANK_TRANSFER';
  const quote = {
    id: randomUUID(),
    sourceCurrency,
    targetCurrency,
    sourceAmount: source,
    targetAmount: target,
    rate,
    rateType: 'FIXED',
    payOut,
    createdTime: now.toISOString(),
    expirationTime: new Date(now.getTime() + 30 * 60_000).toISOString(),
    user: userId,
    profile: profileId,
    providedAmountType: typeof sourceAmount === 'number' ? 'SOURCE' : 'TARGET',
    status: 'PENDING',
    ...(typeof request.targetAccount === 'number' ? { targetAccount: request.targetAccount } : {}),
    paymentOptions: [
      {
        payIn: 'BALANCE',
        payOut,
        sourceCurrency,
        targetCurrency,
        sourceAmount: source,
        targetAmount: target,
        fee: { total: fee, transferwise: fee, payIn: 0, discount: 0 },
        disabled: false,
        estimatedDelivery: new Date(now.getTime() + 86_400_000).toISOString(),
        formattedEstimatedDelivery: 'by tomorrow',
      },
    ],
  };
  state.quotes.set(quote.id, quote);
  return json(200, quote);
}
