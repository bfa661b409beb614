import { describe, expect, it } from 'vitest';
import { STACK_TRACE } from '../helpers/cli.js';
import { draftTransferFunding } from '../helpers/mock.js';
import { requestCount, useAccount } from './helpers.js';

const env = useAccount();

describe("wise simulate: Wise's sandbox simulations", () => {
  it('moves a transfer through its states in order; out of order is Wise refusing (exit 3)', async () => {
    const { sb, mock } = env;
    const id = Number((await draftTransferFunding(mock)).split('/')[5]);
    const skip = await sb.run(['simulate', 'transfer', String(id), 'outgoing_payment_sent']);
    expect(skip.code).toBe(3);
    expect(skip.stderr).toContain('cannot be moved to outgoing_payment_sent');
    for (const state of ['processing', 'funds_converted', 'outgoing_payment_sent']) {
      const r = await sb.run(['--json', 'simulate', 'transfer', String(id), state]);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ id, status: state });
    }
    // It stays where the simulation put it, and the transfer commands see it there.
    const got = await sb.run(['--json', 'transfer', 'get', String(id)]);
    expect(JSON.parse(got.stdout).status).toBe('outgoing_payment_sent');
    const bounced = await sb.run(['simulate', 'transfer', String(id), 'bounced_back']);
    expect(bounced.code, bounced.stderr).toBe(0);
    expect(bounced.stderr).toContain(`Transfer ${id} is bounced_back now (sandbox simulation).`);
  });

  it('tops up a balance', async () => {
    const { sb, mock } = env;
    const before = mock.state.balances.find((b) => b.id === 3001)?.value as number;
    const r = await sb.run([
      '--json',
      'simulate',
      'topup',
      '--balance-id',
      '3001',
      '--amount',
      '500',
      '--currency',
      'EUR',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      state: 'COMPLETED',
      balancesAfter: [{ id: 3001, value: before + 500, currency: 'EUR' }],
    });
    const wrong = await sb.run(['simulate', 'topup', '--balance-id', '3001', '--amount', '5', '--currency', 'GBP']);
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toContain('balance 3001 holds EUR');
  });

  it('bad input is exit 2 and production is refused before anything is sent', async () => {
    const { sb, mock } = env;
    const before = await requestCount(mock);
    for (const args of [
      ['simulate', 'transfer', '1', 'delivered'],
      ['simulate', 'transfer', 'abc', 'processing'],
      ['simulate', 'topup', '--balance-id', '3001', '--amount', '-5', '--currency', 'EUR'],
      ['--env', 'production', 'simulate', 'transfer', '1', 'processing'],
      ['--env', 'production', 'simulate', 'topup', '--balance-id', '1', '--amount', '5', '--currency', 'EUR'],
    ]) {
      const r = await sb.run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).not.toMatch(STACK_TRACE);
    }
    expect((await sb.run(['--env', 'production', 'simulate', 'transfer', '1', 'processing'])).stderr).toContain(
      'production moves real money',
    );
    expect(await requestCount(mock)).toBe(before);
  });
});
