/**
 * The money tools of `wise mcp`, offered only with --allow-money and a spending policy in force:
 *
 * - `prepare_payment` checks the policy before anything is sent (a refusal is POLICY_DENIED naming the rule), makes
 *   the quote and keeps the payment under an unguessable id until the quote expires. No transfer exists yet.
 * - `confirm_payment` asks the person, through MCP elicitation, with what Wise answered (the recipient's name and
 *   masked account, amounts, fee, rate) and what the day's policy budget leaves; the person types the amount. A
 *   wrong amount, a decline or a cancel pays nothing. A client that cannot ask gets APPROVAL_REQUIRED naming
 *   `wise approve <paymentId>`, which a person runs on a terminal. The policy is checked again, under the journal
 *   lock, as the transfer goes out; a payment id pays at most once.
 * - `cancel_transfer` cancels a transfer not yet on its way.
 */
import { inputRequired } from '@modelcontextprotocol/server';
import { z } from 'zod';
import {
  createQuote,
  createTransfer,
  findRecipient,
  fundTransfer,
  isQuoteExpired,
  listRecipients,
  paymentOption,
  transferRequirements,
} from '../account/money.js';
import { formatMoney, parseCurrency } from '../account/validate.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { precheckPayments, todayUnderPolicy } from '../guard/precheck.js';
import { endpoint } from '../http/endpoints.js';
import {
  checkPaymentAccount,
  idempotencyKeyOf,
  listPayments,
  loadPayment,
  lockPathOf,
  newPaymentId,
  type PreparedPayment,
  paymentFacts,
  sameAmount,
  savePayment,
} from './prepared.js';
import { amountSchema } from './read-tools.js';
import { money, moneyList, ok, ToolError } from './results.js';
import type { ToolSet } from './server.js';
import type { Account } from './session.js';

const MoneySchema = z.object({ value: z.string(), currency: z.string() });
const SummarySchema = z.object({
  paymentId: z.string(),
  recipient: z.object({ id: z.number(), name: z.string(), account: z.string() }),
  recipientGets: MoneySchema,
  youPay: MoneySchema,
  fee: MoneySchema,
  rate: z.number(),
  reference: z.string(),
  environment: z.string(),
  expiresAt: z.string(),
  leftToday: z.array(MoneySchema),
});

function summary(p: PreparedPayment, left: ReadonlyMap<string, number>) {
  return {
    paymentId: p.id,
    recipient: { id: p.recipient.id, name: p.recipient.name, account: p.recipient.account },
    recipientGets: money(p.amount, p.currency),
    youPay: money(p.sourceAmount, p.sourceCurrency),
    fee: money(p.fee, p.sourceCurrency),
    rate: p.rate,
    reference: p.reference,
    environment: p.env,
    expiresAt: p.expiresAt,
    leftToday: moneyList(left),
  };
}

/** The form a person sees: the payment's facts, then what to do. */
function question(p: PreparedPayment, left: ReadonlyMap<string, number>): string {
  return [
    `Pay ${p.recipient.name} (${p.recipient.account || `recipient ${p.recipient.id}`})?`,
    ...paymentFacts(p, left).map(([label, value]) => `${label}: ${value}`),
    `To pay, type the amount the recipient gets (${p.amount.toFixed(2)}); to refuse, decline.`,
  ].join('\n');
}

/** Makes and funds the transfer once per payment id (a lock, and the id's idempotency key at Wise). */
async function payOnce(
  ctx: Context,
  account: Account,
  id: string,
  via: 'elicitation' | 'terminal',
): Promise<{ payment: PreparedPayment; already: boolean }> {
  const { withLock } = await import('../store/lock.js');
  return withLock(
    lockPathOf(ctx.configDir, id),
    async () => {
      const p = await loadPayment(ctx.configDir, id, ctx.clock.now());
      if (p.paid) return { payment: p, already: true };
      // The policy again, as a person approved it (the guard checks once more under the journal's lock).
      await precheckPayments(
        ctx,
        account.target,
        [{ amount: p.amount, currency: p.currency, recipientId: p.recipient.id, label: p.id }],
        { attended: true },
      );
      const client = account.approvedClient(via);
      let transfer: Awaited<ReturnType<typeof createTransfer>>;
      try {
        transfer = await createTransfer(client, {
          targetAccount: p.recipient.id,
          quoteUuid: p.quoteId,
          customerTransactionId: idempotencyKeyOf(p.id),
          reference: p.reference,
        });
      } catch (error) {
        if (isQuoteExpired(error)) {
          throw new ToolError(
            'WISE_ERROR',
            `The quote of payment ${p.id} expired before it was confirmed; nothing was paid.`,
            'Prepare the payment again (prepare_payment) and confirm the new one.',
          );
        }
        throw error;
      }
      // The same key gives the transfer made before: funded already, it is not paid again.
      if (transfer.status === 'incoming_payment_waiting') {
        try {
          await fundTransfer(client, p.profileId, transfer.id);
        } catch (error) {
          if (error instanceof ToolError || !(error instanceof Error)) throw error;
          throw new ToolError(
            error.name === 'PolicyError' ? 'POLICY_DENIED' : 'WISE_ERROR',
            `${error.message} Transfer ${transfer.id} was created and is not funded.`,
            'Fund it in the Wise app, confirm this payment again, or cancel it with cancel_transfer.',
            { transferId: transfer.id },
          );
        }
      }
      const paid: PreparedPayment = {
        ...p,
        paid: {
          transferId: transfer.id,
          status: transfer.status === 'incoming_payment_waiting' ? 'processing' : transfer.status,
          at: new Date(ctx.clock.now()).toISOString(),
          approvedVia: via,
        },
      };
      await savePayment(ctx.configDir, paid);
      return { payment: paid, already: false };
    },
    { timeoutMs: 60_000, staleMs: 120_000, clock: ctx.clock },
  );
}

