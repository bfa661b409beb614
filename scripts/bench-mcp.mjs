#!/usr/bin/env node
// `wise mcp` under load (a benchmark, not a test), against the emulator: what a tool call through a running server
// costs beyond the same HTTP call made directly (median of 50, interleaved), and the server's memory over 1,000
// calls: V8 grows its heap lazily while memory is plentiful, so the resident set says little; what the server keeps
// is its heap after a full garbage collection, asked of it (a preloaded hook, on SIGUSR2) after the first 100 calls
// and after all 1,000 (flat: within 10% and 2 MB). The client is the MCP SDK's own.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { benchEnv, startEmulator, stopAndRemove, wise } from './emulator.mjs';

const RUNS = 50;
const CALLS = 1000;

const { dir, env } = benchEnv('wise-bench-mcp-');
env.XDG_CACHE_HOME = join(dir, 'cache');
const { mock, url, token } = await startEmulator(env);
env.WISE_API_URL = url;
const added = spawnSync(process.execPath, [wise, 'token', 'add', '--stdin'], { env, input: token });
if (added.status !== 0) throw new Error(String(added.stderr));

// The hook: on SIGUSR2, a full collection, then the heap in use and the resident set on stderr.
const hook = join(dir, 'heap-hook.cjs');
writeFileSync(
  hook,
  "process.on('SIGUSR2', () => { global.gc(); const m = process.memoryUsage(); process.stderr.write('heap ' + m.heapUsed + ' ' + m.rss + '\\n'); });\n",
);

async function server(nodeFlags = []) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [...nodeFlags, wise, 'mcp'],
    env,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (c) => {
    stderr += c;
  });
  /** The heap in use after a full collection, and the resident set, in MB. */
  const heap = async () => {
    const seen = stderr.length;
    process.kill(transport.pid, 'SIGUSR2');
    for (let i = 0; i < 200 && !/heap \d+ \d+\n/.test(stderr.slice(seen)); i++)
      await new Promise((r) => setTimeout(r, 10));
    const m = /heap (\d+) (\d+)\n/.exec(stderr.slice(seen));
    if (!m) throw new Error('the server did not report its heap');
    return { heap: Number(m[1]) / 2 ** 20, rss: Number(m[2]) / 2 ** 20 };
  };
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(transport);
  const rss = () =>
    Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${transport.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  const tool = async () => {
    const r = await client.callTool({ name: 'list_profiles', arguments: {} });
    if (r.isError) throw new Error(JSON.stringify(r.structuredContent));
  };
  return { client, rss, tool, heap };
}
const { client, tool } = await server();

const direct = async () => {
  const res = await fetch(`${url}/v2/profiles`, { headers: { authorization: `Bearer ${token}` } });
  await res.json();
};
const time = async (fn) => {
  const start = performance.now();
  await fn();
  return performance.now() - start;
};
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// Warm both paths (the server resolves the account and its client on its first call).
for (let i = 0; i < 10; i++) {
  await direct();
  await tool();
}
const d = [];
const t = [];
for (let i = 0; i < RUNS; i++) {
  d.push(await time(direct));
  t.push(await time(tool));
}
const overhead = median(t) - median(d);

await client.close();

const measured = await server(['--expose-gc', '--require', hook]);
let after100 = { heap: 0, rss: 0 };
for (let i = 1; i <= CALLS; i++) {
  await measured.tool();
  if (i === 100) after100 = await measured.heap();
}
const after1000 = await measured.heap();
await measured.client.close();
const flat = after1000.heap <= after100.heap * 1.1 + 2;
await stopAndRemove(mock, dir);

const rows = [
  ['GET /v2/profiles made directly', `${median(d).toFixed(2)} ms`, ''],
  [
    'list_profiles through wise mcp',
    `${median(t).toFixed(2)} ms`,
    `+${overhead.toFixed(2)} ms ${overhead <= 10 ? 'ok (<= +10 ms)' : 'OVER (> +10 ms)'}`,
  ],
  [
    `server heap after 100 and ${CALLS} calls`,
    `${after100.heap.toFixed(1)} -> ${after1000.heap.toFixed(1)} MB`,
    `${flat ? 'ok (flat)' : 'GROWS'}; resident ${after100.rss.toFixed(0)} -> ${after1000.rss.toFixed(0)} MB`,
  ],
];
console.log(`node ${process.version}, median of ${RUNS} interleaved calls each`);
for (const r of rows) console.log(`${r[0].padEnd(44)} ${r[1].padEnd(16)} ${r[2]}`);
process.exit(overhead <= 10 && flat ? 0 : 1);
