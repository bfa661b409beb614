import { randomUUID } from 'node:crypto';
import {
  createQuote,
  createTransfer,
  describeState,
  findRecipient,
  fundTransfer,
  listRecipients,
  paymentOption,
  transferRequirements,
} from '../account/money.js';
import { checkFundingPossible, profileClient } from '../account/session.js';
import { formatMoney, parseAmount, parseCurrency, parseIdempotencyKey } from '../account/validate.js';
import type { Context } from '../context.js';
import { UsageError, WiseError } from '../errors.js';
import { formatTable, printJson } from '../util/output.js';
import { checkConsentPossible, confirmMoney } from './account/common.js';
import type { PayOptions } from './account-specs.js';

/**
 * The details Wise's transfer requirements ask of this transfer beyond its reference (a purpose, the source of the
 * funds): from `--detail key=value`, else asked on a terminal; without one, a missing detail is exit 2 before any
 * transfer is made.
 */
async function transferDetails(
  ctx: Context,
  client: Parameters<typeof transferRequirements>[0],
  t: { targetAccount: number; quoteUuid: string; reference: string; given: readonly string[] },
): Promise<Record<string, string>> {
  const given = new Map<string, string>();
  for (const item of t.given) {
    const at = item.indexOf('=');
    if (at <= 0) throw new UsageError(`--detail takes key=value, not "${item}".`);
    given.set(item.slice(0, at).trim(), item.slice(at + 1).trim());
  }
  const fields = (await transferRequirements(client, { ...t, details: Object.fromEntries(given) })).filter(
    (f) => f.key !== 'reference',
  );
  const unknown = [...given.keys()].filter((k) => !fields.some((f) => f.key === k));
  if (unknown.length) {
    throw new UsageError(`Wise asks no ${unknown.join(', ')} of this transfer.`, {
      hint: fields.length ? `It asks: ${fields.map((f) => f.key).join(', ')}.` : 'Leave out --detail.',
    });
  }
  const details: Record<string, string> = {};
  const missing: string[] = [];
  for (const field of fields) {
    const allowed = field.valuesAllowed ?? [];
    let value = given.get(field.key);
    if (value === undefined && field.required) {
      if (!ctx.io.stdinIsTTY) {
        missing.push(
          `${field.key} (${field.name}${allowed.length ? `: one of ${allowed.map((v) => v.key).join(', ')}` : ''})`,
        );
        continue;
      }
      value = allowed.length
        ? await ctx.io.select(
            field.name,
            allowed.map((v) => ({ name: v.name, value: v.key })),
          )
        : await ctx.io.input(field.name);
    }
    if (value === undefined) continue;
    if (allowed.length && !allowed.some((v) => v.key === value)) {
      throw new UsageError(`${field.key} must be one of ${allowed.map((v) => v.key).join(', ')}.`);
    }
    details[field.key] = value;
  }
  if (missing.length) {
    throw new UsageError(`Wise asks more of this transfer; nothing was paid: ${missing.join('; ')}.`, {
      hint: 'Give each with --detail key=value (or run on a terminal to be asked).',
      details: { fields: fields.filter((f) => f.required).map((f) => f.key) },
    });
  }
  return details;
}

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

  const { target, credential, client, profileId } = await profileClient(ctx);
  if (!opts.dryRun) await checkFundingPossible(ctx, target, credential, client);
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
  const details = await transferDetails(ctx, client, {
    targetAccount: recipient.id,
    quoteUuid: quote.id,
    reference,
    given: opts.detail ?? [],
  });
  const summary = [
    ['Recipient', `${recipient.name} (${recipient.id}, ${recipient.account})`],
    ['Recipient gets', formatMoney(option.targetAmount, currency)],
    ['You pay', `${formatMoney(option.sourceAmount, sourceCurrency)} from your ${sourceCurrency} balance`],
    ['Fee', formatMoney(option.fee.total, sourceCurrency)],
    ['Rate', String(quote.rate)],
    ['Reference', reference || '(none)'],
    ...Object.entries(details).map(([k, v]) => [k, v]),
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
    ...(Object.keys(details).length ? { details } : {}),
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
    details,
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