export function registerMoneyTools(tools: ToolSet): void {
  const { session } = tools;
  const { ctx } = session;

  tools.add(
    'prepare_payment',
    {
      title: 'Prepare a payment',
      description:
        'Checks a payment from a balance against the spending policy and makes its quote. No transfer is made: it returns a summary and a paymentId, which confirm_payment pays once a person confirms it. The paymentId expires with the quote.',
      inputSchema: z.object({
        profileId: z.number().int().positive().optional(),
        recipientId: z.number().int().positive().describe('a recipient id from list_recipients'),
        amount: amountSchema.describe('what the recipient gets, e.g. "10.00"'),
        currency: z
          .string()
          .regex(/^[A-Za-z]{3}$/)
          .describe("the recipient's currency"),
        sourceCurrency: z
          .string()
          .regex(/^[A-Za-z]{3}$/)
          .optional()
          .describe('the balance paid from (default: the same currency)'),
        reference: z
          .string()
          .max(35)
          // One line of visible text: the person reads it in the confirmation, where it must not pass for a figure.
          .regex(/^[^\p{C}\u2028\u2029]*$/u, 'a reference is one line of visible characters')
          .optional()
          .describe('shown to the recipient (at most 35 characters, one line)'),
      }),
      outputSchema: SummarySchema,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    },
    async (args) =>
      session.with(async (a) => {
        const amount = Number(args.amount);
        if (!(amount > 0)) throw new UsageError('amount must be more than zero.');
        const currency = parseCurrency(args.currency, 'currency');
        const sourceCurrency = args.sourceCurrency ? parseCurrency(args.sourceCurrency, 'sourceCurrency') : currency;
        const reference = args.reference ?? '';
        const profileId = await a.profileId(args.profileId);
        // The policy first: a refusal sends nothing at all.
        await precheckPayments(ctx, a.target, [
          { amount, currency, recipientId: args.recipientId, label: `recipient ${args.recipientId}` },
        ]);
        const { checkFundingPossible } = await import('../account/session.js');
        await checkFundingPossible(ctx, a.target, a.credential, a.client);
        const recipient = findRecipient(
          await listRecipients(a.client, profileId),
          String(args.recipientId),
          'recipientId',
        );
        if (recipient.currency !== currency) {
          throw new UsageError(`${recipient.name} (${recipient.id}) takes ${recipient.currency}, not ${currency}.`);
        }
        const quote = await createQuote(a.client, profileId, {
          sourceCurrency,
          targetCurrency: currency,
          targetAmount: amount,
          targetAccount: recipient.id,
        });
        const option = paymentOption(quote);
        if (!option)
          throw new UsageError(`Wise offers no payment from the ${sourceCurrency} balance for this transfer.`);
        const asked = (
          await transferRequirements(a.client, { targetAccount: recipient.id, quoteUuid: quote.id, reference })
        ).filter((f) => f.key !== 'reference' && f.required);
        if (asked.length) {
          throw new UsageError(
            `Wise asks more of this transfer than an agent can give (${asked.map((f) => f.key).join(', ')}); nothing was made.`,
            { hint: 'A person can pay it on a terminal: `wise pay ... --detail key=value`.' },
          );
        }
        const payment: PreparedPayment = {
          v: 1,
          id: newPaymentId(),
          account: a.target.account,
          env: a.target.env,
          profileId,
          recipient: { id: recipient.id, name: recipient.name, account: recipient.account, currency },
          amount: option.targetAmount,
          currency,
          sourceAmount: option.sourceAmount,
          sourceCurrency,
          fee: option.fee.total,
          rate: quote.rate,
          reference,
          quoteId: quote.id,
          expiresAt: quote.expirationTime,
          createdAt: new Date(ctx.clock.now()).toISOString(),
          agent: session.agent(),
        };
        await listPayments(ctx.configDir, ctx.clock.now()); // removes those that expired
        await savePayment(ctx.configDir, payment);
        return ok(summary(payment, (await todayUnderPolicy(ctx, a.target)).left));
      }),
  );

  tools.add(
    'confirm_payment',
    {
      title: 'Confirm and pay a prepared payment',
      description:
        'Pays a payment prepare_payment made, once a person confirms it: the app shows them the payment and they type the amount. A paymentId pays at most once; calling again answers with the payment made.',
      inputSchema: z.object({ paymentId: z.string().max(100).describe('the paymentId prepare_payment returned') }),
      outputSchema: z.object({
        paymentId: z.string(),
        transferId: z.number(),
        status: z.string(),
        recipientGets: MoneySchema,
        recipient: z.object({ id: z.number(), name: z.string(), account: z.string() }),
        approvedVia: z.string(),
        alreadyPaid: z.boolean(),
      }),
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
    },
    async (args, c) =>
      session.with(async (a) => {
        const p = await loadPayment(ctx.configDir, args.paymentId, ctx.clock.now());
        checkPaymentAccount(p, a.target);
        let via: 'elicitation' | 'terminal' | undefined = p.paid?.approvedVia;
        if (!p.paid && p.approval?.via === 'terminal') via = 'terminal';
        if (!via) {
          const answer = c.mcpReq.inputResponses?.confirm as
            | { action?: unknown; content?: { amount?: unknown } }
            | undefined;
          if (!answer) {
            if (!tools.canElicit(c)) {
              throw new ToolError(
                'APPROVAL_REQUIRED',
                `A person must approve payment ${p.id}, and this app cannot ask them (it does not offer MCP elicitation); nothing was paid.`,
                `Ask the person to run \`wise approve ${p.id}\` on a terminal, then call confirm_payment again.`,
                { paymentId: p.id, command: `wise approve ${p.id}` },
              );
            }
            const { left } = await todayUnderPolicy(ctx, a.target);
            return inputRequired({
              inputRequests: {
                confirm: inputRequired.elicit({
                  mode: 'form',
                  message: question(p, left),
                  requestedSchema: {
                    type: 'object',
                    properties: {
                      amount: {
                        type: 'string',
                        title: `Type ${p.amount.toFixed(2)} to pay`,
                        description: `The amount ${p.recipient.name} gets, in ${p.currency}`,
                      },
                    },
                    required: ['amount'],
                  },
                }),
              },
              requestState: await tools.state.mint({ paymentId: p.id }, c),
            }) as never;
          }
          // The answer must come back with the state this payment's question carried.
          const state = c.mcpReq.requestState<{ paymentId?: unknown }>();
          if (!state || typeof state !== 'object' || state.paymentId !== p.id) {
            throw new ToolError('DECLINED', `That confirmation was not asked for payment ${p.id}; nothing was paid.`);
          }
          if (answer.action !== 'accept') {
            const what = answer.action === 'cancel' ? 'cancelled' : 'declined';
            throw new ToolError('DECLINED', `The person ${what} payment ${p.id}; nothing was paid.`, undefined, {
              paymentId: p.id,
            });
          }
          if (!sameAmount(answer.content?.amount, p.amount, p.currency)) {
            throw new ToolError(
              'DECLINED',
              `The amount typed does not match the payment (${formatMoney(p.amount, p.currency)}); nothing was paid.`,
              'Call confirm_payment again to ask once more.',
              { paymentId: p.id },
            );
          }
          via = 'elicitation';
        }
        const { payment, already } = await payOnce(ctx, a, p.id, via);
        const paid = payment.paid as NonNullable<PreparedPayment['paid']>;
        return ok({
          paymentId: payment.id,
          transferId: paid.transferId,
          status: paid.status,
          recipientGets: money(payment.amount, payment.currency),
          recipient: { id: payment.recipient.id, name: payment.recipient.name, account: payment.recipient.account },
          approvedVia: paid.approvedVia,
          alreadyPaid: already,
        });
      }),
  );

  tools.add(
    'cancel_transfer',
    {
      title: 'Cancel a transfer',
      description: 'Cancels a transfer Wise has not sent on yet (its money goes back to the balance).',
      inputSchema: z.object({ transferId: z.number().int().positive() }),
      outputSchema: z.object({ transferId: z.number(), status: z.string() }),
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
    },
    async (args) =>
      session.with(async ({ client }) => {
        const t = await client.sendJson<{ id: number; status: string }>(
          'PUT',
          endpoint('cancelTransfer', client.apiVersion, args.transferId),
          undefined,
        );
        return ok({ transferId: t.id ?? args.transferId, status: t.status });
      }),
  );
}
