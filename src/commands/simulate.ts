/**
 * `wise simulate transfer <id> <state>` and `wise simulate topup`: Wise's sandbox simulation endpoints, which make
 * in test money what happens to real money over days (a transfer moving on, money arriving on a balance). Refused on
 * production before anything is sent: there is nothing to simulate with real money.
 */

import { chooseProfileId } from '../account/profiles.js';
import { accountClient } from '../account/session.js';
import { formatMoney, parseAmount, parseCurrency } from '../account/validate.js';
import { resolveTarget } from '../auth/target.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { printJson } from '../util/output.js';
import type { SimulateTopupOptions } from './account-specs.js';

/** The states Wise's sandbox moves a transfer to, each from the one before it. */
export const SIMULATED_STATES = [
  'processing',
  'funds_converted',
  'outgoing_payment_sent',
  'bounced_back',
  'funds_refunded',
];

async function sandboxClient(ctx: Context, what: string) {
  const target = await resolveTarget(ctx);
  if (target.env === 'production') {
    throw new UsageError(`${what} is a sandbox simulation; production moves real money and simulates nothing.`, {
      hint: 'Use --env sandbox (or the emulator: wise mock).',
    });
  }
  return accountClient(ctx);
}

export async function simulateTransfer(ctx: Context, id: string, state: string): Promise<void> {
  if (!/^\d{1,15}$/.test(id)) throw new UsageError(`"${id}" is not a transfer id.`);
  if (!SIMULATED_STATES.includes(state)) {
    throw new UsageError(`"${state}" is not a state Wise simulates: ${SIMULATED_STATES.join(', ')}.`);
  }
  const { client } = await sandboxClient(ctx, 'wise simulate transfer');
  const transfer = await client.getJson<{ id: number; status: string }>(`/v1/simulation/transfers/${id}/${state}`);
  if (ctx.options.json) return printJson(ctx, transfer);
  ctx.io.err(`Transfer ${transfer.id} is ${transfer.status} now (sandbox simulation).`);
}

export async function simulateTopup(ctx: Context, opts: SimulateTopupOptions): Promise<void> {
  const amount = parseAmount(opts.amount, '--amount');
  const currency = parseCurrency(opts.currency, '--currency');
  if (!/^\d{1,15}$/.test(opts.balanceId))
    throw new UsageError(`--balance-id takes a balance id, not "${opts.balanceId}".`);
  const { client, target } = await sandboxClient(ctx, 'wise simulate topup');
  const profileId = await chooseProfileId(ctx, target, client);
  const result = await client.sendJson<{
    transactionId: number;
    state: string;
    balancesAfter?: { id: number; value: number; currency: string }[];
  }>('POST', '/v1/simulation/balance/topup', {
    profileId,
    balanceId: Number(opts.balanceId),
    currency,
    amount,
  });
  if (ctx.options.json) return printJson(ctx, result);
  const after = result.balancesAfter?.find((b) => b.id === Number(opts.balanceId));
  ctx.io.err(
    `Topped up balance ${opts.balanceId} with ${formatMoney(amount, currency)} (transaction ${result.transactionId}, ${result.state})${after ? `: ${formatMoney(after.value, after.currency)} now` : ''}.`,
  );
}
