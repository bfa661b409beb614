import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runInProcessByDefault, STACK_TRACE } from '../helpers/cli.js';
import { expectContractViolation } from '../helpers/contract.js';
import { recordedRequests, useEmulatorAndSandbox } from '../helpers/mock.js';
import { requestCount, useAccount } from './helpers.js';

runInProcessByDefault();

const env = useAccount();

describe('profiles and balances', () => {
  it('profiles use stores the default profile; balances list shows jars; --all-profiles every profile', async () => {
    const { sb } = env;
    const use = await sb.run(['profiles', 'use', '2002']);
    expect(use.code, use.stderr).toBe(0);
    expect(use.stderr).toContain('Profile 2002 (BUSINESS, Doe Trading GmbH) is now the default');
    const list = await sb.run(['--json', 'profiles', 'list']);
    expect(JSON.parse(list.stdout).find((p: { id: number }) => p.id === 2002).default).toBe(true);
    const balances = await sb.run(['balances', 'list']);
    expect(balances.stdout).toMatch(/^CURRENCY\s+AMOUNT\s+RESERVED\s+ID/);
    expect(balances.stdout).toContain('USD       5200.75');
    const all = await sb.run(['--json', 'balances', 'list', '--all-profiles']);
    const rows = JSON.parse(all.stdout) as { profileId: number; type: string; name: string | null }[];
    expect(rows.map((r) => r.profileId)).toEqual([2001, 2001, 2001, 2002, 2002]);
    expect(rows.find((r) => r.type === 'SAVINGS')?.name).toBe('Holiday jar');
    const table = await sb.run(['balances', 'list', '--all-profiles']);
    expect(table.stdout).toMatch(/2001\s+EUR\s+600\.00\s+0\.00\s+3005\s+jar: Holiday jar/);
    const back = await sb.run(['profiles', 'use', '2001']);
    expect(back.code).toBe(0);
  });

  it('profiles use refuses a profile that is not the login’s, and a non-number', async () => {
    const { sb } = env;
    const other = await sb.run(['profiles', 'use', '9999']);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('Profile 9999 is not one of this login');
    expect((await sb.run(['profiles', 'use', 'abc'])).code).toBe(2);
  });
});

describe('rates and quotes', () => {
  it('rates now, at a time and over a period, as a table and JSON', async () => {
    const { sb } = env;
    const now = await sb.run(['rates', '--source', 'EUR', '--target', 'USD']);
    expect(now.code, now.stderr).toBe(0);
    expect(now.stdout).toMatch(/^TIME\s+EUR→USD\n\S+\s+1\.0\d+\n$/);
    const period = await sb.run([
      '--json',
      'rates',
      '--source',
      'eur',
      '--target',
      'GBP',
      '--from',
      '2026-11-01',
      '--to',
      '2026-11-07',
      '--group',
      'day',
    ]);
    const points = JSON.parse(period.stdout) as { time: string; rate: number }[];
    expect(points).toHaveLength(7);
    expect(points[0]?.time).toMatch(/^2026-11-01T00:00:00/);
    const at = await sb.run(['--json', 'rates', '--source', 'EUR', '--target', 'GBP', '--at', '2026-11-02T10:00:00Z']);
    expect(JSON.parse(at.stdout)[0].time).toMatch(/^2026-11-02T10:00:00/);
  });

  it('quote shows rate, fee, delivery and expiry; --json has the chosen payment option', async () => {
    const { sb } = env;
    const q = await sb.run(['quote', '--source', 'EUR', '--target', 'GBP', '--source-amount', '100']);
    expect(q.code, q.stderr).toBe(0);
    expect(q.stdout).toMatch(/You pay\s+100\.00 EUR/);
    expect(q.stdout).toMatch(/Fee\s+0\.82 EUR/);
    expect(q.stdout).toMatch(/Rate\s+0\.86/);
    expect(q.stdout).toMatch(/Arrives\s+by tomorrow/);
    expect(q.stdout).toMatch(/Valid until\s+20\d\d-/);
    const json = await sb.run(['--json', 'quote', '--source', 'EUR', '--target', 'USD', '--target-amount', '250']);
    const parsed = JSON.parse(json.stdout);
    expect(parsed.targetAmount).toBe(250);
    expect(parsed.chosenPaymentOption.payIn).toBe('BALANCE');
  });

  it.each([
    [['quote', '--source', 'EURO', '--target', 'GBP', '--source-amount', '1'], 'three-letter currency code'],
    [['quote', '--source', 'EUR', '--target', 'GBP', '--source-amount', '1,5'], 'positive amount'],
    [['quote', '--source', 'EUR', '--target', 'GBP', '--source-amount', '-3'], 'positive amount'],
    [['quote', '--source', 'EUR', '--target', 'GBP'], 'exactly one of'],
    [['rates', '--source', 'EUR', '--target', 'GBP', '--from', '2026-02-30', '--to', '2026-03-01'], 'not a real date'],
    [['rates', '--source', 'EUR', '--target', 'GBP', '--from', 'yesterday', '--to', '2026-03-01'], 'must be a date'],
    [['statement', '--currency', 'EUR', '--from', '2026-05-01', '--to', '2026-04-01'], '--to is before --from'],
    [['pay', '--to', '7001', '--amount', '1e3', '--currency', 'GBP', '--yes'], 'positive amount'],
    [['pay', '--to', '7001', '--amount', '10', '--currency', 'GBP', '--idempotency-key', 'abc', '--yes'], 'UUID'],
    [['transfer', 'get', 'x1'], 'transfer id is a number'],
  ])('%j is refused before any call (exit 2)', async (args, message) => {
    const { sb, mock } = env;
    const before = await requestCount(mock);
    const r = await sb.run(args);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toMatch(STACK_TRACE);
    expect(await requestCount(mock)).toBe(before);
  });
});

