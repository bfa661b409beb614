/**
 * Batch payments from a CSV file (`recipient,amount,currency,reference[,source_currency,idempotency_key]`): every
 * row is checked first; then one batch group per source currency and 1,000 rows, transfers added with bounded
 * concurrency (each with its own idempotency key, re-quoted when its quote expired), the group completed with its
 * version, then funded from the balance (SCA is answered by the client) or left for funding in the web app.
 *
 * A state file beside the CSV records, as append-only lines, the idempotency key of every row (before any call),
 * each batch group and each transfer as Wise confirms it. A run that crashed or was interrupted picks up from there
 * when run again: nothing recorded is sent again, and a transfer Wise made but the file missed is returned by Wise
 * for the same key instead of being made twice.
 */
import { createHash, randomUUID } from 'node:crypto';
import { closeSync, writeSync } from 'node:fs';
import { UsageError } from '../errors.js';
import type { WiseClient } from '../http/client.js';
import { endpoint } from '../http/endpoints.js';
import { openOwnStateFile } from '../store/private-files.js';
import {
  createQuote,
  findRecipient,
  isQuoteExpired,
  type PaymentResult,
  type Quote,
  quoteUsable,
  type Recipient,
  rejectedPayment,
  type Transfer,
  transferBody,
} from './money.js';
import { mapBounded } from './pool.js';
import { parseAmount, parseCurrency, parseIdempotencyKey } from './validate.js';

export const BATCH_GROUP_LIMIT = 1000;
const REQUIRED = ['recipient', 'amount', 'currency', 'reference'];
const OPTIONAL = ['source_currency', 'idempotency_key'];

export interface BatchRow {
  /** The line of the CSV file (the header is line 1). */
  line: number;
  recipient: string;
  amount: number;
  currency: string;
  sourceCurrency: string;
  reference: string;
  idempotencyKey?: string;
}

/** A problem of one row of the file, with its line. */
export interface RowProblem {
  line: number;
  problem: string;
}

/** Every bad row of a file, found before anything is sent (exit 2); `rows` lists them all, by line. */
export class BadRowsError extends UsageError {
  constructor(
    file: string,
    readonly rows: RowProblem[],
  ) {
    const sorted = [...rows].sort((a, b) => a.line - b.line);
    super(
      `${file} has ${rows.length} bad row${rows.length === 1 ? '' : 's'}; nothing was sent: ${sorted.map((r) => `line ${r.line}: ${r.problem}`).join('; ')}.`,
      {
        hint: 'Fix these rows and run again; `wise recipients list` shows the recipients and their currencies.',
        details: { rows: sorted },
      },
    );
  }
}

/** The most rows one `batch pay` takes: ten of Wise's batch groups (1,000 transfers each). */
export const MAX_BATCH_ROWS = 10_000;
/** And the most bytes: far above 10,000 rows of real payments, far below what would fill memory. */
export const MAX_BATCH_BYTES = 4 * 1024 * 1024;

/**
 * Reads a payments file, refusing early (exit 2, before parsing) one larger than a batch run takes: a 1,000,000-row
 * file is not parsed into memory only to be refused, or paid, row by row.
 */
export async function readPaymentsFile(file: string): Promise<Buffer> {
  const { readFile, stat } = await import('node:fs/promises');
  const tooBig = (what: string) =>
    new UsageError(`${file} is too large for one batch: ${what}. Nothing was sent.`, {
      hint: `Split it into files of at most ${MAX_BATCH_ROWS.toLocaleString('en')} rows (ten batch groups of Wise's 1,000 transfers) and pay them one by one.`,
    });
  let text: Buffer;
  try {
    const size = (await stat(file)).size;
    if (size > MAX_BATCH_BYTES)
      throw tooBig(`${(size / 1024 / 1024).toFixed(1)} MB, over ${MAX_BATCH_BYTES / 1024 / 1024} MB`);
    text = await readFile(file);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`Cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`);
  }
  let lines = 0;
  for (let at = text.indexOf(10); at >= 0; at = text.indexOf(10, at + 1)) lines++;
  if (lines > MAX_BATCH_ROWS + 1)
    throw tooBig(`${lines.toLocaleString('en')} lines, over ${MAX_BATCH_ROWS.toLocaleString('en')} rows`);
  return text;
}

