/**
 * The one place that touches the process: environment, stdio, the clock, the keychain library, prompts and the
 * browser opener. Everything else receives a `Context`, so tests can build one with honest fakes.
 */

import { fstatSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChalkInstance } from 'chalk';
import { CancelledError, SecretStoreError, UsageError } from './errors.js';
import type { WiseClient } from './http/client.js';
import { createTransport, type Transport } from './http/transport.js';
import { ConfigFile } from './store/config.js';
import type { KeyringEntry } from './store/keychain-store.js';
import type { SecretStore, StoreBackend } from './store/secret-store.js';
import { type Clock, systemClock } from './util/clock.js';
import { Redactor, stripControl } from './util/redact.js';
import { stdStream, writeStd } from './util/stdio.js';
import type { createClient } from './wiring/clients.js';

export interface GlobalOptions {
  account?: string;
  env?: string;
  profileId?: string;
  apiUrl?: string;
  apiVersion?: string;
  json: boolean;
  debug: boolean;
  color: boolean;
}

export interface Spinner {
  stop(): void;
}

export interface IO {
  readonly stdinIsTTY: boolean;
  readonly stdoutIsTTY: boolean;
  readonly stderrIsTTY: boolean;
  /** Colour is used only on a TTY, never with NO_COLOR or --no-color: for stdout and stderr apart. */
  readonly color: boolean;
  readonly colorErr: boolean;
  /** chalk, with colour on only where `stream` may have it. Loaded on demand: it is an ES module. */
  style(stream: 'out' | 'err'): Promise<ChalkInstance>;
  out(text: string | Uint8Array): void;
  /** Standard output as a stream, for large bodies piped through with backpressure (a statement). */
  outStream(): NodeJS.WritableStream;
  err(text: string): void;
  /** All of standard input; more than `maxBytes` is refused (UsageError) without reading the rest. */
  readStdin(maxBytes?: number): Promise<Buffer>;
  /**
   * Lines of standard input as they are typed or pasted, read only from the first call on; `close()` stops reading
   * (the process can then end). The iterator ends with standard input.
   */
  stdinLines(): { lines: AsyncIterable<string>; close(): void };
  /** Standard input as a stream, for a protocol spoken over stdin and stdout (`wise mcp`). */
  inStream(): NodeJS.ReadableStream;
  /** A hidden prompt on the terminal; Ctrl-C raises CancelledError. */
  promptSecret(message: string): Promise<string>;
  select<T extends string>(message: string, choices: { name: string; value: T; description?: string }[]): Promise<T>;
  /** A visible one-line prompt; Ctrl-C raises CancelledError. */
  input(message: string, options?: { default?: string; validate?: (value: string) => true | string }): Promise<string>;
  /** A yes/no question on the terminal (default no); Ctrl-C raises CancelledError. */
  confirm(message: string): Promise<boolean>;
  /** A spinner on stderr, only on a TTY; otherwise a no-op. */
  spinner(text: string): Spinner;
  /** A progress bar on stderr for `total` steps, only on a TTY; otherwise a no-op. */
  progress(label: string, total: number): Progress;
}

export interface Progress {
  /** Moves the bar to `done` steps. */
  update(done: number): void;
  stop(): void;
}

export type { Clock } from './util/clock.js';

export interface Context {
  readonly io: IO;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly clock: Clock;
  readonly options: GlobalOptions;
  readonly configDir: string;
  readonly config: ConfigFile;
  readonly transport: Transport;
  readonly redactor: Redactor;
  /**
   * The secret store: WISE_STORE when set, else `remembered` (the backend an account or client was stored in), else
   * the OS keychain. Created on first use (the keychain library loads only then).
   */
  secrets(remembered?: StoreBackend): Promise<SecretStore>;
  /** Opens a URL with the system's opener; false when no browser could be started. */
  openBrowser(url: string): Promise<boolean>;
  /** Writes a redacted line on stderr when --debug or WISE_DEBUG=1 is on. */
  debug(line: string): void;
  readonly debugEnabled: boolean;
  /**
   * An API client for the environment (with `credential`, authenticated; with `target`, with the account's guard,
   * JOSE, SCA answers): what the composition root (src/wiring/clients.ts) builds. Domain code gets its clients here
   * and never imports the wiring.
   */
  client(...args: ClientArgs): WiseClient;
}

/** createClient's arguments after the context. */
type ClientArgs = Parameters<typeof createClient> extends [unknown, ...infer Rest] ? Rest : never;