describe('recipients', () => {
  it('recipients list in table and JSON, filtered by currency', async () => {
    const { sb } = env;
    const table = await sb.run(['recipients', 'list']);
    expect(table.stdout).toMatch(
      /^ID\s+NAME\s+CURRENCY\s+ACCOUNT\n7001\s+Acme Supplies Ltd\s+GBP\s+\(23-14-70\) 28821822\n/,
    );
    const eur = await sb.run(['--json', 'recipients', 'list', '--currency', 'EUR']);
    expect(JSON.parse(eur.stdout).map((r: { id: number }) => r.id)).toEqual([7002]);
  });

  it('recipients are read 20 a page (Wise refuses more) and followed by seekPosition to the last page', async () => {
    const { sb, mock } = env;
    const headers = { authorization: `Bearer ${mock.personalToken}`, 'content-type': 'application/json' };
    expectContractViolation(/GET \/v2\/accounts: query size=21/);
    const tooBig = await fetch(`${mock.url}/v2/accounts?profileId=2001&size=21`, { headers });
    expect(tooBig.status).toBe(400);
    for (let i = 0; i < 45; i++) {
      const res = await fetch(`${mock.url}/v1/accounts`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          profile: 2001,
          currency: 'GBP',
          type: 'sort_code',
          accountHolderName: `Payee ${i}`,
          details: { sortCode: '231470', accountNumber: '28821822' },
        }),
      });
      expect(res.status, await res.text()).toBeLessThan(300);
    }
    const before = await requestCount(mock);
    const all = await sb.run(['--json', 'recipients', 'list']);
    expect(all.code, all.stderr).toBe(0);
    const ids = JSON.parse(all.stdout).map((r: { id: number }) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBeGreaterThanOrEqual(47);
    const pages = (await recordedRequests(mock)).slice(before).filter((q) => q.path.startsWith('/v2/accounts'));
    expect(pages.length).toBe(Math.ceil(ids.length / 20));
    expect(pages.every((q) => q.path.includes('size=20') && q.status === 200)).toBe(true);
  });

  it("recipients add fills Wise's account form from --field; a missing field without a terminal is exit 2", async () => {
    const { sb, mock } = env;
    const before = await requestCount(mock);
    const missing = await sb.run(['recipients', 'add', '--currency', 'GBP', '--field', 'sortCode=231470']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('accountHolderName (Full name of the account holder) is required');
    expect(missing.stderr).toContain('accountNumber (Account number) is required');
    // Only the form was asked for, through a quote of the route (Wise's quote-based form): nothing was created.
    expect((await recordedRequests(mock)).slice(before).map((r) => `${r.method} ${r.path.split('?')[0]}`)).toEqual([
      'POST /v3/profiles/2001/quotes',
      expect.stringMatching(/^GET \/v1\/quotes\/[0-9a-f-]+\/account-requirements$/),
    ]);
    const badIban = await sb.run([
      'recipients',
      'add',
      '--currency',
      'EUR',
      '--field',
      'accountHolderName=Erika Muster',
      '--field',
      'iban=DE89370400440532013001',
    ]);
    expect(badIban.code).toBe(3);
    expect(badIban.stderr).toContain('Please specify a valid iban');
    // The US address's country changes the form (refreshRequirementsOnChange): Wise, asked again with it, adds the
    // state, which the quote-less form never showed.
    const usd = [
      'recipients',
      'add',
      '--currency',
      'USD',
      '--field',
      'accountHolderName=Wile E. Coyote',
      '--field',
      'abartn=026009593',
      '--field',
      'accountNumber=98765432',
      '--field',
      'accountType=SAVINGS',
      '--field',
      'address.country=US',
      '--field',
      'address.city=Phoenix',
      '--field',
      'address.firstLine=1 Desert Rd',
      '--field',
      'address.postCode=85001',
    ];
    const beforeUsd = await requestCount(mock);
    const noState = await sb.run(usd);
    expect(noState.code).toBe(2);
    expect(noState.stderr).toContain('address.state (State) is required');
    const forms = (await recordedRequests(mock))
      .slice(beforeUsd)
      .filter((r) => r.path.includes('account-requirements'));
    expect(forms.map((r) => r.method)).toEqual(['GET', 'POST']);
    const added = await sb.run(['--json', ...usd, '--field', 'address.state=AZ']);
    expect(added.code).toBe(2);
    expect(added.stderr).toContain('address.state must be one of CA, IL, NY, TX, WA');
    const stated = await sb.run(['--json', ...usd, '--field', 'address.state=NY']);
    expect(stated.code, stated.stderr).toBe(0);
    const created = JSON.parse(stated.stdout);
    expect(created.details).toEqual({
      abartn: '026009593',
      accountNumber: '98765432',
      accountType: 'SAVINGS',
      address: { country: 'US', city: 'Phoenix', firstLine: '1 Desert Rd', postCode: '85001', state: 'NY' },
    });
    const list = await sb.run(['--json', 'recipients', 'list', '--currency', 'USD']);
    expect(JSON.parse(list.stdout).some((r: { id: number }) => r.id === created.id)).toBe(true);
  });
});

