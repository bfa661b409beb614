/**
 * Docs that run as written: every shell block of README.md and docs/*.md runs against the emulator, in order, file
 * by file, in a temporary HOME with `wise` on PATH. The test fills placeholders (`<profile-id>`, `<client-id>`, the
 * ports) and lays out the input files the docs name; it never rewrites a command. A block that cannot run starts
 * with a visible `# not run by the docs test: <reason>` line, and the test prints each one it skipped.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type MockServer, startMockServer } from '../src/mock/server.js';
import { capture, ROOT, TEST_CACHE, WISE_BIN } from './helpers/cli.js';
import { CURL_BROWSER, freePort } from './helpers/oauth.js';
import { waitFor } from './helpers/wait.js';

interface Block {
  file: string;
  line: number;
  script: string;
  skip?: string;
}

const SKIP = /^# not run by the docs test: (.+)$/;

async function docBlocks(file: string): Promise<Block[]> {
  const text = await readFile(join(ROOT, file), 'utf8');
  const blocks: Block[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(sh|bash|shell)\s*$/.test(lines[i] as string)) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !(lines[end] as string).startsWith('```')) end++;
    const script = lines.slice(start, end).join('\n');
    const skip = SKIP.exec(lines[start] ?? '')?.[1];
    blocks.push({ file, line: start + 1, script, ...(skip ? { skip } : {}) });
    i = end;
  }
  return blocks;
}

const files = [
  'README.md',
  ...(await readdir(join(ROOT, 'docs'))).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`),
];

/** Runs a block with bash -e in its own process group, so that what it starts in the background is stopped after. */
function runBlock(script: string, env: Record<string, string>, cwd: string, input: string) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn('bash', ['-e', '-o', 'pipefail', '-c', script], { env, cwd, detached: true });
    const out = capture(child);
    const stopGroup = (signal: NodeJS.Signals) => {
      try {
        process.kill(-(child.pid as number), signal);
      } catch {
        // Nothing left running.
      }
    };
    const timer = setTimeout(() => stopGroup('SIGKILL'), 60_000);
    // When the script is done, what it left running in the background (an emulator) is stopped; its output pipes
    // then close too.
    child.on('exit', (code) => {
      clearTimeout(timer);
      stopGroup('SIGTERM');
      const closed = new Promise((done) => child.on('close', done));
      // Until the group is gone (an emulator started with --detach holds no pipe of ours): what is left of it writes
      // no file in the folder removed after.
      void waitFor(() => {
        try {
          process.kill(-(child.pid as number), 0);
          return false;
        } catch {
          return true;
        }
      }, 'what the block started to stop')
        .catch(() => stopGroup('SIGKILL'))
        .then(() => closed)
        .then(() => resolve({ code, stdout: out.stdout(), stderr: out.stderr() }));
    });
    child.stdin.end(input);
  });
}

