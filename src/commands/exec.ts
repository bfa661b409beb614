import { type ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:os';
import { chooseProfileId } from '../account/profiles.js';
import { parseCount } from '../account/validate.js';
import { resolveCredential } from '../auth/credentials.js';
import { resolveTarget } from '../auth/target.js';
import type { Context } from '../context.js';
import { ExitWith, UsageError } from '../errors.js';
import { apiBaseUrl, createClient } from '../http/factory.js';

/** Variables that pass on as they are: where the config (policy, journal) is, so a child's `wise` keeps its rails. */
const KEPT = new Set(['WISE_CONFIG_DIR', 'WISE_POLICY_FILE']);
const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Runs one child with a valid access token in WISE_TOKEN (and WISE_ENV, WISE_API_URL, WISE_PROFILE_ID,
 * WISE_ACCOUNT), every other WISE_* variable removed; prints nothing; its exit code becomes ours.
 */
export async function exec(ctx: Context, command: string[], opts: { minTtl: string }): Promise<void> {
  if (!command.length) throw new UsageError('Name the command to run after --, e.g. `wise exec -- ./pay-invoices.sh`.');
  const minTtlMs = parseCount(opts.minTtl, '--min-ttl', 11 * 60) * 60_000;
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
  const client = createClient(ctx, target.env, credential, target);
  // Nothing is printed: the profile is chosen as other commands choose it, without their note.
  const profileId = await chooseProfileId(ctx, target, client, { quiet: true });
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(ctx.env)) {
    if (value !== undefined && (!name.startsWith('WISE_') || KEPT.has(name))) env[name] = value;
  }
  Object.assign(env, {
    WISE_TOKEN: token,
    WISE_ENV: target.env,
    WISE_API_URL: apiBaseUrl(ctx, target.env, target.config.mtls?.[target.env] !== undefined).href.replace(/\/$/, ''),
    WISE_PROFILE_ID: String(profileId),
    WISE_ACCOUNT: target.account,
  });
  const [file, ...args] = command as [string, ...string[]];
  const code = await new Promise<number>((resolve, reject) => {
    // The handlers are in place before the child starts: the child may print (and be signalled) before spawn()
    // returns here, and a signal with no handler yet would end this process and orphan the child. A signal caught
    // during spawn() is handled on the event loop, after `child` is set.
    let child: ChildProcess | undefined;
    const forward = (signal: NodeJS.Signals) => () => child?.kill(signal);
    const handlers = FORWARDED.map((signal) => [signal, forward(signal)] as const);
    for (const [signal, handler] of handlers) process.on(signal, handler);
    child = spawn(file, args, { stdio: 'inherit', env });
    const done = () => {
      for (const [signal, handler] of handlers) process.off(signal, handler);
    };
    child.once('error', (error: NodeJS.ErrnoException) => {
      done();
      reject(
        new UsageError(
          `Cannot run "${file}": ${error.code === 'ENOENT' ? 'no such command' : (error.code ?? error.message)}.`,
          {
            hint: 'Give the command after --, as you would type it (a path, or a name on PATH).',
          },
        ),
      );
    });
    child.once('exit', (exitCode, signal) => {
      done();
      // As a shell reports it: a child ended by a signal is 128 + its number.
      resolve(exitCode ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0));
    });
  });
  throw new ExitWith(code);
}
