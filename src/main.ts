/**
 * The process: runs the command line with the real host (descriptors 1 and 2, the process environment, the context
 * of context.ts) and exits with its code once the output has been handed to the OS.
 */
import { runCli } from './cli.js';
import { pendingStdStreams, writeStd } from './util/stdio.js';

/**
 * Exits as soon as stdout and stderr have been handed to the OS: output is never cut short (pipes are asynchronous
 * on macOS), and a keychain call that timed out cannot keep the process alive.
 */
function exitWhenFlushed(code: number): void {
  const pending = pendingStdStreams();
  if (!pending.length) process.exit(code);
  let left = pending.length;
  for (const stream of pending) {
    stream.once('drain', () => {
      left -= 1;
      if (left === 0) process.exit(code);
    });
  }
  setTimeout(() => process.exit(code), 10_000).unref();
}

void runCli(process.argv.slice(2), {
  write: writeStd,
  env: process.env,
  // context.ts only when an error is reported: start-up does not load it before a command runs.
  stderrIsTTY: async () => (await import('./context.js')).isTerminal(2),
}).then(exitWhenFlushed);