/**
 * Reads the CSV: the rows that are well formed, and the problem of every other row with its line (the file's shape,
 * a missing header column, is an error at once).
 */
export async function parsePaymentsCsv(
  text: string,
  file: string,
): Promise<{ rows: BatchRow[]; problems: RowProblem[] }> {
  const { parse } = await import('csv-parse/sync');
  let records: string[][];
  try {
    records = parse(text, { relax_column_count: false, skip_empty_lines: true, trim: true, bom: true }) as string[][];
  } catch (error) {
    throw new UsageError(`${file} is not a valid CSV file: ${(error as Error).message}`);
  }
  const [header, ...rows] = records;
  if (!header) throw new UsageError(`${file} is empty: it needs a header line (${REQUIRED.join(',')}) and rows.`);
  const columns = header.map((h) => h.toLowerCase());
  const missing = REQUIRED.filter((c) => !columns.includes(c));
  const unknown = columns.filter((c) => !REQUIRED.includes(c) && !OPTIONAL.includes(c));
  if (missing.length || unknown.length) {
    throw new UsageError(
      `${file}: ${[missing.length ? `missing column ${missing.join(', ')}` : '', unknown.length ? `unknown column ${unknown.join(', ')}` : ''].filter(Boolean).join('; ')}.`,
      { hint: `The header must name ${REQUIRED.join(',')} and may add ${OPTIONAL.join(',')}.` },
    );
  }
  if (!rows.length) throw new UsageError(`${file} has a header but no payments.`);
  const problems: RowProblem[] = [];
  const out: BatchRow[] = [];
  const keys = new Map<string, number>();
  // csv-parse reports where each record started; with skip_empty_lines the index alone would drift.
  const lines = lineNumbers(text, rows.length + 1);
  rows.forEach((cells, i) => {
    const line = lines[i + 1] ?? i + 2;
    const cell = (name: string) => cells[columns.indexOf(name)] ?? '';
    try {
      const recipient = cell('recipient');
      if (!recipient) throw new UsageError('recipient is empty');
      const amount = parseAmount(cell('amount'), 'amount');
      const currency = parseCurrency(cell('currency'), 'currency');
      const source = cell('source_currency') ? parseCurrency(cell('source_currency'), 'source_currency') : currency;
      const reference = cell('reference');
      if (reference.length > 35)
        throw new UsageError(`reference is ${reference.length} characters; Wise takes at most 35`);
      const rawKey = cell('idempotency_key');
      const idempotencyKey = rawKey ? parseIdempotencyKey(rawKey, 'idempotency_key') : undefined;
      if (idempotencyKey) {
        const twice = keys.get(idempotencyKey);
        if (twice) throw new UsageError(`idempotency_key is the same as on line ${twice}`);
        keys.set(idempotencyKey, line);
      }
      out.push({
        line,
        recipient,
        amount,
        currency,
        sourceCurrency: source,
        reference,
        ...(idempotencyKey ? { idempotencyKey } : {}),
      });
    } catch (error) {
      problems.push({ line, problem: (error as Error).message.replace(/\.$/, '') });
    }
  });
  return { rows: out, problems };
}

/** The line each non-empty record starts on (1-based), for messages. */
function lineNumbers(text: string, count: number): number[] {
  const out: number[] = [];
  let line = 1;
  let inQuotes = false;
  let start = true;
  for (let i = 0; i < text.length && out.length < count; i++) {
    const ch = text[i];
    if (start && ch !== '\n' && ch !== '\r') {
      out.push(line);
      start = false;
    }
    if (ch === '"') inQuotes = !inQuotes;
    if (ch === '\n') {
      line++;
      if (!inQuotes) start = true;
    }
  }
  return out;
}

export interface PlannedRow extends BatchRow {
  target: Recipient;
}

