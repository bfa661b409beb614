/**
 * Which API calls move money (the journal records them, the spending policy checks those that pay): quotes,
 * transfers and their funding and cancellation, batch groups, their transfers, completion and funding. Cheap to
 * call on every request; the guard's own code loads only for these.
 */
import type { EntryKind } from './journal.js';

export interface MoneyCall {
  kind: EntryKind;
  profileId?: number;
  transferId?: number;
  batchGroupId?: string;
}

export function classifyMoneyCall(method: string, path: string): MoneyCall | undefined {
  if (method !== 'POST' && method !== 'PUT' && method !== 'PATCH') return undefined;
  // The calendar-versioned form (`/2026Q4/profiles/...`) names the same resources as `/v3/profiles/...`.
  const p =
    path
      .split('?')[0]
      ?.replace(/\/+$/, '')
      .replace(/^\/20\d\dQ[1-4]\/profiles\//, '/v3/profiles/') ?? '';
  const routes: [string, RegExp, (m: RegExpExecArray) => MoneyCall][] = [
    ['POST', /^\/v3\/profiles\/(\d+)\/quotes$/, (m) => ({ kind: 'quote.create', profileId: Number(m[1]) })],
    ['POST', /^\/v1\/transfers$/, () => ({ kind: 'transfer.create' })],
    [
      'POST',
      /^\/v3\/profiles\/(\d+)\/transfers\/(\d+)\/payments$/,
      (m) => ({ kind: 'transfer.fund', profileId: Number(m[1]), transferId: Number(m[2]) }),
    ],
    ['PUT', /^\/v1\/transfers\/(\d+)\/cancel$/, (m) => ({ kind: 'transfer.cancel', transferId: Number(m[1]) })],
    ['POST', /^\/v3\/profiles\/(\d+)\/batch-groups$/, (m) => ({ kind: 'batch.create', profileId: Number(m[1]) })],
    [
      'POST',
      /^\/v3\/profiles\/(\d+)\/batch-groups\/([^/]+)\/transfers$/,
      (m) => ({ kind: 'batch.transfer', profileId: Number(m[1]), batchGroupId: m[2] as string }),
    ],
    [
      'PATCH',
      /^\/v3\/profiles\/(\d+)\/batch-groups\/([^/]+)$/,
      (m) => ({ kind: 'batch.complete', profileId: Number(m[1]), batchGroupId: m[2] as string }),
    ],
    [
      'POST',
      /^\/v3\/profiles\/(\d+)\/batch-payments\/([^/]+)\/payments$/,
      (m) => ({ kind: 'batch.fund', profileId: Number(m[1]), batchGroupId: m[2] as string }),
    ],
  ];
  for (const [verb, pattern, make] of routes) {
    const m = verb === method ? pattern.exec(p) : null;
    if (m) return make(m);
  }
  return undefined;
}
