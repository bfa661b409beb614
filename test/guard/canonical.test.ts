import { describe, expect, it } from 'vitest';
import { canonicalApiPath, classifyMoneyCall, nonCanonicalWrite } from '../../src/guard/classify.js';
import { checkPayments } from '../../src/guard/policy.js';

describe('write paths in canonical form', () => {
  it.each([
    ['/v1//transfers', 'empty segment'],
    ['//v1/transfers', 'empty segment'],
    ['/v1/%74ransfers', 'percent-encodes'],
    ['/v1/transfer%73', 'percent-encodes'],
    ['/V1/transfers', 'another case'],
    ['/v1/Transfers', 'another case'],
    ['/v3/profiles/1/QUOTES', 'another case'],
    ['/v1/transfers;a=b', '; parameter'],
    ['/v1/./transfers', 'dot segment'],
    ['/v1/x/../transfers', 'dot segment'],
    ['/v1/%2e/transfers', 'dot segment'],
  ])('%s is refused: %s', (path, why) => {
    expect(nonCanonicalWrite('POST', path)).toContain(why);
    // The classifier reads the canonical path: a money call it would have missed is one.
    if (!/another case/.test(why)) expect(classifyMoneyCall('POST', path)?.kind).toBe('transfer.create');
  });

  it.each([
    '/v1/transfers',
    '/v1/transfers/',
    '/v3/profiles/2001/quotes?x=1',
    '/2026Q4/profiles/2001/quotes',
    '/twcard-data/v1/clientSideEncryption/fetchEncryptingKey',
    '/v1/a%2Fb',
  ])('%s passes', (path) => {
    expect(nonCanonicalWrite('POST', path)).toBeUndefined();
  });

  it('reads are not checked; the canonical form decodes only unreserved characters', () => {
    expect(nonCanonicalWrite('GET', '/v1//transfers')).toBeUndefined();
    expect(canonicalApiPath('/v1/%74ransfers;x/./a/../b%2f')).toBe('/v1/transfers/b%2F');
  });
});

describe('checkPayments at its edges', () => {
  const situation = { env: 'sandbox', unattended: true, spentToday: new Map<string, number>() };
  const rules = [{ maxPerTransfer: { EUR: 100 }, maxPerDay: { EUR: 150 }, allowedTargetCurrencies: ['EUR', 'GBP'] }];
  it('a payment of exactly the cap passes; a cent more does not', () => {
    expect(() => checkPayments(rules, situation, [{ amount: 100, currency: 'EUR', recipientId: 1 }])).not.toThrow();
    expect(() => checkPayments(rules, situation, [{ amount: 100.01, currency: 'EUR', recipientId: 1 }])).toThrow(
      'maxPerTransfer EUR is 100.00',
    );
  });
  it('a payment in a currency the policy excludes is refused; the allowed ones pass', () => {
    expect(() => checkPayments(rules, situation, [{ amount: 1, currency: 'USD', recipientId: 1 }])).toThrow(
      'allowedTargetCurrencies is EUR, GBP, not USD',
    );
    expect(() => checkPayments(rules, situation, [{ amount: 1, currency: 'GBP', recipientId: 1 }])).not.toThrow();
  });
});

describe('the money classifier is the endpoint table', () => {
  it('knows each money entry of the table, classic and versioned, with the ids of its path', async () => {
    const { classifyMoneyCall } = await import('../../src/guard/classify.js');
    const { ENDPOINTS, endpoint } = await import('../../src/http/endpoints.js');
    const g = '5f0c2c1e-1111-4222-8333-944445555666';
    expect(classifyMoneyCall('POST', endpoint('quotes', undefined, 2001))).toEqual({
      kind: 'quote.create',
      profileId: 2001,
    });
    expect(classifyMoneyCall('POST', endpoint('transfers', undefined))).toEqual({ kind: 'transfer.create' });
    expect(classifyMoneyCall('POST', endpoint('fundTransfer', undefined, 2001, 49))).toEqual({
      kind: 'transfer.fund',
      profileId: 2001,
      transferId: 49,
    });
    expect(classifyMoneyCall('PUT', endpoint('cancelTransfer', undefined, 49))).toEqual({
      kind: 'transfer.cancel',
      transferId: 49,
    });
    expect(classifyMoneyCall('PATCH', endpoint('batchGroup', undefined, 2001, g))).toEqual({
      kind: 'batch.complete',
      profileId: 2001,
      batchGroupId: g,
    });
    for (const version of [undefined, '2026Q4']) {
      expect(classifyMoneyCall('POST', endpoint('fundBatchGroup', version, 2001, g))).toEqual({
        kind: 'batch.fund',
        profileId: 2001,
        batchGroupId: g,
      });
    }
    // Every money entry is classified, and a read of the same path is not.
    for (const [name, entry] of Object.entries(ENDPOINTS)) {
      const money = (entry as { money?: { method: string } }).money;
      if (!money) continue;
      const path = (entry.classic as (...a: unknown[]) => string)(2001, 7);
      expect(classifyMoneyCall(money.method, path), name).toBeDefined();
      expect(classifyMoneyCall('GET', path), name).toBeUndefined();
    }
    expect(classifyMoneyCall('POST', '/2026Q5/profiles/2001/batch-payments/x/payments')).toBeUndefined();
    // A versioned form of a profile's money path is guarded as the classic one, documented or not.
    expect(classifyMoneyCall('POST', '/2026Q4/profiles/2001/quotes')).toEqual({
      kind: 'quote.create',
      profileId: 2001,
    });
    expect(classifyMoneyCall('POST', '/v3/profiles/abc/quotes')).toBeUndefined();
  });
});
