import { resolveCredential } from '../auth/credentials.js';
import { resolveTarget } from '../auth/target.js';
import type { Context } from '../context.js';
import { ApiError, UsageError } from '../errors.js';
import { nonCanonicalWriteError } from '../guard/classify.js';
import { errorFromResponse } from '../http/client.js';
import { readFileOrFail } from '../util/input.js';
import { stripControl } from '../util/redact.js';
import type { ApiOptions } from './specs.js';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

export function parseHeader(raw: string): [string, string] {
  const colon = raw.indexOf(':');
  const name = colon > 0 ? raw.slice(0, colon).trim() : '';
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
    throw new UsageError(`Bad header "${raw}": use -H 'Name: value'.`);
  }
  return [name.toLowerCase(), raw.slice(colon + 1).trim()];
}

export function checkApiPath(path: string): string {
  const hint = 'The host comes from --env or --api-url, so a token is never sent to another host.';
  if (/^[a-z][a-z0-9+.-]*:/i.test(path) || /^[\\/]{2}/.test(path)) {
    throw new UsageError(`Give an API path such as /v2/profiles, not a URL: ${path}`, { hint });
  }
  // Backslashes read as slashes, and URL parsers drop tabs and line breaks: neither belongs in an API path.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
  if (!path || /[\s\\\u0000-\u001f\u007f]/.test(path)) {
    throw new UsageError(`Bad API path ${JSON.stringify(path)}: no spaces, control characters or backslashes.`, {
      hint,
    });
  }
  return path.startsWith('/') ? path : `/${path}`;
}

/** The type of a `-d` body when none is given: JSON if it parses as JSON, else a form, as curl labels `-d`. */
export function defaultContentType(body: Buffer): string {
  try {
    JSON.parse(body.toString('utf8'));
    return 'application/json';
  } catch {
    return 'application/x-www-form-urlencoded';
  }
}

async function readBody(ctx: Context, data: string): Promise<Buffer> {
  if (data === '@-') return ctx.io.readStdin();
  if (data.startsWith('@')) {
    return readFileOrFail(data.slice(1), 'request body file');
  }
  return Buffer.from(data);
}

export async function api(ctx: Context, rawPath: string, opts: ApiOptions): Promise<void> {
  const path = checkApiPath(rawPath);
  const method = (opts.method ?? (opts.data !== undefined ? 'POST' : 'GET')).toUpperCase();
  if (!METHODS.has(method)) throw new UsageError(`Unknown HTTP method "${opts.method}".`);
  // The path as typed: dot segments are gone once it is a URL.
  const refused = nonCanonicalWriteError(method, path);
  if (refused) throw refused;
  const headers: Record<string, string> = {};
  for (const raw of opts.header ?? []) {
    const [name, value] = parseHeader(raw);
    headers[name] = value;
  }
  if (opts.slurp && !opts.paginate) throw new UsageError('--slurp goes with --paginate.');
  if (opts.paginate && method !== 'GET') {
    throw new UsageError(`--paginate follows the pages of a list: GET only, not ${method}.`);
  }
  if (opts.paginate && opts.include) throw new UsageError('--paginate prints bodies only: leave out --include.');
  if (opts.jq !== undefined && opts.include)
    throw new UsageError('--jq prints what the filter makes: leave out --include.');
  // The filter is compiled before anything is sent: a bad one is exit 2 with jq's message.
  const jq =
    opts.jq !== undefined ? await (await import('../util/jq.js')).compileJq(opts.jq, ctx.io.stdoutIsTTY) : undefined;
  const body = opts.data !== undefined ? await readBody(ctx, opts.data) : undefined;
  if (body && !headers['content-type']) headers['content-type'] = defaultContentType(body);

  const target = await resolveTarget(ctx);
  const credential = headers.authorization ? undefined : await resolveCredential(ctx, target);
  const client = ctx.client(target.env, credential, target, opts.jose ? { jose: opts.jose } : {});
  if (opts.paginate) return paginate(ctx, client, path, headers, opts.slurp === true, credential?.kind, jq);
  const response = await client.send({ method, path, headers, ...(body ? { body } : {}) });

  if (opts.include) {
    let head = `HTTP/1.1 ${response.status} ${response.statusText}\n`;
    for (const [name, value] of Object.entries(response.headers)) head += `${name}: ${value}\n`;
    ctx.io.out(`${head}\n`);
  }
  // Like `gh api`, the body is data on stdout whatever the status; an error status adds the error line on stderr.
  // --jq filters a successful answer; an error's body is shown as it came.
  if (jq && response.status < 400) outFiltered(ctx, await jq(response.body.toString('utf8')));
  else printBody(ctx, response);
  if (response.status >= 400) throw errorFromResponse(response, method, credential?.kind);
}

