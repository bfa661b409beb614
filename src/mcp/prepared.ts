/**
 * Payments an AI agent prepared (`prepare_payment` of `wise mcp`) and a person may approve: one file each in
 * `agent-payments/` of the config folder (folder 0700, files 0600, written atomically), kept until the quote
 * expires. A file holds what Wise answered (the recipient's name and masked account, the quote's amounts, fee and
 * rate) and never a secret. A payment id is unguessable (128 random bits), and pays at most once: its transfer's
 * idempotency key (Wise's customerTransactionId) is derived from it, and its confirmation runs under a lock.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { environmentLabel, formatMoney } from '../account/validate.js';
import { UsageError } from '../errors.js';

export interface PreparedPayment {
  v: 1;
  id: string;
  account: string;
  env: string;
  profileId: number;
  recipient: { id: number; name: string; account: string; currency: string };
  amount: number;
  currency: string;
  sourceAmount: number;
  sourceCurrency: string;
  fee: number;
  rate: number;
  reference: string;
  quoteId: string;
  expiresAt: string;
  createdAt: string;
  /** The agent that prepared it (MCP client name and version). */
  agent: string;
  /** A person approved it on a terminal (`wise approve`). */
  approval?: { via: 'terminal'; at: string };
  /** It was paid: the transfer, as Wise answered. */
  paid?: { transferId: number; status: string; at: string; approvedVia: 'elicitation' | 'terminal' };
}

const ID = /^pay_[0-9a-f]{32}$/;

export function newPaymentId(): string {
  return `pay_${randomBytes(16).toString('hex')}`;
}

/** The transfer's customerTransactionId: a UUID derived from the payment id, so a repeat is the same transfer. */
export function idempotencyKeyOf(paymentId: string): string {
  const h = createHash('sha256').update(`wise agent payment\0${paymentId}`).digest('hex');
  const variant = ((Number.parseInt(h[16] as string, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function paymentsDir(configDir: string): string {
  return join(configDir, 'agent-payments');
}

function fileOf(configDir: string, id: string): string {
  if (!ID.test(id)) {
    throw new UsageError(`"${id.slice(0, 80)}" is not a payment id (pay_ and 32 hex digits).`, {
      hint: 'Use the paymentId prepare_payment returned; `wise approve --list` shows those waiting.',
    });
  }
  return join(paymentsDir(configDir), `${id}.json`);
}

export function lockPathOf(configDir: string, id: string): string {
  return `${fileOf(configDir, id)}.lock`;
}

export async function savePayment(configDir: string, p: PreparedPayment): Promise<void> {
  const { ensurePrivateDir, writeFileAtomic } = await import('../store/atomic.js');
  await ensurePrivateDir(paymentsDir(configDir));
  await writeFileAtomic(fileOf(configDir, p.id), `${JSON.stringify(p, null, 2)}\n`);
}

/** The payment, or a UsageError when there is none by that id (never made, or expired and removed). */
export async function loadPayment(configDir: string, id: string, now: number): Promise<PreparedPayment> {
  const file = fileOf(configDir, id);
  let p: PreparedPayment;
  try {
    p = JSON.parse(await readFile(file, 'utf8')) as PreparedPayment;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new UsageError(`There is no prepared payment ${id} (never made, or its quote expired).`, {
        hint: 'Prepare it again with prepare_payment; `wise approve --list` shows those waiting.',
      });
    }
    throw new UsageError(`The prepared payment ${id} cannot be read (${(error as Error).message}).`);
  }
  if (p.v !== 1 || p.id !== id) throw new UsageError(`The prepared payment ${id} is damaged; prepare it again.`);
  if (!p.paid && expired(p, now)) {
    await unlink(file).catch(() => {});
    throw new UsageError(`The prepared payment ${id} expired with its quote at ${p.expiresAt}; nothing was paid.`, {
      hint: 'Prepare it again with prepare_payment: a new quote, a new payment id.',
    });
  }
  return p;
}

export function expired(p: Pick<PreparedPayment, 'expiresAt'>, now: number): boolean {
  return Date.parse(p.expiresAt) <= now;
}

/** Every prepared payment still usable (others, expired, are removed on the way). */
export async function listPayments(configDir: string, now: number): Promise<PreparedPayment[]> {
  let names: string[];
  try {
    names = await readdir(paymentsDir(configDir));
  } catch {
    return [];
  }
  const out: PreparedPayment[] = [];
  for (const name of names.filter((n) => /^pay_[0-9a-f]{32}\.json$/.test(n)).sort()) {
    const file = join(paymentsDir(configDir), name);
    try {
      const p = JSON.parse(await readFile(file, 'utf8')) as PreparedPayment;
      // Kept until the quote expires, paid or not: a repeat confirmation answers with the payment made.
      if (expired(p, now)) await unlink(file).catch(() => {});
      else out.push(p);
    } catch {
      // Being written by another process, or not ours: left alone.
    }
  }
  return out;
}

/** Whether `typed` is the payment's amount (`10`, `10.00`, `10.00 EUR`), compared in cents. */
export function sameAmount(typed: unknown, amount: number, currency: string): boolean {
  if (typeof typed !== 'string' && typeof typed !== 'number') return false;
  const m = new RegExp(`^\\s*(\\d{1,12}(?:\\.\\d{1,2})?)\\s*(?:${currency})?\\s*$`, 'i').exec(String(typed));
  return m !== null && Math.round(Number(m[1]) * 100) === Math.round(amount * 100);
}

/** A payment is approved and paid with the account and environment it was prepared for, nothing else. */
export function checkPaymentAccount(p: PreparedPayment, target: { account: string; env: string }): void {
  if (p.account !== target.account || p.env !== target.env) {
    throw new UsageError(
      `Payment ${p.id} was prepared for account "${p.account}" in ${p.env}, not "${target.account}" in ${target.env}; nothing was paid.`,
      { hint: `Use the account it was made for: --account ${p.account} --env ${p.env}.` },
    );
  }
}

/**
 * What a person is shown before approving, in the agent's app or with `wise approve`: every figure from Wise's
 * answers, and the reference, the one thing the agent wrote, quoted as the agent's.
 */
export function paymentFacts(p: PreparedPayment, left: ReadonlyMap<string, number>): [string, string][] {
  const budget = [...left].map(([c, v]) => formatMoney(v, c)).join(', ') || 'no daily cap';
  return [
    ['Recipient', `${p.recipient.name} (${p.recipient.id}${p.recipient.account ? `, ${p.recipient.account}` : ''})`],
    ['Recipient gets', formatMoney(p.amount, p.currency)],
    ['You pay', `${formatMoney(p.sourceAmount, p.sourceCurrency)} from your ${p.sourceCurrency} balance`],
    ['Fee', formatMoney(p.fee, p.sourceCurrency)],
    ['Rate', String(p.rate)],
    ['Reference (written by the agent)', p.reference ? JSON.stringify(p.reference) : '(none)'],
    ["Left of today's policy budget", budget],
    ['Environment', environmentLabel(p.env)],
    ['Asked by', p.agent],
    ['Expires', p.expiresAt],
  ];
}
