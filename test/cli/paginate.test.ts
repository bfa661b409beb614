import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runInProcessByDefault } from '../helpers/cli.js';
import { draftTransferFunding, recordedRequests, useEmulatorAndSandbox } from '../helpers/mock.js';

runInProcessByDefault();

const env = useEmulatorAndSandbox();
const run = (args: string[], extra: Record<string, string> = {}) =>
  env.sb.run(args, { env: { WISE_TOKEN: env.mock.personalToken, ...extra } });
const lines = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
const pathsOf = async (prefix: string, from: number) =>
  (await recordedRequests(env.mock))
    .slice(from)
    .filter((r) => r.path.startsWith(prefix))
    .map((r) => r.path);

describe("wise api --paginate follows Wise's paging", () => {
  it('recipients by seek position, 20 a page, to the last page; --slurp gives one array of the pages', async () => {
    const { mock } = env;
    const headers = { authorization: `Bearer ${mock.personalToken}`, 'content-type': 'application/json' };
    for (let i = 0; i < 45; i++) {
      const res = await fetch(`${mock.url}/v1/accounts`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          profile: 2001,
          currency: 'GBP',
          type: 'sort_code',
          accountHolderName: `Payee ${i}`,
          details: { sortCode: '231470', accountNumber: String(10000000 + i) },
        }),
      });
      expect(res.status).toBe(200);
    }
    const before = (await recordedRequests(mock)).length;
    const r = await run(['api', '--paginate', '/v2/accounts?profileId=2001']);
    expect(r.code, r.stderr).toBe(0);
    const pages = lines(r.stdout) as { content: { id: number }[] }[];
    expect(pages.map((p) => p.content.length)).toEqual([20, 20, 7]);
    const ids = pages.flatMap((p) => p.content.map((c) => c.id));
    expect(new Set(ids).size).toBe(47);
    const asked = await pathsOf('/v2/accounts', before);
    expect(asked).toHaveLength(3);
    expect(asked.every((p) => p.includes('size=20'))).toBe(true);
    expect(asked.slice(1).every((p) => p.includes('seekPosition='))).toBe(true);

    const slurped = await run(['api', '--paginate', '--slurp', '/v2/accounts?profileId=2001']);
    expect(slurped.code).toBe(0);
    const all = JSON.parse(slurped.stdout) as { content: unknown[] }[];
    expect(all.map((p) => p.content.length)).toEqual([20, 20, 7]);
  });

  it('activities by cursor (sent back as nextCursor), transfers by offset and limit', async () => {
    const { mock } = env;
    let before = (await recordedRequests(mock)).length;
    const acts = await run(['api', '--paginate', '/v1/profiles/2001/activities?size=3']);
    expect(acts.code, acts.stderr).toBe(0);
    const pages = lines(acts.stdout) as { cursor: string | null; activities: unknown[] }[];
    expect(pages.length).toBeGreaterThan(1);
    expect(pages.at(-1)?.cursor).toBeNull();
    expect(pages.slice(0, -1).every((p) => p.activities.length === 3)).toBe(true);
    const asked = await pathsOf('/v1/profiles/2001/activities', before);
    expect(asked).toHaveLength(pages.length);
    expect(asked.slice(1).every((p) => /[?&]nextCursor=/.test(p) && !/[?&]cursor=/.test(p))).toBe(true);

    for (let i = 0; i < 5; i++) await draftTransferFunding(mock);
    before = (await recordedRequests(mock)).length;
    const transfers = await run(['api', '--paginate', '/v1/transfers?profile=2001&limit=2']);
    expect(transfers.code, transfers.stderr).toBe(0);
    expect((lines(transfers.stdout) as unknown[][]).map((p) => p.length)).toEqual([2, 2, 1]);
    expect(
      (await pathsOf('/v1/transfers', before)).map((p) => new URL(p, 'http://x').searchParams.get('offset')),
    ).toEqual(['0', '2', '4']);
  });

  it('a cursor that does not move ends the walk with a warning, never a loop', async () => {
    let calls = 0;
    const stuck = createServer((_req, res) => {
      calls++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"cursor":"same","items":[1]}');
    });
    await new Promise<void>((resolve) => stuck.listen(0, '127.0.0.1', resolve));
    try {
      const port = (stuck.address() as AddressInfo).port;
      const r = await run(['api', '--paginate', '/v9/things'], { WISE_API_URL: `http://127.0.0.1:${port}` });
      expect(r.code, r.stderr).toBe(0);
      expect(lines(r.stdout)).toHaveLength(2);
      expect(calls).toBe(2);
      expect(r.stderr).toContain('stopped there instead of looping');
    } finally {
      stuck.close();
    }
  });

  it('the built-in lists walk the same way: a position Wise gives twice is exit 3, never a loop or a list cut short in silence', async () => {
    let calls = 0;
    // A Wise whose activity cursor and recipient seek position never move (transfers page by offset, which moves on
    // by itself: `transfer list` meets the stuck recipients first, as it reads their names).
    const stuck = createServer((req, res) => {
      calls++;
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const body = path.endsWith('/activities')
        ? { cursor: 'same', activities: [{ id: 'a1', type: 'TRANSFER', primaryAmount: '1.00 EUR' }] }
        : path === '/v2/accounts'
          ? {
              content: [{ id: 7001, name: { fullName: 'Ann' }, currency: 'EUR', type: 'IBAN' }],
              seekPositionForNext: 1,
            }
          : [];
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => stuck.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(stuck.address() as AddressInfo).port}`;
      for (const args of [
        ['activities', '--all'],
        ['recipients', 'list'],
        ['transfer', 'list', '--all', '--format', 'csv'],
      ]) {
        calls = 0;
        const r = await run(args, { WISE_API_URL: url, WISE_PROFILE_ID: '2001' });
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(3);
        expect(r.stderr).toContain('Wise sent the same page position twice');
        expect(calls).toBeLessThan(5);
      }
    } finally {
      stuck.close();
    }
  });

  it('GET only, --slurp only with it, bodies only: else exit 2 and nothing sent', async () => {
    const before = (await recordedRequests(env.mock)).length;
    for (const args of [
      ['api', '--paginate', '-X', 'POST', '/v1/transfers', '-d', '{}'],
      ['api', '--slurp', '/v2/accounts'],
      ['api', '--paginate', '-i', '/v2/accounts'],
    ]) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(2);
    }
    expect((await recordedRequests(env.mock)).length).toBe(before);
  });
});

describe('wise api --jq: jq built in', () => {
  it('strings print raw, other values as compact JSON; pages are filtered one by one', async () => {
    const ids = await run(['api', '/v2/profiles', '--jq', '.[].id']);
    expect(ids.code, ids.stderr).toBe(0);
    expect(ids.stdout).toBe('2001\n2002\n');
    expect((await run(['api', '/v2/profiles', '--jq', '.[0].type'])).stdout).toBe('PERSONAL\n');
    expect((await run(['api', '/v2/profiles', '-q', '.[0] | {id, type}'])).stdout).toBe(
      '{"id":2001,"type":"PERSONAL"}\n',
    );
    const all = await run(['api', '--paginate', '/v2/accounts?profileId=2001', '--jq', '.content[].id']);
    expect(all.code, all.stderr).toBe(0);
    const seen = all.stdout.trim().split('\n');
    expect(seen.length).toBeGreaterThan(40);
    expect(new Set(seen).size).toBe(seen.length);
    const counted = await run([
      'api',
      '--paginate',
      '--slurp',
      '/v2/accounts?profileId=2001',
      '--jq',
      'map(.content | length) | add',
    ]);
    expect(Number(counted.stdout)).toBe(seen.length);
  });

  it('needs no jq program: with none on PATH it filters, and a jq on PATH is never run', async () => {
    // PATH is one folder holding only a "jq" that would say it was run: the filter must not reach for it.
    const bin = join(env.sb.dir, 'path-with-fake-jq');
    await mkdir(bin, { recursive: true });
    await writeFile(join(bin, 'jq'), '#!/bin/sh\necho "the jq on PATH ran"\nexit 7\n', { mode: 0o755 });
    for (const PATH of [join(env.sb.dir, 'empty-path'), bin]) {
      const r = await run(['api', '/v2/profiles', '--jq', '[.[].type] | join(",")'], { PATH });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe('PERSONAL,BUSINESS\n');
    }
  });

  it("a bad expression is exit 2 with jq's message, before anything is sent; an error answer is shown as it came", async () => {
    const before = (await recordedRequests(env.mock)).length;
    const bad = await run(['api', '/v2/profiles', '--jq', '.[']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--jq: jq: error: syntax error');
    expect(bad.stdout).toBe('');
    expect((await recordedRequests(env.mock)).length).toBe(before);
    const missing = await run(['api', '/v3/profiles/2001/quotes/00000000-0000-4000-8000-000000000000', '--jq', '.id']);
    expect(missing.code).toBe(3);
    expect(missing.stdout).toContain('"errors"');
  });
});

describe('--jq on the list commands', () => {
  it('transfer list, recipients list and activities filter their JSON list; a bad expression or a table is exit 2 with nothing sent', async () => {
    const env2 = { WISE_PROFILE_ID: '2001' };
    const names = await run(['recipients', 'list', '--jq', '.[] | select(.currency == "EUR") | .name'], env2);
    expect(names.code, names.stderr).toBe(0);
    expect(names.stdout.split('\n')).toContain('Max Mustermann');
    const transfers = await run(['transfer', 'list', '--all', '--jq', '[.[] | .recipientName] | length'], env2);
    expect(transfers.code, transfers.stderr).toBe(0);
    const all = JSON.parse((await run(['--json', 'transfer', 'list', '--all'], env2)).stdout) as unknown[];
    expect(all.length).toBeGreaterThan(0);
    expect(Number(transfers.stdout)).toBe(all.length);
    const three = await run(['activities', '--limit', '3', '--jq', 'map(.type) | length'], env2);
    expect(three.stdout).toBe('3\n');
    const before = (await recordedRequests(env.mock)).length;
    for (const args of [
      ['transfer', 'list', '--jq', '.['],
      ['activities', '--jq', '.[0]', '--format', 'csv'],
      ['recipients', 'list', '--jq', '{'],
    ]) {
      const r = await run(args, env2);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
    }
    expect((await recordedRequests(env.mock)).length).toBe(before);
  });
});

describe('--paginate --jq over a long walk', () => {
  it('filters 400 pages (jq keeps working past its first instance), each id once', { timeout: 60_000 }, async () => {
    const pages = 400;
    const server = createServer((req, res) => {
      const at = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('nextCursor') ?? 0);
      const items = Array.from({ length: 10 }, (_, i) => ({ id: at * 10 + i, note: 'x'.repeat(200) }));
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ cursor: at + 1 < pages ? String(at + 1) : null, items }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const r = await run(['api', '--paginate', '/v9/items', '--jq', '.items[].id'], {
        WISE_API_URL: `http://127.0.0.1:${port}`,
      });
      expect(r.code, r.stderr).toBe(0);
      const ids = r.stdout.trim().split('\n').map(Number);
      expect(ids).toHaveLength(pages * 10);
      expect(new Set(ids).size).toBe(pages * 10);
    } finally {
      server.close();
    }
  });
});