/**
 * Checks each row's recipient against the profile's recipients (one list call). Throws BadRowsError with these
 * problems and the ones the file already had, so that every bad row is reported at once.
 */
export function resolveRows(
  parsed: { rows: readonly BatchRow[]; problems: readonly RowProblem[] },
  recipients: readonly Recipient[],
  file: string,
): PlannedRow[] {
  const problems: RowProblem[] = [...parsed.problems];
  const out: PlannedRow[] = [];
  for (const row of parsed.rows) {
    try {
      const target = findRecipient(recipients, row.recipient, 'recipient');
      if (target.currency !== row.currency) {
        throw new UsageError(`${target.name} (${target.id}) takes ${target.currency}, not ${row.currency}`);
      }
      out.push({ ...row, target });
    } catch (error) {
      problems.push({ line: row.line, problem: (error as Error).message.replace(/\.$/, '') });
    }
  }
  if (problems.length) throw new BadRowsError(file, problems);
  return out;
}

/** The batch groups a file becomes: one per source currency, at most 1,000 rows each. */
export function planGroups(rows: readonly PlannedRow[]): { sourceCurrency: string; rows: PlannedRow[] }[] {
  const bySource = new Map<string, PlannedRow[]>();
  for (const row of rows) bySource.set(row.sourceCurrency, [...(bySource.get(row.sourceCurrency) ?? []), row]);
  const groups: { sourceCurrency: string; rows: PlannedRow[] }[] = [];
  for (const [sourceCurrency, list] of bySource) {
    for (let i = 0; i < list.length; i += BATCH_GROUP_LIMIT) {
      groups.push({ sourceCurrency, rows: list.slice(i, i + BATCH_GROUP_LIMIT) });
    }
  }
  return groups;
}

/** Totals per currency, for the confirmation and the summary. */
export function totals(rows: readonly { amount: number; currency: string }[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of rows) out.set(r.currency, Math.round(((out.get(r.currency) ?? 0) + r.amount) * 100) / 100);
  return out;
}

type StateLine =
  | {
      kind: 'run';
      file: string;
      account: string;
      env: string;
      profileId: number;
      keys: Record<string, string>;
      at: string;
    }
  | { kind: 'group'; index: number; id: string }
  | { kind: 'transfer'; line: number; id: number; status: string; group: string }
  | { kind: 'completed'; group: string }
  | { kind: 'funded'; group: string };

/** What a state file says so far. */
export interface BatchState {
  keys: Map<number, string>;
  groups: Map<number, string>;
  transfers: Map<number, { id: number; status: string }>;
  completed: Set<string>;
  funded: Set<string>;
}

/** The state file: read what earlier runs recorded, then append a line for each step Wise confirms. */
export class BatchStateFile {
  readonly state: BatchState = {
    keys: new Map(),
    groups: new Map(),
    transfers: new Map(),
    completed: new Set(),
    funded: new Set(),
  };
  #fd: number | undefined;

  constructor(readonly path: string) {}

