import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
export const WISE_BIN = join(ROOT, 'bin/wise');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  input?: string | Buffer;
  timeoutMs?: number;
  /** Spawn `bin/wise` even in an in-process sandbox (what only a real process shows). */
  spawn?: boolean;
}

/** The environment of a user with nothing set: no WISE_* from the developer's shell leaks into a test. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith('WISE_') && k !== 'NO_COLOR') env[k] = v;
  }
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export function runWise(args: string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [WISE_BIN, ...args], {
      env: cleanEnv(options.env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

export interface Sandbox {
  dir: string;
  configDir: string;
  env: Record<string, string>;
  run(args: string[], options?: RunOptions): Promise<RunResult>;
  cleanup(): Promise<void>;
}

/** How a sandbox runs `wise`: a spawned `bin/wise`, or the runner in this process (test/helpers/in-process.ts). */
export type RunMode = 'process' | 'in-process';

let defaultMode: RunMode = 'process';

/**
 * The sandboxes of this test file run `wise` in-process unless a run asks to spawn (each test file has its own
 * module state, so this holds for the file that calls it).
 */
export function runInProcessByDefault(): void {
  defaultMode = 'in-process';
}

/**
 * A private home and config folder with the encrypted file store, so tests never touch the user's keychain. Its
 * `run` spawns `bin/wise`, or with `mode` 'in-process' runs the CLI's runner here (unless a run asks to spawn).
 */
export async function createSandbox(extra: Record<string, string> = {}, mode: RunMode = defaultMode): Promise<Sandbox> {
  const dir = await mkdtemp(join(tmpdir(), 'wise-test-'));
  const configDir = join(dir, 'config');
  const env = {
    HOME: dir,
    // Node's compile cache (Node 22.1+), shared by every sandbox of the run: warm after the first start, and never
    // written into a folder a test is removing.
    XDG_CACHE_HOME: TEST_CACHE,
    WISE_CONFIG_DIR: configDir,
    WISE_STORE: 'file',
    WISE_STORE_PASSPHRASE: `pass-${Math.random().toString(36).slice(2)}`,
    ...extra,
  };
  return {
    dir,
    configDir,
    env,
    run: async (args, options = {}) => {
      const merged = { ...options, env: { ...env, ...options.env } };
      if (mode === 'process' || options.spawn) return runWise(args, merged);
      const { runInProcess } = await import('./in-process.js');
      return runInProcess(args, cleanEnv(merged.env), options.input);
    },
    cleanup: () => rm(dir, { recursive: true, force: true, maxRetries: 3 }),
  };
}

/** The start-up caches of every `wise` the tests run: shared, warm after the first start, never the user's own. */
export const TEST_CACHE = join(tmpdir(), 'wise-test-cache');

/** A stack trace in output means an error escaped the error handling. */
export const STACK_TRACE = /\n\s+at .+\(?.*:\d+:\d+\)?/;

/** Collects a child's stdout and stderr as text while it runs. */
export function capture(child: ChildProcess): { stdout(): string; stderr(): string } {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => {
    stdout += c;
  });
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c;
  });
  return { stdout: () => stdout, stderr: () => stderr };
}

/**
 * Whether `text` shows `code` (a PIN, a one-time code) as a value of its own: not inside a longer run of digits, hex
 * or base64 (a correlation id, a key), where any four digits turn up by chance now and then.
 */
export function showsCode(text: string, code: string): boolean {
  return new RegExp(`(^|[^0-9A-Za-z+/-])${code}([^0-9A-Za-z+/=-]|$)`).test(text);
}
