import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanEnv, runInProcessByDefault, type Sandbox, STACK_TRACE, WISE_BIN } from '../helpers/cli.js';
import { type MockServer, personalTokenUser, recordedRequests, startMock } from '../helpers/mock.js';

runInProcessByDefault();

let mock: MockServer;
let sb: Sandbox;
beforeEach(async () => {
  mock = await startMock();
  // Jane lives in the US with her SCA key uploaded: her personal token may fund transfers.
  sb = await personalTokenUser(mock, { scaKey: true, env: { WISE_PROFILE_ID: '2001' } });
});
afterEach(async () => {
  await mock.close();
  await sb.cleanup();
});

const POLICY = {
  version: 1,
  rules: [
    {
      account: 'default',
      env: 'sandbox',
      maxPerTransfer: { EUR: '100.00' },
      maxPerDay: { EUR: '150.00' },
      allowedRecipients: [7001, 7002],
      allowedTargetCurrencies: ['EUR', 'GBP'],
      unattendedProduction: false,
    },
  ],
};

async function writePolicy(policy: unknown = POLICY): Promise<string> {
  const path = join(sb.configDir, 'policy.json');
  await writeFile(path, typeof policy === 'string' ? policy : JSON.stringify(policy));
  return path;
}

const moneyCalls = async () =>
  (await recordedRequests(mock)).filter((r) => r.method === 'POST' && /quotes|transfers|batch/.test(r.path));

