import { randomUUID } from 'node:crypto';
import {
  createQuote,
  createTransfer,
  describeState,
  findRecipient,
  fundTransfer,
  listRecipients,
  paymentOption,
} from '../account/money.js';
import { formatMoney, parseAmount, parseCurrency, parseIdempotencyKey } from '../account/validate.js';
import type { Context } from '../context.js';
import { UsageError, WiseError } from '../errors.js';
import { formatTable, printJson } from '../util/output.js';
import { checkConsentPossible, confirmMoney, profileClient } from './account/common.js';
import type { PayOptions } from './account-specs.js';

/** quote (pay-in BALANCE) -> transfer (idempotent by its key) -> fund from the balance. */
export async function pay(ctx: Context, opts: PayOptions): Promise<void> {
  const amount = parseAmount(opts.amount, '--amount');
  const currency = parseCurrency(opts.currency, '--currency');
  const sourceCurrency = opts.sourceCurrency ? parseCurrency(opts.sourceCurrency, '--source-currency') : currency;
  const reference = opts.reference ?? '';
  if (reference.length > 35)
    throw new UsageError(`--reference is ${reference.length} characters; Wise takes at most 35.`);
  const key = opts.idempotencyKey ? parseIdempotencyKey(opts.idempotencyKey, '--idempotency-key') : randomUUID();
  if (!opts.dryRun) checkConsentPossible(ctx, opts.yes, 'wise pay');

  const { target, client, profileId } = await profileClient(ctx);
  const recipient = findRecipient(await listRecipients(client, profileId), opts.to, '--to');
  if (recipient.currency !== currency) {
    throw new UsageError(`${recipient.name} (${recipient.id}) takes ${recipient.currency}, not ${currency}.`, {
      hint: `Pay them in ${recipient.currency}: --currency ${recipient.currency}.`,
    });
  }
  // The spending policy, before anything is sent (the guard checks again as the transfer goes out).
  const { precheckPayments } = await import('../guard/precheck.js');
  await precheckPayments(ctx, target, [{ amount, currency, recipientId: recipient.id, label: `--to ${recipient.id}` }]);
  const quote = await createQuote(client, profileId, {
    sourceCurrency,
    targetCurrency: currency,
    targetAmount: amount,
    targetAccount: recipient.id,
  });
  const option = paymentOption(quote);
  if (!option) throw new UsageError(`Wise offers no payment from the ${sourceCurrency} balance for this transfer.`);
  const summary = [
    ['Recipient', `${recipient.name} (${recipient.id}, ${recipient.account})`],
    ['Recipient gets', formatMoney(option.targetAmount, currency)],
    ['You pay', `${formatMoney(option.sourceAmount, sourceCurrency)} from your ${sourceCurrency} balance`],
    ['Fee', formatMoney(option.fee.total, sourceCurrency)],
    ['Rate', String(quote.rate)],
    ['Reference', reference || '(none)'],
  ];
  const plan = {
    recipient,
    quote: quote.id,
    amount,
    currency,
    sourceAmount: option.sourceAmount,
    sourceCurrency,
    fee: option.fee.total,
    rate: quote.rate,
    reference,
    idempotencyKey: key,
    env: target.env,
  };
  if (opts.dryRun) {
    if (ctx.options.json) return printJson(ctx, { dryRun: true, ...plan });
    ctx.io.out(formatTable(['', ''], summary).replace(/^\s*\n/, ''));
    ctx.io.err(`Dry run in ${target.env}: nothing was paid.`);
    return;
  }
  await confirmMoney(
    ctx,
    target,
    opts.yes,
    formatTable(['', ''], summary)
      .replace(/^\s*\n/, '')
      .trimEnd()
      .split('\n'),
  );
  ctx.io.err(
    `Idempotency key ${key}: run again with --idempotency-key ${key} to retry this payment without paying twice.`,
  );
  const transfer = await createTransfer(client, {
    targetAccount: recipient.id,
    quoteUuid: quote.id,
    customerTransactionId: key,
    reference,
  });
  // The same key gives the transfer made the first time; if that one was funded already, it is not paid again.
  const alreadyFunded = transfer.status !== 'incoming_payment_waiting';
  let payment: Awaited<ReturnType<typeof fundTransfer>> | undefined;
  if (!alreadyFunded) {
    try {
      payment = await fundTransfer(client, profileId, transfer.id);
    } catch (error) {
      // The transfer exists at Wise and waits for its money: say which one, and how to finish or undo it.
      if (error instanceof WiseError) {
        throw new (error.constructor as typeof WiseError)(
          `${error.message} Transfer ${transfer.id} was created and is not funded.`,
          {
            hint: `${error.hint ? `${error.hint} ` : ''}Fund it in the Wise app, run this command again with --idempotency-key ${key}, or cancel it: \`wise transfer cancel ${transfer.id}\`.`,
            details: { ...error.details, transferId: transfer.id },
            cause: error,
          },
        );
      }
      throw error;
    }
  }
  if (ctx.options.json) {
    return printJson(ctx, {
      ...plan,
      transferId: transfer.id,
      status: alreadyFunded ? transfer.status : 'processing',
      payment: payment ?? null,
      alreadyFunded,
    });
  }
  ctx.io.out(`${transfer.id}\n`);
  ctx.io.err(
    alreadyFunded
      ? `Transfer ${transfer.id} was made with this key before and is ${transfer.status} (${describeState(transfer.status)}): not paid again.`
      : `Paid: transfer ${transfer.id}, ${formatMoney(transfer.targetValue, currency)} to ${recipient.name}. Follow it with \`wise transfer watch ${transfer.id}\`.`,
  );
}
