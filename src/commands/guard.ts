import { readFile } from 'node:fs/promises';
import { BadRowsError, parsePaymentsCsv, readPaymentsFile } from '../account/batch.js';
import { describeState, type Transfer } from '../account/money.js';
import { accountClient } from '../account/session.js';
import { parseDate } from '../account/validate.js';
import { resolveTarget } from '../auth/target.js';
import type { Context } from '../context.js';
import { UsageError, WiseError } from '../errors.js';
import {
  GENESIS as JOURNAL_GENESIS,
  Journal,
  type JournalLine,
  lineOfHash,
  parseJournal,
  verifyJournal,
} from '../guard/journal.js';
import { checkPayments, policyPath, rulesFor, uncappedWarnings } from '../guard/policy.js';
import { policyInForce } from '../guard/precheck.js';
import { endpoint } from '../http/endpoints.js';
import { formatTable, printJson } from '../util/output.js';
import type { JournalVerifyOptions } from './account-specs.js';

export async function policyShow(ctx: Context): Promise<void> {
  const target = await resolveTarget(ctx);
  const path = policyPath(ctx.configDir, ctx.env);
  const policy = policyInForce(ctx);
  const rules = rulesFor(policy, target.account, target.env);
  if (ctx.options.json) {
    return printJson(ctx, {
      file: path,
      exists: policy !== undefined,
      account: target.account,
      env: target.env,
      rules,
      warnings: policy ? uncappedWarnings(policy.rules) : [],
    });
  }
  if (!policy) {
    ctx.io.out(`No spending policy (${path} does not exist): payments are limited only by Wise.\n`);
    return;
  }
  const count = `${rules.length} of ${policy.rules.length} rule${policy.rules.length === 1 ? '' : 's'}`;
  const verb = rules.length === 1 ? 'applies' : 'apply';
  ctx.io.out(`Policy ${path}: ${count} ${verb} to account "${target.account}" in ${target.env}.\n`);
  const money = (m: Record<string, number> | undefined) =>
    m
      ? Object.entries(m)
          .map(([c, v]) => `${v.toFixed(2)} ${c}`)
          .join(', ')
      : '';
  for (const [i, r] of rules.entries()) {
    const rows = [
      ['applies to', `account ${r.account ?? '(any)'}, environment ${r.env ?? '(any)'}`],
      ...(r.maxPerTransfer ? [['max per transfer', money(r.maxPerTransfer)]] : []),
      ...(r.maxPerDay ? [['max per day (UTC)', money(r.maxPerDay)]] : []),
      ...(r.allowedRecipients ? [['allowed recipients', r.allowedRecipients.join(', ')]] : []),
      ...(r.allowedTargetCurrencies ? [['allowed target currencies', r.allowedTargetCurrencies.join(', ')]] : []),
      ...(r.unattendedProduction !== undefined
        ? [['unattended production', r.unattendedProduction ? 'allowed' : 'refused (a person confirms at a terminal)']]
        : []),
    ];
    const table = formatTable(['', ''], rows)
      .replace(/^\s*\n/, '')
      .trimEnd();
    ctx.io.out(`\nRule ${i + 1}\n${table.replace(/^/gm, '  ')}\n`);
  }
  for (const line of uncappedWarnings(policy.rules)) ctx.io.err(`warning: ${line}`);
}

/** Checks a payments file against the policy with today's journal, without calling Wise. */
export async function policyCheck(ctx: Context, file: string): Promise<void> {
  const text = (await readPaymentsFile(file)).toString('utf8');
  const { rows, problems } = await parsePaymentsCsv(text, file);
  if (problems.length) {
    throw new BadRowsError(file, problems);
  }
  const target = await resolveTarget(ctx);
  const policy = policyInForce(ctx);
  const rules = rulesFor(policy, target.account, target.env);
  const spentToday = await new Journal(ctx.configDir, ctx.clock).spentTodaySnapshot(target.account, target.env);
  checkPayments(
    rules,
    { env: target.env, unattended: !ctx.io.stdinIsTTY, spentToday },
    rows.map((r) => ({
      amount: r.amount,
      currency: r.currency,
      // Offline, a recipient is known by its id; a name is checked by `wise batch pay`, which looks it up.
      ...(/^\d+$/.test(r.recipient) ? { recipientId: Number(r.recipient) } : {}),
      label: `${file} line ${r.line}${/^\d+$/.test(r.recipient) ? '' : `, recipient "${r.recipient}" given by name: give its id to check it offline`}`,
    })),
    policy?.path,
  );
  const summary = { file, payments: rows.length, rules: rules.length, policy: policy?.path ?? null, passed: true };
  if (ctx.options.json) return printJson(ctx, summary);
  ctx.io.out(
    rules.length
      ? `${file}: all ${rows.length} payments pass the ${rules.length} rule${rules.length === 1 ? '' : 's'} in force for account "${target.account}" in ${target.env}.\n`
      : `${file}: ${rows.length} payments, and no policy rule applies to account "${target.account}" in ${target.env}.\n`,
  );
}

