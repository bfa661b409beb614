/**
 * Balance statements: Wise gives at most 469 days per request, so a longer range is split into windows. Each window
 * streams from Wise to a file beside its destination (memory does not grow with the statement); JSON and CSV
 * windows are then joined into one document, other formats are kept one file per window.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, extname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ApiError } from '../errors.js';
import type { WiseClient } from '../http/client.js';
import { endpoint } from '../http/endpoints.js';

export const MAX_WINDOW_DAYS = 469;
const DAY_MS = 86_400_000;

/** The `--format` names and the extension Wise serves each under (CAMT.053 is `statement.xml`). */
export const STATEMENT_FORMATS: Record<string, string> = {
  json: 'json',
  csv: 'csv',
  pdf: 'pdf',
  xlsx: 'xlsx',
  camt053: 'xml',
  mt940: 'mt940',
  qif: 'qif',
};
export const BINARY_FORMATS = new Set(['pdf', 'xlsx']);
const JOINABLE = new Set(['json', 'csv']);

export interface Interval {
  start: number;
  /** Inclusive. */
  end: number;
}

/** Consecutive windows of at most 469 days covering [start, end]. */
export function statementWindows(start: number, end: number): Interval[] {
  const out: Interval[] = [];
  for (let s = start; s <= end; ) {
    const e = Math.min(s + MAX_WINDOW_DAYS * DAY_MS - 1, end);
    out.push({ start: s, end: e });
    s = e + 1;
  }
  return out;
}

export interface StatementRequest {
  profileId: number;
  balanceId: number;
  currency: string;
  format: string;
  type: string;
}

/** Streams one window of a statement into `file`. SCA challenges are answered by the client's layers. */
export async function downloadWindow(
  client: WiseClient,
  r: StatementRequest,
  window: Interval,
  file: string,
): Promise<void> {
  const query = new URLSearchParams({
    currency: r.currency,
    intervalStart: new Date(window.start).toISOString(),
    intervalEnd: new Date(window.end).toISOString(),
    type: r.type,
    statementLocale: 'en',
  });
  const path = `${endpoint('statement', client.apiVersion, r.profileId, r.balanceId, STATEMENT_FORMATS[r.format] as string)}?${query}`;
  await client.request({
    method: 'GET',
    path,
    headers: { accept: '*/*' },
    sink: () => createWriteStream(file, { mode: 0o600 }),
  });
}

export interface WrittenFile {
  path: string;
  from: string;
  to: string;
  bytes: number;
}

const day = (time: number) => new Date(time).toISOString().slice(0, 10);

/**
 * Downloads the statement for [start, end] and writes it to `destination` (a file path; `-` for `out`): one file, or
 * for formats that cannot be joined and a range of several windows, `name-1.ext`, `name-2.ext`, ...
 */
export async function writeStatement(
  client: WiseClient,
  r: StatementRequest,
  interval: Interval,
  destination: string | { stream: Writable },
): Promise<WrittenFile[]> {
  const windows = statementWindows(interval.start, interval.end);
  const work = await mkdtemp(
    join(typeof destination === 'string' ? dirname(destination) : tmpdir(), '.wise-statement-'),
  );
  try {
    const parts: string[] = [];
    for (const [i, window] of windows.entries()) {
      const part = join(work, `window-${i + 1}`);
      await downloadWindow(client, r, window, part);
      parts.push(part);
    }
    if (typeof destination !== 'string') {
      await joinInto(r.format, parts, destination.stream, false);
      return [];
    }
    if (windows.length === 1 || JOINABLE.has(r.format)) {
      // Written beside the destination and renamed onto it: a symlink (or any other file) at --out is replaced,
      // never followed or written into.
      let whole = parts[0] as string;
      if (windows.length > 1) {
        whole = join(work, 'joined');
        await joinInto(r.format, parts, createWriteStream(whole, { mode: 0o600, flags: 'wx' }), true);
      }
      await rename(whole, destination);
      return [
        { path: destination, from: day(interval.start), to: day(interval.end), bytes: (await stat(destination)).size },
      ];
    }
    const ext = extname(destination);
    const base = ext ? destination.slice(0, -ext.length) : destination;
    const written: WrittenFile[] = [];
    for (const [i, part] of parts.entries()) {
      const path = `${base}-${i + 1}${ext}`;
      await rename(part, path);
      const w = windows[i] as Interval;
      written.push({ path, from: day(w.start), to: day(w.end), bytes: (await stat(path)).size });
    }
    return written;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Writes the windows as one document: CSV without the repeated headers, JSON with one list of transactions. */
async function joinInto(format: string, parts: string[], out: Writable, close: boolean): Promise<void> {
  const write = (text: string) =>
    new Promise<void>((resolve, reject) => {
      if (out.write(text)) resolve();
      else {
        out.once('drain', resolve);
        out.once('error', reject);
      }
    });
  if (format === 'json' && parts.length > 1) {
    // One window at a time in memory: its transactions are written, then it is let go.
    let first: Record<string, unknown> | undefined;
    let last: Record<string, unknown> | undefined;
    let count = 0;
    for (const part of parts) {
      const doc = JSON.parse(await readFile(part, 'utf8')) as Record<string, unknown>;
      if (!Array.isArray(doc.transactions)) {
        throw new ApiError('Wise answered a statement window without a transactions list.');
      }
      if (!first) {
        first = doc;
        const head = { ...doc };
        delete head.transactions;
        delete head.endOfStatementBalance;
        delete head.startOfStatementBalance;
        delete head.query;
        delete head.request;
        await write(`${JSON.stringify(head).slice(0, -1)},"transactions":[`);
      }
      for (const t of doc.transactions as unknown[]) await write(`${count++ ? ',' : ''}${JSON.stringify(t)}`);
      last = { ...doc, transactions: undefined };
    }
    const q = (d: Record<string, unknown> | undefined) => (d?.query ?? {}) as Record<string, unknown>;
    const query = { ...q(first), intervalStart: q(first).intervalStart, intervalEnd: q(last).intervalEnd };
    await write(
      `],"startOfStatementBalance":${JSON.stringify(first?.startOfStatementBalance ?? null)},"endOfStatementBalance":${JSON.stringify(last?.endOfStatementBalance ?? null)},"query":${JSON.stringify(query)},"windows":${parts.length}}\n`,
    );
  } else {
    for (const [i, part] of parts.entries()) {
      // A CSV window after the first starts with the same header line: it is skipped.
      const skip = format === 'csv' && i > 0;
      await pipeline(createReadStream(part, skip ? { start: await headerLength(part) } : {}), out, { end: false });
    }
  }
  if (close)
    await new Promise<void>((resolve, reject) =>
      out.end((error?: Error | null) => (error ? reject(error) : resolve())),
    );
}

/** The byte length of a file's first line, line break included. */
async function headerLength(file: string): Promise<number> {
  const stream = createReadStream(file, { start: 0, end: 65_535 });
  let length = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const at = chunk.indexOf(10);
    if (at >= 0) {
      stream.destroy();
      return length + at + 1;
    }
    length += chunk.length;
  }
  return length;
}

/** Makes the folder a statement file goes into. */
export async function ensureFolder(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: 0o700 });
}
