import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, AuthError, NetworkError, ScaRequiredError } from '../../src/errors.js';
import { describeWiseError, isPsd2RestrictedPath, WiseClient, type WiseClientOptions } from '../../src/http/client.js';
import type { Layer } from '../../src/http/pipeline.js';
import { createTransport, type Transport } from '../../src/http/transport.js';
import { Redactor } from '../../src/util/redact.js';
import { expectContractViolation } from '../helpers/contract.js';
import { type MockServer, queueFault, recordedRequests, startMock } from '../helpers/mock.js';

let mock: MockServer;
beforeAll(async () => {
  mock = await startMock();
});
afterAll(async () => {
  await mock.close();
});

function client(overrides: Partial<WiseClientOptions> = {}) {
  const sleeps: number[] = [];
  const c = new WiseClient({
    baseUrl: new URL(`${mock.url}/`),
    transport: createTransport({}),
    redactor: new Redactor(),
    debug: () => {},
    debugEnabled: false,
    clock: {
      now: () => Date.now(),
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    },
    accessToken: async () => mock.personalToken,
    credentialKind: 'personal',
    ...overrides,
  });
  return { c, sleeps };
}

async function since<T>(fn: () => Promise<T>) {
  const before = (await recordedRequests(mock)).length;
  const result = await fn().catch((e: unknown) => e);
  const seen = (await recordedRequests(mock)).slice(before);
  return { result, seen };
}