/** One row per money-moving call: its intent, and its outcome when there is one. */
interface Entry {
  entry: string;
  at: string;
  kind: string;
  status: string;
  line: JournalLine;
}

function entries(lines: JournalLine[]): Entry[] {
  const byId = new Map<string, Entry>();
  for (const line of lines) {
    const known = byId.get(line.entry);
    if (!known) byId.set(line.entry, { entry: line.entry, at: line.at, kind: line.kind, status: line.status, line });
    else {
      known.status = line.status;
      known.line = { ...known.line, ...line, at: known.at };
    }
  }
  return [...byId.values()];
}

async function readJournal(ctx: Context): Promise<{ path: string; text: string | undefined }> {
  const path = new Journal(ctx.configDir, ctx.clock).path;
  try {
    return { path, text: await readFile(path, 'utf8') };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { path, text: undefined };
    throw error;
  }
}

export async function journalShow(ctx: Context, opts: { since?: string; refresh?: boolean }): Promise<void> {
  const since = opts.since ? parseDate(opts.since, '--since') : undefined;
  const { path, text } = await readJournal(ctx);
  let list = entries(parseJournal(text ?? ''));
  if (since !== undefined) list = list.filter((e) => Date.parse(e.at) >= since);
  const current = new Map<number, string>();
  if (opts.refresh) {
    // Did it really go out? Wise's state of each journaled transfer now.
    const { client } = await accountClient(ctx);
    const ids = [...new Set(list.map((e) => e.line.transferId).filter((id): id is number => id !== undefined))];
    for (const id of ids) {
      try {
        current.set(id, (await client.getJson<Transfer>(endpoint('transfer', client.apiVersion, id))).status);
      } catch (error) {
        current.set(id, `unknown (${error instanceof WiseError ? error.code : 'error'})`);
      }
    }
  }
  if (ctx.options.json) {
    return printJson(
      ctx,
      list.map((e) => {
        const { prev: _p, hash: _h, phase: _ph, v: _v, ...rest } = e.line;
        const now = rest.transferId !== undefined ? current.get(rest.transferId) : undefined;
        return { ...rest, at: e.at, status: e.status, ...(now !== undefined ? { currentStatus: now } : {}) };
      }),
    );
  }
  if (!list.length) {
    ctx.io.err(
      text === undefined
        ? `No journal yet (${path}): no money-moving call was made here.`
        : 'No entries in this range.',
    );
    return;
  }
  // Calls an AI agent made through `wise mcp` say so, and how a person approved the payment.
  const agents = list.some((e) => e.line.agent);
  const rows = list.map((e) => {
    const l = e.line;
    const now = l.transferId !== undefined ? current.get(l.transferId) : undefined;
    return [
      e.at.replace('T', ' ').slice(0, 19),
      l.kind,
      l.amount !== undefined ? `${l.amount.toFixed(2)} ${l.currency ?? ''}` : '',
      l.recipientId !== undefined ? String(l.recipientId) : '',
      l.transferId !== undefined ? String(l.transferId) : (l.batchGroupId ?? l.quoteId ?? ''),
      `${e.status}${l.wiseStatus ? ` (${l.wiseStatus})` : ''}${l.errorCode ? ` ${l.errorCode}` : ''}`,
      ...(opts.refresh ? [now === undefined ? '' : now === l.wiseStatus ? now : `now ${now}`] : []),
      ...(agents ? [l.agent ? `${l.agent}${l.approvedVia ? ` (approved: ${l.approvedVia})` : ''}` : ''] : []),
    ];
  });
  ctx.io.out(
    formatTable(
      [
        'TIME (UTC)',
        'CALL',
        'AMOUNT',
        'RECIPIENT',
        'WISE ID',
        'RESULT',
        ...(opts.refresh ? ['AT WISE NOW'] : []),
        ...(agents ? ['AGENT'] : []),
      ],
      rows,
    ),
  );
  const pending = list.filter((e) => e.status === 'pending' || e.status === 'unknown');
  if (pending.length) {
    ctx.io.err(
      `${pending.length} call${pending.length === 1 ? '' : 's'} without a known outcome (a crash, or no answer): check ${opts.refresh ? 'the transfers above' : 'them with --refresh'}.`,
    );
  }
  if (opts.refresh) {
    for (const [id, status] of current) ctx.io.err(`transfer ${id}: ${status} (${describeState(status)})`);
  }
}