describe('wise exec', () => {
  it('hands the child WISE_TOKEN, WISE_ENV, WISE_API_URL and WISE_PROFILE_ID, and no other WISE_* secret', async () => {
    const r = await sb.run(['exec', '--', 'env'], { env: { WISE_DEBUG: '0', WISE_SCA_PIN: '8412' }, spawn: true });
    // Without a profile named anywhere, the personal one is chosen, silently.
    const quiet = await sb.run(['exec', '--', 'sh', '-c', 'echo "$WISE_PROFILE_ID"'], {
      env: { WISE_PROFILE_ID: undefined },
      spawn: true,
    });
    expect(quiet.stdout).toBe('2001\n');
    expect(quiet.stderr).toBe('');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const vars = Object.fromEntries(
      r.stdout
        .split('\n')
        .filter((l) => l.startsWith('WISE_'))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    expect(vars).toEqual({
      WISE_TOKEN: mock.personalToken,
      WISE_ENV: 'sandbox',
      WISE_API_URL: mock.url,
      WISE_PROFILE_ID: '2001',
      WISE_ACCOUNT: 'default',
      WISE_CONFIG_DIR: sb.configDir,
    });
    // The store's passphrase stayed behind.
    expect(r.stdout).not.toContain(sb.env.WISE_STORE_PASSPHRASE);
    // The child can call Wise with what it got, and nothing else.
    const api = await sb.run(['exec', '--', process.execPath, WISE_BIN, 'api', '/v1/me'], { spawn: true });
    expect(api.code, api.stderr).toBe(0);
    expect(JSON.parse(api.stdout).id).toBe(1001);
  });

  it("the child's exit code becomes ours; a command that cannot start is exit 2 naming it", async () => {
    expect((await sb.run(['exec', '--', 'sh', '-c', 'exit 7'], { spawn: true })).code).toBe(7);
    const missing = await sb.run(['exec', '--', 'no-such-command-here', '--flag'], { spawn: true });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('Cannot run "no-such-command-here": no such command');
    expect(missing.stderr).not.toMatch(STACK_TRACE);
    expect((await sb.run(['exec'], { spawn: true })).code).toBe(2);
  });

  it('SIGTERM reaches the child, even one sent as soon as the child is running (five times)', async () => {
    for (let i = 0; i < 5; i++) await termReachesChild(join(sb.dir, `got-term-${i}`));
  });
});

/**
 * Starts `wise exec` on a shell that traps TERM, signals wise the moment the shell has printed, and checks that the
 * shell got the signal and its exit code became wise's.
 */
async function termReachesChild(marker: string): Promise<void> {
  const child = spawn(
    process.execPath,
    [
      WISE_BIN,
      'exec',
      '--',
      'sh',
      '-c',
      `trap 'echo TERM > ${marker}; exit 3' TERM; echo ready; while :; do sleep 0.05; done`,
    ],
    { env: cleanEnv(sb.env), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  expect(await exited).toBe(3);
  expect((await readFile(marker, 'utf8')).trim()).toBe('TERM');
}

describe('the spending policy', () => {
  it('a payment over the per-transfer cap, and one to a recipient not allowed: exit 8, nothing sent', async () => {
    await writePolicy();
    const over = await sb.run(['pay', '--to', '7002', '--amount', '120', '--currency', 'EUR', '--yes']);
    expect(over.code).toBe(8);
    expect(over.stderr).toContain(
      'Refused by policy (--to 7002): maxPerTransfer EUR is 100.00, and this payment is 120.00 EUR',
    );
    await writePolicy({ version: 1, rules: [{ allowedRecipients: [7001] }] });
    const refused = await sb.run(['--json', 'pay', '--to', '7002', '--amount', '10', '--currency', 'EUR', '--yes']);
    expect(refused.code).toBe(8);
    expect(JSON.parse(refused.stderr).error).toMatchObject({ code: 'policy', recipientId: 7002 });
    expect(JSON.parse(refused.stderr).error.message).toContain('recipient 7002 is not in allowedRecipients (7001)');
    expect(await moneyCalls()).toEqual([]);
    expect(mock.state.transfers.size).toBe(0);
  });

  it("a day's total exceeded by a batch's tenth row: exit 8 naming the line, nothing sent", async () => {
    await writePolicy();
    const rows = Array.from({ length: 12 }, (_, i) => `7002,16.00,EUR,Row ${i + 1}`);
    const file = join(sb.dir, 'payments.csv');
    await writeFile(file, `recipient,amount,currency,reference\n${rows.join('\n')}\n`);
    const r = await sb.run(['batch', 'pay', file, '--yes']);
    expect(r.code).toBe(8);
    // Nine rows make 144.00; the tenth (line 11, after the header) would make 160.00.
    expect(r.stderr).toContain(
      `(${file} line 11): maxPerDay EUR is 150.00; 144.00 EUR is already paid or in flight today`,
    );
    expect(await moneyCalls()).toEqual([]);
    // policy check says the same without calling Wise at all.
    const before = (await recordedRequests(mock)).length;
    const check = await sb.run(['policy', 'check', file]);
    expect(check.code).toBe(8);
    expect(check.stderr).toContain('line 11');
    await writeFile(file, `recipient,amount,currency,reference\n${rows.slice(0, 9).join('\n')}\n`);
    const ok = await sb.run(['policy', 'check', file]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('all 9 payments pass the 1 rule in force');
    expect(await recordedRequests(mock)).toHaveLength(before);
  });

  it('wise api -X POST /v1/transfers is priced from its quote and refused the same way', async () => {
    await writePolicy();
    const quote = await sb.run(['--json', 'quote', '--source', 'EUR', '--target', 'EUR', '--target-amount', '120']);
    const id = JSON.parse(quote.stdout).id as string;
    const body = JSON.stringify({ targetAccount: 7002, quoteUuid: id, customerTransactionId: crypto.randomUUID() });
    const r = await sb.run(['api', '-X', 'POST', '/v1/transfers', '-d', body]);
    expect(r.code).toBe(8);
    expect(r.stderr).toContain('maxPerTransfer EUR is 100.00, and this payment is 120.00 EUR');
    expect((await recordedRequests(mock)).filter((q) => q.path === '/v1/transfers')).toEqual([]);
    // Unattended production payments are refused where the policy says so (this run has no terminal).
    await writePolicy({ version: 1, rules: [{ env: 'production', unattendedProduction: false }] });
    const small = JSON.stringify({ targetAccount: 7002, quoteUuid: id, customerTransactionId: crypto.randomUUID() });
    const prod = await sb.run(['--env', 'production', 'api', '-X', 'POST', '/v1/transfers', '-d', small], {
      env: { WISE_TOKEN: mock.personalToken },
    });
    expect(prod.code).toBe(8);
    expect(prod.stderr).toContain('unattendedProduction is false');
    const pay = await sb.run(
      ['--env', 'production', 'pay', '--to', '7002', '--amount', '1', '--currency', 'EUR', '--yes'],
      {
        env: { WISE_TOKEN: mock.personalToken },
      },
    );
    expect(pay.code).toBe(8);
    expect((await recordedRequests(mock)).filter((q) => q.path === '/v1/transfers')).toEqual([]);
    // The same payment in the sandbox, which no rule covers, goes through.
    expect((await sb.run(['api', '-X', 'POST', '/v1/transfers', '-d', small])).code).toBe(0);
  });

  it('a malformed policy is an error naming the file, never "no policy"; policy show prints the rules in force', async () => {
    const path = await writePolicy('{"version":1,"rules":[{"maxPerTransfer":{"EUR":"lots"}}]}');
    const r = await sb.run(['pay', '--to', '7002', '--amount', '10', '--currency', 'EUR', '--yes']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `The spending policy ${path} is not valid: rules[0].maxPerTransfer.EUR must be an amount`,
    );
    expect(await moneyCalls()).toEqual([]);
    const named = await sb.run(['policy', 'show'], { env: { WISE_POLICY_FILE: join(sb.dir, 'missing.json') } });
    expect(named.code).toBe(1);
    expect(named.stderr).toContain('missing.json');
    await writePolicy();
    const show = await sb.run(['policy', 'show']);
    expect(show.stdout).toMatch(/max per transfer\s+100\.00 EUR/);
    expect(show.stdout).toMatch(/allowed recipients\s+7001, 7002/);
    const json = await sb.run(['--json', 'policy', 'show', '--env', 'production']);
    expect(JSON.parse(json.stdout).rules).toEqual([]);
    await rm(path);
    expect((await sb.run(['policy', 'show'])).stdout).toContain('No spending policy');
  });

  it('20 processes paying at once cannot overspend together; the journal holds every call and its chain verifies', async () => {
    await writePolicy({ version: 1, rules: [{ maxPerDay: { EUR: '100' } }] });
    const runs = await Promise.all(
      Array.from({ length: 20 }, () =>
        sb.run(['pay', '--to', '7002', '--amount', '10', '--currency', 'EUR', '--yes'], {
          timeoutMs: 60_000,
          spawn: true,
        }),
      ),
    );
    const codes = runs.map((r) => r.code).sort();
    const seen = JSON.stringify(runs.filter((r) => r.code !== 0 && r.code !== 8).map((r) => [r.code, r.stderr]));
    expect(codes.filter((c) => c === 0).length, seen).toBe(10);
    expect(codes.filter((c) => c === 8)).toHaveLength(10);
    expect(mock.state.transfers.size).toBe(10);
    const lines = (await readFile(join(sb.configDir, 'journal.jsonl'), 'utf8')).trim().split('\n');
    const parsed = lines.map((l) => JSON.parse(l));
    // Paid: quote, transfer, funding (an intent and an outcome each). Refused: nothing, when the day was already
    // spent at the check before the quote; the quote only, when another payer spent it meanwhile (the guard's check
    // under the journal's lock refused the transfer).
    const quotes = parsed.filter((l) => l.kind === 'quote.create' && l.phase === 'intent').length;
    expect(quotes).toBeGreaterThanOrEqual(10);
    expect(quotes).toBeLessThanOrEqual(20);
    expect(lines).toHaveLength(10 * 6 + (quotes - 10) * 2);
    expect(parsed.filter((l) => l.kind === 'transfer.create')).toHaveLength(20);
    expect(parsed.filter((l) => l.kind === 'transfer.fund')).toHaveLength(20);
    const byEntry = new Map<string, string[]>();
    for (const l of parsed) byEntry.set(l.entry, [...(byEntry.get(l.entry) ?? []), l.phase]);
    expect([...byEntry.values()].every((phases) => phases.join() === 'intent,outcome')).toBe(true);
    expect(parsed.filter((l) => l.kind === 'transfer.create' && l.phase === 'outcome').map((l) => l.status)).toEqual(
      Array(10).fill('ok'),
    );
    for (const l of parsed) {
      expect(l).toMatchObject({ v: 1, account: 'default', env: 'sandbox', correlationId: expect.any(String) });
      expect(JSON.stringify(l)).not.toContain(mock.personalToken);
    }
    const verify = await sb.run(['journal', 'verify']);
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout).toContain(`${lines.length} lines, chain intact`);
  }, 90_000);

  it('journal verify finds one edited byte, one removed line and two swapped lines at the right line', async () => {
    for (let i = 0; i < 2; i++) {
      const paid = await sb.run(['pay', '--to', '7002', '--amount', '10', '--currency', 'EUR', '--yes']);
      expect(paid.code, paid.stderr).toBe(0);
    }
    const path = join(sb.configDir, 'journal.jsonl');
    const good = await readFile(path, 'utf8');
    const lines = good.trimEnd().split('\n');
    expect(lines).toHaveLength(12);
    const tamper = async (text: string) => {
      await writeFile(path, text);
      return sb.run(['journal', 'verify']);
    };
    const edited = [...lines];
    edited[4] = (edited[4] as string).replace('"env":"sandbox"', '"env":"sandbax"');
    expect(edited[4]).not.toBe(lines[4]);
    let r = await tamper(`${edited.join('\n')}\n`);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('is broken at line 5: its content does not match its hash: it was edited');
    r = await tamper(`${[...lines.slice(0, 2), ...lines.slice(3)].join('\n')}\n`);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('is broken at line 3: it does not follow line 2');
    const swapped = [...lines];
    [swapped[3], swapped[4]] = [swapped[4] as string, swapped[3] as string];
    r = await tamper(`${swapped.join('\n')}\n`);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('is broken at line 4');
    r = await tamper(good);
    expect(r.code).toBe(0);
    const doctor = await sb.run(['doctor', '--offline']);
    expect(doctor.stdout).toMatch(/✓ journal\s+.*12 lines, chain intact/);
    await tamper(`${edited.join('\n')}\n`);
    const broken = await sb.run(['doctor', '--offline']);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/✗ journal\s+.*broken at line 5/);
  });

  it('journal head anchors the chain: a truncated journal, or one rewritten with its hashes recomputed, fails verify --head', async () => {
    for (let i = 0; i < 2; i++) {
      const paid = await sb.run(['pay', '--to', '7002', '--amount', '10', '--currency', 'EUR', '--yes']);
      expect(paid.code, paid.stderr).toBe(0);
    }
    const head = await sb.run(['journal', 'head']);
    expect(head.code, head.stderr).toBe(0);
    const [hash, count] = head.stdout.trim().split(' ');
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(count).toBe('12');
    expect(JSON.parse((await sb.run(['--json', 'journal', 'head'])).stdout)).toMatchObject({ head: hash, lines: 12 });
    const path = join(sb.configDir, 'journal.jsonl');
    const good = await readFile(path, 'utf8');
    const lines = good.trimEnd().split('\n');
    const held = await sb.run(['journal', 'verify', '--head', hash as string]);
    expect(held.code, held.stderr).toBe(0);
    expect(held.stdout).toContain(`holds ${hash} at line 12 (0 lines since)`);

    // Trailing lines removed: the chain is intact in itself, the head is gone.
    await writeFile(path, `${lines.slice(0, 8).join('\n')}\n`);
    expect((await sb.run(['journal', 'verify'])).code).toBe(0);
    const cut = await sb.run(['journal', 'verify', '--head', hash as string]);
    expect(cut.code).toBe(1);
    expect(cut.stderr).toContain(`no longer holds the head ${hash}`);

    // An amount edited and every hash after it recomputed, as someone who can write the file would.
    const sha = (t: string) => createHash('sha256').update(t).digest('hex');
    let prev = '0'.repeat(64);
    const rewritten = lines.map((line) => {
      const record = JSON.parse(line) as Record<string, unknown>;
      delete record.hash;
      if (record.amount === 10) record.amount = 1;
      record.prev = prev;
      const body = JSON.stringify(record);
      prev = sha(body);
      return `${body.slice(0, -1)},"hash":"${prev}"}`;
    });
    await writeFile(path, `${rewritten.join('\n')}\n`);
    expect((await sb.run(['journal', 'verify'])).code).toBe(0);
    const forged = await sb.run(['journal', 'verify', '--head', hash as string]);
    expect(forged.code).toBe(1);
    expect(forged.stderr).toContain('no longer holds the head');

    // Lines added after the kept head are fine; a bad --head is exit 2.
    await writeFile(path, good);
    const more = await sb.run(['pay', '--to', '7002', '--amount', '1', '--currency', 'EUR', '--yes']);
    expect(more.code, more.stderr).toBe(0);
    const later = await sb.run(['journal', 'verify', '--head', hash as string]);
    expect(later.code, later.stderr).toBe(0);
    expect(later.stdout).toContain(`holds ${hash} at line 12 (6 lines since)`);
    expect((await sb.run(['journal', 'verify', '--head', 'nope'])).code).toBe(2);
  });

  it('journal show lists each call with its outcome; --refresh asks Wise whether the money went out', async () => {
    const paid = await sb.run([
      'pay',
      '--to',
      '7002',
      '--amount',
      '12',
      '--currency',
      'EUR',
      '--yes',
      '--reference',
      'Rent',
    ]);
    expect(paid.code, paid.stderr).toBe(0);
    const id = Number(paid.stdout.trim());
    const show = await sb.run(['journal', 'show']);
    expect(show.stdout).toMatch(
      new RegExp(`transfer\\.create\\s+12\\.00 EUR\\s+7002\\s+${id}\\s+ok \\(incoming_payment_waiting\\)`),
    );
    expect(show.stdout).toMatch(new RegExp(`transfer\\.fund\\s+${id}\\s+ok \\(COMPLETED\\)`));
    const refreshed = await sb.run(['--json', 'journal', 'show', '--refresh']);
    const entries = JSON.parse(refreshed.stdout) as {
      kind: string;
      transferId?: number;
      currentStatus?: string;
      reference?: string;
    }[];
    const created = entries.find((e) => e.kind === 'transfer.create');
    expect(created).toMatchObject({ transferId: id, reference: 'Rent' });
    expect(created?.currentStatus).toMatch(/funds_converted|outgoing_payment_sent|processing/);
    const since = await sb.run(['journal', 'show', '--since', '2099-01-01']);
    expect(since.stderr).toContain('No entries in this range.');
    expect(existsSync(join(sb.configDir, 'journal.jsonl'))).toBe(true);
  });
});