export function configDirFrom(env: Readonly<Record<string, string | undefined>>): string {
  if (env.WISE_CONFIG_DIR) return env.WISE_CONFIG_DIR;
  const home = env.HOME || (createRequire(import.meta.url)('node:os') as typeof import('node:os')).homedir();
  const base = env.XDG_CONFIG_HOME || join(home, '.config');
  return join(base, 'wise');
}

/** NO_COLOR disables colour when present and not empty (no-color.org); so does --no-color. */
export function colorAllowedBy(
  options: { color: boolean },
  env: Readonly<Record<string, string | undefined>>,
): boolean {
  return options.color && !env.NO_COLOR;
}

/** Standard input holds more than a command's input can be. */
export function tooMuchInput(maxBytes: number): UsageError {
  return new UsageError(`Standard input holds more than ${maxBytes} bytes, more than this input can be.`, {
    hint: 'Check what is piped in.',
  });
}

function isCancel(error: unknown): boolean {
  return error instanceof Error && (error.name === 'ExitPromptError' || error.name === 'AbortPromptError');
}

const terminals = new Map<number, boolean>();

/**
 * Whether a standard descriptor is a terminal, asked once and only when a command wants to know. isatty() instead of
 * process.stdin.isTTY: touching process.stdin builds a stream; and node:tty is loaded only for a character device
 * (a terminal is one): a pipe or a file, which is what scripts and shell loops give, is told apart by fstat alone,
 * without loading node:tty and node:net (up to 4 ms that `wise auth token` does not need).
 */
export function isTerminal(fd: 0 | 1 | 2): boolean {
  let answer = terminals.get(fd);
  if (answer === undefined) {
    answer = maybeTerminal(fd) && (createRequire(import.meta.url)('node:tty') as typeof import('node:tty')).isatty(fd);
    terminals.set(fd, answer);
  }
  return answer;
}

/** False when fstat shows the descriptor is not a character device; true when it is, or when that cannot be told. */
function maybeTerminal(fd: number): boolean {
  if (process.platform === 'win32') return true;
  try {
    return fstatSync(fd).isCharacterDevice();
  } catch {
    return true;
  }
}

function createIO(options: GlobalOptions, env: Readonly<Record<string, string | undefined>>): IO {
  const stderrIsTTY = () => isTerminal(2);
  const colorAllowed = colorAllowedBy(options, env);
  const color = () => colorAllowed && isTerminal(1);
  const colorErr = () => colorAllowed && stderrIsTTY();
  return {
    get stdinIsTTY() {
      return isTerminal(0);
    },
    get stdoutIsTTY() {
      return isTerminal(1);
    },
    get stderrIsTTY() {
      return stderrIsTTY();
    },
    get color() {
      return color();
    },
    get colorErr() {
      return colorErr();
    },
    async style(stream) {
      const { Chalk } = await import('chalk');
      return new Chalk({ level: (stream === 'out' ? color() : colorErr()) ? 1 : 0 });
    },
    out: (text) => writeStd(1, text),
    outStream: () => stdStream(1),
    err: (text) => writeStd(2, text.endsWith('\n') ? text : `${text}\n`),
    async readStdin(maxBytes = Number.POSITIVE_INFINITY) {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of process.stdin) {
        size += (chunk as Buffer).byteLength;
        if (size > maxBytes) {
          throw tooMuchInput(maxBytes);
        }
        chunks.push(chunk as Buffer);
      }
      return Buffer.concat(chunks);
    },
    inStream: () => process.stdin,
    stdinLines() {
      // Loaded on first use: start-up does not pay for node:readline.
      const { createInterface } = createRequire(import.meta.url)('node:readline') as typeof import('node:readline');
      const reader = createInterface({ input: process.stdin, terminal: false, crlfDelay: Number.POSITIVE_INFINITY });
      return {
        lines: reader,
        close: () => {
          reader.close();
          process.stdin.pause();
        },
      };
    },
    async promptSecret(message) {
      const { default: password } = await import('@inquirer/password');
      try {
        return await password({ message, mask: false }, { output: stdStream(2) });
      } catch (error) {
        if (isCancel(error)) throw new CancelledError();
        throw error;
      }
    },
    async select(message, choices) {
      const { default: select } = await import('@inquirer/select');
      try {
        return await select({ message, choices }, { output: stdStream(2) });
      } catch (error) {
        if (isCancel(error)) throw new CancelledError();
        throw error;
      }
    },
    async input(message, options = {}) {
      const { default: input } = await import('@inquirer/input');
      try {
        return await input(
          {
            message,
            required: true,
            ...(options.default ? { default: options.default } : {}),
            ...(options.validate ? { validate: options.validate } : {}),
          },
          { output: stdStream(2) },
        );
      } catch (error) {
        if (isCancel(error)) throw new CancelledError();
        throw error;
      }
    },
    async confirm(message) {
      const { default: confirm } = await import('@inquirer/confirm');
      try {
        return await confirm({ message, default: false }, { output: stdStream(2) });
      } catch (error) {
        if (isCancel(error)) throw new CancelledError();
        throw error;
      }
    },
    progress(label, total) {
      if (!stderrIsTTY()) return { update() {}, stop() {} };
      const { SingleBar } = createRequire(import.meta.url)('cli-progress') as typeof import('cli-progress');
      const bar = new SingleBar({
        format: `${label} [{bar}] {value}/{total}`,
        stream: stdStream(2),
        hideCursor: true,
        clearOnComplete: true,
      });
      bar.start(total, 0);
      return { update: (done) => bar.update(done), stop: () => bar.stop() };
    },
    spinner(text) {
      if (!stderrIsTTY()) return { stop() {} };
      let spinner: { stop(): void } | undefined;
      let stopped = false;
      void import('yocto-spinner').then(({ default: create }) => {
        if (stopped) return;
        spinner = create({ text, stream: stdStream(2) }).start();
      });
      return {
        stop() {
          stopped = true;
          spinner?.stop();
        },
      };
    },
  };
}

