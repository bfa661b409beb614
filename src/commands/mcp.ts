import { formatMoney } from '../account/validate.js';
import { resolveTarget } from '../auth/target.js';
import type { Context } from '../context.js';
import { CancelledError, UsageError } from '../errors.js';
import { formatTable, printJson } from '../util/output.js';
import type { ApproveOptions, McpOptions } from './account-specs.js';

/** `wise mcp`: serves until the agent's app closes the connection. */
export async function mcp(ctx: Context, opts: McpOptions): Promise<void> {
  const { serveMcp } = await import('../mcp/server.js');
  await serveMcp(ctx, { allowMoney: opts.allowMoney === true });
}

/**
 * `wise approve <payment-id>`: a person, on a terminal, approves a payment an agent prepared, by typing its amount;
 * the agent's next confirm_payment then pays it. `--list` shows the payments waiting.
 */
export async function approve(ctx: Context, id: string | undefined, opts: ApproveOptions): Promise<void> {
  const { checkPaymentAccount, listPayments, loadPayment, paymentFacts, savePayment, sameAmount } = await import(
    '../mcp/prepared.js'
  );
  const now = ctx.clock.now();
  if (opts.list) {
    if (id) throw new UsageError('Give a payment id or --list, not both.');
    const list = await listPayments(ctx.configDir, now);
    if (ctx.options.json) return printJson(ctx, list);
    if (!list.length) {
      ctx.io.err('No payment prepared by an agent is waiting.');
      return;
    }
    ctx.io.out(
      formatTable(
        ['PAYMENT', 'RECIPIENT', 'AMOUNT', 'EXPIRES', 'STATE', 'ASKED BY'],
        list.map((p) => [
          p.id,
          `${p.recipient.name} (${p.recipient.id})`,
          formatMoney(p.amount, p.currency),
          p.expiresAt,
          p.paid ? `paid: transfer ${p.paid.transferId}` : p.approval ? 'approved' : 'waiting',
          p.agent,
        ]),
      ),
    );
    return;
  }
  if (!id) throw new UsageError('Give the payment id to approve (see `wise approve --list`).');
  if (!ctx.io.stdinIsTTY) {
    throw new UsageError('wise approve needs a person at a terminal to type the amount; nothing was approved.', {
      hint: 'Run it in a terminal. An agent cannot approve its own payments.',
    });
  }
  const p = await loadPayment(ctx.configDir, id, now);
  const target = await resolveTarget(ctx);
  checkPaymentAccount(p, target);
  if (p.paid) {
    ctx.io.err(`Payment ${p.id} was paid already: transfer ${p.paid.transferId}.`);
    return;
  }
  if (p.approval) {
    ctx.io.err(`Payment ${p.id} is approved already; the agent's confirm_payment pays it.`);
    return;
  }
  const { todayUnderPolicy } = await import('../guard/precheck.js');
  const { left } = await todayUnderPolicy(ctx, target);
  ctx.io.err(formatTable(['', ''], paymentFacts(p, left)).replace(/^\s*\n/, ''));
  const typed = await ctx.io.input(`Type the amount the recipient gets (${p.amount.toFixed(2)}) to approve`);
  if (!sameAmount(typed, p.amount, p.currency)) {
    throw new CancelledError(`The amount typed does not match ${formatMoney(p.amount, p.currency)}; not approved.`);
  }
  await savePayment(ctx.configDir, {
    ...p,
    approval: { via: 'terminal', at: new Date(ctx.clock.now()).toISOString() },
  });
  ctx.io.err(`Approved ${p.id}: the agent's confirm_payment now pays it (once), until ${p.expiresAt}.`);
}
