import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MockServer, startMock } from '../helpers/mock.js';

let mock: MockServer;
beforeAll(async () => {
  mock = await startMock();
});
afterAll(async () => {
  await mock.close();
});

const post = (path: string, body: unknown, token = mock.personalToken) =>
  fetch(`${mock.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('emulator: quotes', () => {
  it('a source-amount quote: rate, fee, target amount, 30-minute expiry; readable again by id', async () => {
    const res = await post('/v3/profiles/2001/quotes', {
      sourceCurrency: 'EUR',
      targetCurrency: 'GBP',
      sourceAmount: 100,
    });
    expect(res.status).toBe(200);
    const quote = (await res.json()) as Record<string, unknown> & { paymentOptions: { fee: { total: number } }[] };
    expect(quote).toMatchObject({ sourceCurrency: 'EUR', targetCurrency: 'GBP', sourceAmount: 100, rate: 0.86 });
    const fee = quote.paymentOptions[0]?.fee.total as number;
    expect(fee).toBeCloseTo(0.82, 2);
    expect(quote.targetAmount).toBeCloseTo((100 - fee) * 0.86, 2);
    expect(Date.parse(quote.expirationTime as string) - Date.parse(quote.createdTime as string)).toBe(30 * 60_000);
    const again = await fetch(`${mock.url}/v3/profiles/2001/quotes/${quote.id}`, {
      headers: { authorization: `Bearer ${mock.personalToken}` },
    });
    expect(await again.json()).toEqual(quote);
  });

  it('a target-amount quote works out the source amount', async () => {
    const quote = (await (
      await post('/v3/profiles/2001/quotes', { sourceCurrency: 'EUR', targetCurrency: 'USD', targetAmount: 108 })
    ).json()) as { sourceAmount: number; providedAmountType: string };
    expect(quote.providedAmountType).toBe('TARGET');
    expect(quote.sourceAmount).toBeGreaterThan(100);
  });

  it.each([
    [{ sourceCurrency: 'EUR', targetCurrency: 'XXX', sourceAmount: 1 }, 'error.targetCurrency.invalid'],
    [{ sourceCurrency: 'EUR', targetCurrency: 'GBP' }, 'error.amount.invalid'],
    [{ sourceCurrency: 'EUR', targetCurrency: 'GBP', sourceAmount: 1, targetAmount: 1 }, 'error.amount.invalid'],
    [{ sourceCurrency: 'EUR', targetCurrency: 'GBP', sourceAmount: -5 }, 'error.sourceAmount.invalid'],
  ])('refuses %o with 422 %s', async (body, code) => {
    const res = await post('/v3/profiles/2001/quotes', body);
    expect(res.status).toBe(422);
    expect(((await res.json()) as { errors: { code: string }[] }).errors[0]?.code).toBe(code);
  });

  it('an unknown profile is 404', async () => {
    expect(
      (await post('/v3/profiles/9999/quotes', { sourceCurrency: 'EUR', targetCurrency: 'GBP', sourceAmount: 1 }))
        .status,
    ).toBe(404);
  });
});
