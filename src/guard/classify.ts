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

import { UsageError } from '../errors.js';
import { moneyRoutes } from '../http/endpoints.js';

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The path without its query or fragment. */
const pathOnly = (path: string) => path.split('?')[0]?.split('#')[0] ?? '';

/**
 * The path as a server that normalises it would read it: percent-encoded unreserved characters decoded, `;`
 * parameters dropped, empty and dot segments removed, no trailing slash; the query is left off. Case is kept.
 */
export function canonicalApiPath(path: string): string {
  const raw = pathOnly(path);
  const out: string[] = [];
  for (const segment of raw.split('/')) {
    const decoded = (segment.split(';')[0] ?? '').replace(/%([0-9a-f]{2})/gi, (encoded, hex: string) => {
      const c = String.fromCharCode(Number.parseInt(hex, 16));
      return /[A-Za-z0-9._~-]/.test(c) ? c : encoded.toUpperCase();
    });
    if (decoded === '' || decoded === '.') continue;
    if (decoded === '..') out.pop();
    else out.push(decoded);
  }
  return `/${out.join('/')}`;
}

/**
 * Why a write request's path is not in canonical form, or undefined when it is. Such a path could reach a resource
 * that moves money while the classifier (and so the spending policy and the journal) reads it as another: it is
 * refused before anything is sent. A case variant of a money path Wise spells in lower case counts too.
 */
export function nonCanonicalWrite(method: string, path: string): string | undefined {
  if (!WRITES.has(method.toUpperCase())) return undefined;
  const raw = pathOnly(path);
  if (/\/\//.test(raw)) return 'it has an empty segment (//)';
  if (raw.includes(';')) return 'it has a ; parameter';
  if (/(^|\/)(\.|%2e){1,2}(\/|$)/i.test(raw)) return 'it has a dot segment';
  if (/%(?:[46][1-9a-f]|[57][0-9a]|3[0-9]|2d|2e|5f|7e)/i.test(raw))
    return 'it percent-encodes a character that needs none';
  const canonical = canonicalApiPath(raw);
  if (!classifyMoneyCall(method, canonical) && classifyMoneyCall(method, canonical.toLowerCase()))
    return 'it spells a path Wise writes in lower case in another case';
  return undefined;
}

/**
 * The refusal (exit 2, nothing sent) of a write whose path is not in canonical form, naming the path as Wise writes
 * it; undefined for any other request. `wise api` checks the path as typed, the guard layer the path of every request.
 */
export function nonCanonicalWriteError(method: string, path: string): UsageError | undefined {
  const why = nonCanonicalWrite(method, path);
  if (!why) return undefined;
  const canonical = canonicalApiPath(path);
  const query = path.includes('?') ? path.slice(path.indexOf('?')) : '';
  return new UsageError(`Refused ${method} ${path}: ${why}. Nothing was sent.`, {
    hint: `Write the path as Wise does: ${why.includes('case') ? canonical.toLowerCase() : canonical}${query}`,
  });
}

/** The money call a request is, by the endpoint table's money entries (classic and calendar-versioned paths). */
export function classifyMoneyCall(method: string, path: string): MoneyCall | undefined {
  if (method !== 'POST' && method !== 'PUT' && method !== 'PATCH') return undefined;
  const p = canonicalApiPath(path);
  for (const route of moneyRoutes()) {
    const m = route.method === method ? route.pattern.exec(p) : null;
    if (!m) continue;
    const call: MoneyCall = { kind: route.kind };
    route.names.forEach((name, i) => {
      const value = m[i + 1] as string;
      if (name === 'profileId') call.profileId = Number(value);
      else if (name === 'transferId') call.transferId = Number(value);
      else if (name === 'batchGroupId') call.batchGroupId = value;
    });
    return call;
  }
  return undefined;
}
