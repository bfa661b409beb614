import { execFileSync } from 'node:child_process';
import { lstat, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { MAX_WINDOW_DAYS, statementWindows } from '../../src/account/statements.js';
import { runInProcessByDefault } from '../helpers/cli.js';
import { recordedRequests } from '../helpers/mock.js';
import { useAccount } from './helpers.js';

runInProcessByDefault();

const env = useAccount();
const RANGE = ['--from', '2026-06-01', '--to', '2026-11-30'];

/** Parses XML with Python's ElementTree (a parser nobody here wrote) and returns what the test asks of it. */
function python(script: string, file: string): string {
  return execFileSync('python3', ['-c', script, file], { encoding: 'utf8' }).trim();
}

describe('statement windows', () => {
  it('a 700-day range is two windows of at most 469 days that meet exactly', () => {
    const start = Date.UTC(2025, 0, 1);
    const end = start + 700 * 86_400_000 - 1;
    const windows = statementWindows(start, end);
    expect(windows).toHaveLength(2);
    expect(windows[0]?.end).toBe(start + MAX_WINDOW_DAYS * 86_400_000 - 1);
    expect(windows[1]?.start).toBe((windows[0]?.end ?? 0) + 1);
    expect(windows[1]?.end).toBe(end);
    expect(statementWindows(start, start + MAX_WINDOW_DAYS * 86_400_000 - 1)).toHaveLength(1);
  });
});

describe('wise statement against the emulator (personal token with SCA key, user in the US)', () => {
  it('JSON to stdout: the transactions of the balance, with SCA answered', async () => {
    const { sb, mock } = env;
    const r = await sb.run(['statement', '--currency', 'EUR', ...RANGE]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.transactions).toHaveLength(40);
    expect(doc.query.currency).toBe('EUR');
    expect(r.stderr).toContain('signing the one-time token with the SCA key');
    const seen = (await recordedRequests(mock)).filter((q) =>
      q.path.includes('/balance-statements/3001/statement.json'),
    );
    expect(seen.map((q) => q.status)).toEqual([403, 200]);
  });

  it('every format: CSV parses, CAMT.053 is XML with one entry per transaction, PDF, XLSX, MT940, QIF', async () => {
    const { sb } = env;
    const out = join(sb.dir, 'formats');
    const files: Record<string, string> = {};
    for (const format of ['csv', 'camt053', 'pdf', 'xlsx', 'mt940', 'qif']) {
      const r = await sb.run([
        '--json',
        'statement',
        '--currency',
        'EUR',
        ...RANGE,
        '--format',
        format,
        '--out',
        `${out}/`,
      ]);
      expect(r.code, r.stderr).toBe(0);
      const written = JSON.parse(r.stdout).files as { path: string }[];
      expect(written).toHaveLength(1);
      files[format] = written[0]?.path as string;
    }
    const rows = parse(await readFile(files.csv as string, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(40);
    expect(Object.keys(rows[0] ?? {})).toContain('Running Balance');
    expect(files.camt053).toMatch(/statement-EUR-2026-06-01-2026-11-30\.xml$/);
    const camt = python(
      "import sys,xml.etree.ElementTree as E;r=E.parse(sys.argv[1]).getroot();ns={'c':'urn:iso:std:iso:20022:tech:xsd:camt.053.001.02'};print(len(r.findall('.//c:Ntry',ns)),len(r.findall('.//c:Bal',ns)))",
      files.camt053 as string,
    );
    expect(camt).toBe('40 2');
    const pdf = await readFile(files.pdf as string);
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdf.toString('latin1').trimEnd().endsWith('%%EOF')).toBe(true);
    const sheetRows = python(
      "import sys,zipfile;z=zipfile.ZipFile(sys.argv[1]);print(z.testzip(),z.read('xl/worksheets/sheet1.xml').count(b'<row '))",
      files.xlsx as string,
    );
    expect(sheetRows).toBe('None 41');
    const mt940 = await readFile(files.mt940 as string, 'utf8');
    expect(mt940).toMatch(/^:20:STMT3001\r\n:25:3001\r\n:28C:1\/1\r\n:60F:C260601EUR/);
    expect(mt940.match(/^:61:/gm)).toHaveLength(40);
    expect(mt940).toMatch(/:62F:[CD]261130EUR[\d,]+\r\n-\r\n$/);
    const qif = await readFile(files.qif as string, 'utf8');
    expect(qif.startsWith('!Type:Bank\n')).toBe(true);
    expect(qif.match(/^\^$/gm)).toHaveLength(40);
  });

  it('a 700-day range is fetched as two windows and joined (JSON, CSV), or written one file per window (PDF)', async () => {
    const { sb, mock } = env;
    await fetch(`${mock.url}/__mock/balances/3002/transactions`, {
      method: 'POST',
      body: JSON.stringify({ count: 700, from: '2025-01-01T00:00:00Z', to: '2026-12-01T00:00:00Z' }),
    });
    const range = ['--currency', 'GBP', '--from', '2025-01-01', '--to', '2026-11-30'];
    const before = (await recordedRequests(mock)).length;
    const json = await sb.run(['statement', ...range, '--out', join(sb.dir, 'gbp.json')]);
    expect(json.code, json.stderr).toBe(0);
    expect(json.stderr).toContain('2 windows of at most 469 days');
    const windows = (await recordedRequests(mock))
      .slice(before)
      .filter((q) => q.path.includes('/statement.json') && q.status === 200);
    expect(windows).toHaveLength(2);
    // Each window met SCA (two 403s answered); the terminal is told once.
    expect((await recordedRequests(mock)).slice(before).filter((q) => q.status === 403)).toHaveLength(2);
    expect(json.stderr.match(/Wise asked for Strong Customer Authentication/g)).toHaveLength(1);
    const doc = JSON.parse(await readFile(join(sb.dir, 'gbp.json'), 'utf8'));
    expect(doc.windows).toBe(2);
    expect(doc.transactions).toHaveLength(700);
    expect(new Set(doc.transactions.map((t: { referenceNumber: string }) => t.referenceNumber)).size).toBe(700);
    expect(doc.query.intervalStart).toBe('2025-01-01T00:00:00.000Z');
    expect(doc.query.intervalEnd).toBe('2026-11-30T23:59:59.999Z');
    // The running balance goes on across the join: each row's balance is the one before plus its amount.
    for (let i = 1; i < doc.transactions.length; i++) {
      const [prev, t] = [doc.transactions[i - 1], doc.transactions[i]];
      expect(t.runningBalance.value).toBeCloseTo(prev.runningBalance.value + t.amount.value, 2);
    }
    const csv = await sb.run(['statement', ...range, '--format', 'csv']);
    const rows = parse(csv.stdout, { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(700);
    expect(rows.filter((row) => row['TransferWise ID'] === 'TransferWise ID')).toHaveLength(0);
    const pdf = await sb.run(['--json', 'statement', ...range, '--format', 'pdf', '--out', join(sb.dir, 'gbp.pdf')]);
    const written = JSON.parse(pdf.stdout).files as { path: string; from: string; to: string }[];
    expect(written.map((f) => f.path)).toEqual([join(sb.dir, 'gbp-1.pdf'), join(sb.dir, 'gbp-2.pdf')]);
    expect(written[1]?.to).toBe('2026-11-30');
  });

  it('--out that is a symlink is replaced, never followed, for one window or several', async () => {
    const { sb, mock } = env;
    await fetch(`${mock.url}/__mock/balances/3002/transactions`, {
      method: 'POST',
      body: JSON.stringify({ count: 20, from: '2025-01-01T00:00:00Z', to: '2026-12-01T00:00:00Z' }),
    });
    const victim = join(sb.dir, 'victim.txt');
    for (const [name, range] of [
      ['one.json', ['--from', '2026-06-01', '--to', '2026-11-30']],
      ['two.json', ['--from', '2025-01-01', '--to', '2026-11-30']],
    ] as const) {
      await writeFile(victim, 'keep me\n');
      const link = join(sb.dir, name);
      await symlink(victim, link);
      const r = await sb.run(['statement', '--currency', 'GBP', ...range, '--out', link]);
      expect(r.code, r.stderr).toBe(0);
      expect(await readFile(victim, 'utf8')).toBe('keep me\n');
      expect((await lstat(link)).isSymbolicLink()).toBe(false);
      expect(JSON.parse(await readFile(link, 'utf8')).transactions.length).toBeGreaterThan(0);
    }
  });

  it('--all-currencies writes one file per balance into the folder', async () => {
    const { sb } = env;
    const dir = join(sb.dir, 'all');
    const r = await sb.run(['statement', '--all-currencies', ...RANGE, '--format', 'csv', '--out', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect((await readdir(dir)).sort()).toEqual([
      'statement-EUR-2026-06-01-2026-11-30.csv',
      'statement-GBP-2026-06-01-2026-11-30.csv',
    ]);
    const none = await sb.run(['statement', '--currency', 'CHF', ...RANGE]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('has no CHF balance');
  });

  it('a personal token of an EU/UK account: exit 3 in plain words, offering wise activities', async () => {
    const { sb, mock } = env;
    await fetch(`${mock.url}/__mock/users/1001`, { method: 'POST', body: '{"country":"DE"}' });
    try {
      const r = await sb.run(['statement', '--currency', 'EUR', ...RANGE]);
      expect(r.code).toBe(3);
      expect(r.stderr).toContain('Personal API tokens cannot do this for EU and UK accounts (PSD2)');
      expect(r.stderr).toContain('`wise activities`');
      expect(r.stdout).toBe('');
    } finally {
      await fetch(`${mock.url}/__mock/users/1001`, { method: 'POST', body: '{"country":"US"}' });
    }
  });
});
