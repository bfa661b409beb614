/**
 * The calls that price and move money, with the shapes Wise answers (only the fields the tool reads): quotes,
 * recipients, transfers and their funding from a balance. Commands and the batch runner build on these.
 */
import { ApiError, UsageError } from '../errors.js';
import type { WiseClient } from '../http/client.js';
import { endpoint } from '../http/endpoints.js';
import { walkPages } from '../http/paging.js';
import { stripControl } from '../util/redact.js';

export interface PaymentOption {
  payIn: string;
  payOut: string;
  sourceAmount: number;
  targetAmount: number;
  fee: { total: number };
  disabled?: boolean;
  estimatedDelivery?: string;
  formattedEstimatedDelivery?: string;
}

export interface Quote {
  id: string;
  sourceCurrency: string;
  targetCurrency: string;
  sourceAmount: number;
  targetAmount: number;
  rate: number;
  expirationTime: string;
  paymentOptions: PaymentOption[];
}

export interface QuoteRequest {
  sourceCurrency: string;
  targetCurrency: string;
  sourceAmount?: number;
  targetAmount?: number;
  targetAccount?: number;
  payIn?: string;
}

export async function createQuote(client: WiseClient, profileId: number, q: QuoteRequest): Promise<Quote> {
  return client.sendJson<Quote>('POST', endpoint('quotes', client.apiVersion, profileId), {
    sourceCurrency: q.sourceCurrency,
    targetCurrency: q.targetCurrency,
    ...(q.sourceAmount !== undefined ? { sourceAmount: q.sourceAmount } : {}),
    ...(q.targetAmount !== undefined ? { targetAmount: q.targetAmount } : {}),
    ...(q.targetAccount !== undefined ? { targetAccount: q.targetAccount } : {}),
    preferredPayIn: q.payIn ?? 'BALANCE',
  });
}

/** The quote's payment option for paying in with `payIn` (BALANCE by default): its fee and delivery estimate. */
export function paymentOption(quote: Quote, payIn = 'BALANCE'): PaymentOption | undefined {
  return quote.paymentOptions?.find((o) => o.payIn === payIn && !o.disabled);
}

/** A quote can no longer be used within this many ms of its expiry: a transfer is made with margin. */
const EXPIRY_MARGIN_MS = 60_000;

export function quoteUsable(quote: Quote, now: number): boolean {
  return Date.parse(quote.expirationTime) - EXPIRY_MARGIN_MS > now;
}

/** Wise refused a transfer because its quote expired (or was used up): a new quote is the answer. */
export function isQuoteExpired(error: unknown): boolean {
  if (!(error instanceof ApiError)) return false;
  const codes = (error.details?.wiseCodes as string[] | undefined) ?? [];
  return codes.some((c) => /quote.*expired|expired.*quote/i.test(c)) || /quote has expired/i.test(error.message);
}

export interface Recipient {
  id: number;
  name: string;
  currency: string;
  type: string;
  account: string;
}

/** A recipient as `GET /v2/accounts` answers it. */
export interface RecipientV2 {
  id: number;
  name?: { fullName?: string };
  accountHolderName?: string;
  currency: string;
  type: string;
  accountSummary?: string;
}

/** What a payment needs of a recipient: its name and the masked account as Wise shows them. */
export function recipientOf(r: RecipientV2): Recipient {
  return {
    id: r.id,
    name: r.name?.fullName ?? r.accountHolderName ?? '',
    currency: r.currency,
    type: String(r.type).toLowerCase(),
    account: r.accountSummary ?? '',
  };
}

/** A balance as `GET /v4/profiles/{id}/balances` answers it. */
export interface Balance {
  id: number;
  currency: string;
  type?: string;
  name?: string | null;
  amount: { value: number; currency: string };
  reservedAmount?: { value: number; currency: string };
}

/** An entry of the activity feed (`GET /v1/profiles/{id}/activities`). */
export interface Activity {
  id: string;
  type: string;
  title?: string;
  description?: string;
  primaryAmount?: string;
  status?: string;
  createdOn?: string;
}

/** Wise's activity titles carry a little HTML (`<strong>…</strong>`): their text, safe on a terminal. */
export function activityText(html: string | undefined): string {
  return stripControl((html ?? '').replace(/<[^>]*>/g, '')).trim();
}

/** Every recipient of the profile (optionally in one currency), page by page. */
export async function listRecipients(client: WiseClient, profileId: number, currency?: string): Promise<Recipient[]> {
  const out: Recipient[] = [];
  // Wise allows at most 20 a page and pages by seekPosition.
  const query = new URLSearchParams({ profileId: String(profileId), size: '20' });
  if (currency) query.set('currency', currency);
  const first = `${endpoint('recipients', client.apiVersion)}?${query}`;
  const get = (path: string) => client.getJson<{ content?: RecipientV2[]; seekPositionForNext?: number }>(path);
  for await (const answer of walkPages(first, get)) {
    for (const r of answer.content ?? []) out.push(recipientOf(r));
  }
  return out;
}

/** The recipient a payment names: its id, or its exact name (case aside), which must be unambiguous. */
export function findRecipient(recipients: readonly Recipient[], wanted: string, what: string): Recipient {
  const trimmed = wanted.trim();
  if (/^\d+$/.test(trimmed)) {
    const byId = recipients.find((r) => r.id === Number(trimmed));
    if (byId) return byId;
    throw new UsageError(`${what}: there is no recipient with id ${trimmed} on this profile.`, {
      hint: 'See `wise recipients list`.',
    });
  }
  const byName = recipients.filter((r) => r.name.toLowerCase() === trimmed.toLowerCase());
  if (byName.length === 1) return byName[0] as Recipient;
  if (byName.length > 1) {
    throw new UsageError(
      `${what}: ${byName.length} recipients are named "${trimmed}" (${byName.map((r) => r.id).join(', ')}).`,
      {
        hint: 'Give the recipient id instead of the name.',
      },
    );
  }
  throw new UsageError(`${what}: there is no recipient named "${trimmed}" on this profile.`, {
    hint: 'See `wise recipients list`, or add one with `wise recipients add`.',
  });
}

