import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { startMockServer } from '../../src/mock/server.js';
import { FileStore } from '../../src/store/file-store.js';
import { cleanEnv, createSandbox, ROOT, type Sandbox, WISE_BIN } from './cli.js';
import type { MockServer } from './mock.js';

export const CURL_BROWSER = join(ROOT, 'test/fixtures/curl-browser.sh');
export const ENV_BROWSER = join(ROOT, 'test/fixtures/env-browser.sh');

/** The kernel's ephemeral range: ports it hands to `listen(0)` and to outgoing connections. */
function ephemeralLow(): number {
  try {
    const low = Number.parseInt(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8'), 10);
    return Number.isFinite(low) && low > 12_000 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

const handedOut = new Set<number>();

/** Whether a server could listen on the port now. */
export function isFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

/**
 * A port that is free now and stays free for the test: taken below the kernel's ephemeral range, so that no
 * `listen(0)` server and no outgoing connection of a parallel test can land on it between this check and the
 * moment wise binds it, and from a slice of its own for each test worker, so that two workers never pick the same.
 */
export async function freePort(): Promise<number> {
  const low = 10_000;
  const high = ephemeralLow() - 1;
  const slices = 16;
  const size = Math.floor((high - low) / slices);
  const worker = Number(process.env.VITEST_POOL_ID ?? process.env.VITEST_WORKER_ID ?? 0) % slices;
  const start = low + worker * size;
  for (let tries = 0; tries < 200; tries++) {
    const port = start + Math.floor(Math.random() * size);
    if (handedOut.has(port)) continue;
    if (await isFree(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('no free port below the ephemeral range');
}

export interface OAuthWorld {
  mock: MockServer;
  sb: Sandbox;
  redirectUri: string;
  port: number;
  store(): FileStore;
  cleanup(): Promise<void>;
}

/** An emulator with a partner client whose redirect URI is a free loopback port, and a sandbox with it set up. */
export async function oauthWorld(options: { host?: string; setup?: boolean } = {}): Promise<OAuthWorld> {
  const port = await freePort();
  const redirectUri = `http://${options.host ?? '127.0.0.1'}:${port}/callback`;
  const mock = await startMockServer({ port: 0, redirectUris: [redirectUri] });
  const sb = await createSandbox({ WISE_API_URL: mock.url });
  if (options.setup !== false) {
    const r = await sb.run(
      ['oauth', 'setup', '--client-id', mock.clientId, '--redirect-uri', redirectUri, '--client-secret-stdin'],
      {
        input: mock.clientSecret,
      },
    );
    if (r.code !== 0) throw new Error(`setup failed: ${r.stderr}`);
  }
  return {
    mock,
    sb,
    redirectUri,
    port,
    store: () => new FileStore(join(sb.configDir, 'secrets.enc'), async () => sb.env.WISE_STORE_PASSPHRASE as string),
    async cleanup() {
      await mock.close();
      await sb.cleanup();
    },
  };
}

export interface Running {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the consent URL once wise has printed it. */
  consentUrl: Promise<string>;
  done: Promise<{ code: number; stdout: string; stderr: string }>;
}

/** Starts a long-running wise command (e.g. `oauth authorize --no-browser`) and watches its output. */
export function startWise(
  sandbox: Pick<Sandbox, 'env'>,
  args: string[],
  env: Record<string, string> = {},
  options: { stdin?: boolean } = {},
): Running {
  const child = spawn(process.execPath, [WISE_BIN, ...args], {
    env: cleanEnv({ ...sandbox.env, ...env }),
    stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let resolveUrl: (url: string) => void = () => {};
  let rejectUrl: (error: Error) => void = () => {};
  const consentUrl = new Promise<string>((resolve, reject) => {
    resolveUrl = resolve;
    rejectUrl = reject;
  });
  // A wise that ends before printing the URL fails the test at once, with what it said, instead of a timeout.
  consentUrl.catch(() => {});
  child.on('close', (code) => rejectUrl(new Error(`wise exited (${code}) before printing a consent URL:\n${err}`)));
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    err += c.toString();
    const m = /(http:\/\/\S+\/oauth\/authorize\?\S+)/.exec(err);
    if (m?.[1]) resolveUrl(m[1]);
  });
  const done = new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    child.on('close', (code, signal) =>
      resolve({ code: code ?? (signal === 'SIGINT' ? 130 : 1), stdout: out, stderr: err }),
    );
  });
  return { child, stdout: () => out, stderr: () => err, consentUrl, done };
}

/**
 * What a browser does on the consent page: load it, post the decision, follow redirects; with `unreachable`, not
 * into that origin (a browser on another machine, whose 127.0.0.1 is not ours): the address it ends on is returned.
 */
export async function decide(
  consentUrl: string,
  decision: 'approve' | 'deny',
  unreachable?: string,
): Promise<{ finalUrl: string; body: string }> {
  const page = await (await fetch(consentUrl)).text();
  const form = new URLSearchParams();
  for (const m of page.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) {
    form.set(
      m[1] as string,
      (m[2] as string).replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n))),
    );
  }
  form.set('decision', decision);
  const origin = new URL(consentUrl).origin;
  let res = await fetch(`${origin}/oauth/authorize/decision`, { method: 'POST', body: form, redirect: 'manual' });
  let url = `${origin}/oauth/authorize/decision`;
  // Follow redirects by hand, as a browser would, to see every hop.
  for (let hops = 0; hops < 5 && res.status >= 300 && res.status < 400; hops++) {
    url = new URL(res.headers.get('location') as string, url).href;
    if (unreachable && url.startsWith(unreachable)) return { finalUrl: url, body: '' };
    res = await fetch(url, { redirect: 'manual' });
  }
  return { finalUrl: url, body: await res.text() };
}

export async function grantsSeen(mock: MockServer, grant: string): Promise<number> {
  const res = await fetch(`${mock.url}/__mock/requests`);
  const list = (await res.json()) as { grantType?: string }[];
  return list.filter((r) => r.grantType === grant).length;
}

/** An OAuth world whose default account has logged in through the consent page. */
export async function loggedIn(): Promise<OAuthWorld> {
  const w = await oauthWorld();
  const run = startWise(w.sb, ['oauth', 'authorize', '--no-browser', '--timeout', '20']);
  await decide(await run.consentUrl, 'approve');
  const done = await run.done;
  if (done.code !== 0) throw new Error(done.stderr);
  return w;
}
