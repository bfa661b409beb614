import { afterAll, beforeAll } from 'vitest';
import { type MockOptions, type MockServer, type RecordedRequest, startMockServer } from '../../src/mock/server.js';
import { createSandbox, type RunMode, type Sandbox } from './cli.js';

export type { MockServer };

export async function startMock(): Promise<MockServer> {
  return startMockServer({ port: 0 });
}

export async function queueFault(
  server: MockServer,
  fault: {
    path: string;
    method?: string;
    status?: number;
    count?: number;
    retryAfter?: string;
    reset?: boolean;
    body?: unknown;
  },
): Promise<void> {
  const res = await fetch(`${server.url}/__mock/faults`, { method: 'POST', body: JSON.stringify(fault) });
  if (res.status !== 201) throw new Error(`fault not queued: ${res.status}`);
}

export async function recordedRequests(server: MockServer): Promise<RecordedRequest[]> {
  const res = await fetch(`${server.url}/__mock/requests`);
  return (await res.json()) as RecordedRequest[];
}

/**
 * One emulator and one sandbox pointed at it for the whole test file, with the emulator's `options` and a `setUp`
 * run once both are there. Returns live getters, so test bodies read the values the hooks set.
 */
export function useEmulatorAndSandbox(
  options: { mock?: MockOptions; setUp?: (mock: MockServer, sb: Sandbox) => Promise<void>; mode?: RunMode } = {},
): { readonly mock: MockServer; readonly sb: Sandbox } {
  let mock: MockServer | undefined;
  let sb: Sandbox | undefined;
  beforeAll(async () => {
    mock = await startMockServer({ port: 0, ...options.mock });
    sb = await createSandbox({ WISE_API_URL: mock.url }, options.mode);
    await options.setUp?.(mock, sb);
  });
  afterAll(async () => {
    await mock?.close();
    await sb?.cleanup();
  });
  return {
    get mock() {
      if (!mock) throw new Error('the emulator is not running yet');
      return mock;
    },
    get sb() {
      if (!sb) throw new Error('the sandbox is not ready yet');
      return sb;
    },
  };
}

/**
 * A transfer of the demo user waiting for its money (quote, then transfer to recipient 7002, with the personal
 * token): the path that funds it, for tests of protected POSTs.
 */
export async function draftTransferFunding(server: MockServer, profileId = 2001): Promise<string> {
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.personalToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as { id: string | number };
  };
  const quote = await post(`/v3/profiles/${profileId}/quotes`, {
    sourceCurrency: 'EUR',
    targetCurrency: 'EUR',
    targetAmount: 10,
  });
  const transfer = await post('/v1/transfers', {
    targetAccount: 7002,
    quoteUuid: quote.id,
    customerTransactionId: crypto.randomUUID(),
    details: { reference: 'test' },
  });
  return `/v3/profiles/${profileId}/transfers/${transfer.id}/payments`;
}

/**
 * The demo user with a stored personal token in a fresh sandbox: living in the US (where Wise lets personal tokens
 * fund transfers and read statements, with SCA) and, with `scaKey`, her SCA key uploaded. `apiUrl` points the
 * sandbox elsewhere than the emulator (a man in the middle in front of it).
 */
export async function personalTokenUser(
  server: MockServer,
  options: { scaKey?: boolean; apiUrl?: string; env?: Record<string, string> } = {},
): Promise<Sandbox> {
  const sb = await createSandbox({ WISE_API_URL: options.apiUrl ?? server.url, ...options.env });
  const add = await sb.run(['token', 'add'], { input: server.personalToken });
  if (add.code !== 0) throw new Error(add.stderr);
  await fetch(`${server.url}/__mock/users/1001`, { method: 'POST', body: '{"country":"US"}' });
  if (options.scaKey) {
    const key = await sb.run(['keys', 'generate', '--use', 'sca']);
    await fetch(`${server.url}/__mock/users/1001/sca-keys`, { method: 'POST', body: key.stdout });
  }
  return sb;
}
