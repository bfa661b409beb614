/**
 * The account routes of the emulator, from Wise's API reference: balance statements, activities, rates, recipients
 * and their account requirements, transfers (idempotent by `customerTransactionId`), funding from a balance, batch
 * groups (at most 1,000 transfers, a version checked on every change) and profile webhook subscriptions.
 */
import { randomUUID } from 'node:crypto';
import { EUR_RATES } from './quotes.js';
import { errors, json, type Reply } from './reply.js';
import type { MockBatchGroup, MockRecipient, MockState, MockTransfer, MockUser } from './state.js';
import { activityRows, statement } from './statements.js';

export interface AccountRequest {
  state: MockState;
  user: MockUser;
  method: string;
  path: string;
  url: URL;
  body: Buffer;
  /** A reply refusing the profile when it is not the user's. */
  ownProfile(id: string): Reply | undefined;
  /** SCA (and PSD2) for a protected action: a refusal, or the headers a successful answer carries. */
  protect(action: string): { refused: Reply } | { headers?: Record<string, string> };
  /** An event of the profile for its webhook subscriptions, delivered after the answer. */
  emit(eventType: string, profileId: number, data: Record<string, unknown>): void;
}

/** Wise's transfer states, in the order a funded transfer passes them. */
const PROGRESS = ['incoming_payment_waiting', 'processing', 'funds_converted', 'outgoing_payment_sent'];
const BATCH_LIMIT = 1000;
export const WEBHOOK_TRIGGERS = [
  'transfers#state-change',
  'transfers#active-cases',
  'transfers#payout-failure',
  'balances#credit',
  'balances#update',
  'profiles#verification-state-change',
  'batch-payment-initiations#state-change',
];

const round = (value: number) => Math.round(value * 100) / 100;

function parseBody(body: Buffer): Record<string, unknown> | Reply {
  try {
    const parsed = JSON.parse(body.toString('utf8') || '{}') as unknown;
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      return errors(400, 'INVALID_JSON', 'The request body must be a JSON object');
    }
    return parsed as Record<string, unknown>;
  } catch {
    return errors(400, 'INVALID_JSON', 'The request body is not JSON');
  }
}

const isReply = (value: unknown): value is Reply =>
  typeof value === 'object' && value !== null && 'status' in value && typeof (value as Reply).status === 'number';

export async function accountRoute(r: AccountRequest): Promise<Reply | undefined> {
  const { method, path } = r;
  let m = /^\/v1\/profiles\/(\d+)\/balance-statements\/(\d+)\/statement\.(json|csv|pdf|xlsx|xml|mt940|qif)$/.exec(path);
  if (m && method === 'GET') {
    const denied = r.ownProfile(m[1] as string);
    if (denied) return denied;
    // SCA (and PSD2) come first, as at Wise's gateway: the handler runs only for an approved call.
    const sca = r.protect('BALANCE__GET_STATEMENT');
    if ('refused' in sca) return sca.refused;
    const profile = r.state.profiles.find((p) => String(p.id) === m?.[1]);
    const balance = r.state.balances.find((b) => String(b.id) === m?.[2] && String(b.profileId) === m?.[1]);
    if (!profile || !balance) return errors(404, 'NOT_FOUND', `Balance ${m[2]} not found`);
    const reply = statement({ state: r.state, profile, balance, format: m[3] as string, url: r.url });
    return sca.headers && reply.status < 400 ? { ...reply, headers: { ...reply.headers, ...sca.headers } } : reply;
  }
  m = /^\/v3\/profiles\/(\d+)\/transfers\/(\d+)\/payments$/.exec(path);
  if (m && method === 'POST') return fundTransfer(r, m[1] as string, Number(m[2]));
  m = /^\/v3\/profiles\/(\d+)\/batch-payments\/([^/]+)\/payments$/.exec(path);
  if (m && method === 'POST') return fundBatch(r, m[1] as string, m[2] as string);

  m = /^\/v1\/profiles\/(\d+)\/activities$/.exec(path);
  if (m && method === 'GET') return activities(r, Number(m[1]));
  if (path === '/v1/rates' && method === 'GET') return rates(r.url);

  // Wise's sandbox simulations: a transfer moved to its next state, money put on a balance.
  m = /^\/v1\/simulation\/transfers\/(\d+)\/([a-z_]+)$/.exec(path);
  if (m && method === 'GET') return simulateTransfer(r, Number(m[1]), m[2] as string);
  if (path === '/v1/simulation/balance/topup' && method === 'POST') return simulateTopup(r);

  if (path === '/v2/accounts' && method === 'GET') return listRecipients(r);
  if (path === '/v1/accounts' && method === 'POST') return createRecipient(r);
  // Wise's account form for a quote's route; a POST with the recipient filled so far refreshes it (fields marked
  // refreshRequirementsOnChange can add fields, as a US address adds its state). The quote-less form of old is gone
  // from Wise's contract.
  m = /^\/v1\/quotes\/([^/]+)\/account-requirements$/.exec(path);
  if (m && (method === 'GET' || method === 'POST')) {
    const quote = r.state.quotes.get(m[1] as string);
    if (!quote || quote.user !== r.user.id) return errors(404, 'NOT_FOUND', 'Quote not found');
    let details: Record<string, unknown> = {};
    if (method === 'POST') {
      const input = parseBody(r.body);
      if (isReply(input)) return input;
      details = (input.details ?? {}) as Record<string, unknown>;
    }
    return json(200, requirementsFor(String(quote.targetCurrency), details));
  }
  if (path === '/v1/transfer-requirements' && method === 'POST') return transferRequirements(r);
  if (path === '/v1/transfers' && method === 'POST') return createTransfer(r);
  if (path === '/v1/transfers' && method === 'GET') return listTransfers(r);
  m = /^\/v1\/transfers\/(\d+)$/.exec(path);
  if (m && method === 'GET') {
    const transfer = r.state.transfers.get(Number(m[1]));
    if (!transfer || transfer.userId !== r.user.id) return errors(404, 'NOT_FOUND', 'Transfer not found');
    advance(transfer);
    return json(200, transferJson(r.state, transfer));
  }
  m = /^\/v1\/transfers\/(\d+)\/cancel$/.exec(path);
  if (m && method === 'PUT') return cancelTransfer(r, Number(m[1]));

  m = /^\/v3\/profiles\/(\d+)\/batch-groups$/.exec(path);
  if (m && method === 'POST') return createBatchGroup(r, m[1] as string);
  m = /^\/v3\/profiles\/(\d+)\/batch-groups\/([^/]+)(\/transfers)?$/.exec(path);
  if (m) {
    const denied = r.ownProfile(m[1] as string);
    if (denied) return denied;
    const group = r.state.batchGroups.get(m[2] as string);
    if (!group || String(group.profileId) !== m[1]) return errors(404, 'NOT_FOUND', 'Batch group not found');
    if (m[3] && method === 'POST') return addBatchTransfer(r, group);
    if (!m[3] && method === 'GET') return json(200, batchJson(r.state, group));
    if (!m[3] && method === 'PATCH') return updateBatchGroup(r, group);
  }

  m = /^\/v3\/profiles\/(\d+)\/subscriptions(?:\/([^/]+))?$/.exec(path);
  if (m) {
    const denied = r.ownProfile(m[1] as string);
    if (denied) return denied;
    return subscriptions(r, Number(m[1]), m[2], method);
  }
  return undefined;
}