/**
 * Which secret store a call uses: WISE_STORE when set (an empty one counts as unset, as shells make it easy to clear
 * a variable that way), else the one the account or client was stored in, else the OS keychain.
 */
export function storeChoice(
  env: Readonly<Record<string, string | undefined>>,
  remembered: StoreBackend | undefined,
): string {
  return (env.WISE_STORE || remembered || 'keychain').toLowerCase();
}

async function createSecretStore(ctx: Context, choice: string): Promise<SecretStore> {
  if (choice === 'file') {
    const { FileStore, MIN_PASSPHRASE_LENGTH } = await import('./store/file-store.js');
    let cached: string | undefined;
    return new FileStore(
      join(ctx.configDir, 'secrets.enc'),
      async (purpose) => {
        if (cached !== undefined) return cached;
        const fromEnv = ctx.env.WISE_STORE_PASSPHRASE;
        if (fromEnv) {
          cached = fromEnv;
        } else if (ctx.io.stdinIsTTY) {
          if (purpose === 'create') {
            const first = await ctx.io.promptSecret(
              `New passphrase for the encrypted secret store (at least ${MIN_PASSPHRASE_LENGTH} characters)`,
            );
            if (first.length >= MIN_PASSPHRASE_LENGTH) {
              const again = await ctx.io.promptSecret('The same passphrase again');
              if (again !== first) throw new SecretStoreError('The two passphrases differ; nothing was stored.');
            }
            cached = first;
          } else {
            cached = await ctx.io.promptSecret('Passphrase for the encrypted secret store');
          }
          if (!cached) throw new SecretStoreError('An empty passphrase cannot protect the secret store.');
        } else {
          throw new SecretStoreError('The encrypted file store needs a passphrase, and there is no terminal to ask.', {
            hint: 'Set WISE_STORE_PASSPHRASE.',
          });
        }
        ctx.redactor.add(cached);
        return cached;
      },
      (line) => ctx.io.err(line),
    );
  }
  if (choice !== 'keychain') {
    throw new UsageError(`Unknown secret store WISE_STORE=${ctx.env.WISE_STORE}.`, {
      hint: 'Use WISE_STORE=keychain (the default) or WISE_STORE=file.',
    });
  }
  const { KeychainStore } = await import('./store/keychain-store.js');
  const { keychainTimeoutMs, sessionBusCheckedOnce } = await import('./store/dbus-probe.js');
  const keyring = async () => {
    const busChecked = sessionBusCheckedOnce(ctx.env);
    // Loaded while the bus check waits for D-Bus's answer; the library's first call (which connects) waits for it.
    const library = loadKeyring();
    await busChecked;
    return library;
  };
  const lister = async (service: string) =>
    (await (await keyring()).findCredentialsAsync(service)).map((c) => c.account);
  return new KeychainStore(
    async (service, name): Promise<KeyringEntry> => {
      // The synchronous entry: opening one (either kind) already talks to the Secret Service on this thread, so the
      // asynchronous kind guards against no hang and costs a thread hop, 1-2 ms a read. The bus check above is
      // what turns a hung D-Bus into an error; a Secret Service that stops answering ends in D-Bus's own timeout.
      const { Entry } = await keyring();
      const entry = new Entry(service, name, { linux: { store: 'secret-service' } });
      return {
        getPassword: async () => entry.getPassword(),
        setPassword: async (value) => entry.setPassword(value),
        deletePassword: async () => entry.deletePassword(),
      };
    },
    keychainTimeoutMs(ctx.env),
    lister,
  );
}

