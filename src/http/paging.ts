/**
 * Wise's three ways of paging a list, and the next page's path for an answer. Known endpoints page as the endpoint
 * table says; any other by what its answer carries: a cursor (`nextCursor` or `cursor` in the answer, sent back as
 * `nextCursor`), a seek position (`seekPositionForNext`, sent back as `seekPosition`), or a full page of an array
 * under `limit` (`offset` moves on by the page's length).
 */
import { ApiError } from '../errors.js';
import { PAGING } from './endpoints.js';

export type PagingScheme = 'cursor' | 'seek' | 'offset';

/** The scheme the endpoint table gives a path, if any. */
export function knownScheme(pathname: string): PagingScheme | undefined {
  return PAGING.find((p) => p.pattern.test(pathname))?.scheme;
}

/**
 * The first page's path: for a known seek endpoint, `size` set to Wise's largest page (20) when not given; a known
 * offset endpoint gets `offset=0` so that the next page can move on from it.
 */
export function firstPage(path: string): string {
  const url = new URL(path, 'http://wise.invalid');
  const scheme = knownScheme(url.pathname);
  if (scheme === 'seek' && !url.searchParams.has('size')) url.searchParams.set('size', '20');
  if (scheme === 'offset' && !url.searchParams.has('offset')) url.searchParams.set('offset', '0');
  return url.pathname + url.search;
}

/** The next page's path after `answer` (the parsed JSON of the page at `path`), or undefined on the last page. */
export function nextPage(path: string, answer: unknown): string | undefined {
  const url = new URL(path, 'http://wise.invalid');
  const scheme = knownScheme(url.pathname) ?? schemeOf(answer, url);
  if (!scheme) return undefined;
  const q = url.searchParams;
  if (scheme === 'cursor') {
    const o = answer as { nextCursor?: unknown; cursor?: unknown } | null;
    const cursor = o?.nextCursor ?? o?.cursor;
    if (typeof cursor !== 'string' || cursor === '') return undefined;
    q.set('nextCursor', cursor);
  } else if (scheme === 'seek') {
    const o = answer as { seekPositionForNext?: unknown; content?: unknown } | null;
    const seek = o?.seekPositionForNext;
    if ((typeof seek !== 'number' && typeof seek !== 'string') || (Array.isArray(o?.content) && !o.content.length)) {
      return undefined;
    }
    q.set('seekPosition', String(seek));
  } else {
    if (!Array.isArray(answer)) return undefined;
    const limit = Number(q.get('limit'));
    // Without a limit the page size is Wise's to choose: an empty page is the only sure end.
    if (answer.length === 0 || (Number.isInteger(limit) && limit > 0 && answer.length < limit)) return undefined;
    q.set('offset', String((Number(q.get('offset')) || 0) + answer.length));
  }
  return url.pathname + url.search;
}

/** An unknown endpoint's scheme, from what its answer carries. */
function schemeOf(answer: unknown, url: URL): PagingScheme | undefined {
  if (Array.isArray(answer)) return url.searchParams.has('limit') ? 'offset' : undefined;
  if (!answer || typeof answer !== 'object') return undefined;
  if ('nextCursor' in answer || 'cursor' in answer) return 'cursor';
  if ('seekPositionForNext' in answer) return 'seek';
  return undefined;
}

/**
 * The pages of a list from `first` on, each fetched by `get` when the one before has been used: a consumer that
 * stops early (`break`) asks for nothing more, and one that handles each page as it comes stays flat in memory. A
 * page position Wise gives twice (a cursor that does not move) ends the walk: `onRepeat` says what to do, and
 * without one the walk fails, since a list that silently stops short is worse than an error. `answerOf` picks the
 * parsed answer out of what `get` gives, when that is more than the answer.
 */
export async function* walkPages<T>(
  first: string,
  get: (path: string) => Promise<T>,
  onRepeat?: (position: string) => void,
  answerOf: (page: T) => unknown = (page) => page,
): AsyncGenerator<T> {
  const seen = new Set<string>();
  for (let path: string | undefined = first; path !== undefined; ) {
    seen.add(path);
    const page = await get(path);
    yield page;
    const next = nextPage(path, answerOf(page));
    if (next !== undefined && seen.has(next)) {
      if (!onRepeat) throw new ApiError(repeatedPage(next));
      onRepeat(next);
      return;
    }
    path = next;
  }
}

/** What a walk says when Wise gives a page position twice. */
export const repeatedPage = (position: string) =>
  `Wise sent the same page position twice (${position}); stopped there instead of looping.`;