describe('the docs run as written', () => {
  it.each(files)(
    '%s',
    async (file) => {
      const blocks = await docBlocks(file);
      const home = await mkdtemp(join(tmpdir(), 'wise-docs-'));
      const redirectPort = await freePort();
      const mock: MockServer = await startMockServer({
        port: 0,
        redirectUris: [`http://127.0.0.1:${redirectPort}/callback`],
      });
      try {
        const bin = join(home, '.bin');
        await mkdir(bin);
        await symlink(WISE_BIN, join(bin, 'wise'));
        const ciDir = join(home, 'var-lib-wise-ci');
        await mkdir(ciDir, { mode: 0o700 });
        // The input files the docs name.
        for (const name of ['token.txt', 'prod-token.txt', 'shop-token.txt']) {
          await writeFile(join(home, name), `${mock.personalToken}\n`, { mode: 0o600 });
        }
        await writeFile(join(home, 'client-secret.txt'), mock.clientSecret, { mode: 0o600 });
        await writeFile(
          join(home, 'quote.json'),
          JSON.stringify({ sourceCurrency: 'EUR', targetCurrency: 'GBP', sourceAmount: 100 }),
        );
        const env: Record<string, string> = {
          PATH: `${bin}:${process.env.PATH}`,
          HOME: home,
          // The start-up caches, shared with the sandboxes' and outside the folder removed after.
          XDG_CACHE_HOME: TEST_CACHE,
          TERM: 'dumb',
          NO_COLOR: '1',
          WISE_API_URL: mock.url,
          WISE_STORE: 'file',
          WISE_STORE_PASSPHRASE: 'docs-test-passphrase',
          BROWSER: CURL_BROWSER,
        };
        const placeholders: [string | RegExp, () => Promise<string> | string][] = [
          ['<profile-id>', () => '2001'],
          ['<balance-id>', () => '3001'],
          ['<client-id>', () => mock.clientId],
          ['<client-secret>', () => mock.clientSecret],
          // The refresh token the CI recipe above left on the "runner".
          ['<refresh-token>', async () => (await readFile(join(ciDir, 'refresh-token'), 'utf8')).trim()],
          ['/var/lib/wise-ci', () => ciDir],
          [/\b8765\b/g, () => String(redirectPort)],
        ];
        await writeFile(
          join(home, 'payments.csv'),
          'recipient,amount,currency,reference,source_currency\n7001,120.00,GBP,Invoice 42,EUR\nMax Mustermann,50,EUR,"Rent, October",EUR\n',
        );
        // A reader of the scripting guide has stored a token already (README and authentication.md show how).
        if (
          [
            'docs/scripting.md',
            'docs/sca.md',
            'docs/payments.md',
            'docs/statements.md',
            'docs/guard-rails.md',
          ].includes(file)
        ) {
          const prelude = await runBlock('wise token add', env, home, mock.personalToken);
          expect(prelude.code, prelude.stderr).toBe(0);
        }
        // Readers of the payment and statement guides may fund transfers and read statements: their account is
        // outside the EU/UK and their SCA key is uploaded (the emulator's controls stand in for wise.com).
        if (file === 'docs/payments.md' || file === 'docs/statements.md') {
          const prelude = await runBlock(
            `curl -sf -X POST "$WISE_API_URL/__mock/users/1001" -d '{"country":"US"}' >/dev/null
             wise keys generate --use sca > sca.pub
             curl -sf -X POST "$WISE_API_URL/__mock/users/1001/sca-keys" --data-binary @sca.pub >/dev/null`,
            env,
            home,
            '',
          );
          expect(prelude.code, prelude.stderr).toBe(0);
        }
        let ran = 0;
        for (const block of blocks) {
          if (block.skip) {
            console.log(`${file}:${block.line}: skipped: ${block.skip}`);
            continue;
          }
          let script = block.script;
          for (const [pattern, value] of placeholders) {
            const matches = typeof pattern === 'string' ? script.includes(pattern) : pattern.test(script);
            if (typeof pattern !== 'string') pattern.lastIndex = 0;
            if (matches) script = script.replaceAll(pattern, await value());
          }
          // Ports of our own for an emulator and a webhook listener the block starts.
          for (const port of [/\b8700\b/g, /\b8790\b/g]) {
            if (port.test(script)) script = script.replaceAll(port, String(await freePort()));
            port.lastIndex = 0;
          }
          const r = await runBlock(script, env, home, `${mock.personalToken}\n`);
          expect(r.code, `${file}:${block.line}\n${script}\n--- stderr ---\n${r.stderr}`).toBe(0);
          expect(r.stderr, `${file}:${block.line}`).not.toMatch(/\n\s+at .+:\d+:\d+/);
          ran++;
        }
        console.log(`${file}: ${ran} shell blocks run, ${blocks.length - ran} skipped`);
      } finally {
        await mock.close();
        await rm(home, { recursive: true, force: true, maxRetries: 3 });
      }
    },
    120_000,
  );
});
