/**
 * The money journal: `journal.jsonl` in the config folder (0600), one JSON line per money-moving call: an intent line
 * before the call, an outcome line after it (sharing the `entry` id), so a crash leaves a visible pending entry.
 *
 * Each line ends with `"prev"` (the hash of the line before; 64 zeros for the first) and `"hash"`, the SHA-256 of the
 * line's text up to its hash field. `wise journal verify` recomputes both and names the first line that was edited,
 * removed or reordered. The chain is tamper-evident, not tamper-proof: someone who can rewrite the file can rewrite
 * every hash, so keep the head hash that `verify` prints somewhere else (a CI log) to compare later.
 *
 * Appends happen under a lock, one write() each, so concurrent processes neither interleave nor lose lines. Each
 * process reads the file once and then only what others appended since, under the same lock.
 */
import { createHash, randomUUID } from 'node:crypto';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { MoneyKind } from '../http/endpoints.js';
import type { Clock } from '../util/clock.js';

export const GENESIS = '0'.repeat(64);

/** The money calls of the endpoint table, and the cancellation of a batch group (a completion's body says which). */
export type EntryKind = MoneyKind | 'batch.cancel';

/** What a line records; never a secret (no token, key, PIN or signature). */
export interface JournalFields {
  kind: EntryKind;
  account: string;
  env: string;
  profileId?: number;
  method: string;
  path: string;
  idempotencyKey?: string;
  amount?: number;
  currency?: string;
  sourceAmount?: number;
  sourceCurrency?: string;
  recipientId?: number;
  reference?: string;
  quoteId?: string;
  transferId?: number;
  batchGroupId?: string;
  /** Counted in the day's total for the spending policy (transfers; a funding of a transfer not journaled before). */
  counted?: boolean;
  status: 'pending' | 'ok' | 'failed' | 'unknown';
  httpStatus?: number;
  wiseStatus?: string;
  errorCode?: string;
  correlationId: string;
  /** The AI agent (MCP client name and version) that asked for the call through `wise mcp`. */
  agent?: string;
  /** How a person approved an agent's payment: in the agent's app (MCP elicitation) or with `wise approve`. */
  approvedVia?: 'elicitation' | 'terminal';
}

export interface JournalLine extends JournalFields {
  v: 1;
  at: string;
  entry: string;
  phase: 'intent' | 'outcome';
  prev: string;
  hash: string;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const HASHED = /^(\{.*),"hash":"([0-9a-f]{64})"\}$/;

/** Splits a line into its hashed text and its hash; undefined when it is not a journal line. */
function split(line: string): { body: string; hash: string } | undefined {
  const m = HASHED.exec(line);
  return m ? { body: `${m[1]}}`, hash: m[2] as string } : undefined;
}

export type Verdict =
  | { ok: true; lines: number; head: string }
  | { ok: false; line: number; reason: string; lines: number };

/** The line (1-based) whose hash is `hash`, in a chain that verified; undefined when the chain does not hold it. */
export function lineOfHash(text: string, hash: string): number | undefined {
  let n = 0;
  for (const line of text.split('\n')) {
    if (!line) continue;
    n++;
    if (split(line)?.hash === hash) return n;
  }
  return undefined;
}

/** Checks the chain of a whole journal text: each line's own hash, and that it follows the line before. */
export function verifyJournal(text: string): Verdict {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  let prev = GENESIS;
  for (const [i, line] of lines.entries()) {
    const n = i + 1;
    const parts = split(line);
    if (!parts)
      return { ok: false, line: n, reason: 'it is not a journal line (cut short, or edited)', lines: lines.length };
    if (sha256(parts.body) !== parts.hash) {
      return { ok: false, line: n, reason: 'its content does not match its hash: it was edited', lines: lines.length };
    }
    let parsed: { prev?: unknown };
    try {
      parsed = JSON.parse(parts.body) as { prev?: unknown };
    } catch {
      return { ok: false, line: n, reason: 'it is not JSON', lines: lines.length };
    }
    if (parsed.prev !== prev) {
      return {
        ok: false,
        line: n,
        reason:
          n === 1
            ? 'it is not the first line of the journal: lines before it were removed'
            : `it does not follow line ${n - 1}: a line was removed, added or moved here`,
        lines: lines.length,
      };
    }
    prev = parts.hash;
  }
  return { ok: true, lines: lines.length, head: prev };
}

/** What the policy needs of an entry: its day, currency and amount, whether it counts, and how it ended. */
interface Tally {
  day: string;
  account: string;
  env: string;
  currency?: string;
  amount?: number;
  counted: boolean;
  status: JournalFields['status'];
  transferId?: number;
}

export class Journal {
  readonly path: string;
  readonly #lockPath: string;
  readonly #clock: Clock;
  #offset = 0;
  #head = GENESIS;
  #partial = '';
  readonly #entries = new Map<string, Tally>();
  readonly #cancelled = new Set<number>();

  constructor(configDir: string, clock: Clock) {
    this.path = join(configDir, 'journal.jsonl');
    this.#lockPath = join(configDir, 'journal.lock');
    this.#clock = clock;
  }

