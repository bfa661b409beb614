/**
 * Declares the command tree and maps errors to exit codes; nothing more. Each command's module is imported only
 * when that command runs, so `wise --version` and `wise auth token` start almost as fast as bare node.
 */
import { Command, CommanderError, Option } from '@commander-js/extra-typings';
import {
  activitiesSpec,
  approveSpec,
  balancesListSpec,
  batchPaySpec,
  execSpec,
  journalHeadSpec,
  journalShowSpec,
  journalVerifySpec,
  mcpSpec,
  paySpec,
  policyCheckSpec,
  policyShowSpec,
  profilesListSpec,
  profilesUseSpec,
  quoteSpec,
  ratesSpec,
  recipientsAddSpec,
  recipientsListSpec,
  simulateTopupSpec,
  simulateTransferSpec,
  statementSpec,
  transferCancelSpec,
  transferGetSpec,
  transferListSpec,
  transferWatchSpec,
  webhookDeleteSpec,
  webhookListSpec,
  webhookSubscribeSpec,
} from './commands/account-specs.js';
import type { Shell } from './commands/completion.js';
import {
  apiSpec,
  authStatusSpec,
  authSwitchSpec,
  completionSpec,
  configGetSpec,
  configListSpec,
  configSetSpec,
  configUnsetSpec,
  doctorSpec,
  examples,
  joseDecryptSpec,
  joseEncryptSpec,
  joseSignSpec,
  joseVerifySpec,
  keysActivateSpec,
  keysGenerateSpec,
  keysImportSpec,
  keysListSpec,
  keysPublicSpec,
  keysRegisterSpec,
  keysRemoveSpec,
  keysWiseSpec,
  logoutSpec,
  mockSpec,
  mtlsCheckSpec,
  mtlsCsrSpec,
  mtlsSetupSpec,
  oauthAuthorizeSpec,
  oauthCreateUserSpec,
  oauthExportLoginSpec,
  oauthSetupSpec,
  scaFingerprintDeleteSpec,
  scaFingerprintRegisterSpec,
  scaFingerprintSetSpec,
  scaPinDeleteSpec,
  scaPinSetSpec,
  scaSessionSpec,
  scaSignSpec,
  scaStatusSpec,
  tokenAddSpec,
  webhookListenSpec,
  webhookVerifySpec,
} from './commands/specs.js';
import type { Context, GlobalOptions } from './context.js';
import { isWiseError } from './errors.js';
import { stripControl } from './util/redact.js';
import { pendingStdStreams, writeStd } from './util/stdio.js';
import { VERSION } from './version.js';

/** A command's function: the context, then its positional arguments and options as commander parsed them. */
type Run<Args extends unknown[]> = (ctx: Context, ...args: Args) => Promise<void>;

/** Any command, for the parts that do not care about its options. */
type AnyCommand = Command<unknown[], Record<string, unknown>, Record<string, unknown>>;

let activeCtx: Context | undefined;

/**
 * Wraps a lazily imported command function as a commander action. Its type ties the command's function to the flags
 * declared for it: the options commander infers from the spec must be what the function takes.
 */
function lazy<Args extends unknown[]>(load: () => Promise<Run<Args>>) {
  return async (...args: [...Args, ...unknown[]]) => {
    const command = args[args.length - 1] as AnyCommand;
    const globals = command.optsWithGlobals() as Record<string, unknown>;
    const options: GlobalOptions = {
      json: globals.json === true,
      debug: globals.debug === true,
      color: globals.color !== false,
      ...(typeof globals.account === 'string' ? { account: globals.account } : {}),
      ...(typeof globals.env === 'string' ? { env: globals.env } : {}),
      ...(typeof globals.profileId === 'string' ? { profileId: globals.profileId } : {}),
      ...(typeof globals.apiUrl === 'string' ? { apiUrl: globals.apiUrl } : {}),
      ...(typeof globals.apiVersion === 'string' ? { apiVersion: globals.apiVersion } : {}),
    };
    // The composition root: the context, and the client builder every command and domain module gets from it.
    const [{ createContext }, { createClient }] = await Promise.all([
      import('./context.js'),
      import('./wiring/clients.js'),
    ]);
    const ctx = createContext(options, createClient);
    activeCtx = ctx;
    const run = await load();
    // Positional arguments, then this command's own options.
    await run(ctx, ...(args.slice(0, -1) as Args));
  };
}

