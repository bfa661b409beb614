/**
 * The one place besides src/context.ts that changes this process's environment: `wise exec` moves its secrets out of
 * it before anything else reads them.
 */
import { closeSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';

/** Calls `each` with the bounds of every NUL-separated entry of `block`. */
function forEachEntry(block: Buffer, each: (start: number, stop: number) => void): void {
  for (let at = 0; at < block.length; ) {
    let stop = block.indexOf(0, at);
    if (stop < 0) stop = block.length;
    each(at, stop);
    at = stop + 1;
  }
}

/**
 * Takes every variable `wanted` names out of this process's environment (process.env and the block /proc shows) and
 * returns them as "NAME=value" buffers, which the caller zeroes when done with them.
 */
export function takeFromEnvironment(wanted: (name: string) => boolean): Buffer[] {
  const names = Object.keys(process.env).filter(wanted);
  // Where the block cannot be rewritten (not Linux), the values are still taken, and still visible where the OS
  // shows a process's environment.
  const taken = takeFromEnvironBlock(wanted) ?? names.map((name) => Buffer.from(`${name}=${process.env[name] ?? ''}`));
  for (const name of names) delete process.env[name];
  return taken;
}

/** Puts "NAME=value" entries (NUL-separated) that `wanted` accepts into process.env, and zeroes the payload. */
export function putIntoEnvironment(payload: Buffer, wanted: (name: string) => boolean): void {
  forEachEntry(payload, (start, stop) => {
    const entry = payload.toString('utf8', start, stop);
    const eq = entry.indexOf('=');
    if (eq > 0 && wanted(entry.slice(0, eq))) process.env[entry.slice(0, eq)] = entry.slice(eq + 1);
  });
  payload.fill(0);
}

/** This process's environment now, with `extra` on top: for a helper started by this process. */
export function environmentWith(extra: Record<string, string>): Record<string, string | undefined> {
  return { ...process.env, ...extra };
}

/** Drops one variable (one that is no secret) from process.env. */
export function dropFromEnvironment(name: string): void {
  delete process.env[name];
}

/**
 * Removes environment entries from this process's own environment block, the one the kernel shows in
 * /proc/<pid>/environ, and returns them ("NAME=value", raw bytes) to the caller, who must zero them when done.
 *
 * `delete process.env.X` does not do this: it unlinks the variable from the C library's list, but
 * /proc/<pid>/environ is read straight from the block the process was started with, so a child running as the same
 * user still reads every secret its parent was given. The block is overwritten with zero bytes through
 * /proc/self/mem (Linux only). Returns null where that cannot be done (another OS, a hardened /proc); the caller then
 * knows its environment is still readable.
 */
function takeFromEnvironBlock(wanted: (name: string) => boolean): Buffer[] | null {
  if (process.platform !== 'linux') return null;
  let fd: number | undefined;
  try {
    const stat = readFileSync('/proc/self/stat', 'latin1');
    // Fields after the command name (which may hold spaces and parentheses); env_start and env_end are fields 50, 51.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = Number(fields[50 - 3]);
    const end = Number(fields[51 - 3]);
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end <= start || end - start > 1 << 24)
      return null;
    fd = openSync('/proc/self/mem', 'r+');
    const block = Buffer.alloc(end - start);
    if (readSync(fd, block, 0, block.length, start) !== block.length) return null;
    const taken: Buffer[] = [];
    const mem = fd;
    forEachEntry(block, (at, stop) => {
      const entry = block.subarray(at, stop);
      const eq = entry.indexOf(0x3d);
      if (eq > 0 && wanted(entry.toString('latin1', 0, eq))) {
        taken.push(Buffer.from(entry));
        entry.fill(0);
        // A Number position: Node 20's writeSync mishandles a BigInt one here.
        writeSync(mem, block, at, stop - at, start + at);
      }
    });
    block.fill(0);
    return taken;
  } catch {
    return null;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