  /**
   * Loads an earlier run of the same file (same content, account, environment and profile), or starts one. A file
   * made for other content is refused: its keys belong to other payments.
   */
  open(run: {
    fileHash: string;
    account: string;
    env: string;
    profileId: number;
    rows: readonly BatchRow[];
  }): 'new' | 'resumed' {
    const text = this.#openPrivately();
    const lines = text.split('\n');
    const parsed: StateLine[] = [];
    for (const [i, raw] of lines.entries()) {
      if (!raw.trim()) continue;
      try {
        parsed.push(JSON.parse(raw) as StateLine);
      } catch {
        // A line cut short by a crash can only be the last one; anything else is damage.
        if (i < lines.length - 1 && lines.slice(i + 1).some((l) => l.trim())) {
          throw new UsageError(`The batch state file ${this.path} is damaged at line ${i + 1}.`, {
            hint: 'It records what was sent: restore it, or check the batch in Wise before removing it.',
          });
        }
      }
    }
    const head = parsed[0];
    if (head?.kind === 'run') {
      if (
        head.file !== run.fileHash ||
        head.account !== run.account ||
        head.env !== run.env ||
        head.profileId !== run.profileId
      ) {
        if (this.#fd !== undefined) closeSync(this.#fd);
        this.#fd = undefined;
        throw new UsageError(
          `The batch state file ${this.path} belongs to another run (another file content, account, environment or profile).`,
          {
            hint: 'Name a new state file with --state, or move the old one away once its batch is settled.',
          },
        );
      }
      for (const [line, key] of Object.entries(head.keys)) this.state.keys.set(Number(line), key);
      for (const entry of parsed.slice(1)) {
        this.#apply(entry);
        if (entry.kind === 'transfer') this.#claims.push({ line: entry.line, id: entry.id, group: entry.group });
      }
      return 'resumed';
    }
    // Keys first, before any call: a crash after Wise made a transfer still finds it again with the same key.
    const keys: Record<string, string> = {};
    for (const row of run.rows) keys[String(row.line)] = row.idempotencyKey ?? randomUUID();
    this.#append({
      kind: 'run',
      file: run.fileHash,
      account: run.account,
      env: run.env,
      profileId: run.profileId,
      keys,
      at: new Date().toISOString(),
    });
    for (const [line, key] of Object.entries(keys)) this.state.keys.set(Number(line), key);
    return 'new';
  }

  /**
   * Opens (or makes) the file for appending and returns what it holds. It records what was paid, and what it says
   * decides what is sent: a file that is a symlink, not a regular file, another user's, or open to others (written
   * beside a shared CSV by someone else) is refused, named, before anything is read from it.
   */
  #openPrivately(): string {
    const refuse = (problem: string) =>
      new UsageError(`The batch state file ${this.path} ${problem}: it is not used.`, {
        hint: `A state file is yours alone (mode 0600). Check what it claims in Wise, then move it away or give another one with --state.`,
      });
    const opened = openOwnStateFile(this.path);
    if ('problem' in opened) throw refuse(opened.problem);
    this.#fd = opened.fd;
    return opened.text;
  }

  /** The transfers the file says were made, with their batch group, to be checked with Wise before they count. */
  get claimedTransfers(): { line: number; id: number; group: string }[] {
    return this.#claims;
  }
  readonly #claims: { line: number; id: number; group: string }[] = [];

  /** Forgets a funding the file claimed and Wise does not show: the group is funded (again) in this run. */
  unfund(group: string): void {
    this.state.funded.delete(group);
  }

  record(entry: StateLine): void {
    this.#apply(entry);
    this.#append(entry);
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  #apply(entry: StateLine): void {
    if (entry.kind === 'group') this.state.groups.set(entry.index, entry.id);
    if (entry.kind === 'transfer') this.state.transfers.set(entry.line, { id: entry.id, status: entry.status });
    if (entry.kind === 'completed') this.state.completed.add(entry.group);
    if (entry.kind === 'funded') this.state.funded.add(entry.group);
  }

  #append(entry: StateLine): void {
    if (this.#fd === undefined) throw new Error('state file not open');
    // One write per line, appended: a crash leaves at most one short last line, which the next run ignores.
    writeSync(this.#fd, `${JSON.stringify(entry)}\n`);
  }
}

/**
 * Holds what a resumed state file claims against Wise before it counts: each batch group it names exists in this
 * profile and holds the transfers it says were made in it, and a group it says was funded has no transfer still
 * waiting for its money (such a group is funded in this run). A claim Wise does not bear out is refused, named.
 */
