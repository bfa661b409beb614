import { randomBytes } from 'node:crypto';
import { link, lstat, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { WiseError } from '../errors.js';
import { type Clock, systemClock } from '../util/clock.js';
import { readLockFile } from './private-files.js';

export interface LockOptions {
  /** How long to wait for the lock before giving up. */
  timeoutMs?: number;
  /** A lock older than this is taken over even when its owner still seems alive (a hung process). */
  staleMs?: number;
  /** The context's clock (file times come from the OS and are compared with it). */
  clock?: Clock;
}

export interface Lock {
  release(): Promise<void>;
}

/**
 * A cross-process lock: a file holding the owner's pid, made whole in a temporary file and then hard-linked into
 * place (link fails if the lock exists), so that no waiter ever sees a lock without its owner. A lock whose owner is
 * dead, or that is older than `staleMs`, is recovered: it is renamed aside (atomic, so only one waiter wins) and
 * checked again.
 */
export async function acquireLock(path: string, options: LockOptions = {}): Promise<Lock> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const staleMs = options.staleMs ?? 30_000;
  const clock = options.clock ?? systemClock;
  const deadline = clock.now() + timeoutMs;
  const token = `${process.pid} ${clock.now()} ${randomBytes(4).toString('hex')}`;
  let delay = 5;
  // Named like the other temporary files, so that one left by a killed process is cleaned up with them.
  const draft = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(draft, 'wx', 0o600);
  try {
    await handle.writeFile(token);
  } finally {
    await handle.close();
  }
  for (;;) {
    try {
      await link(draft, path);
      await unlink(draft).catch(() => {});
      return {
        async release() {
          const current = await readLockFile(path).catch(() => undefined);
          if (current === token) await unlink(path).catch(() => {});
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        await unlink(draft).catch(() => {});
        throw error;
      }
    }
    await recoverIfStale(path, staleMs, clock.now());
    if (clock.now() > deadline) {
      await unlink(draft).catch(() => {});
      throw new WiseError(`Timed out waiting for the lock ${path}.`, {
        hint: 'Another wise process is holding it. If none is running, delete that file.',
      });
    }
    await clock.sleep(delay + Math.random() * delay);
    delay = Math.min(delay * 2, 100);
  }
}

async function recoverIfStale(path: string, staleMs: number, now: number): Promise<void> {
  let content: string | null | undefined;
  let mtimeMs: number;
  try {
    content = await readLockFile(path);
    if (content === undefined) return; // released meanwhile
    mtimeMs = (await lstat(path)).mtimeMs;
  } catch {
    return; // released meanwhile
  }
  // A symlink, FIFO or anything else that is not a regular file was not made by a wise process: it is no lock, and
  // reading it could hang, so it is moved away like a stale one.
  if (content !== null) {
    const pid = Number.parseInt(content.split(' ')[0] ?? '', 10);
    if (ownerAlive(pid) && now - mtimeMs < staleMs) return;
  }
  const aside = `${path}.${randomBytes(4).toString('hex')}.stale`;
  try {
    await rename(path, aside);
  } catch {
    return; // another waiter recovered it first
  }
  const taken = await readLockFile(aside).catch(() => null);
  if (typeof taken === 'string' && taken !== content) {
    // We moved a fresh lock that replaced the stale one between our read and rename: put it back.
    await link(aside, path).catch(() => {});
  }
  await unlink(aside).catch(() => {});
}

function ownerAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Runs `fn` while holding the lock at `path`. */
export async function withLock<T>(path: string, fn: () => Promise<T>, options?: LockOptions): Promise<T> {
  const lock = await acquireLock(path, options);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}
