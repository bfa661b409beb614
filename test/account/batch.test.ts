import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmod, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type PlannedRow, parsePaymentsCsv, planGroups } from '../../src/account/batch.js';
import { cleanEnv, runInProcessByDefault, WISE_BIN } from '../helpers/cli.js';
import { queueFault, recordedRequests } from '../helpers/mock.js';
import { waitFor } from '../helpers/wait.js';
import { requestCount, useAccount } from './helpers.js';

runInProcessByDefault();

const env = useAccount({ latencyMs: 5 });
/** A wise run with room to finish when other test files load the machine (CI runs files side by side). */
const run = (args: string[]) => env.sb.run(args, { timeoutMs: 60_000 });

/** A CSV of `n` payments to the personal profile's recipients (EUR to 7002, GBP from EUR to 7001). */
function csv(n: number, extra = ''): string {
  const lines = ['recipient,amount,currency,reference,source_currency'];
  for (let i = 0; i < n; i++) {
    lines.push(
      i % 2 ? `7002,${(1 + i / 100).toFixed(2)},EUR,Row ${i},EUR` : `Acme Supplies Ltd,2.50,GBP,"Row ${i}, GBP",EUR`,
    );
  }
  return `${lines.join('\n')}\n${extra}`;
}

async function csvFile(name: string, text: string): Promise<string> {
  const path = join(env.sb.dir, name);
  await writeFile(path, text);
  return path;
}

const transfersOf = (path: string) =>
  [...env.mock.state.transfers.values()].filter(
    (t) => t.batchGroupId && env.mock.state.batchGroups.get(t.batchGroupId)?.name.startsWith(path),
  );

describe('the payments file', () => {
  it('quoted fields, a blank line and CRLF keep their line numbers; bad rows are all reported', async () => {
    const text =
      'recipient,amount,currency,reference\r\n7002,10,EUR,"A, B"\r\n\r\n7002,abc,EUR,x\r\n,5,eur,y\r\n7001,5,GBP,"multi\nline"\r\n7002,1,EURO,z\r\n';
    const { rows, problems } = await parsePaymentsCsv(text, 'p.csv');
    expect(rows.map((r) => [r.line, r.reference])).toEqual([
      [2, 'A, B'],
      [6, 'multi\nline'],
    ]);
    expect(problems).toEqual([
      { line: 4, problem: expect.stringContaining('amount must be a positive amount') },
      { line: 5, problem: 'recipient is empty' },
      { line: 8, problem: expect.stringContaining('currency must be a three-letter currency code') },
    ]);
    await expect(parsePaymentsCsv('recipient,amout,currency,reference\n1,2,EUR,x\n', 'p.csv')).rejects.toThrow(
      /missing column amount; unknown column amout/,
    );
  });

  it('more than 1,000 rows of one source currency become several batch groups', () => {
    const row = (line: number, source: string) => ({ line, sourceCurrency: source }) as PlannedRow;
    const rows = [...Array.from({ length: 2500 }, (_, i) => row(i + 2, 'EUR')), row(9999, 'USD')];
    expect(planGroups(rows).map((g) => [g.sourceCurrency, g.rows.length])).toEqual([
      ['EUR', 1000],
      ['EUR', 1000],
      ['EUR', 500],
      ['USD', 1],
    ]);
  });
});