export async function checkStateWithWise(client: WiseClient, profileId: number, state: BatchStateFile): Promise<void> {
  const groups = new Set([...state.state.groups.values(), ...state.claimedTransfers.map((c) => c.group)]);
  for (const id of groups) {
    let group: BatchGroup;
    try {
      group = await client.getJson<BatchGroup>(endpoint('batchGroup', client.apiVersion, profileId, id));
    } catch (error) {
      throw new UsageError(
        `The batch state file ${state.path} names batch group ${id}, which Wise does not show for profile ${profileId}: ${(error as Error).message}`,
        { hint: 'The file does not match what Wise has: check the batch in Wise, then move the file away.' },
      );
    }
    const held = new Set(group.transferIds ?? []);
    const missing = state.claimedTransfers.filter((c) => c.group === id && !held.has(c.id));
    if (missing.length) {
      throw new UsageError(
        `The batch state file ${state.path} says line ${missing[0]?.line} was made as transfer ${missing[0]?.id} in batch group ${id}, and Wise's group does not hold it${missing.length > 1 ? ` (nor ${missing.length - 1} more)` : ''}.`,
        { hint: 'The file does not match what Wise has: check the batch in Wise, then move the file away.' },
      );
    }
    if (state.state.funded.has(id)) {
      const statuses = await mapBounded([...held], 8, async (transferId) => {
        const t = await client.getJson<{ status?: string }>(endpoint('transfer', client.apiVersion, transferId));
        return t.status;
      });
      const waiting = statuses.some((r) => !r.ok || r.value === 'incoming_payment_waiting');
      if (waiting || !held.size) state.unfund(id);
    }
  }
}

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

interface BatchGroup {
  id: string;
  version: number;
  status: string;
  transferIds: number[];
  payInDetails?: { type?: string; reference?: string; amount?: number; currency?: string }[];
}

export interface GroupOutcome {
  id: string;
  sourceCurrency: string;
  transfers: number;
  status: 'funded' | 'awaiting funding' | 'failed';
  payInDetails?: BatchGroup['payInDetails'];
}

export interface RowOutcome {
  line: number;
  recipient: string;
  amount: number;
  currency: string;
  transferId?: number;
  error?: string;
  /** The error's stable code (`policy` for a row the spending policy refused). */
  code?: string;
}

export interface RunOptions {
  client: WiseClient;
  profileId: number;
  groups: { sourceCurrency: string; rows: PlannedRow[] }[];
  state: BatchStateFile;
  concurrency: number;
  fund: 'balance' | 'none';
  name: string;
  now: () => number;
  onProgress: (done: number) => void;
  debug: (line: string) => void;
}

