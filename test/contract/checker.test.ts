import { describe, expect, it } from 'vitest';
import type { Exchange } from '../../src/mock/server.js';
import { ContractChecker } from '../helpers/contract.js';

/** An exchange as the emulator reports it, with the defaults of a plain JSON GET answered 200. */
function exchange(over: Partial<Exchange> & { url: string }): Exchange {
  return {
    method: 'GET',
    headers: {},
    body: Buffer.alloc(0),
    status: 200,
    replyHeaders: {},
    injected: false,
    ...over,
  };
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

describe("the contract check holds exchanges to Wise's OpenAPI document", () => {
  const checker = new ContractChecker();

  it('was made from Wise’s document, with its provenance', () => {
    expect(checker.contract.provenance).toMatchObject({
      openapi: '3.1.0',
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(Object.keys(checker.contract.paths).length).toBeGreaterThan(150);
  });

  it('passes a conforming exchange and names what a deviating one gets wrong', () => {
    expect(
      checker.check(
        exchange({
          url: '/v2/accounts?profileId=2001&size=20',
          replyBody: { content: [] },
          contentType: 'application/json',
        }),
      ),
    ).toEqual([]);
    expect(checker.check(exchange({ url: '/v2/accounts?size=21' }))[0]?.message).toBe(
      'query size=21: (root) must be <= 20',
    );
    expect(checker.check(exchange({ url: '/v2/accounts?sizee=2' }))[0]?.message).toContain('query parameter sizee');
    expect(checker.check(exchange({ url: '/v1/account-requirements?source=EUR' }))[0]?.message).toContain(
      'no operation',
    );
    const subscribe = {
      method: 'POST',
      url: '/v3/profiles/2001/subscriptions',
      headers: { 'content-type': 'application/json' },
      body: json({ name: 'n', trigger_on: 'transfers#state-change', delivery: { version: '2.0.0', url: 'https://x' } }),
    };
    expect(checker.check(exchange({ ...subscribe, status: 200 }))).toEqual([]);
    expect(checker.check(exchange({ ...subscribe, status: 201 }))[0]?.message).toBe(
      'status 201; Wise answers 200, 429',
    );
    expect(checker.check(exchange({ ...subscribe, body: json({ name: 'n' }) }))[0]?.message).toContain(
      "must have required property 'trigger_on'",
    );
    // An answer whose body breaks the schema: a transfer's reference that is a number.
    const transfer = exchange({
      url: '/v1/transfers/1',
      contentType: 'application/json',
      replyBody: { id: 1, reference: 42, created: '2026-01-01 10:00:00' },
    });
    expect(checker.check(transfer)[0]).toMatchObject({
      where: 'response',
      operation: 'GET /v1/transfers/{transferId}',
    });
    // An error status the operation does not list is not a deviation (OpenAPI lists need not be complete).
    expect(checker.check(exchange({ url: '/v2/profiles', status: 503 }))).toEqual([]);
    // A fault a test injected is not the emulator's answer.
    expect(checker.check(exchange({ url: '/nowhere', injected: true }))).toEqual([]);
  });

  it('counts the allow-listed deviations, each named in the allow-list with its reason', () => {
    const before = Object.fromEntries(checker.allowed);
    checker.check(
      exchange({
        url: '/v1/transfers/1',
        contentType: 'application/json',
        replyBody: { id: 1, created: '2026-01-01 10:00:00' },
      }),
    );
    checker.check(
      exchange({
        url: '/v1/profiles/1/balance-statements/2/statement.csv?currency=EUR&intervalStart=2026-01-01T00:00:00Z&intervalEnd=2026-01-02T00:00:00Z&type=COMPACT',
        contentType: 'text/csv',
      }),
    );
    checker.check(
      exchange({
        url: '/v1/profiles/1/balance-statements/2/statement.json',
        status: 403,
        replyHeaders: { 'x-2fa-approval': 'x' },
      }),
    );
    const after = Object.fromEntries(checker.allowed);
    for (const id of ['date-time-without-offset', 'statement-formats', 'sca-403']) {
      expect(after[id], id).toBeGreaterThan(before[id] ?? 0);
    }
    for (const entry of checker.allowList) expect(entry.reason.length, entry.id).toBeGreaterThan(40);
    expect(checker.allowList.length).toBeLessThanOrEqual(6);
  });
});
