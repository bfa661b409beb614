/**
 * The runner: builds the command tree from the registries that live beside the commands' flags (commands/specs.ts,
 * commands/account-specs.ts), runs one command line and maps errors to exit codes. Each command's module is imported
 * only when that command runs, so `wise --version` and `wise auth token` start almost as fast as bare node.
 *
 * What it needs of the process comes through a `Host`: main.ts gives the real one (descriptors 1 and 2, the process
 * environment, the real context); the in-process tests give one that captures the output and builds a context with
 * the test's environment and input.
 */
import { Command, CommanderError, Option } from '@commander-js/extra-typings';
import { accountCommands } from './commands/account-specs.js';
import type { Shell } from './commands/completion.js';
import {
  type AnyCommand,
  activeContext,
  attach,
  type ContextFactory,
  lazy,
  type Registry,
  useContextFactory,
} from './commands/registry.js';
import { completionSpec, examples, sessionCommands, toolCommands } from './commands/specs.js';
import type { Context } from './context.js';
import { ExitWith, isWiseError, UsageError } from './errors.js';
import { stripControl } from './util/redact.js';
import { VERSION } from './version.js';

/** Options of the program that take a value: the word after them is not a command name. */
const GLOBAL_OPTIONS_WITH_VALUES = new Set(['--account', '--env', '--profile-id', '--api-url', '--api-version']);
/** Commands that need the whole tree: the completion script walks it. */
const NEEDS_ALL = new Set(['completion', 'help']);

/**
 * Which commands a run needs: the one named first in argv; none for a bare `--version`; all of them for help, for
 * the completion script, or when unsure (`all`).
 */
function commandsNeeded(argv: readonly string[] | undefined): string {
  if (!argv) return 'all';
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] as string;
    if (word === '--') return 'all';
    if (word.startsWith('-')) {
      if (GLOBAL_OPTIONS_WITH_VALUES.has(word)) i++;
      continue;
    }
    return NEEDS_ALL.has(word) ? 'all' : word;
  }
  const versionOnly =
    argv.some((w) => w === '-v' || w === '--version') && !argv.some((w) => w === '-h' || w === '--help');
  return versionOnly ? 'none' : 'all';
}

/** The command tree; with `argv`, only the branch of the command it names (all of it when that is unclear). */
export function buildProgram(argv?: readonly string[]): AnyCommand {
  const program = new Command('wise')
    .description(
      'Automate your Wise account from the shell: personal API tokens, OAuth 2.0, any API call, and a local Wise emulator.',
    )
    .version(VERSION, '-v, --version', 'print the version')
    .option('--account <name>', 'named set of stored credentials (env: WISE_ACCOUNT)')
    .addOption(new Option('--env <env>', 'Wise environment (env: WISE_ENV)').choices(['sandbox', 'production']))
    .option('--profile-id <id>', 'Wise profile that profile-scoped commands act on (env: WISE_PROFILE_ID)')
    .option('--api-url <url>', 'API base URL override, e.g. the emulator (env: WISE_API_URL)')
    .option(
      '--api-version <YYYYQn>',
      "Wise API version for built-in commands' paths, e.g. 2026Q4 (env: WISE_API_VERSION)",
    )
    .option('--json', 'machine-readable output: one JSON document on stdout')
    .option('--debug', 'HTTP trace on stderr with secrets redacted (env: WISE_DEBUG=1)')
    .option('--no-color', 'no ANSI colour (env: NO_COLOR)')
    .showSuggestionAfterError(true)
    .enablePositionalOptions(false)
    // Subcommands inherit this (commander copies it when they are made): their help lists the global options too.
    .configureHelp({ showGlobalOptions: true })
    .addHelpText('after', examples('wise token add', 'wise api /v2/profiles', 'wise mock --port 8700 &')) as AnyCommand;

  // Each top-level command is registered by its own function, so that a run builds only the command it runs:
  // commander's options are event listeners, and building all of them costs milliseconds on every start.
  const commands: Registry = {
    ...sessionCommands,
    ...accountCommands,
    ...toolCommands,
    completion: (program) => {
      attach(program, completionSpec()).action(
        lazy(async () => {
          const { completion } = await import('./commands/completion.js');
          return (ctx: Context, shell: Shell) => completion(ctx, program, shell);
        }),
      );
    },
    __complete: (program) => {
      // Called by the completion scripts for values that only the config knows (account names).
      program
        .command('__complete', { hidden: true })
        .argument('<what>')
        .action(lazy(async () => (await import('./commands/completion.js')).completeValues));
    },
  };
  const needed = commandsNeeded(argv);
  // A word that is no command of ours: everything, so that commander can suggest the nearest one.
  const all = needed === 'all' || (needed !== 'none' && !(needed in commands));
  for (const [name, register] of Object.entries(commands)) if (all || name === needed) register(program);

  return program;
}