export interface Transfer {
  id: number;
  status: string;
  targetAccount: number;
  quoteUuid: string;
  sourceCurrency: string;
  sourceValue: number;
  targetCurrency: string;
  targetValue: number;
  rate: number;
  created: string;
  customerTransactionId?: string;
  reference?: string;
  details?: { reference?: string };
}

export interface TransferRequest {
  targetAccount: number;
  quoteUuid: string;
  customerTransactionId: string;
  reference?: string;
  /** Further details Wise's transfer requirements asked for (purpose, source of funds…). */
  details?: Record<string, string>;
}

/** One field of Wise's transfer-requirements form. */
export interface TransferField {
  key: string;
  name: string;
  required: boolean;
  valuesAllowed?: { key: string; name: string }[] | null;
}

/**
 * `POST /v1/transfer-requirements`: the fields Wise asks of a transfer of this quote to this recipient (on some
 * routes and amounts, a purpose and the source of the funds), asked before the transfer is made.
 */
export async function transferRequirements(
  client: WiseClient,
  t: Pick<TransferRequest, 'targetAccount' | 'quoteUuid' | 'reference' | 'details'>,
): Promise<TransferField[]> {
  const forms = await client.sendJson<{ type?: string; fields?: { name?: string; group?: TransferField[] }[] }[]>(
    'POST',
    '/v1/transfer-requirements',
    { targetAccount: t.targetAccount, quoteUuid: t.quoteUuid, details: { reference: t.reference ?? '', ...t.details } },
  );
  const form = forms.find((f) => f.type === 'transfer') ?? forms[0];
  return (form?.fields ?? []).flatMap((f) => (f.group ?? []).map((g) => ({ ...g, name: g.name ?? f.name ?? g.key })));
}

export function transferBody(t: TransferRequest): Record<string, unknown> {
  return {
    targetAccount: t.targetAccount,
    quoteUuid: t.quoteUuid,
    customerTransactionId: t.customerTransactionId,
    details: { reference: t.reference ?? '', ...t.details },
  };
}

export async function createTransfer(client: WiseClient, t: TransferRequest): Promise<Transfer> {
  return client.sendJson<Transfer>('POST', endpoint('transfers', client.apiVersion), transferBody(t));
}

export interface PaymentResult {
  type: string;
  status: string;
  errorCode: string | null;
  transferId?: number;
}

/** Funds a transfer from the balance; a 200 whose status is REJECTED is a failure carrying Wise's errorCode. */
export async function fundTransfer(client: WiseClient, profileId: number, transferId: number): Promise<PaymentResult> {
  const result = await client.sendJson<PaymentResult>(
    'POST',
    endpoint('fundTransfer', client.apiVersion, profileId, transferId),
    {
      type: 'BALANCE',
    },
  );
  if (result.status !== 'COMPLETED') throw rejectedPayment(result, `transfer ${transferId}`);
  return result;
}

export function rejectedPayment(result: PaymentResult, what: string): ApiError {
  const code = result.errorCode ?? 'unknown';
  const hints: Record<string, string> = {
    'transfer.insufficient_funds': 'Top up the balance (or convert into it) and fund the transfer again.',
  };
  return new ApiError(`Wise rejected the payment of ${what}: ${code}.`, {
    hint: hints[code] ?? 'Check the transfer with `wise transfer get <id>`; it stays unfunded.',
    details: { wiseCodes: [code], status: result.status },
  });
}

/** Wise's transfer states and what each means for the person waiting. */
export const TRANSFER_STATES: Record<string, { meaning: string; final: boolean }> = {
  incoming_payment_waiting: { meaning: 'created; waiting for the money to be paid in (fund it)', final: false },
  incoming_payment_initiated: {
    meaning: 'the pay-in has started; Wise is waiting for the money to arrive',
    final: false,
  },
  processing: { meaning: 'Wise received the money and is processing the transfer', final: false },
  funds_converted: { meaning: 'the money has been converted into the target currency', final: false },
  outgoing_payment_sent: { meaning: 'paid out: Wise sent the money to the recipient’s bank', final: true },
  cancelled: { meaning: 'cancelled before it was paid out', final: true },
  funds_refunded: { meaning: 'refunded to the sender', final: true },
  bounced_back: { meaning: 'the recipient’s bank sent the money back', final: false },
  charged_back: { meaning: 'charged back', final: true },
  unknown: { meaning: 'Wise does not know the state yet', final: false },
};

/** Transfer states from a comma-separated list, each one of Wise's (a usage error names the unknown ones). */
export function parseTransferStates(raw: string | undefined): string[] {
  const states =
    raw
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean) ?? [];
  const unknown = states.filter((s) => !(s in TRANSFER_STATES));
  if (unknown.length) {
    throw new UsageError(`Unknown transfer state ${unknown.join(', ')}.`, {
      hint: `States: ${Object.keys(TRANSFER_STATES).join(', ')}.`,
    });
  }
  return states;
}

export function describeState(status: string): string {
  return TRANSFER_STATES[status]?.meaning ?? 'a state this version of wise does not know';
}