/** Adds a command built from its spec, with the settings a `.command()` child inherits (help, suggestions). */
function attach<C extends AnyCommand>(parent: AnyCommand, child: C): C {
  child.copyInheritedSettings(parent as never);
  parent.addCommand(child as never);
  return child;
}

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
  const commands: Record<string, () => void> = {
    login: () => {
      program
        .command('login')
        .description('log in interactively: a personal API token, or OAuth in the browser')
        .addHelpText('after', examples('wise login', 'wise --env production login'))
        .action(lazy(async () => (await import('./commands/login.js')).login));
    },
    token: () => {
      const token = program
        .command('token')
        .description('personal API tokens')
        .addHelpText('after', examples('wise token add'));
      attach(token, tokenAddSpec()).action(lazy(async () => (await import('./commands/token/add.js')).tokenAdd));
    },
    oauth: () => {
      const oauth = program
        .command('oauth')
        .description('OAuth 2.0 for partners: clients, browser login, tokens')
        .addHelpText(
          'after',
          examples(
            'wise oauth setup --client-id <id> --redirect-uri http://127.0.0.1:8765/callback',
            'wise oauth authorize',
          ),
        );
      attach(oauth, oauthSetupSpec()).action(lazy(async () => (await import('./commands/oauth/setup.js')).oauthSetup));
      attach(oauth, oauthAuthorizeSpec()).action(
        lazy(async () => (await import('./commands/oauth/authorize.js')).oauthAuthorize),
      );
      oauth
        .command('client-token')
        .description('print a client_credentials access token (never stored)')
        .addHelpText('after', examples('wise oauth client-token', 'export TOKEN=$(wise oauth client-token)'))
        .action(lazy(async () => (await import('./commands/oauth/client-token.js')).oauthClientToken));
      oauth
        .command('refresh')
        .description('refresh the stored access token now')
        .addHelpText('after', examples('wise oauth refresh', 'wise --account acme --json oauth refresh'))
        .action(lazy(async () => (await import('./commands/oauth/refresh.js')).oauthRefresh));
      attach(oauth, oauthExportLoginSpec()).action(
        lazy(async () => (await import('./commands/oauth/export-login.js')).oauthExportLogin),
      );
      attach(oauth, oauthCreateUserSpec()).action(
        lazy(async () => (await import('./commands/oauth/create-user.js')).oauthCreateUser),
      );
    },
    auth: () => {
      const auth = program
        .command('auth')
        .description('inspect and manage stored credentials')
        .addHelpText('after', examples('wise auth status'));
      attach(auth, authStatusSpec()).action(lazy(async () => (await import('./commands/auth/status.js')).authStatus));
      auth
        .command('token')
        .description('print a valid access token and a newline, for $(wise auth token)')
        .addHelpText('after', examples('wise --json auth token', 'export WISE_TOKEN=$(wise auth token)'))
        .action(lazy(async () => (await import('./commands/auth/token.js')).authToken));
      attach(auth, authSwitchSpec()).action(lazy(async () => (await import('./commands/auth/switch.js')).authSwitch));
    },
    logout: () => {
      attach(program, logoutSpec()).action(lazy(async () => (await import('./commands/logout.js')).logout));
    },
    api: () => {
      attach(program, apiSpec()).action(lazy(async () => (await import('./commands/api.js')).api));
    },
    profiles: () => {
      const profiles = program
        .command('profiles')
        .description('your Wise profiles')
        .addHelpText('after', examples('wise profiles list', 'wise profiles use <id>'));
      attach(profiles, profilesListSpec()).action(
        lazy(async () => (await import('./commands/profiles.js')).profilesList),
      );
      attach(profiles, profilesUseSpec()).action(
        lazy(async () => (await import('./commands/profiles.js')).profilesUse),
      );
    },
    balances: () => {
      const balances = program
        .command('balances')
        .description('multi-currency balances and jars')
        .addHelpText('after', examples('wise balances list'));
      attach(balances, balancesListSpec()).action(
        lazy(async () => (await import('./commands/balances.js')).balancesList),
      );
    },
    statement: () => {
      attach(program, statementSpec()).action(lazy(async () => (await import('./commands/statement.js')).statement));
    },
    activities: () => {
      attach(program, activitiesSpec()).action(lazy(async () => (await import('./commands/activities.js')).activities));
    },
    rates: () => {
      attach(program, ratesSpec()).action(lazy(async () => (await import('./commands/rates.js')).rates));
    },
    quote: () => {
      attach(program, quoteSpec()).action(lazy(async () => (await import('./commands/quote.js')).quote));
    },
    recipients: () => {
      const recipients = program
        .command('recipients')
        .description('the bank accounts you pay')
        .addHelpText('after', examples('wise recipients list', 'wise recipients add --currency GBP'));
      attach(recipients, recipientsListSpec()).action(
        lazy(async () => (await import('./commands/recipients.js')).recipientsList),
      );
      attach(recipients, recipientsAddSpec()).action(
        lazy(async () => (await import('./commands/recipients.js')).recipientsAdd),
      );
    },
    pay: () => {
      attach(program, paySpec()).action(lazy(async () => (await import('./commands/pay.js')).pay));
    },
    batch: () => {
      const batch = program
        .command('batch')
        .description('batch payments from a CSV file')
        .addHelpText('after', examples('wise batch pay payments.csv --dry-run'));
      attach(batch, batchPaySpec()).action(lazy(async () => (await import('./commands/batch.js')).batchPay));
    },
    transfer: () => {
      const transfer = program
        .command('transfer')
        .description('transfers: list, look at, follow and cancel them')
        .addHelpText('after', examples('wise transfer list', 'wise transfer watch <id>'));
      attach(transfer, transferListSpec()).action(
        lazy(async () => (await import('./commands/transfer.js')).transferList),
      );
      attach(transfer, transferGetSpec()).action(
        lazy(async () => (await import('./commands/transfer.js')).transferGet),
      );
      attach(transfer, transferWatchSpec()).action(
        lazy(async () => (await import('./commands/transfer.js')).transferWatch),
      );
      attach(transfer, transferCancelSpec()).action(
        lazy(async () => (await import('./commands/transfer.js')).transferCancel),
      );
    },
    simulate: () => {
      const simulate = program
        .command('simulate')
        .description("Wise's sandbox simulations: move a transfer on, top up a balance (never on production)")
        .addHelpText(
          'after',
          examples(
            'wise simulate transfer <id> processing',
            'wise simulate topup --balance-id 3001 --amount 500 --currency EUR',
          ),
        );
      attach(simulate, simulateTransferSpec()).action(
        lazy(async () => (await import('./commands/simulate.js')).simulateTransfer),
      );
      attach(simulate, simulateTopupSpec()).action(
        lazy(async () => (await import('./commands/simulate.js')).simulateTopup),
      );
    },
    exec: () => {
      attach(program, execSpec()).action(lazy(async () => (await import('./commands/exec.js')).exec));
    },
    policy: () => {
      const policy = program
        .command('policy')
        .description('the spending policy checked before money moves')
        .addHelpText('after', examples('wise policy show', 'wise policy check payments.csv'));
      attach(policy, policyShowSpec()).action(lazy(async () => (await import('./commands/guard.js')).policyShow));
      attach(policy, policyCheckSpec()).action(lazy(async () => (await import('./commands/guard.js')).policyCheck));
    },
    journal: () => {
      const journal = program
        .command('journal')
        .description('the hash-chained record of every money-moving call')
        .addHelpText('after', examples('wise journal show', 'wise journal verify'));
      attach(journal, journalShowSpec()).action(lazy(async () => (await import('./commands/guard.js')).journalShow));
      attach(journal, journalHeadSpec()).action(lazy(async () => (await import('./commands/guard.js')).journalHead));
      attach(journal, journalVerifySpec()).action(
        lazy(async () => (await import('./commands/guard.js')).journalVerify),
      );
    },
    keys: () => {
      const keys = program
        .command('keys')
        .description('keys for Strong Customer Authentication and JOSE (signed and encrypted calls)')
        .addHelpText(
          'after',
          examples('wise keys generate --use sca', 'wise keys generate --use signing', 'wise keys list'),
        );
      attach(keys, keysGenerateSpec()).action(lazy(async () => (await import('./commands/keys.js')).keysGenerate));
      attach(keys, keysImportSpec()).action(lazy(async () => (await import('./commands/keys.js')).keysImport));
      attach(keys, keysListSpec()).action(lazy(async () => (await import('./commands/keys.js')).keysList));
      attach(keys, keysPublicSpec()).action(lazy(async () => (await import('./commands/keys.js')).keysPublic));
      attach(keys, keysRegisterSpec()).action(lazy(async () => (await import('./commands/keys.js')).keysRegister));
      attach(keys, keysActivateSpec()).action(lazy(async () => (await import('./commands/keys.js')).keysActivate));
      attach(keys, keysRemoveSpec()).action(lazy(async () => (await import('./commands/keys.js')).keysRemove));
      attach(keys, keysWiseSpec()).action(lazy(async () => (await import('./commands/keys.js')).keysWise));
    },
    sca: () => {
      const sca = program
        .command('sca')
        .description('Strong Customer Authentication: sign one-time tokens')
        .addHelpText('after', examples('wise sca sign <one-time-token>'));
      attach(sca, scaSignSpec()).action(lazy(async () => (await import('./commands/sca.js')).scaSign));
      attach(sca, scaStatusSpec()).action(lazy(async () => (await import('./commands/sca.js')).scaStatus));
      const fingerprint = sca
        .command('device-fingerprint')
        .description('the device fingerprint for device-fingerprint challenges')
        .addHelpText('after', examples('wise sca device-fingerprint set < fingerprint.txt'));
      attach(fingerprint, scaFingerprintSetSpec()).action(
        lazy(async () => (await import('./commands/sca.js')).scaFingerprintSet),
      );
      attach(fingerprint, scaFingerprintRegisterSpec()).action(
        lazy(async () => (await import('./commands/sca.js')).scaFingerprintRegister),
      );
      attach(fingerprint, scaFingerprintDeleteSpec()).action(
        lazy(async () => (await import('./commands/sca.js')).scaFingerprintDelete),
      );
      attach(sca, scaSessionSpec()).action(lazy(async () => (await import('./commands/sca.js')).scaSession));
      const pin = sca
        .command('pin')
        .description("the user's PIN at Wise, for PIN challenges (OAuth users)")
        .addHelpText('after', examples('wise sca pin set', 'wise sca pin delete'));
      attach(pin, scaPinSetSpec()).action(lazy(async () => (await import('./commands/sca.js')).scaPinSet));
      attach(pin, scaPinDeleteSpec()).action(lazy(async () => (await import('./commands/sca.js')).scaPinDelete));
    },
    config: () => {
      const config = program
        .command('config')
        .description('per-account settings (API version)')
        .addHelpText('after', examples('wise config list', 'wise config set api-version 2026Q4'));
      attach(config, configGetSpec()).action(lazy(async () => (await import('./commands/config.js')).configGet));
      attach(config, configSetSpec()).action(lazy(async () => (await import('./commands/config.js')).configSet));
      attach(config, configUnsetSpec()).action(lazy(async () => (await import('./commands/config.js')).configUnset));
      attach(config, configListSpec()).action(lazy(async () => (await import('./commands/config.js')).configList));
    },
    jose: () => {
      const jose = program
        .command('jose')
        .description('offline JOSE with the environment keys: sign, verify, encrypt, decrypt')
        .addHelpText('after', examples('wise jose sign --url /v1/auth/jose/playground/jws < body.json'));
      attach(jose, joseSignSpec()).action(lazy(async () => (await import('./commands/jose.js')).joseSign));
      attach(jose, joseVerifySpec()).action(lazy(async () => (await import('./commands/jose.js')).joseVerify));
      attach(jose, joseEncryptSpec()).action(lazy(async () => (await import('./commands/jose.js')).joseEncrypt));
      attach(jose, joseDecryptSpec()).action(lazy(async () => (await import('./commands/jose.js')).joseDecrypt));
    },
    webhook: () => {
      const webhook = program
        .command('webhook')
        .description("Wise's webhooks: subscribe, verify signatures, receive deliveries")
        .addHelpText('after', examples('wise webhook verify --signature "$SIGNATURE" body.json'));
      attach(webhook, webhookVerifySpec()).action(
        lazy(async () => (await import('./commands/webhook.js')).webhookVerify),
      );
      attach(webhook, webhookListenSpec()).action(
        lazy(async () => (await import('./commands/webhook.js')).webhookListen),
      );
      attach(webhook, webhookSubscribeSpec()).action(
        lazy(async () => (await import('./commands/webhook-subscriptions.js')).webhookSubscribe),
      );
      attach(webhook, webhookListSpec()).action(
        lazy(async () => (await import('./commands/webhook-subscriptions.js')).webhookList),
      );
      attach(webhook, webhookDeleteSpec()).action(
        lazy(async () => (await import('./commands/webhook-subscriptions.js')).webhookDelete),
      );
    },
    mtls: () => {
      const mtls = program
        .command('mtls')
        .description('mutual TLS with Wise: key and CSR, the client certificate, a handshake check')
        .addHelpText('after', examples('wise mtls csr --org "Doe Trading GmbH" --country DE'));
      attach(mtls, mtlsCsrSpec()).action(lazy(async () => (await import('./commands/mtls.js')).mtlsCsr));
      attach(mtls, mtlsSetupSpec()).action(lazy(async () => (await import('./commands/mtls.js')).mtlsSetup));
      attach(mtls, mtlsCheckSpec()).action(lazy(async () => (await import('./commands/mtls.js')).mtlsCheck));
    },
    mock: () => {
      attach(program, mockSpec()).action(lazy(async () => (await import('./commands/mock.js')).mock));
    },
    mcp: () => {
      attach(program, mcpSpec()).action(lazy(async () => (await import('./commands/mcp.js')).mcp));
    },
    approve: () => {
      attach(program, approveSpec()).action(lazy(async () => (await import('./commands/mcp.js')).approve));
    },
    doctor: () => {
      attach(program, doctorSpec()).action(lazy(async () => (await import('./commands/doctor.js')).doctor));
    },
    completion: () => {
      attach(program, completionSpec()).action(
        lazy(async () => {
          const { completion } = await import('./commands/completion.js');
          return (ctx: Context, shell: Shell) => completion(ctx, program, shell);
        }),
      );
    },
    __complete: () => {
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
  for (const [name, register] of Object.entries(commands)) if (all || name === needed) register();

  return program;
}

interface ErrorStyle {
  error: (s: string) => string;
  hint: (s: string) => string;
}

const plain: ErrorStyle = { error: (s) => s, hint: (s) => s };

/** Colour for error output, only on a terminal and never with NO_COLOR or --no-color. */
async function errorStyle(argv: string[]): Promise<ErrorStyle> {
  const { colorAllowedBy, isTerminal } = await import('./context.js');
  if (!isTerminal(2) || !colorAllowedBy({ color: !argv.includes('--no-color') }, process.env)) return plain;
  const { Chalk } = await import('chalk');
  const chalk = new Chalk({ level: 1 });
  return { error: (s) => chalk.red.bold(s), hint: (s) => chalk.dim(s) };
}

function reportError(error: unknown, json: boolean, debug: boolean, style: ErrorStyle = plain): number {
  const write = (text: string) => writeStd(2, text.endsWith('\n') ? text : `${text}\n`);
  // Messages may quote the network (Wise's errors, a browser's callback): no escape sequence reaches the terminal.
  const redact = (text: string) => stripControl(activeCtx ? activeCtx.redactor.text(text) : text);
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

export async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const debug = argv.includes('--debug') || process.env.WISE_DEBUG === '1';
  const program = buildProgram(argv);
  program.exitOverride();
  // Errors are reported by reportError; help and --version are written as all other output is (util/stdio).
  const output = {
    outputError: () => {},
    writeOut: (s: string) => writeStd(1, s),
    writeErr: (s: string) => writeStd(2, s),
  };
  program.configureOutput(output);
  for (const sub of program.commands) {
    sub.exitOverride();
    sub.configureOutput(output);
    for (const leaf of sub.commands) {
      leaf.exitOverride();
      leaf.configureOutput(output);
    }
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(error.code)) return 0;
      const { UsageError } = await import('./errors.js');
      const message = error.message.replace(/^error: /, '');
      return reportError(
        new UsageError(message.charAt(0).toUpperCase() + message.slice(1), {
          hint: 'Run `wise --help` or `wise <command> --help` for usage.',
        }),
        json,
        debug,
        await errorStyle(argv),
      );
    }
    const { ExitWith } = await import('./errors.js');
    if (error instanceof ExitWith) return error.exitCode;
    return reportError(error, json, debug, await errorStyle(argv));
  }
}

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

void main(process.argv.slice(2)).then(exitWhenFlushed);
