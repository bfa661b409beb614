import { readFileSync } from 'node:fs';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';

/** A file's bytes; a usage error (exit 2) naming the file and the reason when it cannot be read. */
export function readFileOrFail(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new UsageError(`Cannot read the ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? error}.`);
  }
}

export function readTextOrFail(path: string, what: string): string {
  return readFileOrFail(path, what).toString('utf8');
}

/**
 * The input of a command that takes a file argument or stdin: the file, or stdin for `-` or no argument (refused on
 * a terminal when no argument was given, so the command does not wait for typing it never asked for).
 */
export async function readFileOrStdin(
  ctx: Context,
  file: string | undefined,
  what: string,
  maxBytes: number,
): Promise<Buffer> {
  if (file !== undefined && file !== '-') return readFileOrFail(file, what);
  if (file === undefined && ctx.io.stdinIsTTY) {
    throw new UsageError(`Give the ${what} as a file argument, or pipe it on standard input.`);
  }
  return ctx.io.readStdin(maxBytes);
}
