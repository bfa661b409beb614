import type { RunMode, Sandbox } from '../helpers/cli.js';
import { type MockServer, recordedRequests, useEmulatorAndSandbox } from '../helpers/mock.js';

/**
 * An emulator and a sandbox with the demo user's personal token stored, the user moved to the US (where Wise lets
 * personal tokens read statements and fund transfers, with SCA) and an SCA key uploaded. Live getters.
 */
export function useAccount(options: { latencyMs?: number; mode?: RunMode } = {}): {
  readonly mock: MockServer;
  readonly sb: Sandbox;
} {
  return useEmulatorAndSandbox({
    ...(options.mode ? { mode: options.mode } : {}),
    mock: options.latencyMs ? { latencyMs: options.latencyMs } : {},
    setUp: async (mock, sb) => {
      const add = await sb.run(['token', 'add'], { input: mock.personalToken });
      if (add.code !== 0) throw new Error(add.stderr);
      await fetch(`${mock.url}/__mock/users/1001`, { method: 'POST', body: '{"country":"US"}' });
      const key = await sb.run(['keys', 'generate', '--use', 'sca']);
      if (key.code !== 0) throw new Error(key.stderr);
      const up = await fetch(`${mock.url}/__mock/users/1001/sca-keys`, { method: 'POST', body: key.stdout });
      if (up.status !== 201) throw new Error('SCA key not uploaded');
    },
  });
}

/** How many requests the emulator has recorded so far (to check that a refused command sent nothing). */
export async function requestCount(mock: MockServer): Promise<number> {
  return (await recordedRequests(mock)).length;
}
