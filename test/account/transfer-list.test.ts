import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { runInProcessByDefault } from '../helpers/cli.js';
import { recordedRequests } from '../helpers/mock.js';
import { useAccount } from './helpers.js';

runInProcessByDefault();

const env = useAccount();

/** A transfer of 10 EUR to recipient 7002 (Max Mustermann) with this reference, as a script would make it. */
async function transfer(reference: string): Promise<number> {
  const { mock } = env;
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${mock.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${mock.personalToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status, path).toBe(200);
    return (await res.json()) as { id: string | number };
  };
  const quote = await post('/v3/profiles/2001/quotes', {
    sourceCurrency: 'EUR',
    targetCurrency: 'EUR',
    targetAmount: 10,
  });
  const made = await post('/v1/transfers', {
    targetAccount: 7002,
    quoteUuid: quote.id,
    customerTransactionId: crypto.randomUUID(),
    details: { reference },
  });
  return Number(made.id);
}

describe('wise transfer list: what did we pay, to whom', () => {
  it('shows the recipient by name, the reference and the amounts; --json adds recipientName', async () => {
    const { sb } = env;
    const id = await transfer('Invoice 1001');
    const table = await sb.run(['transfer', 'list', '--limit', '5']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(
      new RegExp(`\\n${id}\\s+\\S+ \\S+\\s+Max Mustermann\\s+Invoice 1001\\s+10\\.\\d\\d EUR\\s+10\\.00 EUR\\s+`),
    );
    const json = JSON.parse((await sb.run(['transfer', 'list', '--format', 'json'])).stdout);
    expect(json.find((t: { id: number }) => t.id === id)).toMatchObject({
      recipientName: 'Max Mustermann',
      reference: 'Invoice 1001',
    });
  });

  it('--all --format csv pages through every transfer (100 a page) and opens safely in a spreadsheet', async () => {
    const { sb, mock } = env;
    await transfer('=HYPERLINK("http://evil.example")');
    for (let i = 0; i < 100; i++) await transfer(`Batch ${i}`);
    const total = [...mock.state.transfers.values()].filter((t) => t.profileId === 2001).length;
    expect(total).toBeGreaterThan(100);
    const before = (await recordedRequests(mock)).length;
    const r = await sb.run(['transfer', 'list', '--all', '--format', 'csv']);
    expect(r.code, r.stderr).toBe(0);
    const rows = parse(r.stdout, { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(total);
    expect(Object.keys(rows[0] as object)).toEqual([
      'id',
      'created',
      'status',
      'recipient_id',
      'recipient_name',
      'reference',
      'source_amount',
      'source_currency',
      'target_amount',
      'target_currency',
      'rate',
    ]);
    expect(new Set(rows.map((row) => row.id)).size).toBe(total);
    expect(rows.every((row) => row.recipient_name === 'Max Mustermann')).toBe(true);
    // A reference a spreadsheet would run as a formula is kept as text.
    expect(rows.some((row) => row.reference === `'=HYPERLINK("http://evil.example")`)).toBe(true);
    const pages = (await recordedRequests(mock)).slice(before).filter((q) => q.path.startsWith('/v1/transfers?'));
    expect(pages.map((q) => new URL(q.path, 'http://x').searchParams.get('offset'))).toEqual(
      Array.from({ length: Math.ceil((total + 1) / 100) }, (_, i) => String(i * 100)),
    );
  });

  it('--since and --until pick the days; a range that cannot match is exit 2', async () => {
    const { sb } = env;
    const today = new Date().toISOString().slice(0, 10);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const todays = JSON.parse((await sb.run(['--json', 'transfer', 'list', '--all', '--since', today])).stdout);
    expect(todays.length).toBeGreaterThan(100);
    const later = await sb.run(['transfer', 'list', '--since', tomorrow]);
    expect(later.code).toBe(0);
    expect(later.stderr).toContain('No transfers.');
    expect(JSON.parse((await sb.run(['--json', 'transfer', 'list', '--until', yesterday])).stdout)).toEqual([]);
    const backwards = await sb.run(['transfer', 'list', '--since', today, '--until', yesterday]);
    expect(backwards.code).toBe(2);
    expect((await sb.run(['transfer', 'list', '--since', '2026-02-30'])).code).toBe(2);
    expect((await sb.run(['transfer', 'list', '--format', 'xls'])).code).toBe(2);
  });
});

describe('wise activities --format csv: money in and out, for a spreadsheet', () => {
  it('every activity of the range, one row each as --json gives them, with the direction, amount and currency', async () => {
    const { sb } = env;
    const range = ['--since', '2026-10-01', '--until', '2026-11-30', '--all'];
    const json = JSON.parse((await sb.run(['activities', ...range, '--format', 'json'])).stdout) as {
      id: string;
      primaryAmount: string;
    }[];
    expect(json.length).toBeGreaterThan(20);
    const r = await sb.run(['activities', ...range, '--format', 'csv']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('id,created,type,status,title,description,direction,amount,currency');
    const rows = parse(r.stdout, { columns: true }) as Record<string, string>[];
    expect(rows.map((row) => row.id)).toEqual(json.map((a) => a.id));
    for (const [i, row] of rows.entries()) {
      const shown = (json[i] as { primaryAmount: string }).primaryAmount;
      // "+ 89.41 EUR" is money in; "32.52 GBP" money out, as Wise shows them.
      expect(`${row.direction === 'in' ? '+ ' : ''}${row.amount} ${row.currency}`).toBe(shown);
      expect(row.title).not.toMatch(/[<>]/);
    }
    expect(new Set(rows.map((row) => row.direction))).toEqual(new Set(['in', 'out']));
    const bad = await sb.run(['activities', '--format', 'xml']);
    expect(bad.code).toBe(2);
  });
});
