/**
 * Each command's flags and arguments, and the options type derived from them (commander's extra typings infer it),
 * side by side like gh's Options struct: a command module takes `XOptions` from here, so renaming or retyping a flag
 * is a type error in the code that reads it. Each command's registration and loader are here too, in the registries
 * at the end. Loaded at every start, so nothing here does more than declare.
 */
import { Argument, Command, Option } from '@commander-js/extra-typings';
import { attach, lazy, type Registry } from './registry.js';

/** The options a command's action receives, as commander parses them. */
export type OptionsOf<B extends () => { opts(): unknown }> = ReturnType<ReturnType<B>['opts']>;

/** A repeatable option's values, in order. */
export function collect(value: string, previous: string[] | undefined): string[] {
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
    .option('--no-browser', 'only print the consent URL (over SSH: then paste the address the browser ends on)')
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
        'wise api --jose jws -X POST /v1/auth/jose/playground/jws -d \'{"message":"hello"}\'',
        "wise api --paginate '/v2/accounts?profileId=<id>'",
        "wise api --paginate --slurp '/v1/transfers?profile=<id>&limit=100'",
        "wise api /v2/profiles --jq '.[].id'",
      ),
    )
    .argument('<path>', 'API path, e.g. /v2/profiles')
    .option('-X, --method <method>', 'HTTP method (default GET, or POST with --data)')
    .option('-d, --data <data>', 'request body: text, @file, or @- for stdin')
    .option('-H, --header <header>', "extra header 'Name: value' (repeatable)", collect)
    .option('-i, --include', 'print the status line and response headers too')
    .option('--paginate', "GET every page, following Wise's paging for the endpoint; each page's JSON as it arrives")
    .option('--slurp', 'with --paginate: one JSON array of the pages, printed at the end')
    .option('-q, --jq <expression>', 'filter the JSON answer with jq (built in); strings print raw, as gh api --jq')
    .addOption(
      new Option(
        '--jose <mode>',
        'sign (jws), encrypt (jwe) or both (jws+jwe) the request, and verify/decrypt the reply; none turns off the account default. jwe alone is confidential, not authentic (anyone can encrypt to your key): use jws+jwe for calls that move money',
      ).choices(['jws', 'jwe', 'jws+jwe', 'none'] as const),
    );
export type ApiOptions = OptionsOf<typeof apiSpec>;

export const mockSpec = () =>
  new Command('mock')
    .description('run the local Wise emulator on 127.0.0.1 (prints its base URL first)')
    .addHelpText(
      'after',
      examples(
        'wise mock --port 8700',
        'wise mock --port 8700 --detach > mock.txt',
        'wise mock --port 8700 --auto-approve --redirect-uri http://127.0.0.1:8765/callback',
      ),
    )
    .option('--port <port>', 'port to listen on; 0 picks a free one', '0')
    .option('--redirect-uri <url>', 'a redirect URI registered for the partner client (repeatable)', collect)
    .option('--auto-approve', 'approve OAuth consent at once instead of showing the page')
    .option('--token-ttl <seconds>', 'lifetime of OAuth access tokens (default 43199)')
    .option('--clock-skew <seconds>', "shift the Date header by this many seconds, to try `wise doctor`'s clock check")
    .option('--latency-ms <ms>', 'make every API answer wait this long, to try scripts against a slow network')
    .option('--sca-public-key <file>', 'a PEM public key the demo user uploaded for SCA signing (repeatable)', collect)
    .option('--tls', 'serve HTTPS (a throwaway CA and certificates are made unless --tls-dir holds them)')
    .option('--mtls', 'serve HTTPS and demand a client certificate of that CA (implies --tls)')
    .option('--tls-dir <dir>', 'folder for the CA, server and client certificates (default: a new temporary folder)')
    .option('--detach', 'run in the background: return once it listens, printing its lines, its pid and its log file');
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
        'wise completion powershell | Out-String | Invoke-Expression',
      ),
    )
    .addArgument(
      new Argument('<shell>', 'bash, zsh, fish or powershell').choices(['bash', 'zsh', 'fish', 'powershell'] as const),
    );

const useOption = () =>
  new Option(
    '--use <use>',
    "what the key is for: sca (signing one-time tokens, the account's), signing or encryption (JOSE, the partner client's)",
  )
    .choices(['sca', 'signing', 'encryption'] as const)
    .makeOptionMandatory();