export async function journalVerify(ctx: Context, opts: JournalVerifyOptions = {}): Promise<void> {
  const head = opts.head?.trim().toLowerCase();
  if (head !== undefined && !/^[0-9a-f]{64}$/.test(head))
    throw new UsageError(
      `--head must be a SHA-256 hash (64 hex digits) from \`wise journal head\`, not "${opts.head}".`,
    );
  const { path, text } = await readJournal(ctx);
  if (text === undefined && head !== undefined && head !== JOURNAL_GENESIS) {
    throw new WiseError(`The journal ${path} is gone, and it held the head ${head}.`, {
      hint: 'It was removed or moved: restore it from a copy you trust.',
      details: { file: path, head },
    });
  }
  if (text === undefined) {
    if (ctx.options.json) return printJson(ctx, { file: path, lines: 0, intact: true });
    ctx.io.out(`No journal yet (${path}).\n`);
    return;
  }
  const verdict = verifyJournal(text);
  if (!verdict.ok) {
    throw new WiseError(`The journal ${path} is broken at line ${verdict.line}: ${verdict.reason}.`, {
      hint: 'Compare with a copy you trust (a backup, or the head hash a CI log kept); the lines before it are intact.',
      details: { file: path, line: verdict.line, lines: verdict.lines },
    });
  }
  if (head !== undefined) {
    // The head of an empty journal (kept before the first payment) is held by every journal, at line 0.
    const at = head === JOURNAL_GENESIS ? 0 : lineOfHash(text, head);
    if (at === undefined) {
      throw new WiseError(
        `The journal ${path} no longer holds the head ${head}: lines up to it were removed or rewritten (its chain, ${verdict.lines} lines, is intact in itself).`,
        {
          hint: 'Compare with a copy you trust; the head was kept so that a rewritten journal shows.',
          details: { file: path, head, lines: verdict.lines },
        },
      );
    }
    if (ctx.options.json)
      return printJson(ctx, { file: path, lines: verdict.lines, intact: true, head: verdict.head, holds: head, at });
    ctx.io.out(
      `${path}: ${verdict.lines} lines, chain intact; holds ${head} at line ${at} (${verdict.lines - at} line${verdict.lines - at === 1 ? '' : 's'} since); head ${verdict.head}\n`,
    );
    return;
  }
  if (ctx.options.json) return printJson(ctx, { file: path, lines: verdict.lines, intact: true, head: verdict.head });
  ctx.io.out(`${path}: ${verdict.lines} lines, chain intact; head ${verdict.head}\n`);
}

/** `wise journal head`: the chain's last hash and line count, to keep elsewhere. Exit 1 if the chain is broken. */
export async function journalHead(ctx: Context): Promise<void> {
  const { path, text } = await readJournal(ctx);
  const verdict = text === undefined ? { ok: true as const, lines: 0, head: JOURNAL_GENESIS } : verifyJournal(text);
  if (!verdict.ok) {
    throw new WiseError(`The journal ${path} is broken at line ${verdict.line}: ${verdict.reason}.`, {
      hint: 'A head is only worth keeping for an intact chain: `wise journal verify` says more.',
      details: { file: path, line: verdict.line },
    });
  }
  if (ctx.options.json) return printJson(ctx, { file: path, head: verdict.head, lines: verdict.lines });
  ctx.io.out(`${verdict.head} ${verdict.lines}\n`);
}
