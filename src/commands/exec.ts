import { type ChildProcess, spawn } from 'node:child_process';
import {
  accessSync,
  closeSync,
  constants as fsConstants,
  openSync,
  readFileSync,
  readSync,
  statSync,
  writeSync,
} from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { chooseProfileId } from '../account/profiles.js';
import { parseCount } from '../account/validate.js';
import { resolveCredential } from '../auth/credentials.js';
import { resolveTarget } from '../auth/target.js';
import type { Context } from '../context.js';
import { ExitWith, UsageError, WiseError } from '../errors.js';
import { apiBaseUrl } from '../http/endpoints.js';
import { dropFromEnvironment, environmentWith, putIntoEnvironment, takeFromEnvironment } from '../util/environ.js';

/** Variables that pass on as they are: where the config (policy, journal) is, so a child's `wise` keeps its rails. */
const KEPT = new Set(['WISE_CONFIG_DIR', 'WISE_POLICY_FILE']);
/** WISE_* variables that hold no secret. Every other WISE_* variable is treated as one. */
const PUBLIC = new Set([
  ...KEPT,
  'WISE_ACCOUNT',
  'WISE_ENV',
  'WISE_API_URL',
  'WISE_AUTHORIZE_URL',
  'WISE_PROFILE_ID',
  'WISE_API_VERSION',
  'WISE_DEBUG',
  'WISE_STORE',
  'WISE_KEYCHAIN_TIMEOUT_MS',
]);
const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
/** Set only in the helper that `wise exec` starts on a Node without process.execve: its secrets come on fd 3. */
const HANDOFF = 'WISE_EXEC_HANDOFF';
const HANDOFF_FD = 3;

type Execve = (file: string, args: string[], env: Record<string, string>) => never;
const execve = (process as unknown as { execve?: Execve }).execve;

interface Launch {
  file: string;
  args: string[];
  env: Record<string, string>;
}

/**
 * Runs one child with a valid access token in WISE_TOKEN (and WISE_ENV, WISE_API_URL, WISE_PROFILE_ID,
 * WISE_ACCOUNT), every other WISE_* variable removed; prints nothing; its exit code is ours.
 *
 * No process that stays above the child holds a secret the child should not have: the child runs as the same user,
 * so it can read /proc/<ancestor>/environ (and, without Yama, /proc/<ancestor>/mem). Where Node has process.execve,
 * this process becomes the child: its memory and its environment block are replaced. Elsewhere, this process takes
 * every secret WISE_* variable out of its own environment block, hands them over a pipe to a helper (this tool
 * again) that finds the token and exits, and starts the child with what the helper sent back: the process that
 * waits for the child never read a secret but the child's own token.
 */
export async function exec(ctx: Context, command: string[], opts: { minTtl: string }): Promise<void> {
  if (!command.length) throw new UsageError('Name the command to run after --, e.g. `wise exec -- ./pay-invoices.sh`.');
  const minTtlMs = parseCount(opts.minTtl, '--min-ttl', 11 * 60) * 60_000;
  const helper = ctx.env[HANDOFF] !== undefined;
  if (!helper && !execve) return superviseThroughHelper();
  if (helper) {
    dropFromEnvironment(HANDOFF);
    putIntoEnvironment(readFileSync(HANDOFF_FD), isSecretName);
  }
  const [file, ...args] = command as [string, ...string[]];
  const launch: Launch = { file, args, env: await childEnvironment(ctx, minTtlMs) };
  if (helper) {
    writeAll(HANDOFF_FD, Buffer.from(JSON.stringify(launch)));
    closeSync(HANDOFF_FD);
    throw new ExitWith(0);
  }
  becomeChild(launch, execve as Execve);
}

async function childEnvironment(ctx: Context, minTtlMs: number): Promise<Record<string, string>> {
  const target = await resolveTarget(ctx);
  const credential = await resolveCredential(ctx, target);
  let token: string;
  const stored = target.config.accounts[target.account]?.credentials[target.env];
  if (credential.source === 'stored' && credential.kind === 'oauth' && stored) {
    // Wise invalidates an access token when its refresh token is used: refresh now if this tool would refresh within
    // --min-ttl, so that no wise process here needs to while the child runs.
    const { storedAccessToken, freshUntil } = await import('../auth/oauth/tokens.js');
    let tokens = await storedAccessToken(ctx, target, stored);
    if (freshUntil(tokens) - ctx.clock.now() < minTtlMs)
      tokens = await storedAccessToken(ctx, target, { ...stored, force: true });
    token = tokens.accessToken;
  } else {
    token = await credential.accessToken();
  }
  const client = ctx.client(target.env, credential, target);
  // Nothing is printed: the profile is chosen as other commands choose it, without their note.
  const profileId = await chooseProfileId(ctx, target, client, { quiet: true });
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(ctx.env)) {
    if (value !== undefined && (!name.startsWith('WISE_') || KEPT.has(name))) env[name] = value;
  }
  return Object.assign(env, {
    WISE_TOKEN: token,
    WISE_ENV: target.env,
    WISE_API_URL: apiBaseUrl(ctx, target.env, target.config.mtls?.[target.env] !== undefined).href.replace(/\/$/, ''),
    WISE_PROFILE_ID: String(profileId),
    WISE_ACCOUNT: target.account,
  });
}

