#!/usr/bin/env node
// Account automation at scale, against the emulator (a benchmark, not a test): a 1,000-row batch with 50 ms of
// emulated latency per call (wall time, peak memory of the wise process), the same batch killed at a random point
// and run again (exactly 1,000 transfers), a statement of 100,000 transactions (peak memory), and a
// `wise api --paginate` walk of 100,000 items by cursor (peak memory beside a walk of 10,000: flat means equal).
// Peak memory is the process's VmHWM from /proc, read every 20 ms while it runs (Linux).
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { benchEnv, startEmulator, stopAndRemove, wise } from './emulator.mjs';

const ROWS = Number(process.env.BENCH_BATCH_ROWS) || 1000;
const TRANSACTIONS = Number(process.env.BENCH_STATEMENT_ROWS) || 100_000;
const LATENCY_MS = 50;

const { dir, env } = benchEnv('wise-bench-account-');
const { mock, url, token } = await startEmulator(env, ['--latency-ms', String(LATENCY_MS)]);
env.WISE_API_URL = url;
const control = (path, body) => fetch(`${url}${path}`, { method: body === undefined ? 'GET' : 'POST', body });
const must = (args, input = '') => {
  const r = spawnSync(process.execPath, [wise, ...args], { env, input, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`wise ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

// The demo user in the US (statements and funding with a personal token and its SCA key), with money to pay out.
must(['token', 'add'], token);
await control('/__mock/users/1001', '{"country":"US"}');
await control('/__mock/users/1001/sca-keys', must(['keys', 'generate', '--use', 'sca']));
await control('/__mock/balances/3001', '{"value":10000000}');

/** Runs wise to the end; wall time in seconds and the peak resident memory (MB). */
function measured(args, { killAt, extraEnv = {} } = {}) {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(process.execPath, [wise, ...args], {
      env: { ...env, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let lines = 0;
    child.stdout.on('data', (c) => {
      for (let i = c.indexOf(10); i !== -1; i = c.indexOf(10, i + 1)) lines++;
    });
    let stderr = '';
    child.stderr.on('data', (c) => {
      stderr += c;
    });
    let peakKb = 0;
    const poll = setInterval(async () => {
      try {
        const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peakKb = Math.max(peakKb, Number(m[1]));
      } catch {}
      if (killAt && (await killAt())) child.kill('SIGKILL');
    }, 20);
    child.on('exit', (code, signal) => {
      clearInterval(poll);
      resolve({ code, signal, seconds: (performance.now() - started) / 1000, peakMb: peakKb / 1024, stderr, lines });
    });
  });
}

const transfersNow = async () => (await (await control('/__mock/transfers')).json()).length;
const csv = (n) =>
  `recipient,amount,currency,reference\n${Array.from({ length: n }, (_, i) => `7002,${(1 + (i % 50) / 100).toFixed(2)},EUR,Row ${i + 1}`).join('\n')}\n`;
const results = [];

// 1. A 1,000-row batch, 50 ms per call.
const first = join(dir, 'payments.csv');
writeFileSync(first, csv(ROWS));
let before = await transfersNow();
const run = await measured(['--profile-id', '2001', 'batch', 'pay', first, '--yes']);
const made = (await transfersNow()) - before;
results.push([
  `batch pay, ${ROWS} rows, ${LATENCY_MS} ms per call`,
  `${run.seconds.toFixed(1)} s`,
  `${run.peakMb.toFixed(0)} MB`,
  `exit ${run.code}, ${made} transfers`,
  run.code === 0 && made === ROWS && run.seconds < 60 && run.peakMb < 150 ? 'ok (< 60 s, < 150 MB)' : 'OVER',
]);

// 2. The same size of batch, killed at a random point, then run again.
const second = join(dir, 'crash.csv');
writeFileSync(second, csv(ROWS));
before = await transfersNow();
const killAfter = Math.floor(ROWS * (0.2 + Math.random() * 0.6));
const killed = await measured(['--profile-id', '2001', 'batch', 'pay', second, '--yes'], {
  killAt: async () => (await transfersNow()) - before >= killAfter,
});
const atKill = (await transfersNow()) - before;
const rerun = await measured(['--profile-id', '2001', 'batch', 'pay', second, '--yes']);
const total = (await transfersNow()) - before;
results.push([
  `batch pay killed after ${atKill} transfers, run again`,
  `${rerun.seconds.toFixed(1)} s`,
  `${rerun.peakMb.toFixed(0)} MB`,
  `${killed.signal ?? `exit ${killed.code}`}, then exit ${rerun.code}: ${total} transfers`,
  rerun.code === 0 && total === ROWS ? `ok (exactly ${ROWS})` : 'WRONG',
]);

// 3. A statement of 100,000 transactions, JSON and CSV, streamed to a file.
await control(
  '/__mock/balances/3001/transactions',
  JSON.stringify({ count: TRANSACTIONS, from: '2026-01-01T00:00:00Z', to: '2026-11-30T00:00:00Z' }),
);
for (const format of ['json', 'csv']) {
  const out = join(dir, `big.${format}`);
  const s = await measured([
    '--profile-id',
    '2001',
    'statement',
    '--currency',
    'EUR',
    '--from',
    '2026-01-01',
    '--to',
    '2026-11-30',
    '--format',
    format,
    '--out',
    out,
  ]);
  const size = s.code === 0 ? statSync(out).size : 0;
  const rows =
    format === 'json' && s.code === 0 ? JSON.parse(readFileSync(out, 'utf8')).transactions.length : undefined;
  results.push([
    `statement, ${TRANSACTIONS} transactions, ${format}`,
    `${s.seconds.toFixed(1)} s`,
    `${s.peakMb.toFixed(0)} MB`,
    `exit ${s.code}, ${(size / 1e6).toFixed(1)} MB file${rows !== undefined ? `, ${rows} rows` : ''}`,
    s.code === 0 && s.peakMb < 150 && (rows === undefined || rows === TRANSACTIONS) ? 'ok (< 150 MB)' : 'OVER',
  ]);
}

// 4. Paging: a server of ITEMS items, 100 a page by cursor (each item about 250 bytes), walked to the end.
const PAGE = 100;
const pager = createServer((req, res) => {
  const total = Number(new URL(req.url, 'http://x').pathname.split('/').at(-1));
  const at = Number(new URL(req.url, 'http://x').searchParams.get('nextCursor') ?? 0);
  const items = Array.from({ length: Math.min(PAGE, total - at) }, (_, i) => ({
    id: at + i,
    reference: `Invoice ${at + i}`,
    note: 'x'.repeat(200),
  }));
  const cursor = at + PAGE < total ? String(at + PAGE) : null;
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ cursor, items }));
});
await new Promise((resolve) => pager.listen(0, '127.0.0.1', resolve));
const pagerUrl = `http://127.0.0.1:${pager.address().port}`;
const walks = [];
for (const items of [10_000, 100_000]) {
  const w = await measured(['api', '--paginate', `/v9/items/${items}`], {
    extraEnv: { WISE_API_URL: pagerUrl, WISE_TOKEN: 'bench-token' },
  });
  walks.push(w);
  const pages = Math.ceil(items / PAGE);
  const flat = walks.length === 1 || w.peakMb < walks[0].peakMb * 1.25;
  results.push([
    `api --paginate, ${items} items (${pages} pages)`,
    `${w.seconds.toFixed(1)} s`,
    `${w.peakMb.toFixed(0)} MB`,
    `exit ${w.code}, ${w.lines} pages printed`,
    w.code === 0 && w.lines === pages && w.peakMb < 150 && flat
      ? walks.length === 1
        ? 'ok (< 150 MB)'
        : 'ok (< 150 MB, within 25% of 10,000)'
      : 'OVER',
  ]);
}
pager.close();

await stopAndRemove(mock, dir);
const header = ['case', 'wall', 'peak RSS', 'result', 'budget'];
const widths = header.map((h, i) => Math.max(h.length, ...results.map((r) => r[i].length)));
console.log(header.map((h, i) => h.padEnd(widths[i])).join('  '));
for (const r of results) console.log(r.map((c, i) => c.padEnd(widths[i])).join('  '));
process.exit(results.every((r) => r[4].startsWith('ok')) ? 0 : 1);
