import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WiseResponse } from '../../src/http/pipeline.js';
import { scaRefusal } from '../../src/http/pipeline.js';
import { runInProcessByDefault, type Sandbox, STACK_TRACE } from '../helpers/cli.js';
import { type Mitm, startMitm } from '../helpers/mitm.js';
import { type MockServer, personalTokenUser, startMock } from '../helpers/mock.js';

runInProcessByDefault();

const STATEMENT =
  '/v1/profiles/2001/balance-statements/3001/statement.json?currency=EUR&intervalStart=2026-06-01T00:00:00.000Z&intervalEnd=2026-11-30T23:59:59.999Z';
const OTT = '5a0b2b4e-2c0e-4b0e-9d7a-1b2c3d4e5f60';

let mock: MockServer;
let mitm: Mitm;
let sb: Sandbox;
beforeEach(async () => {
  mock = await startMock();
  mitm = await startMitm(mock.url);
  sb = await personalTokenUser(mock, { scaKey: true, apiUrl: mitm.url });
});
afterEach(async () => {
  await mitm.close();
  await mock.close();
  await sb.cleanup();
});

describe('the SCA key signs only Wise one-time tokens', () => {
  it.each([
    ['arbitrary data', { 'x-2fa-approval': 'ARBITRARY-DATA-TO-SIGN', 'x-2fa-approval-result': 'REJECTED' }, 'UUID'],
    ['no REJECTED result', { 'x-2fa-approval': OTT }, 'x-2fa-approval-result is missing'],
    ['another result', { 'x-2fa-approval': OTT, 'x-2fa-approval-result': 'APPROVED' }, '"APPROVED", not REJECTED'],
  ])('a 403 with %s: exit 5 saying why, and no signature is sent anywhere', async (_, headers, why) => {
    mitm.intercept = (request) =>
      request.path.startsWith('/v1/profiles/2001/balance-statements')
        ? { status: 403, headers: { 'content-type': 'application/json', ...headers }, body: '{}' }
        : undefined;
    const r = await sb.run(['api', STATEMENT]);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('nothing was signed or answered');
    expect(r.stderr).toContain(why);
    expect(r.stderr).not.toMatch(STACK_TRACE);
    expect(mitm.seen.filter((s) => s.headers['x-signature'])).toEqual([]);
    expect(mitm.seen.filter((s) => s.path.startsWith('/v1/profiles/2001/balance-statements'))).toHaveLength(1);
  });

  it("Wise's own challenge is still answered", async () => {
    const r = await sb.run(['api', STATEMENT]);
    expect(r.code, r.stderr).toBe(0);
    expect(mitm.seen.filter((s) => s.headers['x-signature'])).toHaveLength(1);
  });

  it('wise sca sign signs a UUID and nothing else (exit 5, nothing on stdout)', async () => {
    const bad = await sb.run(['sca', 'sign', 'ARBITRARY-DATA-TO-SIGN']);
    expect(bad.code).toBe(5);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toContain(
      'Nothing was signed: "ARBITRARY-DATA-TO-SIGN" is not a one-time token in Wise\'s form',
    );
    const good = await sb.run(['sca', 'sign', OTT]);
    expect(good.code, good.stderr).toBe(0);
    expect(good.stdout).toMatch(/^[A-Za-z0-9+/=]{300,}\n$/);
  });

  it('a challenge from another origin than the API is refused', () => {
    const challenge = {
      status: 403,
      headers: { 'x-2fa-approval': OTT, 'x-2fa-approval-result': 'REJECTED' },
      body: Buffer.alloc(0),
    } as unknown as WiseResponse;
    const api = 'https://api.wise-sandbox.com';
    expect(scaRefusal(challenge, new URL(`${api}/v1/x`), api)).toBeUndefined();
    expect(scaRefusal(challenge, new URL('https://evil.example/v1/x'), api)).toContain('not the API origin');
  });
});