/**
 * The keychain library. Its package entry is a platform loader (musl detection, a try per location) whose loading
 * costs about 3 ms, so on the common platforms the native binary's package is loaded straight away; anywhere else,
 * or if that fails, the library's own loader runs. require(), not import(): CommonJS loads ~20 ms faster here.
 */
function loadKeyring(): typeof import('@napi-rs/keyring') {
  const load = createRequire(import.meta.url);
  const binary = KEYRING_BINARIES[`${process.platform}-${process.arch}`];
  if (binary) {
    // The binary itself where the package manager put it beside us (no package lookups), else found by name.
    const file = fileURLToPath(
      new URL(`../node_modules/${binary}/keyring.${binary.slice('@napi-rs/keyring-'.length)}.node`, import.meta.url),
    );
    for (const target of [file, binary]) {
      try {
        return load(target) as typeof import('@napi-rs/keyring');
      } catch {}
    }
  }
  return load('@napi-rs/keyring') as typeof import('@napi-rs/keyring');
}

const KEYRING_BINARIES: Record<string, string> = {
  'linux-x64': '@napi-rs/keyring-linux-x64-gnu',
  'linux-arm64': '@napi-rs/keyring-linux-arm64-gnu',
  'darwin-arm64': '@napi-rs/keyring-darwin-arm64',
  'darwin-x64': '@napi-rs/keyring-darwin-x64',
  'win32-x64': '@napi-rs/keyring-win32-x64-msvc',
};

/**
 * What a context may take from elsewhere than the process: the in-process tests run commands with their own
 * environment, standard streams and clock (the rest, the transport and the secret stores included, is real).
 */
export interface ContextHost {
  env?: Readonly<Record<string, string | undefined>>;
  io?: IO;
  clock?: Clock;
  /**
   * false: the OS keychain is refused (SecretStoreError). The keychain library reads the process's own environment,
   * so a run in a test process with another environment could otherwise reach the keychain of the session it runs in.
   */
  keychain?: false;
}

/** Builds the real Context for this process (or for a host's environment, streams and clock). */
export function createContext(options: GlobalOptions, clients: typeof createClient, host: ContextHost = {}): Context {
  // A view, not a copy: copying process.env costs milliseconds on every start.
  const env: Readonly<Record<string, string | undefined>> = host.env ?? process.env;
  const configDir = configDirFrom(env);
  const redactor = new Redactor();
  const debugEnabled = options.debug || env.WISE_DEBUG === '1';
  const io = host.io ?? createIO(options, env);
  const stores = new Map<string, Promise<SecretStore>>();
  const ctx: Context = {
    io,
    env,
    clock: host.clock ?? systemClock,
    options,
    configDir,
    config: new ConfigFile(configDir, (line) => io.err(line)),
    transport: createTransport(env),
    redactor,
    debugEnabled,
    secrets(remembered) {
      const choice = storeChoice(env, remembered);
      if (choice === 'keychain' && host.keychain === false) {
        return Promise.reject(
          new SecretStoreError('This run has no OS keychain (it does not run as a process of its own).'),
        );
      }
      let store = stores.get(choice);
      if (!store) {
        store = createSecretStore(ctx, choice);
        stores.set(choice, store);
      }
      return store;
    },
    async openBrowser(url) {
      try {
        const { default: open } = await import('open');
        // The opener, and the browser it starts, outlive this process and keep their environment readable in
        // /proc: none of our variables (passphrase, tokens, client secret) goes with them. `open` spawns with the
        // process environment, so it is cleared for the moment of the spawn and put back after.
        const ours = Object.entries(process.env).filter(([name]) => name.startsWith('WISE_'));
        for (const [name] of ours) delete process.env[name];
        let child: Awaited<ReturnType<typeof open>>;
        try {
          child = await open(url, { wait: false });
        } finally {
          for (const [name, value] of ours) process.env[name] = value;
        }
        // The opener (xdg-open on Linux) fails fast when there is no browser; one still running or done with
        // status 0 after a moment has started one.
        return await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(true), 1500);
          timer.unref();
          child.once('error', () => {
            clearTimeout(timer);
            resolve(false);
          });
          child.once('exit', (code) => {
            clearTimeout(timer);
            resolve(code === 0);
          });
        });
      } catch {
        return false;
      }
    },
    debug(line) {
      if (debugEnabled) io.err(`${stripControl(redactor.text(line))}\n`);
    },
    client: (...args) => clients(ctx, ...args),
  };
  return ctx;
}