  /**
   * What the account has paid or has in flight today, read without the lock: for checks before anything is sent
   * (the binding check is made again under the lock when each payment goes out).
   */
  async spentTodaySnapshot(account: string, env: string): Promise<Map<string, number>> {
    let handle: import('node:fs/promises').FileHandle;
    try {
      handle = await open(this.path, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      throw error;
    }
    try {
      await this.#catchUp(handle);
    } finally {
      await handle.close();
    }
    return this.#spentToday(account, env);
  }

  /** Runs `fn` holding the journal's lock, after reading what other processes appended. */
  async locked<T>(fn: (view: JournalView) => Promise<T> | T): Promise<T> {
    const [{ withLock }, { ensurePrivateDir }] = await Promise.all([
      import('../store/lock.js'),
      import('../store/atomic.js'),
    ]);
    await ensurePrivateDir(join(this.path, '..'));
    return withLock(
      this.#lockPath,
      async () => {
        const handle = await open(this.path, 'a+', 0o600);
        try {
          await this.#catchUp(handle);
          const view: JournalView = {
            spentToday: (account, env) => this.#spentToday(account, env),
            // Known with its amount: a transfer journaled before a policy was in force (no amount) is priced anew.
            transferKnown: (id) =>
              [...this.#entries.values()].some(
                (e) => e.transferId === id && e.counted && e.amount !== undefined && e.currency !== undefined,
              ),
            append: async (entry, phase, fields) => this.#append(handle, entry, phase, fields),
          };
          return await fn(view);
        } finally {
          await handle.close();
        }
      },
      { timeoutMs: 60_000, staleMs: 120_000, clock: this.#clock },
    );
  }

  async #catchUp(handle: import('node:fs/promises').FileHandle): Promise<void> {
    const { size } = await handle.stat();
    if (size < this.#offset) {
      // The file was replaced or cut: start over.
      this.#offset = 0;
      this.#head = GENESIS;
      this.#partial = '';
      this.#entries.clear();
      this.#cancelled.clear();
    }
    if (size === this.#offset) return;
    const buffer = Buffer.alloc(size - this.#offset);
    await handle.read(buffer, 0, buffer.length, this.#offset);
    this.#offset = size;
    const text = this.#partial + buffer.toString('utf8');
    const lines = text.split('\n');
    this.#partial = lines.pop() ?? '';
    for (const line of lines) {
      const parts = split(line);
      if (!parts) continue;
      this.#head = parts.hash;
      try {
        this.#tally(JSON.parse(parts.body) as JournalLine);
      } catch {}
    }
  }

  #tally(line: JournalLine): void {
    const known = this.#entries.get(line.entry);
    if (line.phase === 'intent' || !known) {
      this.#entries.set(line.entry, {
        day: line.at.slice(0, 10),
        account: line.account,
        env: line.env,
        ...(line.currency ? { currency: line.currency } : {}),
        ...(line.amount !== undefined ? { amount: line.amount } : {}),
        counted: line.counted === true,
        status: line.status,
        ...(line.transferId !== undefined ? { transferId: line.transferId } : {}),
      });
    } else {
      known.status = line.status;
      if (line.transferId !== undefined) known.transferId = line.transferId;
    }
    if (line.kind === 'transfer.cancel' && line.phase === 'outcome' && line.status === 'ok' && line.transferId) {
      this.#cancelled.add(line.transferId);
    }
  }

  #spentToday(account: string, env: string): Map<string, number> {
    const today = new Date(this.#clock.now()).toISOString().slice(0, 10);
    const out = new Map<string, number>();
    for (const e of this.#entries.values()) {
      if (!e.counted || e.day !== today || e.account !== account || e.env !== env) continue;
      if (e.status === 'failed' || (e.transferId !== undefined && this.#cancelled.has(e.transferId))) continue;
      if (!e.currency || e.amount === undefined) continue;
      out.set(e.currency, Math.round(((out.get(e.currency) ?? 0) + e.amount) * 100) / 100);
    }
    return out;
  }

  async #append(
    handle: import('node:fs/promises').FileHandle,
    entry: string,
    phase: 'intent' | 'outcome',
    fields: JournalFields,
  ): Promise<void> {
    const record = { v: 1, at: new Date(this.#clock.now()).toISOString(), entry, phase, ...fields, prev: this.#head };
    const body = JSON.stringify(record);
    const hash = sha256(body);
    const line = `${body.slice(0, -1)},"hash":"${hash}"}\n`;
    // One write of the whole line, appended (O_APPEND): readers never see half of it.
    await handle.write(line);
    this.#offset += Buffer.byteLength(line);
    this.#head = hash;
    this.#tally({ ...record, hash } as JournalLine);
  }
}

export interface JournalView {
  /** What the account has paid or has in flight today (UTC) per currency. */
  spentToday(account: string, env: string): Map<string, number>;
  /** A transfer whose creation is journaled, counted, with its amount and currency. */
  transferKnown(id: number): boolean;
  append(entry: string, phase: 'intent' | 'outcome', fields: JournalFields): Promise<void>;
}

export function newEntryId(): string {
  return randomUUID();
}

/** Every line of the journal, parsed (for `wise journal show`); lines that are not journal lines are skipped. */
export function parseJournal(text: string): JournalLine[] {
  const out: JournalLine[] = [];
  for (const line of text.split('\n')) {
    const parts = split(line);
    if (!parts) continue;
    try {
      out.push({ ...(JSON.parse(parts.body) as JournalLine), hash: parts.hash });
    } catch {}
  }
  return out;
}