function transferJson(state: MockState, t: MockTransfer): Record<string, unknown> {
  const business = state.profiles.find((p) => p.id === t.profileId)?.type === 'BUSINESS';
  return {
    id: t.id,
    user: t.userId,
    targetAccount: t.targetAccount,
    sourceAccount: null,
    quote: null,
    quoteUuid: t.quoteUuid,
    status: t.status,
    reference: t.reference,
    rate: t.rate,
    created: t.created,
    business: business ? t.profileId : null,
    transferRequest: null,
    details: { reference: t.reference },
    hasActiveIssues: false,
    sourceCurrency: t.sourceCurrency,
    sourceValue: t.sourceValue,
    targetCurrency: t.targetCurrency,
    targetValue: t.targetValue,
    customerTransactionId: t.customerTransactionId,
  };
}

/** The state a sandbox simulation may move a transfer to, from the state it must be in (Wise's order). */
const SIMULATED_FROM: Record<string, string> = {
  processing: 'incoming_payment_waiting',
  funds_converted: 'processing',
  outgoing_payment_sent: 'funds_converted',
  bounced_back: 'outgoing_payment_sent',
  funds_refunded: 'bounced_back',
};

/** `GET /v1/simulation/transfers/{id}/{status}`: the transfer moved to `status`, in Wise's order only. */
function simulateTransfer(r: AccountRequest, id: number, status: string): Reply {
  const transfer = r.state.transfers.get(id);
  if (!transfer || transfer.userId !== r.user.id) return errors(404, 'NOT_FOUND', 'Transfer not found');
  const from = SIMULATED_FROM[status];
  if (!from) return errors(400, 'NOT_VALID', `status must be one of ${Object.keys(SIMULATED_FROM).join(', ')}`);
  if (transfer.status !== from) {
    return errors(
      400,
      'INVALID_STATE_TRANSITION',
      `A transfer in state ${transfer.status} cannot be moved to ${status} (only from ${from})`,
    );
  }
  transfer.status = status;
  transfer.simulated = true;
  // As in Wise's sandbox, the simulated change reaches the profile's transfers#state-change subscriptions.
  r.emit('transfers#state-change', transfer.profileId, {
    resource: { type: 'transfer', id: transfer.id, profile_id: transfer.profileId, account_id: transfer.targetAccount },
    current_state: status,
    previous_state: from,
    occurred_at: new Date().toISOString(),
  });
  return json(200, transferJson(r.state, transfer));
}

/** `POST /v1/simulation/balance/topup` `{profileId, balanceId, currency, amount}`: money on a balance. */
function simulateTopup(r: AccountRequest): Reply {
  const input = parseBody(r.body);
  if (isReply(input)) return input;
  const denied = r.ownProfile(String(input.profileId ?? ''));
  if (denied) return denied;
  const balance = r.state.balances.find(
    (b) => b.id === Number(input.balanceId) && b.profileId === Number(input.profileId),
  );
  if (!balance) return errors(404, 'NOT_FOUND', 'Balance not found');
  if (input.currency !== balance.currency) {
    return errors(422, 'NOT_VALID', `currency: balance ${balance.id} holds ${balance.currency}`);
  }
  const amount = input.amount;
  if (typeof amount !== 'number' || !Number.isFinite(amount) || amount <= 0 || amount > 1_000_000) {
    return errors(422, 'NOT_VALID', 'amount: a positive number (at most 1,000,000)');
  }
  balance.value = round(balance.value + amount);
  r.state.topups = (r.state.topups ?? 0) + 1;
  return json(200, {
    transactionId: 71_000_000 + r.state.topups,
    state: 'COMPLETED',
    balancesAfter: [{ id: balance.id, value: balance.value, currency: balance.currency }],
  });
}

