/**
 * Each command's flags and arguments, and the options type derived from them (commander's extra typings infer it),
 * side by side like gh's Options struct: a command module takes `XOptions` from here, so renaming or retyping a flag
 * is a type error in the code that reads it. Loaded at every start, so nothing here does more than declare.
 */
import { Argument, Command, Option } from '@commander-js/extra-typings';

/** The options a command's action receives, as commander parses them. */
type OptionsOf<B extends () => { opts(): unknown }> = ReturnType<ReturnType<B>['opts']>;

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** The "Examples:" section after a command's help: every command shows at least one. */
export function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}\n`;
}

export const tokenAddSpec = () =>
  new Command('add')
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
    .option('--no-verify', 'store without checking it with Wise');
export type TokenAddOptions = OptionsOf<typeof tokenAddSpec>;

export const oauthSetupSpec = () =>
  new Command('setup')
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
    .option('--no-verify', 'store without checking the client with Wise');
export type OAuthSetupOptions = OptionsOf<typeof oauthSetupSpec>;

export const oauthAuthorizeSpec = () =>
  new Command('authorize')
    .description('log in a Wise user in the browser (authorization_code through a loopback redirect)')
    .addHelpText('after', examples('wise oauth authorize', 'wise oauth authorize --no-browser --timeout 600'))
    .option('--no-browser', 'only print the consent URL')
    .option('--timeout <seconds>', 'how long to wait for the browser', '300')
    .option('--pkce', 'add a PKCE S256 challenge (RFC 7636)');
export type OAuthAuthorizeOptions = OptionsOf<typeof oauthAuthorizeSpec>;

export const oauthExportLoginSpec = () =>
  new Command('export-login')
    .description("print the account's stored refresh token once, to move the login to CI; then remove it here")
    .addHelpText('after', examples('wise oauth export-login > refresh-token', 'wise --json oauth export-login --keep'))
    .option('--keep', 'keep the login on this machine too');
export type ExportLoginOptions = OptionsOf<typeof oauthExportLoginSpec>;

export const oauthCreateUserSpec = () =>
  new Command('create-user')
    .description('create a Wise user over the API (registration_code) and store its tokens')
    .addHelpText(
      'after',
      examples(
        'wise --account alice oauth create-user --email alice@example.com',
        'wise --account bob oauth create-user --email bob@example.com --language de',
      ),
    )
    .requiredOption('--email <email>', "the new user's email")
    .option('--language <code>', "the user's language", 'en');
export type CreateUserOptions = OptionsOf<typeof oauthCreateUserSpec>;

export const authStatusSpec = () =>
  new Command('status')
    .description('what is stored for each account and which credential is active')
    .addHelpText('after', examples('wise auth status', 'wise --json auth status --offline'))
    .option('--offline', 'do not check the token with Wise');
export type AuthStatusOptions = OptionsOf<typeof authStatusSpec>;

export const authSwitchSpec = () =>
  new Command('switch')
    .description('make an account the default')
    .addHelpText('after', examples('wise auth switch shop'))
    .argument('<account>', 'account name');

export const logoutSpec = () =>
  new Command('logout')
    .description("delete the account's stored secrets and settings")
    .addHelpText('after', examples('wise logout', 'wise --account shop logout', 'wise logout --all'))
    .option('--all', 'delete everything wise stored: every account and the OAuth clients');
export type LogoutOptions = OptionsOf<typeof logoutSpec>;

export const configGetSpec = () =>
  new Command('get')
    .description("print one of the account's settings (exit 1 when it is not set)")
    .addHelpText('after', examples('wise config get api-version', 'wise --account shop config get api-version'))
    .argument('<key>', 'setting name (see `wise config list`)');

export const configSetSpec = () =>
  new Command('set')
    .description("change one of the account's settings")
    .addHelpText(
      'after',
      examples('wise config set api-version 2026Q4', 'wise --account shop config set api-version 2026Q3'),
    )
    .argument('<key>', 'setting name (see `wise config list`)')
    .argument('<value>', 'the new value');

export const configUnsetSpec = () =>
  new Command('unset')
    .description("remove one of the account's settings (back to the default)")
    .addHelpText('after', examples('wise config unset api-version'))
    .argument('<key>', 'setting name (see `wise config list`)');

export const configListSpec = () =>
  new Command('list')
    .description('every setting of the account, with its value and what it does')
    .addHelpText('after', examples('wise config list', 'wise --json config list'));

export const apiSpec = () =>
  new Command('api')
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
    .option('-i, --include', 'print the status line and response headers too');
export type ApiOptions = OptionsOf<typeof apiSpec>;

export const mockSpec = () =>
  new Command('mock')
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
    .option('--sca-public-key <file>', 'a PEM public key the demo user uploaded for SCA signing (repeatable)', collect);
export type MockCommandOptions = OptionsOf<typeof mockSpec>;

export const doctorSpec = () =>
  new Command('doctor')
    .description('check Node, the secret store, config permissions, credentials, connectivity, proxy and clock')
    .addHelpText('after', examples('wise doctor', 'wise doctor --offline', 'wise --json doctor'))
    .option('--offline', 'make no network call');
export type DoctorOptions = OptionsOf<typeof doctorSpec>;

export const completionSpec = () =>
  new Command('completion')
    .description('print a shell completion script')
    .addHelpText(
      'after',
      examples(
        'wise completion bash > ~/.local/share/bash-completion/completions/wise',
        'source <(wise completion bash)',
        'wise completion fish | source',
      ),
    )
    .addArgument(new Argument('<shell>', 'bash, zsh or fish').choices(['bash', 'zsh', 'fish'] as const));

const useOption = () =>
  new Option('--use <use>', 'what the key is for: sca (signing one-time tokens); signing and encryption come with JOSE')
    .choices(['sca', 'signing', 'encryption'] as const)
    .makeOptionMandatory();

export const keysGenerateSpec = () =>
  new Command('generate')
    .description('make a key pair: the private key goes to the secret store, the public key is printed to upload')
    .addHelpText(
      'after',
      examples('wise keys generate --use sca', 'wise keys generate --use sca --bits 4096 > sca.pub'),
    )
    .addOption(useOption())
    .option('--bits <bits>', 'RSA key size: 2048, 3072 or 4096', '2048');
export type KeysGenerateOptions = OptionsOf<typeof keysGenerateSpec>;

export const keysImportSpec = () =>
  new Command('import')
    .description('store an existing RSA private key (PEM) from a file, or - for stdin')
    .addHelpText(
      'after',
      examples('wise keys import --use sca private.pem', 'pass show wise/sca | wise keys import --use sca -'),
    )
    .addOption(useOption())
    .argument('<file>', 'PEM private key file, or - for standard input');
export type KeysImportOptions = OptionsOf<typeof keysImportSpec>;

export const scaSignSpec = () =>
  new Command('sign')
    .description('print the base64 SHA256withRSA signature of a one-time token with the stored SCA key')
    .addHelpText('after', examples('wise sca sign 5a0b2b4e-2c0e-4b0e-9d7a-1b2c3d4e5f60'))
    .argument('<ott>', 'the one-time token from the x-2fa-approval header');

export const keysListSpec = () =>
  new Command('list')
    .description('show the keys of the account (never private material)')
    .addHelpText('after', examples('wise keys list', 'wise --json keys list'));

export const keysPublicSpec = () =>
  new Command('public')
    .description('print the public half of a stored key, to upload or to check')
    .addHelpText('after', examples('wise keys public --use sca', 'wise keys public --use sca --format jwk'))
    .addOption(useOption())
    .addOption(
      new Option('--format <format>', 'pem, der-base64 (the SPKI DER in base64) or jwk')
        .choices(['pem', 'der-base64', 'jwk'] as const)
        .default('pem' as const),
    );
export type KeysPublicOptions = OptionsOf<typeof keysPublicSpec>;

export const scaStatusSpec = () =>
  new Command('status')
    .description('show what a one-time token asks for: the action and its challenges')
    .addHelpText(
      'after',
      examples('wise sca status 5a0b2b4e-2c0e-4b0e-9d7a-1b2c3d4e5f60', 'wise --json sca status <ott>'),
    )
    .argument('<ott>', 'the one-time token from the x-2fa-approval header');

export const scaFingerprintSetSpec = () =>
  new Command('set')
    .description('store the device fingerprint your app registered with Wise, for device-fingerprint challenges')
    .addHelpText('after', examples('wise sca device-fingerprint set < fingerprint.txt'));
