import { afterAll, beforeAll } from 'vitest';
import { startMockServer } from '../../src/mock/server.js';
import { createSandbox, type Sandbox } from '../helpers/cli.js';
import { type MockServer, recordedRequests, startMock } from '../helpers/mock.js';

/**
 * An emulator and a sandbox with the demo user's personal token stored, the user moved to the US (where Wise lets
 * personal tokens read statements and fund transfers, with SCA) and an SCA key uploaded. Live getters.
 */
export function useAccount(options: { latencyMs?: number } = {}): { readonly mock: MockServer; readonly sb: Sandbox } {
  let mock: MockServer | undefined;
  let sb: Sandbox | undefined;
  beforeAll(async () => {
    mock = options.latencyMs ? await startMockServer({ port: 0, latencyMs: options.latencyMs }) : await startMock();
    sb = await createSandbox({ WISE_API_URL: mock.url });
    const add = await sb.run(['token', 'add'], { input: mock.personalToken });
    if (add.code !== 0) throw new Error(add.stderr);
    await fetch(`${mock.url}/__mock/users/1001`, { method: 'POST', body: '{"country":"US"}' });
    const key = await sb.run(['keys', 'generate', '--use', 'sca']);
    if (key.code !== 0) throw new Error(key.stderr);
    const up = await fetch(`${mock.url}/__mock/users/1001/sca-keys`, { method: 'POST', body: key.stdout });
    if (up.status !== 201) throw new Error('SCA key not uploaded');
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

/** How many requests the emulator has recorded so far (to check that a refused command sent nothing). */
export async function requestCount(mock: MockServer): Promise<number> {
  return (await recordedRequests(mock)).length;
}