const joseUseOption = () =>
  new Option('--use <use>', 'signing (JWS) or encryption (JWE)')
    .choices(['signing', 'encryption'] as const)
    .makeOptionMandatory();

const algOption = () =>
  new Option(
    '--alg <alg>',
    'JOSE algorithm: ES256 (default), ES384, ES512, PS256, PS384, PS512; RSA-OAEP-256 for encryption',
  ).choices(['ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'RSA-OAEP-256'] as const);

export const keysGenerateSpec = () =>
  new Command('generate')
    .description('make a key pair: the private key goes to the secret store, the public key is printed to upload')
    .addHelpText(
      'after',
      examples(
        'wise keys generate --use sca',
        'wise keys generate --use sca --bits 4096 > sca.pub',
        'wise keys generate --use signing --alg ES256',
        'wise keys generate --use encryption',
      ),
    )
    .addOption(useOption())
    .addOption(algOption())
    .option('--bits <bits>', 'RSA key size: 2048, 3072 or 4096', '2048');
export type KeysGenerateOptions = OptionsOf<typeof keysGenerateSpec>;

export const keysImportSpec = () =>
  new Command('import')
    .description('store an existing private key (PEM) from a file, or - for stdin')
    .addHelpText(
      'after',
      examples(
        'wise keys import --use sca private.pem',
        'pass show wise/sca | wise keys import --use sca -',
        'wise keys import --use signing --alg PS256 signing.pem',
      ),
    )
    .addOption(useOption())
    .addOption(algOption())
    .argument('<file>', 'PEM private key file, or - for standard input');
export type KeysImportOptions = OptionsOf<typeof keysImportSpec>;

export const scaSignSpec = () =>
  new Command('sign')
    .description('print the base64 SHA256withRSA signature of a one-time token with the stored SCA key')
    .addHelpText('after', examples('wise sca sign 5a0b2b4e-2c0e-4b0e-9d7a-1b2c3d4e5f60'))
    .argument('<ott>', 'the one-time token from the x-2fa-approval header');

export const keysWiseSpec = () =>
  new Command('wise')
    .description(
      "Wise's own JOSE keys as this tool trusts them (the first key Wise serves is kept); --trust accepts the key Wise serves now, on a terminal",
    )
    .option('--trust', "fetch Wise's keys now and, after you compare fingerprints, trust the ones that changed")
    .addHelpText('after', examples('wise keys wise', 'wise --json keys wise', 'wise keys wise --trust'));
export type KeysWiseOptions = OptionsOf<typeof keysWiseSpec>;

export const keysListSpec = () =>
  new Command('list')
    .description("show the account's SCA key and the environment's JOSE keys (never private material)")
    .addHelpText('after', examples('wise keys list', 'wise --json keys list'));

export const keysPublicSpec = () =>
  new Command('public')
    .description('print the public half of a stored key, to upload or to check')
    .addHelpText(
      'after',
      examples(
        'wise keys public --use sca',
        'wise keys public --use signing --format jwk',
        'wise keys public --use encryption --kid <kid>',
      ),
    )
    .addOption(useOption())
    .option('--kid <kid>', 'which JOSE key (default: the active one of the use)')
    .addOption(
      new Option('--format <format>', 'pem, der-base64 (the SPKI DER in base64) or jwk')
        .choices(['pem', 'der-base64', 'jwk'] as const)
        .default('pem' as const),
    );
export type KeysPublicOptions = OptionsOf<typeof keysPublicSpec>;

const inputArgument = () => new Argument('[file]', 'input file, or - (the default) for standard input');

export const joseSignSpec = () =>
  new Command('sign')
    .description('sign the input as a compact JWS with the active signing key (alg, kid, and url if given)')
    .addHelpText(
      'after',
      examples(
        'wise jose sign --url /v1/auth/jose/playground/jws payload.json > body.jws',
        'echo \'{"hello":"wise"}\' | wise jose sign --kid <kid>',
      ),
    )
    .addArgument(inputArgument())
    .option('--url <path>', 'the request path to put in the protected header, as Wise checks it')
    .option('--kid <kid>', 'which signing key (default: the active one)');
export type JoseSignOptions = OptionsOf<typeof joseSignSpec>;

export const joseVerifySpec = () =>
  new Command('verify')
    .description("print the payload of a compact JWS if it verifies (exit 1 if not) with --key, or Wise's signing key")
    .addHelpText('after', examples('wise jose verify reply.jws', 'wise jose verify --key partner.pem < body.jws'))
    .addArgument(inputArgument())
    .option('--key <file>', "the signer's public key (PEM or JWK); default: Wise's signing key for the JWS's alg");
export type JoseVerifyOptions = OptionsOf<typeof joseVerifySpec>;

export const joseEncryptSpec = () =>
  new Command('encrypt')
    .description("encrypt the input as a compact JWE (RSA-OAEP-256 / A256GCM) to --key, or to Wise's encryption key")
    .addHelpText(
      'after',
      examples(
        'wise jose encrypt --url /v1/auth/jose/playground/jwe payload.json',
        'wise jose encrypt --key recipient.pem < secret.txt',
      ),
    )
    .addArgument(inputArgument())
    .option('--key <file>', "the recipient's RSA public key (PEM or JWK); default: Wise's encryption key")
    .option('--url <path>', 'the request path to put in the protected header, as Wise checks it')
    .option('--kid <kid>', "the recipient key's id, to put in the header");
export type JoseEncryptOptions = OptionsOf<typeof joseEncryptSpec>;

export const joseDecryptSpec = () =>
  new Command('decrypt')
    .description("print the plaintext of a compact JWE made for one of this environment's encryption keys")
    .addHelpText('after', examples('wise jose decrypt reply.jwe', 'wise jose decrypt --kid <kid> < reply.jwe'))
    .addArgument(inputArgument())
    .option('--kid <kid>', "which key (default: the one the JWE's kid names, else each in turn)");
export type JoseDecryptOptions = OptionsOf<typeof joseDecryptSpec>;

export const webhookVerifySpec = () =>
  new Command('verify')
    .description("check a webhook's X-Signature-SHA256 over its raw body (exit 0 valid, 1 invalid, 2 bad input)")
    .addHelpText(
      'after',
      examples(
        'wise webhook verify --signature "$SIGNATURE" body.json',
        'wise --env production webhook verify --signature "$SIGNATURE" < body.json',
        'wise webhook verify --public-key emulator-webhook.pem --signature "$SIGNATURE" body.json',
      ),
    )
    .addArgument(new Argument('[file]', 'the raw body, or - (the default) for standard input'))
    .option('--signature <b64>', 'the X-Signature-SHA256 header of the delivery (base64)')
    .option('--public-key <file>', "the signer's public key (PEM); default: Wise's published key for --env");
export type WebhookVerifyOptions = OptionsOf<typeof webhookVerifySpec>;

export const webhookListenSpec = () =>
  new Command('listen')
    .description('receive Wise webhooks: verify each, answer at once, print good ones, forward them; bad ones get 4xx')
    .addHelpText(
      'after',
      examples(
        'wise webhook listen --port 8790',
        'wise --json webhook listen --port 8790 --forward-to http://127.0.0.1:3000/hooks',
        'wise webhook listen --port 8443 --tls-cert server.pem --tls-key server.key --client-ca wise-ca.pem',
      ),
    )
    .requiredOption('--port <port>', 'port to listen on (0 picks a free one)')
    .option('--host <addr>', 'address to bind (default 127.0.0.1; another one is reachable by other machines)')
    .option('--forward-to <url>', 'POST each good delivery there, raw body and Wise headers kept')
    .option(
      '--state <file>',
      'remember handled deliveries across restarts in this file (mode 0600), so none is forwarded twice',
    )
    .option('--public-key <file>', "the signer's public key (PEM); default: Wise's published key for --env")
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM)')
    .option('--tls-key <file>', 'and this key')
    .option('--client-ca <file>', 'demand client certificates signed by this CA (mTLS webhooks)');
export type WebhookListenOptions = OptionsOf<typeof webhookListenSpec>;

export const mtlsCsrSpec = () =>
  new Command('csr')
    .description('make a key (mode 0600) and a certificate signing request for Wise mTLS, as Wise asks (O, optional C)')
    .addHelpText(
      'after',
      examples(
        'wise mtls csr --org "Doe Trading GmbH" --country DE',
        'wise mtls csr --org "Doe Trading GmbH" --key-type ec-p256 --out ~/.config/wise-mtls',
      ),
    )
    .requiredOption('--org <name>', 'your organisation, the O of the subject (required by Wise)')
    .option('--country <cc>', 'two-letter country code, the C of the subject')
    .addOption(
      new Option('--key-type <type>', 'key to make')
        .choices(['rsa2048', 'rsa3072', 'rsa4096', 'ec-p256', 'ec-p384'] as const)
        .default('rsa2048' as const),
    )
    .option('--out <dir>', 'folder for <name>.key and <name>.csr (default: the current folder)');
export type MtlsCsrOptions = OptionsOf<typeof mtlsCsrSpec>;

export const mtlsSetupSpec = () =>
  new Command('setup')
    .description("use a client certificate for the environment's calls (checked: key match, dates, key file mode)")
    .addHelpText(
      'after',
      examples(
        'wise mtls setup --cert doe-trading-gmbh.pem --key doe-trading-gmbh.key --ca wise-ca.pem',
        'wise mtls setup --cert client.pem --key client.key --import-key',
      ),
    )
    .requiredOption('--cert <file>', 'the client certificate Wise issued (PEM)')
    .requiredOption('--key <file>', 'its private key (PEM, mode 0600)')
    .option('--ca <file>', "a CA to trust for the API host (Wise's CA from the Developer Hub)")
    .option('--import-key', 'move the key into the secret store (the key file is removed)');
export type MtlsSetupOptions = OptionsOf<typeof mtlsSetupSpec>;

export const mtlsCheckSpec = () =>
  new Command('check')
    .description(
      "a handshake with the environment's mTLS host: the certificate's subject, issuer, expiry, and whether it is accepted",
    )
    .addHelpText('after', examples('wise mtls check', 'wise --env production --json mtls check'));

export const keysRegisterSpec = () =>
  new Command('register')
    .description("register a JOSE public key with Wise for the environment's partner client")
    .addHelpText(
      'after',
      examples('wise keys register --use signing', 'wise keys register --use encryption --kid <kid> --valid-days 90'),
    )
    .addOption(joseUseOption())
    .option('--kid <kid>', 'which key (default: the active one of the use)')
    .option('--valid-days <days>', 'how long Wise accepts it, from now', '365');
export type KeysRegisterOptions = OptionsOf<typeof keysRegisterSpec>;

export const keysActivateSpec = () =>
  new Command('activate')
    .description('make a JOSE key the one new requests use (for its use)')
    .addHelpText('after', examples('wise keys activate 8f14e45f-ceea-4e7a-9c1d-2b1f0f7a9c11'))
    .argument('<kid>', 'the key id, from `wise keys list`');

export const keysRemoveSpec = () =>
  new Command('remove')
    .description('delete a JOSE key (its private half too); replies encrypted to it can no longer be opened')
    .addHelpText('after', examples('wise keys remove 8f14e45f-ceea-4e7a-9c1d-2b1f0f7a9c11'))
    .argument('<kid>', 'the key id, from `wise keys list`');

export const scaStatusSpec = () =>
  new Command('status')
    .description('show what a one-time token asks for: the action and its challenges')
    .addHelpText(
      'after',
      examples('wise sca status 5a0b2b4e-2c0e-4b0e-9d7a-1b2c3d4e5f60', 'wise --json sca status <ott>'),
    )
    .argument('<ott>', 'the one-time token from the x-2fa-approval header');

export const scaSessionSpec = () =>
  new Command('session')
    .description(
      "clear Wise's challenges once, so that low-risk calls (balance statements) are not challenged for 5 minutes",
    )
    .addHelpText('after', examples('wise sca session', 'wise sca session && wise statement --currency EUR'));

export const scaPinSetSpec = () =>
  new Command('set')
    .description("create the user's PIN at Wise (hidden prompt, or stdin), for PIN challenges; OAuth users")
    .addHelpText('after', examples('wise sca pin set', 'wise sca pin set < pin.txt'));

export const scaPinDeleteSpec = () =>
  new Command('delete')
    .description("delete the user's PIN at Wise")
    .addHelpText('after', examples('wise sca pin delete'));

export const scaFingerprintRegisterSpec = () =>
  new Command('register')
    .description("register this account's device fingerprint with Wise (the stored one, or a new one)")
    .addHelpText('after', examples('wise sca device-fingerprint register'));

export const scaFingerprintDeleteSpec = () =>
  new Command('delete')
    .description('delete a device fingerprint registered with Wise')
    .argument('<id>', 'the deviceFingerprintId Wise gave at registration')
    .addHelpText('after', examples('wise sca device-fingerprint delete 636a5514-aa86-4719-8700-e9a9a0ae7ea7'));

export const scaFingerprintSetSpec = () =>
  new Command('set')
    .description('store the device fingerprint your app registered with Wise, for device-fingerprint challenges')
    .addHelpText('after', examples('wise sca device-fingerprint set < fingerprint.txt'));

/**
 * The commands declared here, each registered with its loader: logging in, tokens, OAuth, credentials, `wise api`
 * (sessionCommands); keys, SCA, settings, JOSE, mTLS, the emulator, doctor (toolCommands). The account commands,
 * webhooks and agents are in account-specs.ts.
 */
export const sessionCommands: Registry = {
  login: (program) => {
    program
      .command('login')
      .description('log in interactively: a personal API token, or OAuth in the browser')
      .addHelpText('after', examples('wise login', 'wise --env production login'))
      .action(lazy(async () => (await import('./login.js')).login));
  },
  token: (program) => {
    const token = program
      .command('token')
      .description('personal API tokens')
      .addHelpText('after', examples('wise token add'));
    attach(token, tokenAddSpec()).action(lazy(async () => (await import('./token/add.js')).tokenAdd));
  },
  oauth: (program) => {
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
    attach(oauth, oauthSetupSpec()).action(lazy(async () => (await import('./oauth/setup.js')).oauthSetup));
    attach(oauth, oauthAuthorizeSpec()).action(lazy(async () => (await import('./oauth/authorize.js')).oauthAuthorize));
    oauth
      .command('client-token')
      .description('print a client_credentials access token (never stored)')
      .addHelpText('after', examples('wise oauth client-token', 'export TOKEN=$(wise oauth client-token)'))
      .action(lazy(async () => (await import('./oauth/client-token.js')).oauthClientToken));
    oauth
      .command('refresh')
      .description('refresh the stored access token now')
      .addHelpText('after', examples('wise oauth refresh', 'wise --account acme --json oauth refresh'))
      .action(lazy(async () => (await import('./oauth/refresh.js')).oauthRefresh));
    attach(oauth, oauthExportLoginSpec()).action(
      lazy(async () => (await import('./oauth/export-login.js')).oauthExportLogin),
    );
    attach(oauth, oauthCreateUserSpec()).action(
      lazy(async () => (await import('./oauth/create-user.js')).oauthCreateUser),
    );
  },
  auth: (program) => {
    const auth = program
      .command('auth')
      .description('inspect and manage stored credentials')
      .addHelpText('after', examples('wise auth status'));
    attach(auth, authStatusSpec()).action(lazy(async () => (await import('./auth/status.js')).authStatus));
    auth
      .command('token')
      .description('print a valid access token and a newline, for $(wise auth token)')
      .addHelpText('after', examples('wise --json auth token', 'export WISE_TOKEN=$(wise auth token)'))
      .action(lazy(async () => (await import('./auth/token.js')).authToken));
    attach(auth, authSwitchSpec()).action(lazy(async () => (await import('./auth/switch.js')).authSwitch));
  },
  logout: (program) => {
    attach(program, logoutSpec()).action(lazy(async () => (await import('./logout.js')).logout));
  },
  api: (program) => {
    attach(program, apiSpec()).action(lazy(async () => (await import('./api.js')).api));
  },
};

export const toolCommands: Registry = {
  keys: (program) => {
    const keys = program
      .command('keys')
      .description('keys for Strong Customer Authentication and JOSE (signed and encrypted calls)')
      .addHelpText(
        'after',
        examples('wise keys generate --use sca', 'wise keys generate --use signing', 'wise keys list'),
      );
    attach(keys, keysGenerateSpec()).action(lazy(async () => (await import('./keys.js')).keysGenerate));
    attach(keys, keysImportSpec()).action(lazy(async () => (await import('./keys.js')).keysImport));
    attach(keys, keysListSpec()).action(lazy(async () => (await import('./keys.js')).keysList));
    attach(keys, keysPublicSpec()).action(lazy(async () => (await import('./keys.js')).keysPublic));
    attach(keys, keysRegisterSpec()).action(lazy(async () => (await import('./keys.js')).keysRegister));
    attach(keys, keysActivateSpec()).action(lazy(async () => (await import('./keys.js')).keysActivate));
    attach(keys, keysRemoveSpec()).action(lazy(async () => (await import('./keys.js')).keysRemove));
    attach(keys, keysWiseSpec()).action(lazy(async () => (await import('./keys.js')).keysWise));
  },
  sca: (program) => {
    const sca = program
      .command('sca')
      .description('Strong Customer Authentication: sign one-time tokens')
      .addHelpText('after', examples('wise sca sign <one-time-token>'));
    attach(sca, scaSignSpec()).action(lazy(async () => (await import('./sca.js')).scaSign));
    attach(sca, scaStatusSpec()).action(lazy(async () => (await import('./sca.js')).scaStatus));
    const fingerprint = sca
      .command('device-fingerprint')
      .description('the device fingerprint for device-fingerprint challenges')
      .addHelpText('after', examples('wise sca device-fingerprint set < fingerprint.txt'));
    attach(fingerprint, scaFingerprintSetSpec()).action(lazy(async () => (await import('./sca.js')).scaFingerprintSet));
    attach(fingerprint, scaFingerprintRegisterSpec()).action(
      lazy(async () => (await import('./sca.js')).scaFingerprintRegister),
    );
    attach(fingerprint, scaFingerprintDeleteSpec()).action(
      lazy(async () => (await import('./sca.js')).scaFingerprintDelete),
    );
    attach(sca, scaSessionSpec()).action(lazy(async () => (await import('./sca.js')).scaSession));
    const pin = sca
      .command('pin')
      .description("the user's PIN at Wise, for PIN challenges (OAuth users)")
      .addHelpText('after', examples('wise sca pin set', 'wise sca pin delete'));
    attach(pin, scaPinSetSpec()).action(lazy(async () => (await import('./sca.js')).scaPinSet));
    attach(pin, scaPinDeleteSpec()).action(lazy(async () => (await import('./sca.js')).scaPinDelete));
  },
  config: (program) => {
    const config = program
      .command('config')
      .description('per-account settings (API version)')
      .addHelpText('after', examples('wise config list', 'wise config set api-version 2026Q4'));
    attach(config, configGetSpec()).action(lazy(async () => (await import('./config.js')).configGet));
    attach(config, configSetSpec()).action(lazy(async () => (await import('./config.js')).configSet));
    attach(config, configUnsetSpec()).action(lazy(async () => (await import('./config.js')).configUnset));
    attach(config, configListSpec()).action(lazy(async () => (await import('./config.js')).configList));
  },
  jose: (program) => {
    const jose = program
      .command('jose')
      .description('offline JOSE with the environment keys: sign, verify, encrypt, decrypt')
      .addHelpText('after', examples('wise jose sign --url /v1/auth/jose/playground/jws < body.json'));
    attach(jose, joseSignSpec()).action(lazy(async () => (await import('./jose.js')).joseSign));
    attach(jose, joseVerifySpec()).action(lazy(async () => (await import('./jose.js')).joseVerify));
    attach(jose, joseEncryptSpec()).action(lazy(async () => (await import('./jose.js')).joseEncrypt));
    attach(jose, joseDecryptSpec()).action(lazy(async () => (await import('./jose.js')).joseDecrypt));
  },
  mtls: (program) => {
    const mtls = program
      .command('mtls')
      .description('mutual TLS with Wise: key and CSR, the client certificate, a handshake check')
      .addHelpText('after', examples('wise mtls csr --org "Doe Trading GmbH" --country DE'));
    attach(mtls, mtlsCsrSpec()).action(lazy(async () => (await import('./mtls.js')).mtlsCsr));
    attach(mtls, mtlsSetupSpec()).action(lazy(async () => (await import('./mtls.js')).mtlsSetup));
    attach(mtls, mtlsCheckSpec()).action(lazy(async () => (await import('./mtls.js')).mtlsCheck));
  },
  mock: (program) => {
    attach(program, mockSpec()).action(lazy(async () => (await import('./mock.js')).mock));
  },
  doctor: (program) => {
    attach(program, doctorSpec()).action(lazy(async () => (await import('./doctor.js')).doctor));
  },
};
