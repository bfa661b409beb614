import { createQuote, paymentOption } from '../account/money.js';
import { profileClient } from '../account/session.js';
import { formatMoney, parseAmount, parseCurrency } from '../account/validate.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { formatTable, printJson } from '../util/output.js';
import type { QuoteOptions } from './account-specs.js';

export async function quote(ctx: Context, opts: QuoteOptions): Promise<void> {
  const source = parseCurrency(opts.source, '--source');
  const target = parseCurrency(opts.target, '--target');
  if ((opts.sourceAmount === undefined) === (opts.targetAmount === undefined)) {
    throw new UsageError('Give exactly one of --source-amount and --target-amount.');
  }
  const sourceAmount = opts.sourceAmount !== undefined ? parseAmount(opts.sourceAmount, '--source-amount') : undefined;
  const targetAmount = opts.targetAmount !== undefined ? parseAmount(opts.targetAmount, '--target-amount') : undefined;
  const payIn = opts.payIn.toUpperCase();
  const { client, profileId } = await profileClient(ctx);
  const q = await createQuote(client, profileId, {
    sourceCurrency: source,
    targetCurrency: target,
    ...(sourceAmount !== undefined ? { sourceAmount } : {}),
    ...(targetAmount !== undefined ? { targetAmount } : {}),
    payIn,
  });
  const option = paymentOption(q, payIn);
  if (ctx.options.json) return printJson(ctx, { ...q, chosenPaymentOption: option ?? null });
  const delivery = option?.formattedEstimatedDelivery ?? option?.estimatedDelivery ?? 'not given';
  ctx.io.out(
    formatTable(
      ['', ''],
      [
        ['You pay', formatMoney(option?.sourceAmount ?? q.sourceAmount, source)],
        ['Fee', option ? formatMoney(option.fee.total, source) : `no ${payIn} option`],
        ['Rate', String(q.rate)],
        ['Recipient gets', formatMoney(option?.targetAmount ?? q.targetAmount, target)],
        ['Arrives', delivery],
        ['Quote', q.id],
        ['Valid until', q.expirationTime],
      ],
    ).replace(/^\s*\n/, ''),
  );
}
