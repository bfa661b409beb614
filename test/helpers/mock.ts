import { type MockServer, type RecordedRequest, startMockServer } from '../../src/mock/server.js';

export type { MockServer };

export async function startMock(): Promise<MockServer> {
  return startMockServer({ port: 0 });
}

export async function queueFault(
  server: MockServer,
  fault: { path: string; method?: string; status?: number; count?: number; retryAfter?: string; reset?: boolean },
): Promise<void> {
  const res = await fetch(`${server.url}/__mock/faults`, { method: 'POST', body: JSON.stringify(fault) });
  if (res.status !== 201) throw new Error(`fault not queued: ${res.status}`);
}

export async function recordedRequests(server: MockServer): Promise<RecordedRequest[]> {
  const res = await fetch(`${server.url}/__mock/requests`);
  return (await res.json()) as RecordedRequest[];
}