/**
 * `--paginate`: every page of a GET, by Wise's paging for the endpoint (src/http/paging.ts), each printed as it
 * arrives (memory stays flat however many pages), or with `--slurp` gathered into one JSON array. A page asked for
 * twice (a cursor that does not move) ends the walk with a warning instead of looping.
 */
async function paginate(
  ctx: Context,
  client: ReturnType<Context['client']>,
  path: string,
  headers: Record<string, string>,
  slurp: boolean,
  kind: Parameters<typeof errorFromResponse>[2],
  jq: import('../util/jq.js').JqFilter | undefined,
): Promise<void> {
  const { firstPage, repeatedPage, walkPages } = await import('../http/paging.js');
  const pages: unknown[] = [];
  const get = async (next: string) => {
    const response = await client.send({ method: 'GET', path: next, headers });
    if (response.status >= 400) {
      printBody(ctx, response);
      throw errorFromResponse(response, 'GET', kind);
    }
    try {
      return { answer: JSON.parse(response.body.toString('utf8')) as unknown, headers: response.headers };
    } catch {
      throw new ApiError(
        `--paginate needs JSON pages; ${next} answered ${response.headers['content-type'] ?? 'no type'}.`,
      );
    }
  };
  // The pages are printed as they come, so a repeated position ends the walk with a warning, not an error.
  const warn = (position: string) => ctx.io.err(`warning: ${repeatedPage(position)}`);
  for await (const { answer, headers: pageHeaders } of walkPages(firstPage(path), get, warn, (p) => p.answer)) {
    if (slurp) pages.push(answer);
    else if (jq) outFiltered(ctx, await jq(JSON.stringify(answer)));
    else printBody(ctx, { headers: pageHeaders, body: Buffer.from(`${JSON.stringify(answer)}\n`) });
  }
  if (slurp && jq) outFiltered(ctx, await jq(JSON.stringify(pages)));
  else if (slurp) {
    printBody(ctx, {
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(`${JSON.stringify(pages)}\n`),
    });
  }
}

/** The body as it came when piped; pretty-printed JSON on a terminal (with network text made safe to show). */
function printBody(ctx: Context, response: { headers: Record<string, string>; body: Buffer }): void {
  if (!response.body.byteLength) return;
  if (!ctx.io.stdoutIsTTY) {
    ctx.io.out(response.body);
    return;
  }
  const text = response.body.toString('utf8');
  if (/json/i.test(response.headers['content-type'] ?? '')) {
    try {
      ctx.io.out(`${stripControlKeepingLines(JSON.stringify(JSON.parse(text), null, 2))}\n`);
      return;
    } catch {
      // Not valid JSON after all: shown as text.
    }
  }
  ctx.io.out(text.endsWith('\n') ? stripControlKeepingLines(text) : `${stripControlKeepingLines(text)}\n`);
}

/** jq's output: on a terminal, strings from the network lose their control characters (as printBody does). */
function outFiltered(ctx: Context, text: string): void {
  ctx.io.out(ctx.io.stdoutIsTTY ? stripControlKeepingLines(text) : text);
}

/** On a terminal, text from the network keeps its line breaks but loses every other control character. */
function stripControlKeepingLines(text: string): string {
  return text
    .split('\n')
    .map((line) => stripControl(line))
    .join('\n');
}
