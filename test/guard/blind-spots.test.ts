import { chmod, chown, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runInProcessByDefault, type Sandbox, STACK_TRACE } from '../helpers/cli.js';
import { type MockServer, personalTokenUser, recordedRequests, startMock } from '../helpers/mock.js';

runInProcessByDefault();

let mock: MockServer;
let sb: Sandbox;
beforeEach(async () => {
  mock = await startMock();
  sb = await personalTokenUser(mock, { scaKey: true, env: { WISE_PROFILE_ID: '2001' } });
});
afterEach(async () => {
  await mock.close();
  await sb.cleanup();
});

const CAPPED = { version: 1, rules: [{ maxPerTransfer: { EUR: '5.00' }, allowedTargetCurrencies: ['EUR'] }] };
const policyFile = () => join(sb.configDir, 'policy.json');
const writePolicy = (policy: unknown) => writeFile(policyFile(), JSON.stringify(policy), { mode: 0o600 });
const posts = async () => (await recordedRequests(mock)).filter((q) => q.method !== 'GET');

describe('the spending policy: blind spots', () => {
  it.each(['/v1//transfers', '/v1/%74ransfers', '/V1/transfers', '/v1/transfers;a=b', '/v1/./transfers'])(
    'wise api -X POST %s: exit 2 before anything is sent or journaled',
    async (path) => {
      await writePolicy(CAPPED);
      const before = (await posts()).length;
      const r = await sb.run(['api', '-X', 'POST', path, '-d', '{"targetAccount":7002,"quoteUuid":"x"}']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('Nothing was sent');
      expect(r.stderr).not.toMatch(STACK_TRACE);
      expect((await posts()).length).toBe(before);
    },
  );

  it('funding a transfer journaled before the policy (no amount) is priced from Wise and capped: exit 8', async () => {
    // Made while no policy was in force: the journal has the transfer, without an amount.
    const quote = await sb.run(['--json', 'quote', '--source', 'EUR', '--target', 'EUR', '--target-amount', '10']);
    const id = JSON.parse(quote.stdout).id as string;
    const body = JSON.stringify({ targetAccount: 7002, quoteUuid: id, customerTransactionId: crypto.randomUUID() });
    const made = await sb.run(['api', '-X', 'POST', '/v1/transfers', '-d', body]);
    expect(made.code, made.stderr).toBe(0);
    const transferId = JSON.parse(made.stdout).id as number;
    await writePolicy(CAPPED);
    const fund = `/v3/profiles/2001/transfers/${transferId}/payments`;
    const r = await sb.run(['api', '-X', 'POST', fund, '-d', '{"type":"BALANCE"}']);
    expect(r.code).toBe(8);
    expect(r.stderr).toContain('maxPerTransfer EUR is 5.00, and this payment is 10.00 EUR');
    expect((await recordedRequests(mock)).filter((q) => q.path === fund)).toEqual([]);
  });

  it('a policy file others can change, another user owns, or a symlink leads to such a file: not obeyed, exit 1', async () => {
    await writePolicy(CAPPED);
    const pay = () => sb.run(['pay', '--to', '7002', '--amount', '1', '--currency', 'EUR', '--yes']);
    await chmod(policyFile(), 0o666);
    const open = await pay();
    expect(open.code).toBe(1);
    expect(open.stderr).toContain(
      `The spending policy ${policyFile()} can be changed by others (mode 666), so it is not obeyed`,
    );
    expect(open.stderr).toContain('chmod 600');
    const doctor = JSON.parse((await sb.run(['--json', 'doctor', '--offline'])).stdout);
    expect(doctor.checks.find((c: { check: string }) => c.check === 'policy')).toMatchObject({ status: 'fail' });
    // A symlink to such a file.
    const elsewhere = join(sb.dir, 'shared-policy.json');
    await writeFile(elsewhere, JSON.stringify(CAPPED), { mode: 0o666 });
    await chmod(elsewhere, 0o666);
    await symlink(elsewhere, join(sb.dir, 'link.json'));
    const linkedAgain = await sb.run(['pay', '--to', '7002', '--amount', '1', '--currency', 'EUR', '--yes'], {
      env: { WISE_POLICY_FILE: join(sb.dir, 'link.json') },
    });
    expect(linkedAgain.code).toBe(1);
    expect(linkedAgain.stderr).toContain('can be changed by others');
    if (process.getuid?.() === 0) {
      await chmod(policyFile(), 0o644);
      await chown(policyFile(), 65534, 65534);
      const theirs = await pay();
      expect(theirs.code).toBe(1);
      expect(theirs.stderr).toContain('belongs to another user (uid 65534)');
    }
    expect(mock.state.transfers.size).toBe(0);
  });

  it('policy show and doctor warn when caps leave other currencies open', async () => {
    await writePolicy({ version: 1, rules: [{ maxPerTransfer: { EUR: '100.00', GBP: '100.00' } }] });
    const show = await sb.run(['policy', 'show']);
    expect(show.code).toBe(0);
    expect(show.stderr).toContain(
      'warning: rule 1 caps EUR, GBP only: a payment in any other currency passes uncapped',
    );
    const doctor = JSON.parse((await sb.run(['--json', 'doctor', '--offline'])).stdout);
    expect(doctor.checks.find((c: { check: string }) => c.check === 'policy')).toMatchObject({ status: 'warn' });
    await writePolicy({
      version: 1,
      rules: [{ maxPerTransfer: { EUR: '100.00' }, allowedTargetCurrencies: ['EUR', 'USD'] }],
    });
    expect((await sb.run(['policy', 'show'])).stderr).toContain('rule 1 allows USD with no cap');
    await writePolicy({ version: 1, rules: [{ maxPerTransfer: { EUR: '100.00' }, allowedTargetCurrencies: ['EUR'] }] });
    expect((await sb.run(['policy', 'show'])).stderr).toBe('');
  });
});