describe('pay and transfers', () => {
  it('without a terminal and without --yes, pay sends nothing at all', async () => {
    const { sb, mock } = env;
    const before = await requestCount(mock);
    const r = await sb.run(['pay', '--to', '7002', '--amount', '10', '--currency', 'EUR']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('nothing was sent');
    expect(await requestCount(mock)).toBe(before);
  });

  it("a large payment: Wise's transfer requirements ask a purpose and the funds' source, before any transfer", async () => {
    const { sb, mock } = env;
    const before = mock.state.transfers.size;
    const pay = ['pay', '--to', '7002', '--amount', '16000', '--currency', 'EUR', '--dry-run'];
    const bare = await sb.run(pay);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('Wise asks more of this transfer; nothing was paid');
    expect(bare.stderr).toContain(
      'transferPurpose (Purpose of the transfer: one of verification.transfers.purpose.pay.bills',
    );
    expect(bare.stderr).toContain('sourceOfFunds (Source of the funds');
    expect((await recordedRequests(mock)).some((r) => r.path === '/v1/transfer-requirements')).toBe(true);
    const bad = await sb.run([...pay, '--detail', 'colour=blue']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Wise asks no colour of this transfer');
    const given = await sb.run([
      '--json',
      ...pay,
      '--detail',
      'transferPurpose=verification.transfers.purpose.invest',
      '--detail',
      'sourceOfFunds=verification.source.of.funds.salary',
    ]);
    expect(given.code, given.stderr).toBe(0);
    expect(JSON.parse(given.stdout).details).toEqual({
      transferPurpose: 'verification.transfers.purpose.invest',
      sourceOfFunds: 'verification.source.of.funds.salary',
    });
    // A small one asks nothing more.
    const small = await sb.run(['--json', 'pay', '--to', '7002', '--amount', '10', '--currency', 'EUR', '--dry-run']);
    expect(JSON.parse(small.stdout).details).toBeUndefined();
    expect(mock.state.transfers.size).toBe(before);
  });

  it('--dry-run quotes and shows the payment, and creates no transfer', async () => {
    const { sb, mock } = env;
    const transfers = mock.state.transfers.size;
    const r = await sb.run(['pay', '--to', 'max mustermann', '--amount', '10', '--currency', 'EUR', '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Recipient\s+Max Mustermann \(7002, DE89 3704 0044 0532 0130 00\)/);
    expect(r.stdout).toMatch(/You pay\s+10\.43 EUR from your EUR balance/);
    expect(r.stderr).toContain('Dry run in sandbox: nothing was paid.');
    expect(mock.state.transfers.size).toBe(transfers);
  });

  it('the same payment run twice with one idempotency key makes and funds one transfer', async () => {
    const { sb, mock } = env;
    const key = randomUUID();
    const args = ['pay', '--to', '7001', '--amount', '25', '--currency', 'GBP', '--source-currency', 'EUR'];
    const first = await sb.run([...args, '--reference', 'Invoice 42', '--idempotency-key', key, '--yes']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain(`Idempotency key ${key}`);
    expect(first.stderr).toContain('signing the one-time token with the SCA key');
    const id = Number(first.stdout.trim());
    const second = await sb.run(['--json', ...args, '--idempotency-key', key, '--yes']);
    expect(second.code, second.stderr).toBe(0);
    const answer = JSON.parse(second.stdout);
    expect(answer.transferId).toBe(id);
    expect(answer.alreadyFunded).toBe(true);
    const made = [...mock.state.transfers.values()].filter((t) => t.customerTransactionId === key);
    expect(made).toHaveLength(1);
    expect(made[0]?.reference).toBe('Invoice 42');
    // One funding call reached Wise with its SCA answer, and none for the second run.
    const funding = (await recordedRequests(mock)).filter(
      (r) => r.path === `/v3/profiles/2001/transfers/${id}/payments`,
    );
    expect(funding.map((r) => r.status)).toEqual([403, 200]);
  });

  it('a 200 whose payment status is REJECTED is a failure naming Wise’s errorCode and the unfunded transfer', async () => {
    const { sb, mock } = env;
    await fetch(`${mock.url}/__mock/balances/3002`, { method: 'POST', body: '{"value":5}' });
    const r = await sb.run(['pay', '--to', '7001', '--amount', '50', '--currency', 'GBP', '--yes']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('transfer.insufficient_funds');
    const id = /Transfer (\d+) was created and is not funded/.exec(r.stderr)?.[1];
    expect(id).toBeDefined();
    expect(r.stderr).toContain(`wise transfer cancel ${id}`);
    const cancel = await sb.run(['transfer', 'cancel', String(id)]);
    expect(cancel.code, cancel.stderr).toBe(0);
    expect(cancel.stderr).toContain('is cancelled');
    const again = await sb.run(['transfer', 'cancel', String(id)]);
    expect(again.code).toBe(3);
    expect(again.stderr).toContain('cannot be cancelled');
  });

  it('transfer list, get (with the meaning of its state) and watch until a final state', async () => {
    const { sb } = env;
    const paid = await sb.run(['pay', '--to', '7002', '--amount', '12', '--currency', 'EUR', '--yes']);
    expect(paid.code, paid.stderr).toBe(0);
    const id = paid.stdout.trim();
    const list = await sb.run(['transfer', 'list', '--status', 'processing']);
    expect(list.stdout).toMatch(
      new RegExp(
        `^ID\\s+CREATED\\s+RECIPIENT\\s+REFERENCE\\s+SOURCE\\s+TARGET\\s+STATUS\\n${id}\\s+\\S+ \\S+\\s+Max Mustermann`,
      ),
    );
    const get = await sb.run(['--json', 'transfer', 'get', id]);
    expect(JSON.parse(get.stdout).statusMeaning).toMatch(/processing|converted/);
    const watch = await sb.run(['--json', 'transfer', 'watch', id, '--interval', '0.1']);
    expect(watch.code, watch.stderr).toBe(0);
    const lines = watch.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { status: string; meaning: string });
    expect(lines.at(-1)?.status).toBe('outgoing_payment_sent');
    expect(lines.at(-1)?.meaning).toContain('paid out');
    expect(new Set(lines.map((l) => l.status)).size).toBe(lines.length);
    const text = await sb.run(['transfer', 'watch', id, '--interval', '0.1']);
    expect(text.stdout).toMatch(/outgoing_payment_sent {2}paid out/);
    const unknown = await sb.run(['transfer', 'list', '--status', 'sent']);
    expect(unknown.code).toBe(2);
  });
});

describe('activities and webhook subscriptions', () => {
  it('activities page lazily: --limit, --all in table and as one JSON array', async () => {
    const { sb, mock } = env;
    const some = await sb.run(['activities', '--limit', '3']);
    expect(some.code, some.stderr).toBe(0);
    expect(some.stdout.trim().split('\n')).toHaveLength(4);
    expect(some.stderr).toContain('--all lists every one');
    const before = await requestCount(mock);
    const all = await sb.run(['--json', 'activities', '--all', '--since', '2026-06-01']);
    const list = JSON.parse(all.stdout) as { createdOn: string; primaryAmount: string }[];
    // The personal profile's three balances: 40 + 50 transactions, and the jar's none.
    expect(list).toHaveLength(90);
    expect(list.map((a) => a.createdOn)).toEqual([...list.map((a) => a.createdOn)].sort().reverse());
    expect(list.some((a) => a.primaryAmount.startsWith('+ '))).toBe(true);
    // One page of 100 was enough; a narrower range pages more often.
    expect((await recordedRequests(mock)).slice(before).filter((r) => r.path.includes('/activities'))).toHaveLength(1);
  });

  it('webhook subscribe, list and delete', async () => {
    const { sb } = env;
    const sub = await sb.run([
      'webhook',
      'subscribe',
      '--event',
      'transfers#state-change',
      '--url',
      'https://example.com/wise',
    ]);
    expect(sub.code, sub.stderr).toBe(0);
    const id = sub.stdout.trim();
    const list = await sb.run(['--json', 'webhook', 'list']);
    expect(JSON.parse(list.stdout)).toEqual([
      expect.objectContaining({
        id,
        trigger_on: 'transfers#state-change',
        delivery: { version: '2.0.0', url: 'https://example.com/wise' },
      }),
    ]);
    expect((await sb.run(['webhook', 'list'])).stdout).toMatch(/^ID\s+EVENT\s+URL\s+VERSION\s+NAME\n/);
    const plain = await sb.run(['webhook', 'subscribe', '--event', 'balances#credit', '--url', 'http://example.com/x']);
    expect(plain.code).toBe(2);
    const del = await sb.run(['webhook', 'delete', id]);
    expect(del.code, del.stderr).toBe(0);
    expect(JSON.parse((await sb.run(['--json', 'webhook', 'list'])).stdout)).toEqual([]);
    expect((await sb.run(['webhook', 'delete', id])).code).toBe(3);
    const badVersion = await sb.run([
      ...['webhook', 'subscribe', '--event', 'balances#credit'],
      '--url',
      'https://example.com/x',
      '--schema-version',
      '3.0.0',
    ]);
    expect(badVersion.code).toBe(2);
    expect(badVersion.stderr).toContain('--schema-version is 2.0.0 or 4.0.0');
  });

  it("application subscriptions (the partner client's, version 4.0.0) live beside the profile's", async () => {
    const { sb, mock } = env;
    const partner = { WISE_CLIENT_ID: mock.clientId, WISE_CLIENT_SECRET: mock.clientSecret };
    const sub = await sb.run(
      [
        '--json',
        'webhook',
        'subscribe',
        '--application',
        '--event',
        'transfers#state-change',
        '--url',
        'https://example.com/app',
        '--schema-version',
        '4.0.0',
      ],
      { env: partner },
    );
    expect(sub.code, sub.stderr).toBe(0);
    const created = JSON.parse(sub.stdout);
    expect(created).toMatchObject({
      scope: { domain: 'application', id: mock.clientId },
      delivery: { version: '4.0.0', url: 'https://example.com/app' },
    });
    const apps = JSON.parse((await sb.run(['--json', 'webhook', 'list', '--application'], { env: partner })).stdout);
    expect(apps.map((s: { id: string }) => s.id)).toEqual([created.id]);
    // The profile's list does not show it; a profile delete cannot reach it.
    const profile = JSON.parse((await sb.run(['--json', 'webhook', 'list'])).stdout);
    expect(profile.some((s: { id: string }) => s.id === created.id)).toBe(false);
    expect((await sb.run(['webhook', 'delete', created.id])).code).toBe(3);
    expect((await sb.run(['webhook', 'delete', '--application', created.id], { env: partner })).code).toBe(0);
    // Without a partner client: exit 4 with the set-up hint.
    const none = await sb.run(['webhook', 'list', '--application']);
    expect(none.code).toBe(4);
    expect(none.stderr).toContain('wise oauth setup');
  });
});

describe('what funding needs is checked before anything is made', () => {
  const bare = useEmulatorAndSandbox();
  it('a personal token without an SCA key: pay and batch pay stop at once (exit 5), no quote, no transfer', async () => {
    const { sb, mock } = bare;
    const env = {};
    expect((await sb.run(['token', 'add'], { input: mock.personalToken })).code).toBe(0);
    await fetch(`${mock.url}/__mock/users/1001`, { method: 'POST', body: '{"country":"US"}' });
    const before = (await recordedRequests(mock)).length;
    const pay = await sb.run(['pay', '--to', '7002', '--amount', '10', '--currency', 'EUR', '--yes'], { env });
    expect(pay.code).toBe(5);
    expect(pay.stderr).toContain('needs an SCA key');
    expect(pay.stderr).toContain('wise keys generate --use sca');
    const file = join(sb.dir, 'pay.csv');
    await writeFile(file, 'recipient,amount,currency,reference\n7002,10,EUR,Rent\n');
    const batch = await sb.run(['batch', 'pay', file, '--yes', '--profile-id', '2001'], { env });
    expect(batch.code).toBe(5);
    const sent = (await recordedRequests(mock)).slice(before).map((r) => `${r.method} ${r.path.split('?')[0]}`);
    expect(sent.some((r) => /quotes|transfers|batch-groups/.test(r))).toBe(false);
    expect(mock.state.transfers.size).toBe(0);
    // A dry run, and a batch left to the app to fund, need no key.
    expect(
      (await sb.run(['pay', '--to', '7002', '--amount', '10', '--currency', 'EUR', '--dry-run'], { env })).code,
    ).toBe(0);
  });

  it('a personal token of an EU or UK customer (PSD2): pay and batch pay refuse at once (exit 3), nothing created', async () => {
    const { sb, mock } = bare;
    expect((await sb.run(['token', 'add'], { input: mock.personalToken })).code).toBe(0);
    // A key is stored and uploaded: it is where the customer lives that stops the payment, not a missing key.
    const key = await sb.run(['keys', 'generate', '--use', 'sca']);
    expect(key.code).toBe(0);
    await fetch(`${mock.url}/__mock/users/1001/sca-keys`, { method: 'POST', body: key.stdout });
    await fetch(`${mock.url}/__mock/users/1001`, { method: 'POST', body: '{"country":"GB"}' });
    const before = (await recordedRequests(mock)).length;
    const pay = await sb.run(['--json', 'pay', '--to', '7002', '--amount', '10', '--currency', 'EUR', '--yes']);
    expect(pay.code).toBe(3);
    const error = JSON.parse(pay.stderr).error;
    expect(error.message).toContain('(PSD2), and this account is in GB; nothing was created');
    expect(error.hint).toContain('wise oauth authorize');
    expect(error.reason).toBe('psd2');
    const file = join(sb.dir, 'pay.csv');
    await writeFile(file, 'recipient,amount,currency,reference\n7002,10,EUR,Rent\n');
    const batch = await sb.run(['batch', 'pay', file, '--yes', '--profile-id', '2001']);
    expect(batch.code).toBe(3);
    expect(batch.stderr).toContain('--fund none');
    const sent = (await recordedRequests(mock)).slice(before).map((r) => `${r.method} ${r.path.split('?')[0]}`);
    expect(sent.filter((r) => r.startsWith('POST'))).toEqual([]);
    expect(mock.state.transfers.size).toBe(0);
    // Moved to the US, the same token pays: the check reads the address Wise holds, every time.
    await fetch(`${mock.url}/__mock/users/1001`, { method: 'POST', body: '{"country":"US"}' });
    const paid = await sb.run(['pay', '--to', '7002', '--amount', '10', '--currency', 'EUR', '--yes']);
    expect(paid.code, paid.stderr).toBe(0);
    expect(mock.state.transfers.size).toBe(1);
  });
});