describe('wise batch pay against the emulator', { timeout: 120_000 }, () => {
  it('bad rows: every one with its line, exit 2, nothing sent beyond the account and recipients reads', async () => {
    const { mock } = env;
    const file = await csvFile(
      'bad.csv',
      'recipient,amount,currency,reference\n9999,5,EUR,y\n7002,abc,EUR,x\n7003,5,EUR,z\n7002,5,EUR,ok\n',
    );
    const before = await requestCount(mock);
    const r = await run(['batch', 'pay', file, '--yes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('line 2: recipient: there is no recipient with id 9999');
    expect(r.stderr).toContain('line 3: amount must be a positive amount');
    expect(r.stderr).toContain('line 4: recipient: there is no recipient with id 7003');
    // Listed in line order, as the file reads (a bad amount is found before the recipients are looked up).
    expect([...r.stderr.matchAll(/^ {2}line (\d+):/gm)].map((m) => Number(m[1]))).toEqual([2, 3, 4]);
    expect(r.stderr).toContain('has 3 bad rows (listed above); nothing was sent.');
    const sent = (await recordedRequests(mock)).slice(before).map((q) => q.path.split('?')[0]);
    // Where the user lives (what funding will need), then the recipients: reads only.
    expect(sent).toEqual(['/v1/me', '/v2/accounts']);
    const json = await run(['--json', 'batch', 'pay', file, '--dry-run']);
    expect(JSON.parse(json.stderr).error.rows.map((x: { line: number }) => x.line)).toEqual([2, 3, 4]);
  });

  it('without a terminal and without --yes nothing at all is sent', async () => {
    const { mock } = env;
    const file = await csvFile('quiet.csv', csv(3));
    const before = await requestCount(mock);
    const r = await run(['batch', 'pay', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('nothing was sent');
    expect(await requestCount(mock)).toBe(before);
  });

  it('pays a file: one funded batch group per source currency, a summary, and a second run pays nothing more', async () => {
    const { mock } = env;
    const text = `${csv(6).trimEnd()}\n7003,3,USD,Globex,USD\n`;
    const file = await csvFile('mixed.csv', text);
    const dry = await run(['batch', 'pay', file, '--dry-run', '--profile-id', '2001']);
    expect(dry.code).toBe(2);
    expect(dry.stderr).toContain('line 8: recipient: there is no recipient with id 7003');
    // 7003 belongs to the business profile: pay the file from there with its own recipients.
    const businessFile = await csvFile(
      'business.csv',
      'recipient,amount,currency,reference\n7003,3,USD,a\n7004,4.25,EUR,b\n7004,1,EUR,c\n',
    );
    const plan = await run(['--profile-id', '2002', 'batch', 'pay', businessFile, '--dry-run']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain('3 payments from');
    expect(plan.stdout).toContain('3.00 USD, 5.25 EUR');
    expect(plan.stdout).toContain('2 batch groups (1 from USD, 2 from EUR)');
    expect(mock.state.batchGroups.size).toBe(0);
    const paid = await run(['--profile-id', '2002', 'batch', 'pay', businessFile, '--yes']);
    expect(paid.code, paid.stderr).toBe(0);
    expect(paid.stdout).toMatch(
      /^BATCH GROUP\s+FROM\s+TRANSFERS\s+STATUS\n\S+\s+USD\s+1\s+funded\n\S+\s+EUR\s+2\s+funded\n$/,
    );
    expect(transfersOf('business.csv')).toHaveLength(3);
    expect(transfersOf('business.csv').every((t) => t.status === 'processing')).toBe(true);
    const state = (await readFile(`${businessFile}.wise-state.jsonl`, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(state.map((l: { kind: string }) => l.kind)).toEqual([
      'run',
      'group',
      'transfer',
      'completed',
      'funded',
      'group',
      'transfer',
      'transfer',
      'completed',
      'funded',
    ]);
    const before = (await recordedRequests(mock)).length;
    const again = await run(['--profile-id', '2002', 'batch', 'pay', businessFile, '--yes']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('3 of 3 transfers already made');
    const sent = (await recordedRequests(mock)).slice(before);
    expect(sent.filter((q) => q.method === 'POST' && !q.path.includes('/oauth'))).toEqual([]);
    expect(transfersOf('business.csv')).toHaveLength(3);
  });

  it('a state file is trusted only when it is ours, of this file, and what it claims is what Wise shows', async () => {
    const text = 'recipient,amount,currency,reference\n7002,40,EUR,Payroll A\n7002,37,EUR,Payroll B\n';
    const file = await csvFile('payroll.csv', text);
    const statePath = `${file}.wise-state.jsonl`;
    // Another user's, or one open to others, or a symlink: refused before anything is read from it or sent.
    await writeFile(statePath, '', { mode: 0o666 });
    await chmod(statePath, 0o666);
    const before = (await recordedRequests(env.mock)).length;
    const shared = await run(['batch', 'pay', file, '--yes', '--profile-id', '2001']);
    expect(shared.code).toBe(2);
    expect(shared.stderr).toContain(`The batch state file ${statePath} can be read or written by others (mode 666)`);
    await rm(statePath);
    const elsewhere = join(env.sb.dir, 'elsewhere.jsonl');
    await writeFile(elsewhere, '', { mode: 0o600 });
    await symlink(elsewhere, statePath);
    const linked = await run(['batch', 'pay', file, '--yes', '--profile-id', '2001']);
    expect(linked.code).toBe(2);
    expect(linked.stderr).toContain('is a symbolic link');
    await rm(statePath);
    expect(
      (await recordedRequests(env.mock)).slice(before).filter((q) => q.method === 'POST' && !q.path.includes('/oauth')),
    ).toEqual([]);

    // Made, not funded; then the file is made to claim the funding: Wise shows the transfers still waiting, so the
    // run funds them instead of reporting them funded.
    const made = await run(['batch', 'pay', file, '--yes', '--fund', 'none', '--profile-id', '2001']);
    expect(made.code, made.stderr).toBe(0);
    expect(transfersOf('payroll.csv').every((t) => t.status === 'incoming_payment_waiting')).toBe(true);
    const lines = (await readFile(statePath, 'utf8')).trim().split('\n');
    const group = JSON.parse(lines.find((l) => l.includes('"kind":"group"')) as string).id;
    await writeFile(statePath, `${lines.join('\n')}\n${JSON.stringify({ kind: 'funded', group })}\n`, { mode: 0o600 });
    const funded = await run(['batch', 'pay', file, '--yes', '--profile-id', '2001']);
    expect(funded.code, funded.stderr).toBe(0);
    expect(funded.stdout).toMatch(/\sfunded\n$/);
    expect(transfersOf('payroll.csv').every((t) => t.status === 'processing')).toBe(true);

    // A transfer Wise's group does not hold: refused, named.
    const forged = (await readFile(statePath, 'utf8')).replace(
      /"kind":"transfer","line":3,"id":\d+/,
      '"kind":"transfer","line":3,"id":99999999',
    );
    await writeFile(statePath, forged, { mode: 0o600 });
    const lie = await run(['batch', 'pay', file, '--yes', '--profile-id', '2001']);
    expect(lie.code).toBe(2);
    expect(lie.stderr).toContain(
      `says line 3 was made as transfer 99999999 in batch group ${group}, and Wise's group does not hold it`,
    );

    // The state of another file (same account, environment and profile) is refused.
    const other = await csvFile('other.csv', 'recipient,amount,currency,reference\n7002,40,EUR,Payroll A\n');
    const otherRun = await run(['batch', 'pay', other, '--yes', '--profile-id', '2001', '--state', statePath]);
    expect(otherRun.code).toBe(2);
    expect(otherRun.stderr).toContain('belongs to another run (another file content');
  });

  it('a file larger than one batch run is refused at once, before it is parsed or anything is sent', async () => {
    const rows = Array.from({ length: 10_001 }, (_, i) => `7002,1.00,EUR,R${i}`).join('\n');
    const many = await csvFile('many.csv', `recipient,amount,currency,reference\n${rows}\n`);
    const r = await run(['batch', 'pay', many, '--yes', '--profile-id', '2001']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'many.csv is too large for one batch: 10,002 lines, over 10,000 rows. Nothing was sent.',
    );
    const huge = await csvFile(
      'huge.csv',
      `recipient,amount,currency,reference\n${'7002,1.00,EUR,x\n'.repeat(300_000)}`,
    );
    const big = await run(['policy', 'check', huge]);
    expect(big.code).toBe(2);
    expect(big.stderr).toContain('MB, over 4 MB');
  });

  it('--fund none completes the groups and says where to fund them', async () => {
    const { mock } = env;
    const file = await csvFile('unfunded.csv', csv(2));
    const r = await run(['--profile-id', '2001', 'batch', 'pay', file, '--yes', '--fund', 'none']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/EUR\s+2\s+awaiting funding/);
    expect(r.stderr).toMatch(
      /Fund batch group \S+ in the Wise app or website .* bank transfer of [\d.]+ EUR with reference "BATCH /,
    );
    const group = [...mock.state.batchGroups.values()].find((g) => g.name.startsWith('unfunded.csv'));
    expect(group?.status).toBe('COMPLETED');
    expect(group?.funded).toBe(false);
  });

  it('quotes that expire on the way are renewed; a 429 slows the batch down instead of failing rows', async () => {
    const { mock } = env;
    const file = await csvFile('slow.csv', csv(8));
    await fetch(`${mock.url}/__mock/expire-quotes`, { method: 'POST', body: '{"next":3}' });
    await queueFault(mock, {
      method: 'POST',
      path: '/v3/profiles/2001/quotes',
      status: 429,
      retryAfter: '1',
      count: 2,
    });
    const before = (await recordedRequests(mock)).length;
    const r = await run(['--profile-id', '2001', 'batch', 'pay', file, '--yes', '--debug']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('expired; asking for a new one');
    expect(r.stderr).toContain('rate limited: every request waits 1000 ms');
    expect(transfersOf('slow.csv')).toHaveLength(8);
    const sent = (await recordedRequests(mock)).slice(before);
    const quotes = sent.filter((q) => q.path === '/v3/profiles/2001/quotes');
    // 8 rows + 3 renewed quotes, and the 2 answered 429 were sent again.
    expect(quotes.filter((q) => q.status === 200)).toHaveLength(11);
    expect(quotes.filter((q) => q.status === 429)).toHaveLength(2);
    expect(sent.filter((q) => q.path.endsWith('/transfers') && q.status === 422)).toHaveLength(3);
  });

  it('a batch killed half-way and run again makes no duplicate: exactly one transfer per row, paid once', async () => {
    const { sb, mock } = env;
    const rows = 40;
    const file = await csvFile('crash.csv', csv(rows));
    const child = spawn(
      process.execPath,
      [WISE_BIN, '--profile-id', '2001', 'batch', 'pay', file, '--yes', '--concurrency', '4'],
      {
        env: cleanEnv({ ...sb.env, WISE_API_URL: mock.url }),
        stdio: 'ignore',
      },
    );
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await waitFor(() => transfersOf('crash.csv').length >= rows / 2, 'half the batch made');
    child.kill('SIGKILL');
    await exited;
    const halfway = transfersOf('crash.csv').length;
    expect(halfway).toBeGreaterThanOrEqual(rows / 2);
    expect(halfway).toBeLessThan(rows);
    const again = await run(['--profile-id', '2001', 'batch', 'pay', file, '--yes']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('Resuming from');
    const made = transfersOf('crash.csv');
    expect(made).toHaveLength(rows);
    expect(new Set(made.map((t) => t.customerTransactionId)).size).toBe(rows);
    const groups = [...mock.state.batchGroups.values()].filter((g) => g.name.startsWith('crash.csv'));
    expect(groups.map((g) => [g.status, g.funded, g.transferIds.length])).toEqual([['COMPLETED', true, rows]]);
  });

  it('an idempotency_key column is used as each transfer’s customerTransactionId; the same key twice is refused', async () => {
    const { mock } = env;
    const [a, b] = [randomUUID(), randomUUID()];
    const file = await csvFile(
      'keys.csv',
      `recipient,amount,currency,reference,idempotency_key\n7002,1,EUR,a,${a}\n7002,2,EUR,b,${b}\n`,
    );
    const r = await run(['--profile-id', '2001', 'batch', 'pay', file, '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(
      transfersOf('keys.csv')
        .map((t) => t.customerTransactionId)
        .sort(),
    ).toEqual([a, b].sort());
    const twice = await csvFile(
      'twice.csv',
      `recipient,amount,currency,reference,idempotency_key\n7002,1,EUR,a,${a}\n7002,2,EUR,b,${a}\n`,
    );
    const dup = await run(['--profile-id', '2001', 'batch', 'pay', twice, '--dry-run']);
    expect(dup.code).toBe(2);
    expect(dup.stderr).toContain('line 3: idempotency_key is the same as on line 2');
    expect(mock.state.transfers.size).toBeGreaterThan(0);
  });
});