const isSecretName = (name: string) => name.startsWith('WISE_') && !PUBLIC.has(name);

/** What the exec(3) family does to find a command: a name without a slash is looked up on PATH. */
function findExecutable(file: string, path: string | undefined): string {
  const candidates = file.includes('/') ? [file] : (path ?? '').split(':').map((dir) => join(dir || '.', file));
  let denied = false;
  for (const candidate of candidates) {
    try {
      if (!statSync(candidate).isFile()) continue;
    } catch {
      continue;
    }
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      denied = true;
    }
  }
  throw cannotRun(file, denied ? 'EACCES' : 'ENOENT');
}

function cannotRun(file: string, code: string | undefined): UsageError {
  return new UsageError(`Cannot run "${file}": ${code === 'ENOENT' ? 'no such command' : code}.`, {
    hint: 'Give the command after --, as you would type it (a path, or a name on PATH).',
  });
}

/** Replaces this process with the child. process.execve aborts on failure, so everything it could fail on is checked. */
function becomeChild({ file, args, env }: Launch, run: Execve): never {
  const path = findExecutable(file, env.PATH);
  // A file that is neither a script nor a binary is run by the shell, as execvp(3) and a shell do.
  const head = Buffer.alloc(4);
  const fd = openSync(path, 'r');
  const got = readSync(fd, head, 0, 4, 0);
  closeSync(fd);
  const runnable =
    head.subarray(0, 2).toString('latin1') === '#!' || (got === 4 && head.toString('latin1') === '\x7fELF');
  // Node ignores SIGPIPE and SIGXFSZ, and an ignored signal stays ignored across execve: give them back their
  // defaults (adding and removing a listener does), so that `wise exec -- sh -c 'yes | head -1'` ends as it should.
  for (const signal of ['SIGPIPE', 'SIGXFSZ'] as const) {
    const noop = () => {};
    process.on(signal, noop);
    process.off(signal, noop);
  }
  if (runnable) run(path, [file, ...args], env);
  return run('/bin/sh', ['sh', path, ...args], env);
}

/** A process's end as a shell reports it: its exit code, or 128 + the number of the signal that ended it. */
function shellStatus(code: number | null, signal: NodeJS.Signals | null): number {
  return code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0);
}

function writeAll(fd: number, data: Buffer): void {
  for (let done = 0; done < data.length; ) done += writeSync(fd, data, done);
}

/** Signals that reach this process go on to whichever child runs now. */
function forwardSignals(current: () => ChildProcess | undefined): () => void {
  const handlers = FORWARDED.map((signal) => [signal, () => current()?.kill(signal)] as const);
  for (const [signal, handler] of handlers) process.on(signal, handler);
  return () => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  };
}

/** The parent's side on a Node without process.execve: see exec(). */
async function superviseThroughHelper(): Promise<void> {
  // Out of the environment block (and so out of /proc/<pid>/environ) before anything else reads them.
  const taken = takeFromEnvironment(isSecretName);
  let child: ChildProcess | undefined;
  const stopForwarding = forwardSignals(() => child);
  try {
    const launch = await runHelper(taken, (started) => {
      child = started;
    });
    const [file, args, env] = [launch.file, launch.args, launch.env];
    const code = await new Promise<number>((resolve, reject) => {
      // The handlers were in place before the child starts: the child may print (and be signalled) before spawn()
      // returns here, and a signal with no handler yet would end this process and orphan the child.
      child = spawn(file, args, { stdio: 'inherit', env });
      child.once('error', (error: NodeJS.ErrnoException) => reject(cannotRun(file, error.code ?? error.message)));
      child.once('exit', (exitCode, signal) => resolve(shellStatus(exitCode, signal)));
    });
    throw new ExitWith(code);
  } finally {
    stopForwarding();
  }
}

function runHelper(secrets: Buffer[], started: (helper: ChildProcess) => void): Promise<Launch> {
  return new Promise((resolve, reject) => {
    const helper = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
      env: environmentWith({ [HANDOFF]: String(HANDOFF_FD) }),
      stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
    });
    started(helper);
    const channel = helper.stdio[HANDOFF_FD] as Writable & NodeJS.ReadableStream;
    const reply: Buffer[] = [];
    channel.on('data', (chunk: Buffer) => reply.push(chunk));
    channel.on('error', () => {});
    channel.end(Buffer.concat([...secrets.flatMap((s) => [s, Buffer.alloc(1)])]), () => {
      for (const secret of secrets) secret.fill(0);
    });
    helper.once('error', (error) => reject(new WiseError(`Cannot start the helper: ${error.message}`)));
    helper.once('close', (code, signal) => {
      if (code !== 0) return reject(new ExitWith(shellStatus(code, signal)));
      try {
        resolve(JSON.parse(Buffer.concat(reply).toString('utf8')) as Launch);
      } catch {
        reject(new WiseError('The helper that finds the token gave no answer.'));
      }
    });
  });
}