interface ErrorStyle {
  error: (s: string) => string;
  hint: (s: string) => string;
}

const plain: ErrorStyle = { error: (s) => s, hint: (s) => s };

/** Colour for error output, only on a terminal and never with NO_COLOR or --no-color. */
async function errorStyle(argv: string[], host: Host): Promise<ErrorStyle> {
  if (!(await host.stderrIsTTY())) return plain;
  const { colorAllowedBy } = await import('./context.js');
  if (!colorAllowedBy({ color: !argv.includes('--no-color') }, host.env)) return plain;
  const { Chalk } = await import('chalk');
  const chalk = new Chalk({ level: 1 });
  return { error: (s) => chalk.red.bold(s), hint: (s) => chalk.dim(s) };
}

function reportError(
  host: Host,
  program: AnyCommand,
  error: unknown,
  json: boolean,
  debug: boolean,
  style: ErrorStyle = plain,
): number {
  const write = (text: string) => host.write(2, text.endsWith('\n') ? text : `${text}\n`);
  // Messages may quote the network (Wise's errors, a browser's callback): no escape sequence reaches the terminal.
  const redact = (text: string) => stripControl(activeContext(program)?.redactor.text(text) ?? text);
  const redactStack = (stack: string) => stack.split('\n').map(redact).join('\n');
  if (isWiseError(error)) {
    if (json) {
      const body = { code: error.code, message: redact(error.message), hint: error.hint ?? '', ...error.details };
      write(redact(JSON.stringify({ error: body })));
    } else {
      write(`${style.error('error:')} ${redact(error.message)}`);
      if (error.hint) write(style.hint(`hint: ${redact(error.hint)}`));
    }
    if (debug && error.stack) write(redactStack(error.stack));
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  if (json) {
    write(redact(JSON.stringify({ error: { code: 'internal', message, hint: 'Re-run with --debug for details.' } })));
  } else {
    write(`error: ${redact(message)}`);
    write(
      debug && error instanceof Error && error.stack
        ? redactStack(error.stack)
        : 'hint: re-run with --debug for details',
    );
  }
  return 1;
}

/** What a run needs of the process it runs in. */
export interface Host {
  /** Writes to standard output (1) or error (2). */
  write(fd: 1 | 2, text: string): void;
  readonly env: Readonly<Record<string, string | undefined>>;
  stderrIsTTY(): Promise<boolean>;
  /** Builds the context a command runs with; the real one (context.ts) when absent. */
  context?: ContextFactory;
}

/** Runs one command line (the words after `wise`) and resolves with its exit code. */
export async function runCli(argv: string[], host: Host): Promise<number> {
  const json = argv.includes('--json');
  const debug = argv.includes('--debug') || host.env.WISE_DEBUG === '1';
  const program = buildProgram(argv);
  useContextFactory(program, host.context);
  // Errors are reported by reportError; help and --version go to the host's output, as all other output does. Every
  // command of the tree, at any depth (`wise sca pin delete` is three deep), throws instead of exiting.
  const output = {
    outputError: () => {},
    writeOut: (s: string) => host.write(1, s),
    writeErr: (s: string) => host.write(2, s),
  };
  const configure = (command: AnyCommand): void => {
    command.exitOverride();
    command.configureOutput(output);
    for (const sub of command.commands) configure(sub as AnyCommand);
  };
  configure(program);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(error.code)) return 0;
      const message = error.message.replace(/^error: /, '');
      return reportError(
        host,
        program,
        new UsageError(message.charAt(0).toUpperCase() + message.slice(1), {
          hint: 'Run `wise --help` or `wise <command> --help` for usage.',
        }),
        json,
        debug,
        await errorStyle(argv, host),
      );
    }
    if (error instanceof ExitWith) return error.exitCode;
    return reportError(host, program, error, json, debug, await errorStyle(argv, host));
  }
}