/** Runs (or resumes) the batch; returns what became of each group and row. Rows that fail stop their group. */
export async function runBatch(o: RunOptions): Promise<{ groups: GroupOutcome[]; rows: RowOutcome[] }> {
  const { client, profileId, state } = o;
  const s = state.state;
  const groupOutcomes: GroupOutcome[] = [];
  const rowOutcomes: RowOutcome[] = [];
  let done = [...s.transfers.keys()].length;
  o.onProgress(done);
  for (const [index, plan] of o.groups.entries()) {
    let groupId = s.groups.get(index);
    if (!groupId) {
      const created = await client.sendJson<BatchGroup>('POST', endpoint('batchGroups', client.apiVersion, profileId), {
        name: `${o.name} ${index + 1}/${o.groups.length}`.slice(0, 100),
        sourceCurrency: plan.sourceCurrency,
      });
      groupId = created.id;
      state.record({ kind: 'group', index, id: groupId });
    }
    const id = groupId;
    const results = await mapBounded(plan.rows, o.concurrency, async (row) => {
      const known = s.transfers.get(row.line);
      if (known) return known.id;
      const key = s.keys.get(row.line) as string;
      const transfer = await addTransfer(o, id, row, key);
      state.record({ kind: 'transfer', line: row.line, id: transfer.id, status: transfer.status, group: id });
      o.onProgress(++done);
      return transfer.id;
    });
    const failed: RowOutcome[] = [];
    results.forEach((result, i) => {
      const row = plan.rows[i] as PlannedRow;
      const base = {
        line: row.line,
        recipient: `${row.target.name} (${row.target.id})`,
        amount: row.amount,
        currency: row.currency,
      };
      if (result.ok) rowOutcomes.push({ ...base, transferId: result.value });
      else {
        const code = (result.error as { code?: unknown }).code;
        const outcome = {
          ...base,
          error: (result.error as Error).message,
          ...(typeof code === 'string' ? { code } : {}),
        };
        rowOutcomes.push(outcome);
        failed.push(outcome);
      }
    });
    if (failed.length) {
      groupOutcomes.push({
        id,
        sourceCurrency: plan.sourceCurrency,
        transfers: plan.rows.length - failed.length,
        status: 'failed',
      });
      continue;
    }
    let group = await client.getJson<BatchGroup>(endpoint('batchGroup', client.apiVersion, profileId, id));
    if (!s.completed.has(id) && group.status === 'NEW') {
      group = await completeGroup(client, profileId, group);
    }
    if (group.status !== 'COMPLETED') {
      throw new UsageError(`Batch group ${id} is ${group.status}, so it cannot be paid.`, {
        hint: 'Check it with `wise api /v3/profiles/<profile-id>/batch-groups/<id>`; a cancelled group needs a new state file.',
      });
    }
    if (!s.completed.has(id)) state.record({ kind: 'completed', group: id });
    if (o.fund === 'balance' && !s.funded.has(id)) {
      // Wise answers with the batch group (still COMPLETED: a funded group has no status of its own), or an error
      // status saying why nothing was paid. A list of per-transfer results is read too.
      const results = await client.sendJson<PaymentResult[] | BatchGroup>(
        'POST',
        endpoint('fundBatchGroup', client.apiVersion, profileId, id),
        { type: 'BALANCE' },
      );
      const rejected = Array.isArray(results) ? results.find((r) => r.status !== 'COMPLETED') : undefined;
      if (rejected) throw rejectedPayment(rejected, `batch group ${id}`);
      state.record({ kind: 'funded', group: id });
    }
    groupOutcomes.push({
      id,
      sourceCurrency: plan.sourceCurrency,
      transfers: group.transferIds.length,
      status: s.funded.has(id) ? 'funded' : 'awaiting funding',
      ...(s.funded.has(id) ? {} : { payInDetails: group.payInDetails ?? [] }),
    });
  }
  return { groups: groupOutcomes, rows: rowOutcomes };
}

/** Quote, then add the row to the group with its key; a quote that expired on the way is renewed once. */
async function addTransfer(o: RunOptions, groupId: string, row: PlannedRow, key: string): Promise<Transfer> {
  const quote = () =>
    createQuote(o.client, o.profileId, {
      sourceCurrency: row.sourceCurrency,
      targetCurrency: row.currency,
      targetAmount: row.amount,
      targetAccount: row.target.id,
    });
  let q: Quote = await quote();
  for (let attempt = 0; ; attempt++) {
    if (!quoteUsable(q, o.now())) {
      o.debug(`line ${row.line}: quote ${q.id} expires too soon; asking for a new one`);
      q = await quote();
    }
    try {
      return await o.client.sendJson<Transfer>(
        'POST',
        endpoint('batchGroupTransfers', o.client.apiVersion, o.profileId, groupId),
        transferBody({
          targetAccount: row.target.id,
          quoteUuid: q.id,
          customerTransactionId: key,
          reference: row.reference,
        }),
      );
    } catch (error) {
      if (attempt === 0 && isQuoteExpired(error)) {
        o.debug(`line ${row.line}: Wise says quote ${q.id} expired; asking for a new one`);
        q = await quote();
        continue;
      }
      throw error;
    }
  }
}

/** Closes the group with its current version; when another change moved the version on, reads it and tries again. */
async function completeGroup(client: WiseClient, profileId: number, group: BatchGroup): Promise<BatchGroup> {
  const path = endpoint('batchGroup', client.apiVersion, profileId, group.id);
  try {
    return await client.sendJson<BatchGroup>('PATCH', path, { status: 'COMPLETED', version: group.version });
  } catch (error) {
    const fresh = await client.getJson<BatchGroup>(path);
    if (fresh.status !== 'NEW' || fresh.version === group.version) throw error;
    return client.sendJson<BatchGroup>('PATCH', path, { status: 'COMPLETED', version: fresh.version });
  }
}
