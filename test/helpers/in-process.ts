/**
 * The in-process runner: a command line run by the CLI's own runner (src/cli.ts) inside the test's process, with a
 * context whose environment, standard streams and clock are the test's. Everything else is what a user runs: the
 * commander tree, the real transport to the emulator on 127.0.0.1, the config files, the encrypted file store, the
 * journal and its lock; never the OS keychain (its library reads this process's environment, not the test's: such a
 * run fails with exit 7). What only a real process shows (exit through the output flush, signals, terminals,
 * start-up, the keychain's D-Bus session, the built bundle) stays with the tests that spawn `bin/wise`.
 */
import { Readable, Writable } from 'node:stream';
import { runCli } from '../../src/cli.js';
import { createContext, type IO, tooMuchInput } from '../../src/context.js';
import type { RunResult } from './cli.js';

/** Standard streams with no terminal: what a spawned `bin/wise` with pipes has. */
function pipedIO(input: Buffer, out: (text: string) => void, err: (text: string) => void): IO {
  const text = (data: string | Uint8Array) => (typeof data === 'string' ? data : Buffer.from(data).toString('utf8'));
  const noTerminal = async (): Promise<never> => {
    throw new Error('a prompt was asked for with no terminal');
  };
  return {
    stdinIsTTY: false,
    stdoutIsTTY: false,
    stderrIsTTY: false,
    color: false,
    colorErr: false,
    async style() {
      const { Chalk } = await import('chalk');
      return new Chalk({ level: 0 });
    },
    out: (data) => out(text(data)),
    outStream: () =>
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          out(chunk.toString('utf8'));
          done();
        },
      }),
    err: (line) => err(line.endsWith('\n') ? line : `${line}\n`),
    async readStdin(maxBytes = Number.POSITIVE_INFINITY) {
      if (input.byteLength > maxBytes) {
        throw tooMuchInput(maxBytes);
      }
      return input;
    },
    stdinLines() {
      const lines = input.toString('utf8').split(/\r?\n/);
      if (lines.at(-1) === '') lines.pop();
      return {
        lines: (async function* () {
          yield* lines;
        })(),
        close() {},
      };
    },
    inStream: () => Readable.from([input]),
    promptSecret: noTerminal,
    select: noTerminal,
    input: noTerminal,
    confirm: noTerminal,
    spinner: () => ({ stop() {} }),
    progress: () => ({ update() {}, stop() {} }),
  };
}

/** Runs `wise <args>` in this process with `env` as its whole environment and `input` on its standard input. */
export async function runInProcess(
  args: string[],
  env: Record<string, string>,
  input: string | Buffer = '',
): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  const io = pipedIO(
    Buffer.from(input),
    (t) => {
      stdout += t;
    },
    (t) => {
      stderr += t;
    },
  );
  const code = await runCli(args, {
    write: (fd, t) => {
      if (fd === 1) stdout += t;
      else stderr += t;
    },
    env,
    stderrIsTTY: async () => false,
    context: (options, clients) => createContext(options, clients, { env, io, keychain: false }),
  });
  return { code, stdout, stderr };
}