describe('retries', () => {
  it('retries a GET after 502/503/504 with the same correlation id', async () => {
    await queueFault(mock, { path: '/v1/me', status: 503 });
    await queueFault(mock, { path: '/v1/me', status: 502 });
    await queueFault(mock, { path: '/v1/me', status: 504 });
    const { c, sleeps } = client();
    const { result, seen } = await since(() => c.request({ method: 'GET', path: '/v1/me' }));
    expect(result).toMatchObject({ status: 200 });
    expect(seen.map((r) => r.status)).toEqual([503, 502, 504, 200]);
    expect(new Set(seen.map((r) => r.correlationId)).size).toBe(1);
    expect(sleeps).toHaveLength(3);
    // Jittered exponential backoff: each wait within [base*2^n/2, base*2^n].
    sleeps.forEach((ms, n) => {
      expect(ms).toBeGreaterThanOrEqual(125 * 2 ** n);
      expect(ms).toBeLessThanOrEqual(250 * 2 ** n);
    });
  });

  it('gives up after 3 retries and reports the last error', async () => {
    await queueFault(mock, { path: '/v1/me', status: 503, count: 4 });
    const { c } = client();
    const { result, seen } = await since(() => c.request({ method: 'GET', path: '/v1/me' }));
    expect(result).toBeInstanceOf(ApiError);
    expect(seen).toHaveLength(4);
  });

  it('never repeats a POST', async () => {
    await queueFault(mock, { path: '/v1/me', method: 'POST', status: 503 });
    const { c, sleeps } = client();
    const { result, seen } = await since(() => c.request({ method: 'POST', path: '/v1/me', body: '{}' }));
    expect(result).toBeInstanceOf(ApiError);
    expect(seen).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('repeats a POST after a 429: Wise answered before acting on it', async () => {
    // POST /v1/me is no operation of Wise's: the emulator's 404 is the answer after the retry.
    expectContractViolation(/POST \/v1\/me: no operation/);
    await queueFault(mock, { path: '/v1/me', method: 'POST', status: 429, retryAfter: '1' });
    const { c, sleeps } = client();
    const { seen } = await since(() => c.send({ method: 'POST', path: '/v1/me', body: '{}' }));
    expect(seen.map((r) => r.status)).toEqual([429, 404]);
    expect(sleeps).toEqual([1000]);
  });

  it('honours Retry-After on 429', async () => {
    await queueFault(mock, { path: '/v2/profiles', status: 429, retryAfter: '2' });
    const { c, sleeps } = client();
    const { result, seen } = await since(() => c.request({ method: 'GET', path: '/v2/profiles' }));
    expect(result).toMatchObject({ status: 200 });
    expect(seen.map((r) => r.status)).toEqual([429, 200]);
    expect(sleeps).toEqual([2000]);
  });

  it('does not wait for a Retry-After beyond the cap; it reports the 429', async () => {
    await queueFault(mock, { path: '/v2/profiles', status: 429, retryAfter: '3600' });
    const { c, sleeps } = client();
    const { result, seen } = await since(() => c.request({ method: 'GET', path: '/v2/profiles' }));
    expect(result).toBeInstanceOf(ApiError);
    expect((result as ApiError).details).toMatchObject({ status: 429 });
    expect(seen).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('retries a GET after a connection reset', async () => {
    await queueFault(mock, { path: '/v1/me', reset: true });
    const { c } = client();
    const { result, seen } = await since(() => c.request({ method: 'GET', path: '/v1/me' }));
    expect(result).toMatchObject({ status: 200 });
    expect(seen.map((r) => r.status)).toEqual([0, 200]);
  });

  it('does not retry a POST after a connection reset: it may have been applied', async () => {
    await queueFault(mock, { path: '/v1/me', method: 'POST', reset: true });
    const { c } = client();
    const { result, seen } = await since(() => c.request({ method: 'POST', path: '/v1/me', body: '{}' }));
    expect(result).toBeInstanceOf(NetworkError);
    expect(seen).toHaveLength(1);
  });
});

describe('errors', () => {
  it('a refused connection is a NetworkError (exit 6)', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const { c } = client({ baseUrl: new URL(`http://127.0.0.1:${port}/`) });
    const error = await c.request({ method: 'GET', path: '/v1/me' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).exitCode).toBe(6);
    expect((error as NetworkError).message).toContain('connection refused');
  });

  it('a server that accepts and never answers times out as a NetworkError', async () => {
    const server = createServer(() => {}).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const port = (server.address() as { port: number }).port;
    const { c } = client({ baseUrl: new URL(`http://127.0.0.1:${port}/`), timeoutMs: 100, maxRetries: 0 });
    const error = await c.request({ method: 'GET', path: '/v1/me' }).catch((e: unknown) => e);
    server.close();
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).message).toContain('no answer');
  });

  it("a fault in the tool's own code is not reported as Wise being unreachable", async () => {
    const bug = new TypeError('importSomething is not a function');
    const transport: Transport = async () => {
      throw bug;
    };
    const { c } = client({ transport });
    const error = await c.request({ method: 'GET', path: '/v1/me' }).catch((e: unknown) => e);
    expect(error).toBe(bug);
    expect(error).not.toBeInstanceOf(NetworkError);
  });

  it('401 is an AuthError (exit 4)', async () => {
    const { c } = client({ accessToken: async () => 'bad-token-123456' });
    const error = await c.request({ method: 'GET', path: '/v1/me' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).message).toContain('invalid_token: Invalid token');
  });

  it('a 403 with an SCA challenge is ScaRequiredError (exit 5)', async () => {
    const transport: Transport = async () => ({
      status: 403,
      statusText: 'Forbidden',
      headers: { 'x-2fa-approval-result': 'REJECTED', 'x-2fa-approval': '5a7b9c1d-0000-4000-8000-000000000001' },
      body: Buffer.from(''),
    });
    const { c } = client({ transport });
    const error = await c.request({ method: 'GET', path: '/v1/x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ScaRequiredError);
    expect((error as ScaRequiredError).exitCode).toBe(5);
  });

  it.each([
    ['{"errors":[{"code":"NOT_FOUND","message":"No profile"}]}', 'NOT_FOUND: No profile', ['NOT_FOUND']],
    ['{"errors":[{"code":"a","message":"one"},{"code":"b","message":"two"}]}', 'a: one; b: two', ['a', 'b']],
    [
      '{"error":"invalid_grant","error_description":"Invalid refresh token"}',
      'invalid_grant: Invalid refresh token',
      ['invalid_grant'],
    ],
    ['{"error":"invalid_token"}', 'invalid_token', ['invalid_token']],
    ['{"message":"Something"}', 'Something', []],
    ['plain words', 'plain words', []],
    ['<html>gateway</html>', undefined, []],
  ])('reads Wise error body %s', (body, message, codes) => {
    expect(describeWiseError(Buffer.from(body))).toEqual({ ...(message ? { message } : {}), codes });
  });
});

describe('isPsd2RestrictedPath', () => {
  it.each([
    ['GET', '/v1/profiles/1/balance-statements/2/statement.json?currency=EUR', true],
    ['GET', '/v1/profiles/1/balance-statements/2/statement.pdf', true],
    ['GET', '/v3/profiles/1/borderless-accounts/2/statement.json', true],
    ['POST', '/v3/profiles/1/transfers/2/payments', true],
    ['GET', '/v3/profiles/1/transfers/2/payments', false],
    ['POST', '/v3/profiles/1/transfers', false],
    ['GET', '/v4/profiles/1/balances', false],
    ['POST', '/v3/profiles/1/quotes', false],
  ])('%s %s → %s', (method, path, expected) => {
    expect(isPsd2RestrictedPath(method, path)).toBe(expected);
  });
});

describe('the pipeline', () => {
  it('runs its layers in the documented order', () => {
    const { c } = client();
    expect(c.layers.map((l) => l.name)).toEqual(['guard', 'credential', 'body codec', 'sca', 'retry', 'trace']);
  });

  it('takes a new layer without any change to send: it sees every attempt, after the credential', async () => {
    const attempts: { authorization: string | undefined; marks: string[] }[] = [];
    const counting: Layer = {
      name: 'counting',
      async handle(request, next) {
        attempts.push({ authorization: request.headers.authorization, marks: [...request.marks] });
        const response = await next(request);
        return { ...response, headers: { ...response.headers, 'x-seen-by': 'counting' } };
      },
    };
    await queueFault(mock, { path: '/v1/me', status: 503 });
    const { c } = client({
      // Between retry and trace: each attempt passes it.
      insert: [{ after: 'retry', layer: counting }],
    });
    const response = await c.request({ method: 'GET', path: '/v1/me' });
    expect(response.headers['x-seen-by']).toBe('counting');
    expect(attempts).toHaveLength(2);
    for (const a of attempts) expect(a.authorization).toBe(`Bearer ${mock.personalToken}`);
    expect(c.layers.map((l) => l.name)).toEqual([
      'guard',
      'credential',
      'body codec',
      'sca',
      'retry',
      'counting',
      'trace',
    ]);
  });
});

describe('inserting a layer', () => {
  it('goes after the layer named; an unknown name is an error, not a silent position', async () => {
    const { insertLayers } = await import('../../src/http/pipeline.js');
    const named = (name: string) => ({ name, handle: async () => ({}) as never });
    const stack = ['guard', 'credential', 'retry', 'trace'].map(named);
    expect(insertLayers(stack, [{ after: 'retry', layer: named('pace') }]).map((l) => l.name)).toEqual([
      'guard',
      'credential',
      'retry',
      'pace',
      'trace',
    ]);
    expect(stack.map((l) => l.name)).toEqual(['guard', 'credential', 'retry', 'trace']);
    expect(() => insertLayers(stack, [{ after: 'sca', layer: named('x') }])).toThrow('No layer named "sca"');
  });
});
