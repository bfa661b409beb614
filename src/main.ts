/**
 * Declares the command tree and maps errors to exit codes; nothing more. Each command's module is imported only
 * when that command runs, so `wise --version` and `wise auth token` start almost as fast as bare node.
 */
import { Argument, Command, CommanderError, Option } from 'commander';
import type { Context, GlobalOptions } from './context.js';
import { isWiseError } from './errors.js';
import { stripControl } from './util/redact.js';
import { VERSION } from './version.js';

type Runner = (ctx: Context, ...args: unknown[]) => Promise<void>;

let activeCtx: Context | undefined;

/** Wraps a lazily imported command function as a commander action. */
function lazy(load: () => Promise<Runner>) {
  return async (...args: unknown[]) => {
    const command = args[args.length - 1] as Command;
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
    const { createContext } = await import('./context.js');
    const ctx = createContext(options);
    activeCtx = ctx;
    const run = await load();
    // Positional arguments, then this command's own options.
    await run(ctx, ...args.slice(0, -2), command.opts());
  };
}

export function buildProgram(): Command {
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
    .addHelpText('after', examples('wise token add', 'wise api /v2/profiles', 'wise mock --port 8700 &'));

  program
    .command('login')
    .description('log in interactively: a personal API token, or OAuth in the browser')
    .addHelpText('after', examples('wise login', 'wise --env production login'))
    .action(lazy(async () => (await import('./commands/login.js')).login as Runner));

  const token = program
    .command('token')
    .description('personal API tokens')
    .addHelpText('after', examples('wise token add'));
  token
    .command('add')
    .description('store a personal API token (from a hidden prompt, or stdin)')
    .addHelpText(
      'after',
      examples(
        'wise token add',
        'pass show wise/token | wise token add --stdin',
        'wise --env production --account shop token add',
      ),
    )
    .option('--stdin', 'read the token from standard input')
    .option('--no-verify', 'store without checking it with Wise')
    .action(lazy(async () => (await import('./commands/token/add.js')).tokenAdd as Runner));

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
  oauth
    .command('setup')
    .description('store the partner client for the environment (secret in the secret store only)')
    .addHelpText(
      'after',
      examples(
        'wise oauth setup --client-id <id> --redirect-uri http://127.0.0.1:8765/callback',
        'wise oauth setup --client-id <id> --redirect-uri http://127.0.0.1:8765/callback --client-secret-stdin < secret.txt',
      ),
    )
    .requiredOption('--client-id <id>', 'the client id Wise issued')
    .requiredOption(
      '--redirect-uri <url>',
      'the loopback redirect URI registered with Wise, e.g. http://127.0.0.1:8765/callback',
    )
    .option('--client-secret-stdin', 'read the client secret from standard input')
    .option('--no-verify', 'store without checking the client with Wise')
    .action(lazy(async () => (await import('./commands/oauth/setup.js')).oauthSetup as Runner));
  oauth
    .command('authorize')
    .description('log in a Wise user in the browser (authorization_code through a loopback redirect)')
    .addHelpText('after', examples('wise oauth authorize', 'wise oauth authorize --no-browser --timeout 600'))
    .option('--no-browser', 'only print the consent URL')
    .option('--timeout <seconds>', 'how long to wait for the browser', '300')
    .option('--pkce', 'add a PKCE S256 challenge (RFC 7636)')
    .action(lazy(async () => (await import('./commands/oauth/authorize.js')).oauthAuthorize as Runner));
  oauth
    .command('client-token')
    .description('print a client_credentials access token (never stored)')
    .addHelpText('after', examples('wise oauth client-token', 'export TOKEN=$(wise oauth client-token)'))
    .action(lazy(async () => (await import('./commands/oauth/client-token.js')).oauthClientToken as Runner));
  oauth
    .command('refresh')
    .description('refresh the stored access token now')
    .addHelpText('after', examples('wise oauth refresh', 'wise --account acme --json oauth refresh'))
    .action(lazy(async () => (await import('./commands/oauth/refresh.js')).oauthRefresh as Runner));
  oauth
    .command('export-login')
    .description("print the account's stored refresh token once, to move the login to CI; then remove it here")
    .addHelpText('after', examples('wise oauth export-login > refresh-token', 'wise --json oauth export-login --keep'))
    .option('--keep', 'keep the login on this machine too')
    .action(lazy(async () => (await import('./commands/oauth/export-login.js')).oauthExportLogin as Runner));
  oauth
    .command('create-user')
    .description('create a Wise user over the API (registration_code) and store its tokens')
    .addHelpText(
      'after',
      examples(
        'wise --account alice oauth create-user --email alice@example.com',
        'wise --account bob oauth create-user --email bob@example.com --language de',
      ),
    )
    .requiredOption('--email <email>', "the new user's email")
    .option('--language <code>', "the user's language", 'en')
    .action(lazy(async () => (await import('./commands/oauth/create-user.js')).oauthCreateUser as Runner));

  const auth = program
    .command('auth')
    .description('inspect and manage stored credentials')
    .addHelpText('after', examples('wise auth status'));
  auth
    .command('status')
    .description('what is stored for each account and which credential is active')
    .addHelpText('after', examples('wise auth status', 'wise --json auth status --offline'))
    .option('--offline', 'do not check the token with Wise')
    .action(lazy(async () => (await import('./commands/auth/status.js')).authStatus as Runner));
  auth
    .command('token')
    .description('print a valid access token and a newline, for $(wise auth token)')
    .addHelpText('after', examples('wise --json auth token', 'export WISE_TOKEN=$(wise auth token)'))
    .action(lazy(async () => (await import('./commands/auth/token.js')).authToken as Runner));
  auth
    .command('switch')
    .description('make an account the default')
    .addHelpText('after', examples('wise auth switch shop'))
    .argument('<account>', 'account name')
    .action(lazy(async () => (await import('./commands/auth/switch.js')).authSwitch as Runner));

  program
    .command('logout')
    .description("delete the account's stored secrets and settings")
    .addHelpText('after', examples('wise logout', 'wise --account shop logout', 'wise logout --all'))
    .option('--all', 'delete everything wise stored: every account and the OAuth clients')
    .action(lazy(async () => (await import('./commands/logout.js')).logout as Runner));

  program
    .command('api')
    .description('make an authenticated request to the Wise API, like `gh api`')
    .addHelpText(
      'after',
      examples(
        'wise api /v2/profiles',
        "wise api '/v4/profiles/<id>/balances?types=STANDARD'",
        'wise api -X POST /v3/profiles/<id>/quotes -d @quote.json',
        'wise api -i /v1/me',
      ),
    )
    .argument('<path>', 'API path, e.g. /v2/profiles')
    .option('-X, --method <method>', 'HTTP method (default GET, or POST with --data)')
    .option('-d, --data <data>', 'request body: text, @file, or @- for stdin')
    .option('-H, --header <header>', "extra header 'Name: value' (repeatable)", collect)
    .option('-i, --include', 'print the status line and response headers too')
    .action(lazy(async () => (await import('./commands/api.js')).api as Runner));

  const profiles = program
    .command('profiles')
    .description('your Wise profiles')
    .addHelpText('after', examples('wise profiles list'));
  profiles
    .command('list')
    .description('list the personal and business profiles of the credentials in use')
    .addHelpText('after', examples('wise profiles list', 'wise --json profiles list'))
    .action(lazy(async () => (await import('./commands/profiles.js')).profilesList as Runner));

  const balances = program
    .command('balances')
    .description('multi-currency balances')
    .addHelpText('after', examples('wise balances list'));
  balances
    .command('list')
    .description('list the balances of a profile (--profile-id, or the default profile)')
    .addHelpText('after', examples('wise balances list', 'wise --profile-id <id> --json balances list'))
    .action(lazy(async () => (await import('./commands/balances.js')).balancesList as Runner));

  program
    .command('mock')
    .description('run the local Wise emulator on 127.0.0.1 (prints its base URL first)')
    .addHelpText(
      'after',
      examples(
        'wise mock --port 8700',
        'wise mock --port 8700 --auto-approve --redirect-uri http://127.0.0.1:8765/callback',
      ),
    )
    .option('--port <port>', 'port to listen on; 0 picks a free one', '0')
    .option('--redirect-uri <url>', 'a redirect URI registered for the partner client (repeatable)', collect)
    .option('--auto-approve', 'approve OAuth consent at once instead of showing the page')
    .option('--token-ttl <seconds>', 'lifetime of OAuth access tokens (default 43199)')
    .option('--clock-skew <seconds>', "shift the Date header by this many seconds, to try `wise doctor`'s clock check")
    .action(lazy(async () => (await import('./commands/mock.js')).mock as Runner));

  program
    .command('doctor')
    .description('check Node, the secret store, config permissions, credentials, connectivity, proxy and clock')
    .addHelpText('after', examples('wise doctor', 'wise doctor --offline', 'wise --json doctor'))
    .option('--offline', 'make no network call')
    .action(lazy(async () => (await import('./commands/doctor.js')).doctor as Runner));

  program
    .command('completion')
    .description('print a shell completion script')
    .addHelpText(
      'after',
      examples(
        'wise completion bash > ~/.local/share/bash-completion/completions/wise',
        'source <(wise completion bash)',
        'wise completion fish | source',
      ),
    )
    .addArgument(new Argument('<shell>', 'bash, zsh or fish').choices(['bash', 'zsh', 'fish']))
    .action(
      lazy(async () => {
        const { completion } = await import('./commands/completion.js');
        return ((ctx: Context, shell: 'bash' | 'zsh' | 'fish') => completion(ctx, program, shell)) as Runner;
      }),
    );

  // Called by the completion scripts for values that only the config knows (account names).
  program
    .command('__complete', { hidden: true })
    .argument('<what>')
    .action(lazy(async () => (await import('./commands/completion.js')).completeValues as Runner));

  return program;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** The "Examples:" section after a command's help: every command shows at least one. */
function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}\n`;
}

interface ErrorStyle {
  error: (s: string) => string;
  hint: (s: string) => string;
}

const plain: ErrorStyle = { error: (s) => s, hint: (s) => s };

/** Colour for error output, only on a terminal and never with NO_COLOR or --no-color. */
async function errorStyle(argv: string[]): Promise<ErrorStyle> {
  const { colorAllowedBy } = await import('./context.js');
  if (!process.stderr.isTTY || !colorAllowedBy({ color: !argv.includes('--no-color') }, process.env)) return plain;
  const { Chalk } = await import('chalk');
  const chalk = new Chalk({ level: 1 });
  return { error: (s) => chalk.red.bold(s), hint: (s) => chalk.dim(s) };
}

function reportError(error: unknown, json: boolean, debug: boolean, style: ErrorStyle = plain): number {
  const write = (text: string) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
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
  const program = buildProgram();
  program.exitOverride();
  program.configureOutput({ outputError: () => {} });
  for (const sub of program.commands) {
    sub.exitOverride();
    sub.configureOutput({ outputError: () => {} });
    for (const leaf of sub.commands) {
      leaf.exitOverride();
      leaf.configureOutput({ outputError: () => {} });
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
    return reportError(error, json, debug, await errorStyle(argv));
  }
}

/**
 * Exits as soon as stdout and stderr have been handed to the OS: output is never cut short (pipes are asynchronous
 * on macOS), and a keychain call that timed out cannot keep the process alive.
 */
function exitWhenFlushed(code: number): void {
  const pending = [process.stdout, process.stderr].filter((stream) => stream.writableLength > 0);
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
