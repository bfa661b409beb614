import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runInProcessByDefault, STACK_TRACE } from '../helpers/cli.js';
import { ContractChecker } from '../helpers/contract.js';
import { draftTransferFunding } from '../helpers/mock.js';
import { startWise } from '../helpers/oauth.js';
import { waitFor } from '../helpers/wait.js';
import { requestCount, useAccount } from './helpers.js';

runInProcessByDefault();

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

  it('a simulated change reaches the subscriptions as a signed transfers#state-change event: the local loop with wise webhook listen', async () => {
    const { sb, mock } = env;
    const key = join(sb.dir, 'webhook-public-key.pem');
    await writeFile(key, mock.webhookPublicKey);
    const listener = startWise(sb, ['--json', 'webhook', 'listen', '--port', '0', '--public-key', key]);
    try {
      await waitFor(() => /Listening/.test(listener.stderr()), 'the listener');
      const url = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(listener.stderr())?.[1] as string;
      const subscribe = (event: string, version: string) =>
        sb.run(['webhook', 'subscribe', '--event', event, '--url', url, '--schema-version', version]);
      const v2 = await subscribe('transfers#state-change', '2.0.0');
      expect(v2.code, v2.stderr).toBe(0);
      const v4 = await subscribe('transfers#state-change', '4.0.0');
      expect(v4.code, v4.stderr).toBe(0);
      // Another event's subscription hears nothing of it.
      expect((await subscribe('balances#credit', '2.0.0')).code).toBe(0);
      const id = Number((await draftTransferFunding(mock)).split('/')[5]);
      expect((await sb.run(['simulate', 'transfer', String(id), 'processing'])).code).toBe(0);

      const lines = () =>
        listener
          .stdout()
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as { test: boolean; eventType: string; event: Record<string, unknown> });
      await waitFor(() => lines().length === 2, 'two deliveries printed by the listener');
      const checker = new ContractChecker();
      const byVersion = new Map(lines().map((l) => [l.event.schema_version as string, l]));
      for (const [version, sub] of [
        ['2.0.0', v2],
        ['4.0.0', v4],
      ] as const) {
        const line = byVersion.get(version);
        expect(line?.test).toBe(false);
        expect(line?.eventType).toBe('transfers#state-change');
        expect(line?.event).toMatchObject({
          subscription_id: sub.stdout.trim(),
          data: {
            resource: { type: 'transfer', id, profile_id: 2001 },
            current_state: 'processing',
            previous_state: 'incoming_payment_waiting',
          },
        });
        // Wise's payload schema for the event, and its times: to the second in 2.0.0, milliseconds in 4.0.0.
        expect(checker.checkEvent('transfers#state-change', line?.event)).toEqual([]);
        expect(line?.event.sent_at as string).toMatch(version === '2.0.0' ? /:\d\dZ$/ : /\.\d{3}Z$/);
      }
      const deliveries = (await (await fetch(`${mock.url}/__mock/webhooks/deliveries`)).json()) as { status: number }[];
      expect(deliveries.map((d) => d.status)).toEqual([200, 200]);
      // A forged payload fails the contract check, so the check above can fail.
      expect(checker.checkEvent('transfers#state-change', { schema_version: '3.0.0' })).not.toEqual([]);
    } finally {
      listener.child.kill('SIGTERM');
      await listener.done;
    }
  });

  it('http delivery URLs are for an emulator on this machine only', async () => {
    const { sb } = env;
    const remote = await sb.run([
      'webhook',
      'subscribe',
      '--event',
      'transfers#state-change',
      '--url',
      'http://example.com/x',
    ]);
    expect(remote.code).toBe(2);
    // Wise's own sandbox cannot reach this machine: refused before anything is sent.
    const sandbox = await sb.run(
      ['webhook', 'subscribe', '--event', 'transfers#state-change', '--url', 'http://127.0.0.1:9/'],
      {
        env: {
          WISE_API_URL: 'https://api.sandbox.transferwise.tech',
          WISE_PROFILE_ID: '2001',
          WISE_TOKEN: 'x'.repeat(36),
        },
      },
    );
    expect(sandbox.code, sandbox.stderr).toBe(2);
    expect(sandbox.stderr).toContain('Only an emulator on this machine');
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
