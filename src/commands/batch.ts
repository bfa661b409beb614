import { basename } from 'node:path';
import {
  BadRowsError,
  BatchStateFile,
  checkStateWithWise,
  parsePaymentsCsv,
  planGroups,
  readPaymentsFile,
  resolveRows,
  runBatch,
  sha256,
  totals,
} from '../account/batch.js';
import { listRecipients } from '../account/money.js';
import { checkFundingPossible, profileClient } from '../account/session.js';
import { parseCount } from '../account/validate.js';
import type { Context } from '../context.js';
import { ApiError, PolicyError, UsageError } from '../errors.js';
import { type Pace, paceLayer } from '../http/pipeline.js';
import { formatTable, printJson } from '../util/output.js';
import { checkConsentPossible, confirmMoney } from './account/common.js';
import type { BatchPayOptions } from './account-specs.js';

export async function batchPay(ctx: Context, file: string, opts: BatchPayOptions): Promise<void> {
  const concurrency = parseCount(opts.concurrency, '--concurrency', 32);
  const text = await readPaymentsFile(file);
  const parsed = await parsePaymentsCsv(text.toString('utf8'), file);
  const rows = parsed.rows;
  if (!opts.dryRun) checkConsentPossible(ctx, opts.yes, 'wise batch pay');

  // One pause for every request of the batch: a 429 slows all of them down instead of failing rows.
  const pace: Pace = { until: 0 };
  const { target, credential, client, profileId } = await profileClient(ctx, {
    maxRetries: 8,
    insert: [{ after: 'retry', layer: paceLayer(pace, ctx.clock, (l) => ctx.debug(l)) }],
  });
  if (!opts.dryRun && opts.fund === 'balance') await checkFundingPossible(ctx, target, credential, client);
  let planned: ReturnType<typeof resolveRows>;
  try {
    planned = resolveRows(parsed, await listRecipients(client, profileId), file);
  } catch (error) {
    // One line per bad row on a terminal; --json has them in error.rows.
    if (error instanceof BadRowsError && !ctx.options.json) {
      // In line order, as the file reads.
      for (const r of [...error.rows].sort((a, b) => a.line - b.line)) ctx.io.err(`  line ${r.line}: ${r.problem}`);
      throw new UsageError(
        `${file} has ${error.rows.length} bad row${error.rows.length === 1 ? '' : 's'} (listed above); nothing was sent.`,
        {
          ...(error.hint ? { hint: error.hint } : {}),
          ...(error.details ? { details: error.details } : {}),
        },
      );
    }
    throw error;
  }
  // The whole batch against the spending policy before its first call, rows in order (a day's total can run out);
  // on a re-run, only the rows not paid yet (the others are in the journal already).
  const { precheckPayments } = await import('../guard/precheck.js');
  const precheck = (skip: (line: number) => boolean) =>
    precheckPayments(
      ctx,
      target,
      planned
        .filter((r) => !skip(r.line))
        .map((r) => ({
          amount: r.amount,
          currency: r.currency,
          recipientId: r.target.id,
          label: `${file} line ${r.line}`,
        })),
    );
  const groups = planGroups(planned);
  const sums = [...totals(planned)].map(([c, v]) => `${v.toFixed(2)} ${c}`).join(', ');
  const description = [
    `${planned.length} payment${planned.length === 1 ? '' : 's'} from ${file}: ${sums}`,
    `${groups.length} batch group${groups.length === 1 ? '' : 's'} (${groups.map((g) => `${g.rows.length} from ${g.sourceCurrency}`).join(', ')})`,
    `Funding: ${opts.fund === 'balance' ? 'from your balance' : 'left for the Wise app or website'}`,
  ];
  if (opts.dryRun) {
    await precheck(() => false);
    if (ctx.options.json) {
      return printJson(ctx, {
        dryRun: true,
        payments: planned.length,
        totals: Object.fromEntries(totals(planned)),
        groups: groups.map((g) => ({ sourceCurrency: g.sourceCurrency, rows: g.rows.map((r) => r.line) })),
      });
    }
    ctx.io.out(`${description.join('\n')}\n`);
    ctx.io.err(`Dry run in ${target.env}: every row checked, nothing was sent.`);
    return;
  }
  const state = new BatchStateFile(opts.state ?? `${file}.wise-state.jsonl`);
  const mode = state.open({ fileHash: sha256(text), account: target.account, env: target.env, profileId, rows });
  try {
    // Nothing the file claims counts (for the policy, for "already made", for "funded") before Wise bears it out.
    if (mode === 'resumed') await checkStateWithWise(client, profileId, state);
    await precheck((line) => state.state.transfers.has(line));
    if (mode === 'resumed') {
      ctx.io.err(
        `Resuming from ${state.path}: ${state.state.transfers.size} of ${rows.length} transfers already made.`,
      );
    }
    await confirmMoney(ctx, target, opts.yes, description);
    const bar = ctx.io.progress('Transfers', planned.length);
    let outcome: Awaited<ReturnType<typeof runBatch>>;
    try {
      outcome = await runBatch({
        client,
        profileId,
        groups,
        state,
        concurrency,
        fund: opts.fund,
        name: basename(file),
        now: () => ctx.clock.now(),
        onProgress: (n) => bar.update(n),
        debug: (l) => ctx.debug(l),
      });
    } finally {
      bar.stop();
    }
    const failed = outcome.rows.filter((r) => r.error);
    if (!ctx.options.json) for (const r of failed) ctx.io.err(`  line ${r.line}: ${r.error}`);
    if (ctx.options.json) {
      printJson(ctx, { state: state.path, groups: outcome.groups, rows: outcome.rows });
    } else {
      ctx.io.out(
        formatTable(
          ['BATCH GROUP', 'FROM', 'TRANSFERS', 'STATUS'],
          outcome.groups.map((g) => [g.id, g.sourceCurrency, String(g.transfers), g.status]),
        ),
      );
      for (const g of outcome.groups.filter((x) => x.status === 'awaiting funding')) {
        const pay = g.payInDetails?.[0];
        ctx.io.err(
          `Fund batch group ${g.id} in the Wise app or website (Payments > Batch payments)${pay?.amount !== undefined ? `, or by bank transfer of ${pay.amount} ${pay.currency} with reference "${pay.reference}"` : ''}.`,
        );
      }
    }
    if (failed.length) {
      // Rows the policy refused as they went out (another payer used the day's limit meanwhile): exit 8, not 3.
      const Failure = failed.some((r) => r.code === 'policy') ? PolicyError : ApiError;
      throw new Failure(
        `${failed.length} row${failed.length === 1 ? '' : 's'} failed, so their batch group was not completed or paid: ${failed
          .slice(0, 5)
          .map((r) => `line ${r.line}: ${r.error}`)
          .join('; ')}${failed.length > 5 ? `; and ${failed.length - 5} more` : ''}.`,
        {
          details: { rows: failed.map((r) => ({ line: r.line, problem: r.error })) },
          hint: `When the cause is outside the file (funds, limits, a recipient at Wise), run the same command again: ${state.path} keeps what was done and nothing is paid twice.`,
        },
      );
    }
  } finally {
    state.close();
  }
}