/** A funded transfer moves one state on with each read, so that a watcher sees it go out. */
function advance(t: MockTransfer): void {
  // A transfer a simulation moved stays where the simulation put it.
  if (t.simulated) return;
  const at = PROGRESS.indexOf(t.status);
  if (at >= 1 && at < PROGRESS.length - 1) t.status = PROGRESS[at + 1] as string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The shared checks of `POST /v1/transfers` and a batch group's transfers; the transfer, or Wise's refusal. */
function newTransfer(r: AccountRequest, input: Record<string, unknown>, profileId?: number): MockTransfer | Reply {
  const ctid = input.customerTransactionId;
  if (typeof ctid !== 'string' || !UUID.test(ctid)) {
    return errors(422, 'NOT_VALID', 'customerTransactionId must be a UUID');
  }
  // Wise's idempotency check: the same customerTransactionId gives the transfer made the first time.
  const existing = r.state.transfersByCustomerId.get(`${r.user.id}:${ctid}`);
  if (existing !== undefined) return r.state.transfers.get(existing) as MockTransfer;
  const quote = r.state.quotes.get(String(input.quoteUuid ?? ''));
  if (!quote || quote.user !== r.user.id) return errors(422, 'NOT_VALID', 'quoteUuid: quote not found');
  if (profileId !== undefined && quote.profile !== profileId) {
    return errors(422, 'NOT_VALID', 'quoteUuid: the quote belongs to another profile');
  }
  // As if the quote aged 30 minutes in flight: once per customerTransactionId, so that a client's renewal (the same
  // key with a new quote) is not caught too, whatever the order concurrent requests arrive in.
  if (r.state.expireNextQuotes > 0 && !r.state.expiredOnTheWay.has(ctid)) {
    r.state.expireNextQuotes -= 1;
    r.state.expiredOnTheWay.add(ctid);
    quote.expirationTime = new Date(Date.now() - 1000).toISOString();
  }
  if (Date.parse(String(quote.expirationTime)) <= Date.now()) {
    return errors(422, 'QUOTE_EXPIRED', 'The quote has expired: create a new quote');
  }
  if ([...r.state.transfers.values()].some((t) => t.quoteUuid === quote.id)) {
    return errors(422, 'QUOTE_ALREADY_USED', 'A transfer was already created with this quote');
  }
  const recipient = r.state.recipients.get(Number(input.targetAccount));
  if (!recipient || recipient.profileId !== quote.profile) {
    return errors(422, 'NOT_VALID', 'targetAccount: recipient not found');
  }
  if (recipient.currency !== quote.targetCurrency) {
    return errors(
      422,
      'NOT_VALID',
      `targetAccount: the recipient takes ${recipient.currency}, the quote pays ${quote.targetCurrency}`,
    );
  }
  const details = (input.details ?? {}) as Record<string, unknown>;
  const reference = typeof details.reference === 'string' ? details.reference : '';
  if (reference.length > 35) return errors(422, 'NOT_VALID', 'details.reference: at most 35 characters');
  for (const field of transferFields(quote).flatMap((f) => f.group)) {
    const value = details[field.key];
    const allowed = field.valuesAllowed?.map((v) => v.key);
    if (field.required && (typeof value !== 'string' || (allowed && !allowed.includes(value)))) {
      return errors(
        422,
        'NOT_VALID',
        `details.${field.key}: required for this transfer (see /v1/transfer-requirements)`,
      );
    }
  }
  const transfer: MockTransfer = {
    id: 49_000_000 + r.state.transfers.size + 1,
    userId: r.user.id,
    profileId: Number(quote.profile),
    targetAccount: recipient.id,
    quoteUuid: String(quote.id),
    customerTransactionId: ctid,
    status: 'incoming_payment_waiting',
    reference,
    rate: Number(quote.rate),
    sourceCurrency: String(quote.sourceCurrency),
    sourceValue: Number(quote.sourceAmount),
    targetCurrency: String(quote.targetCurrency),
    targetValue: Number(quote.targetAmount),
    created: new Date().toISOString().replace('T', ' ').slice(0, 19),
  };
  r.state.transfers.set(transfer.id, transfer);
  r.state.transfersByCustomerId.set(`${r.user.id}:${ctid}`, transfer.id);
  return transfer;
}

/** A transfer this large (in EUR) makes Wise ask for its purpose and the source of the funds. */
const LARGE_TRANSFER_EUR = 15_000;
const PURPOSES = [
  'verification.transfers.purpose.pay.bills',
  'verification.transfers.purpose.invest',
  'verification.transfers.purpose.other',
];
const SOURCES_OF_FUNDS = [
  'verification.source.of.funds.salary',
  'verification.source.of.funds.investment',
  'verification.source.of.funds.other',
];

interface TransferField {
  key: string;
  name: string;
  type: string;
  refreshRequirementsOnChange: boolean;
  required: boolean;
  maxLength?: number;
  valuesAllowed?: { key: string; name: string }[];
}

/** The fields Wise asks of a transfer of this quote: a reference always; purpose and funds' source when large. */
function transferFields(quote: Record<string, unknown>): { name: string; group: TransferField[] }[] {
  const eur = Number(quote.sourceAmount) / (EUR_RATES[String(quote.sourceCurrency)] ?? 1);
  const select = (key: string, name: string, values: string[]) => ({
    name,
    group: [
      {
        key,
        name,
        type: 'select',
        refreshRequirementsOnChange: false,
        required: true,
        valuesAllowed: values.map((v) => ({ key: v, name: v.split('.').at(-1) as string })),
      },
    ],
  });
  return [
    {
      name: 'Reference',
      group: [
        {
          key: 'reference',
          name: 'Reference',
          type: 'text',
          refreshRequirementsOnChange: false,
          required: false,
          maxLength: 35,
        },
      ],
    },
    ...(eur >= LARGE_TRANSFER_EUR
      ? [
          select('transferPurpose', 'Purpose of the transfer', PURPOSES),
          select('sourceOfFunds', 'Source of the funds', SOURCES_OF_FUNDS),
        ]
      : []),
  ];
}

/** `POST /v1/transfer-requirements`: what a transfer of the quote to the recipient needs, as Wise's form. */
function transferRequirements(r: AccountRequest): Reply {
  const input = parseBody(r.body);
  if (isReply(input)) return input;
  const quote = r.state.quotes.get(String(input.quoteUuid ?? ''));
  if (!quote || quote.user !== r.user.id) return errors(422, 'NOT_VALID', 'quoteUuid: quote not found');
  return json(200, [{ type: 'transfer', fields: transferFields(quote) }]);
}

function createTransfer(r: AccountRequest): Reply {
  const input = parseBody(r.body);
  if (isReply(input)) return input;
  const transfer = newTransfer(r, input);
  return isReply(transfer) ? transfer : json(200, transferJson(r.state, transfer));
}

function listTransfers(r: AccountRequest): Reply {
  const q = r.url.searchParams;
  const profile = q.get('profile');
  const statuses = q.get('status')?.split(',').filter(Boolean);
  const limit = Math.min(Number(q.get('limit') ?? 100) || 100, 1000);
  const offset = Number(q.get('offset') ?? 0) || 0;
  const from = Date.parse(q.get('createdDateStart') ?? '');
  const to = Date.parse(q.get('createdDateEnd') ?? '');
  const list = [...r.state.transfers.values()]
    .filter((t) => t.userId === r.user.id)
    .filter((t) => !profile || String(t.profileId) === profile)
    .filter((t) => !statuses?.length || statuses.includes(t.status))
    .filter((t) => Number.isNaN(from) || Date.parse(`${t.created.replace(' ', 'T')}Z`) >= from)
    .filter((t) => Number.isNaN(to) || Date.parse(`${t.created.replace(' ', 'T')}Z`) <= to)
    .sort((a, b) => b.id - a.id);
  return json(
    200,
    list.slice(offset, offset + limit).map((t) => transferJson(r.state, t)),
  );
}

function cancelTransfer(r: AccountRequest, id: number): Reply {
  const transfer = r.state.transfers.get(id);
  if (!transfer || transfer.userId !== r.user.id) return errors(404, 'NOT_FOUND', 'Transfer not found');
  if (transfer.status !== 'incoming_payment_waiting') {
    return errors(409, 'TRANSFER_CANNOT_BE_CANCELLED', `A transfer in state ${transfer.status} cannot be cancelled`);
  }
  transfer.status = 'cancelled';
  return json(200, transferJson(r.state, transfer));
}

/** Takes a transfer's source amount from the profile's balance: the payment's result as Wise answers it. */
function payFromBalance(r: AccountRequest, transfers: MockTransfer[]): { status: string; errorCode: string | null } {
  const first = transfers[0];
  if (!first) return { status: 'REJECTED', errorCode: 'transfer.empty' };
  const balance = r.state.balances.find((b) => b.profileId === first.profileId && b.currency === first.sourceCurrency);
  const total = round(transfers.reduce((sum, t) => sum + t.sourceValue, 0));
  if (!balance || balance.value < total) return { status: 'REJECTED', errorCode: 'transfer.insufficient_funds' };
  balance.value = round(balance.value - total);
  for (const t of transfers) t.status = 'processing';
  return { status: 'COMPLETED', errorCode: null };
}

function fundTransfer(r: AccountRequest, profileId: string, transferId: number): Reply {
  const denied = r.ownProfile(profileId);
  if (denied) return denied;
  const sca = r.protect('TRANSFER__FUND');
  if ('refused' in sca) return sca.refused;
  const transfer = r.state.transfers.get(transferId);
  if (!transfer || String(transfer.profileId) !== profileId) return errors(404, 'NOT_FOUND', 'Transfer not found');
  const input = parseBody(r.body);
  if (isReply(input)) return input;
  if (input.type !== 'BALANCE') return errors(422, 'NOT_VALID', 'type: only BALANCE can be paid over the API');
  if (transfer.batchGroupId) return errors(422, 'NOT_VALID', 'Transfers of a batch group are funded with the group');
  const result =
    transfer.status === 'incoming_payment_waiting'
      ? payFromBalance(r, [transfer])
      : {
          status: 'REJECTED',
          errorCode: transfer.status === 'cancelled' ? 'transfer.cancelled' : 'transfer.already_paid',
        };
  return json(
    200,
    {
      type: 'BALANCE',
      status: result.status,
      errorCode: result.errorCode,
      balanceTransactionId: result.errorCode ? null : 60_000_000 + transfer.id,
    },
    sca.headers,
  );
}

function batchJson(state: MockState, g: MockBatchGroup): Record<string, unknown> {
  const transfers = g.transferIds.map((id) => state.transfers.get(id) as MockTransfer);
  return {
    id: g.id,
    version: g.version,
    name: g.name,
    sourceCurrency: g.sourceCurrency,
    status: g.status,
    transferIds: g.transferIds,
    payInDetails:
      g.status === 'COMPLETED' && !g.funded
        ? [
            {
              type: 'bank_transfer',
              reference: `BATCH ${g.id.slice(0, 8).toUpperCase()}`,
              amount: round(transfers.reduce((sum, t) => sum + t.sourceValue, 0)),
              currency: g.sourceCurrency,
            },
          ]
        : [],
  };
}

function createBatchGroup(r: AccountRequest, profileId: string): Reply {
  const denied = r.ownProfile(profileId);
  if (denied) return denied;
  const input = parseBody(r.body);
  if (isReply(input)) return input;
  if (typeof input.sourceCurrency !== 'string' || !/^[A-Z]{3}$/.test(input.sourceCurrency)) {
    return errors(422, 'NOT_VALID', 'sourceCurrency: a currency code is required');
  }
  const group: MockBatchGroup = {
    id: randomUUID(),
    profileId: Number(profileId),
    userId: r.user.id,
    version: 1,
    name: typeof input.name === 'string' ? input.name : '',
    sourceCurrency: input.sourceCurrency,
    status: 'NEW',
    transferIds: [],
    funded: false,
  };
  r.state.batchGroups.set(group.id, group);
  // Wise: 201 Created (batchGroupCreate).
  return json(201, batchJson(r.state, group));
}

function addBatchTransfer(r: AccountRequest, group: MockBatchGroup): Reply {
  const input = parseBody(r.body);
  if (isReply(input)) return input;
  const known = r.state.transfersByCustomerId.get(`${r.user.id}:${String(input.customerTransactionId)}`);
  if (known !== undefined) return json(200, transferJson(r.state, r.state.transfers.get(known) as MockTransfer));
  if (group.status !== 'NEW') return errors(409, 'BATCH_GROUP_CLOSED', `The batch group is ${group.status}`);
  if (group.transferIds.length >= BATCH_LIMIT) {
    return errors(422, 'BATCH_GROUP_FULL', `A batch group holds at most ${BATCH_LIMIT} transfers`);
  }
  const quote = r.state.quotes.get(String(input.quoteUuid ?? ''));
  if (quote && quote.sourceCurrency !== group.sourceCurrency) {
    return errors(
      422,
      'NOT_VALID',
      `The batch group pays from ${group.sourceCurrency}, the quote from ${quote.sourceCurrency}`,
    );
  }
  const transfer = newTransfer(r, input, group.profileId);
  if (isReply(transfer)) return transfer;
  transfer.batchGroupId = group.id;
  group.transferIds.push(transfer.id);
  group.version += 1;
  return json(200, transferJson(r.state, transfer));
}

function updateBatchGroup(r: AccountRequest, group: MockBatchGroup): Reply {
  const input = parseBody(r.body);
  if (isReply(input)) return input;
  if (input.version !== group.version) {
    return errors(
      409,
      'VERSION_MISMATCH',
      `The batch group is at version ${group.version}, not ${String(input.version)}`,
    );
  }
  if (input.status === 'COMPLETED') {
    if (group.status !== 'NEW') return errors(409, 'BATCH_GROUP_CLOSED', `The batch group is ${group.status}`);
    group.status = 'COMPLETED';
  } else if (input.status === 'CANCELLED') {
    if (group.funded) return errors(409, 'BATCH_GROUP_FUNDED', 'A funded batch group cannot be cancelled');
    group.status = 'CANCELLED';
    for (const id of group.transferIds) (r.state.transfers.get(id) as MockTransfer).status = 'cancelled';
  } else {
    return errors(422, 'NOT_VALID', 'status must be COMPLETED or CANCELLED');
  }
  group.version += 1;
  return json(200, batchJson(r.state, group));
}

function fundBatch(r: AccountRequest, profileId: string, groupId: string): Reply {
  const denied = r.ownProfile(profileId);
  if (denied) return denied;
  const sca = r.protect('BATCH_GROUP__FUND');
  if ('refused' in sca) return sca.refused;
  const group = r.state.batchGroups.get(groupId);
  if (!group || String(group.profileId) !== profileId) return errors(404, 'NOT_FOUND', 'Batch group not found');
  const input = parseBody(r.body);
  if (isReply(input)) return input;
  if (input.type !== 'BALANCE') return errors(422, 'NOT_VALID', 'type: only BALANCE');
  if (group.status !== 'COMPLETED') return errors(409, 'BATCH_GROUP_NOT_COMPLETED', 'Complete the batch group first');
  if (group.funded) return errors(409, 'BATCH_GROUP_FUNDED', 'The batch group is already funded');
  const transfers = group.transferIds.map((id) => r.state.transfers.get(id) as MockTransfer);
  const result = payFromBalance(r, transfers);
  if (result.errorCode) {
    return errors(422, result.errorCode, `The batch group could not be funded from the balance: ${result.errorCode}`);
  }
  group.funded = true;
  // Wise answers a funding with the batch group itself (its status stays COMPLETED; there is no "funded" status).
  return json(200, batchJson(r.state, group), sca.headers);
}

function activities(r: AccountRequest, profileId: number): Reply {
  const denied = r.ownProfile(String(profileId));
  if (denied) return denied;
  const q = r.url.searchParams;
  const since = q.get('since') ? Date.parse(q.get('since') as string) : 0;
  const until = q.get('until') ? Date.parse(q.get('until') as string) : Date.now();
  if (Number.isNaN(since) || Number.isNaN(until)) return errors(400, 'NOT_VALID', 'since/until must be ISO 8601 times');
  const size = Math.min(Math.max(Number(q.get('size') ?? 10) || 10, 1), 100);
  const cursor = q.get('nextCursor');
  const offset = cursor ? Number(Buffer.from(cursor, 'base64url').toString('utf8')) : 0;
  if (!Number.isInteger(offset) || offset < 0) return errors(400, 'NOT_VALID', 'nextCursor is not valid');
  const page: Record<string, unknown>[] = [];
  let n = 0;
  let more = false;
  for (const { balance, transaction: t } of activityRows(r.state, profileId, since, until)) {
    if (n++ < offset) continue;
    if (page.length === size) {
      more = true;
      break;
    }
    const incoming = t.value > 0;
    page.push({
      id: `TU9ORVRBUllfQUNUSVZJVFk6OjE${balance.id}${t.index}`,
      type: incoming ? 'BALANCE_DEPOSIT' : t.kind === 'CARD' ? 'CARD_PAYMENT' : 'TRANSFER',
      resource: {
        type: incoming ? 'BALANCE_TRANSACTION' : t.kind === 'CARD' ? 'CARD_TRANSACTION' : 'TRANSFER',
        id: String(t.index),
      },
      title: incoming ? `<strong>${t.counterparty}</strong>` : `<strong>${t.counterparty}</strong>`,
      description: incoming ? `Received, ${t.reference}` : `Sent, ${t.reference}`,
      primaryAmount: `${incoming ? '+ ' : ''}${Math.abs(t.value).toFixed(2)} ${balance.currency}`,
      secondaryAmount: '',
      status: 'COMPLETED',
      createdOn: new Date(t.time).toISOString(),
      updatedOn: new Date(t.time).toISOString(),
    });
  }
  return json(200, {
    cursor: more ? Buffer.from(String(offset + size)).toString('base64url') : null,
    activities: page,
  });
}

/** The quotes' mid-market rates, wobbling a little over time. */
function rateAt(source: string, target: string, time: number): number {
  const base = (EUR_RATES[target] as number) / (EUR_RATES[source] as number);
  if (source === target) return 1;
  return Number((base * (1 + 0.004 * Math.sin(time / 43_200_000))).toFixed(6));
}

function rates(url: URL): Reply {
  const q = url.searchParams;
  const source = q.get('source');
  const target = q.get('target');
  if (!source || !(source in EUR_RATES)) return errors(400, 'NOT_VALID', 'source: currency not supported');
  if (!target || !(target in EUR_RATES)) return errors(400, 'NOT_VALID', 'target: currency not supported');
  const row = (time: number) => ({
    rate: rateAt(source, target, time),
    source,
    target,
    time: new Date(time).toISOString().replace('Z', '+0000'),
  });
  const from = q.get('from');
  const to = q.get('to');
  if (from || to) {
    const start = Date.parse(from ?? '');
    const end = Date.parse(to ?? '');
    if (Number.isNaN(start) || Number.isNaN(end) || end < start)
      return errors(400, 'NOT_VALID', 'from and to must be times, from first');
    const group = q.get('group') ?? 'day';
    const step = { day: 86_400_000, hour: 3_600_000, minute: 60_000 }[group];
    if (!step) return errors(400, 'NOT_VALID', 'group must be day, hour or minute');
    if ((end - start) / step > 10_000) return errors(400, 'NOT_VALID', 'Too many points: choose a coarser group');
    const points = [];
    for (let t = Math.ceil(start / step) * step; t <= end; t += step) points.push(row(t));
    return json(200, points);
  }
  const time = q.get('time') ? Date.parse(q.get('time') as string) : Date.now();
  if (Number.isNaN(time)) return errors(400, 'NOT_VALID', 'time must be a time');
  return json(200, [row(time)]);
}

interface RequirementField {
  key: string;
  name: string;
  type?: 'text' | 'select';
  example?: string;
  regex?: string;
  values?: string[];
  /** The form changes with this field's value (Wise's refreshRequirementsOnChange). */
  refresh?: boolean;
  /** The field is part of the form only for such details (a US address has a state). */
  when?: (details: Record<string, unknown>) => boolean;
}

const HOLDER: RequirementField = {
  key: 'accountHolderName',
  name: 'Full name of the account holder',
  example: 'Jane Doe',
  regex: '^.{2,70}$',
};
const REQUIREMENTS: Record<string, { type: string; title: string; fields: RequirementField[] }> = {
  GBP: {
    type: 'sort_code',
    title: 'Local bank account',
    fields: [
      HOLDER,
      { key: 'sortCode', name: 'UK sort code', example: '231470', regex: '^\\d{6}$' },
      { key: 'accountNumber', name: 'Account number', example: '28821822', regex: '^\\d{8}$' },
    ],
  },
  USD: {
    type: 'aba',
    title: 'Local bank account',
    fields: [
      HOLDER,
      { key: 'abartn', name: 'ACH routing number', example: '026009593', regex: '^\\d{9}$' },
      { key: 'accountNumber', name: 'Account number', example: '12345678', regex: '^\\d{4,17}$' },
      { key: 'accountType', name: 'Account type', type: 'select', values: ['CHECKING', 'SAVINGS'] },
      { key: 'address.country', name: 'Country', example: 'US', regex: '^[A-Z]{2}$', refresh: true },
      {
        key: 'address.state',
        name: 'State',
        type: 'select',
        values: ['CA', 'IL', 'NY', 'TX', 'WA'],
        when: (d) => (d.address as Record<string, unknown> | undefined)?.country === 'US',
      },
      { key: 'address.city', name: 'City', example: 'New York', regex: '^.{1,60}$' },
      { key: 'address.firstLine', name: 'Address', example: '50 Main St', regex: '^.{1,100}$' },
      { key: 'address.postCode', name: 'ZIP code', example: '10001', regex: '^.{3,10}$' },
    ],
  },
};
const IBAN: { type: string; title: string; fields: RequirementField[] } = {
  type: 'iban',
  title: 'IBAN',
  fields: [
    HOLDER,
    { key: 'iban', name: 'IBAN', example: 'DE89370400440532013000', regex: '^[A-Z]{2}\\d{2}[A-Z0-9]{11,30}$' },
  ],
};

function requirementOf(currency: string) {
  return REQUIREMENTS[currency] ?? IBAN;
}

/** The fields of a currency's form for a recipient with these details. */
function fieldsFor(currency: string, details: Record<string, unknown>): RequirementField[] {
  return requirementOf(currency).fields.filter((f) => !f.when || f.when(details));
}

function requirementsFor(currency: string, details: Record<string, unknown>) {
  const r = requirementOf(currency);
  return [
    {
      type: r.type,
      title: r.title,
      fields: fieldsFor(currency, details).map((f) => ({
        name: f.name,
        group: [
          {
            key: f.key,
            name: f.name,
            type: f.type ?? 'text',
            refreshRequirementsOnChange: f.refresh === true,
            required: true,
            example: f.example ?? '',
            ...(f.regex ? { validationRegexp: f.regex } : {}),
            valuesAllowed: f.values ? f.values.map((v) => ({ key: v, name: v })) : null,
          },
        ],
      })),
    },
  ];
}

/** An IBAN's check digits (ISO 13616, mod 97). */
function validIban(iban: string): boolean {
  const moved = iban.slice(4) + iban.slice(0, 4);
  let rest = 0;
  for (const ch of moved) {
    const digits = /\d/.test(ch) ? ch : String(ch.charCodeAt(0) - 55);
    for (const d of digits) rest = (rest * 10 + Number(d)) % 97;
  }
  return rest === 1;
}

function summary(r: MockRecipient): string {
  const d = r.details as Record<string, string>;
  if (r.type === 'sort_code') return `(${d.sortCode?.replace(/(\d\d)(\d\d)(\d\d)/, '$1-$2-$3')}) ${d.accountNumber}`;
  if (r.type === 'aba') return `${d.abartn} ${d.accountNumber}`;
  return String(d.iban ?? '').replace(/(.{4})(?=.)/g, '$1 ');
}

function recipientV2(r: MockRecipient): Record<string, unknown> {
  return {
    id: r.id,
    creatorId: 1001,
    profileId: r.profileId,
    name: { fullName: r.accountHolderName },
    currency: r.currency,
    country: r.country,
    type: r.type.toUpperCase(),
    legalEntityType: /Ltd|Inc|GmbH/.test(r.accountHolderName) ? 'BUSINESS' : 'PERSON',
    active: r.active,
    details: r.details,
    accountSummary: summary(r),
    longAccountSummary: `${r.currency} account ending in ${summary(r).slice(-4)}`,
    ownedByCustomer: false,
  };
}

function listRecipients(r: AccountRequest): Reply {
  const q = r.url.searchParams;
  const profileId = q.get('profileId');
  if (!profileId) return errors(400, 'NotNull', 'profileId: must not be null');
  const denied = r.ownProfile(profileId);
  if (denied) return denied;
  const currency = q.get('currency');
  // Wise: `size` is at most 20 (recipientAccountList); a larger one is refused, not quietly capped.
  const size = Number(q.get('size') ?? 20);
  if (!Number.isInteger(size) || size < 1 || size > 20) return errors(400, 'NOT_VALID', 'size: must be 1 to 20');
  const seek = Number(q.get('seekPosition') ?? 0) || 0;
  const all = [...r.state.recipients.values()]
    .filter((x) => String(x.profileId) === profileId && x.active && (!currency || x.currency === currency))
    .sort((a, b) => a.id - b.id)
    .filter((x) => x.id > seek);
  const page = all.slice(0, size);
  const next = all.length > size ? page[page.length - 1]?.id : undefined;
  return json(200, {
    content: page.map(recipientV2),
    sort: { empty: false, sorted: true, unsorted: false },
    size: page.length,
    seekPositionForCurrent: seek,
    ...(next !== undefined ? { seekPositionForNext: next } : {}),
  });
}

function createRecipient(r: AccountRequest): Reply {
  const input = parseBody(r.body);
  if (isReply(input)) return input;
  const profile = String(input.profile ?? '');
  const denied = r.ownProfile(profile);
  if (denied) return denied;
  const currency = String(input.currency ?? '');
  if (!(currency in EUR_RATES)) return errors(422, 'NOT_VALID', 'currency: not supported');
  const requirement = requirementOf(currency);
  if (input.type !== requirement.type) {
    return errors(422, 'NOT_VALID', `type: ${currency} recipients are of type ${requirement.type}`);
  }
  const details = (input.details ?? {}) as Record<string, unknown>;
  const problems: { code: string; message: string; path: string; arguments: string[] }[] = [];
  for (const field of fieldsFor(currency, details)) {
    const value =
      field.key === 'accountHolderName'
        ? input.accountHolderName
        : field.key.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], details);
    const text = typeof value === 'string' ? value : '';
    const ok = field.values ? field.values.includes(text) : new RegExp(field.regex ?? '.').test(text);
    if (!ok || (field.key === 'iban' && !validIban(text))) {
      problems.push({
        code: 'NOT_VALID',
        message: `Please specify a valid ${field.name.toLowerCase()}`,
        path: field.key,
        arguments: [field.key, text],
      });
    }
  }
  if (problems.length) return json(422, { errors: problems });
  const created: MockRecipient = {
    id: 8001 + [...r.state.recipients.keys()].filter((id) => id > 8000).length,
    profileId: Number(profile),
    accountHolderName: String(input.accountHolderName),
    currency,
    country: currency === 'GBP' ? 'GB' : currency === 'USD' ? 'US' : String(details.iban ?? 'DE').slice(0, 2),
    type: requirement.type,
    details,
    active: true,
  };
  r.state.recipients.set(created.id, created);
  return json(200, {
    id: created.id,
    business: null,
    profile: created.profileId,
    accountHolderName: created.accountHolderName,
    currency,
    country: created.country,
    type: created.type,
    details,
    user: r.user.id,
    active: true,
    ownedByCustomer: false,
  });
}

function subscriptions(r: AccountRequest, profileId: number, id: string | undefined, method: string): Reply {
  return subscriptionRoute(
    r.state,
    { domain: 'profile', id: String(profileId) },
    { type: 'user', id: String(r.user.id) },
    id,
    method,
    r.body,
  );
}

/** Where the emulator delivers: https anywhere, plain http on loopback. */
const DELIVERY_URL = /^(https:\/\/[^/]|http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(\/|$))/;

/** The delivery payload versions Wise offers a subscription. */
const SCHEMA_VERSIONS = ['2.0.0', '4.0.0'];

/**
 * Webhook subscriptions of a scope: a profile's (`/v3/profiles/{id}/subscriptions`, a user token) or a partner
 * application's (`/v3/applications/{clientKey}/subscriptions`, a client token). Creation answers 200, as Wise does.
 */
export function subscriptionRoute(
  state: MockState,
  scope: { domain: 'profile' | 'application'; id: string },
  createdBy: { type: string; id: string },
  id: string | undefined,
  method: string,
  body: Buffer,
): Reply {
  const mine = () =>
    [...state.subscriptions.values()].filter((s) => {
      const of = s.scope as { domain: string; id: string };
      return of.domain === scope.domain && of.id === scope.id;
    });
  if (!id && method === 'GET') return json(200, mine());
  if (!id && method === 'POST') {
    const input = parseBody(body);
    if (isReply(input)) return input;
    const delivery = (input.delivery ?? {}) as { version?: unknown; url?: unknown };
    if (typeof input.name !== 'string' || !input.name) return errors(422, 'NOT_VALID', 'name is required');
    if (typeof input.trigger_on !== 'string' || !WEBHOOK_TRIGGERS.includes(input.trigger_on)) {
      return errors(422, 'NOT_VALID', `trigger_on must be one of ${WEBHOOK_TRIGGERS.join(', ')}`);
    }
    // Wise delivers to https:// only. The emulator also delivers to a listener on this machine over plain http
    // (`wise webhook listen`), as nothing else can reach it.
    if (typeof delivery.url !== 'string' || !DELIVERY_URL.test(delivery.url)) {
      return errors(422, 'NOT_VALID', 'delivery.url must be an https:// URL (or http:// on this machine)');
    }
    if (typeof delivery.version !== 'string' || !SCHEMA_VERSIONS.includes(delivery.version)) {
      return errors(422, 'NOT_VALID', `delivery.version must be one of ${SCHEMA_VERSIONS.join(', ')}`);
    }
    const subscription = {
      id: randomUUID(),
      name: input.name,
      delivery: { version: delivery.version, url: delivery.url },
      trigger_on: input.trigger_on,
      scope,
      created_by: createdBy,
      created_at: new Date().toISOString(),
    };
    state.subscriptions.set(subscription.id, subscription);
    return json(200, subscription);
  }
  const found = id ? mine().find((s) => s.id === id) : undefined;
  if (!found) return errors(404, 'NOT_FOUND', 'Subscription not found');
  if (method === 'GET') return json(200, found);
  if (method === 'DELETE') {
    state.subscriptions.delete(found.id as string);
    return { status: 204 };
  }
  return errors(405, 'METHOD_NOT_ALLOWED', `${method} is not allowed here`);
}
