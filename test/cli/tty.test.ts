import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox, showsCode, WISE_BIN } from '../helpers/cli.js';
import { expectContractViolation } from '../helpers/contract.js';
import { useEmulatorAndSandbox } from '../helpers/mock.js';
import { CURL_BROWSER, oauthWorld } from '../helpers/oauth.js';
import { haveScript, onTerminal as runOnTerminal, type Step } from '../helpers/terminal.js';

const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`);

const shared = useEmulatorAndSandbox();

/** At `wise login`'s first prompt: arrow down to OAuth, then Enter. */
const CHOOSE_OAUTH: Step[] = [
  ['How do you want to log in', '\x1b[B'],
  ['❯ OAuth', '\r'],
];

/** Runs wise on a terminal in the shared sandbox unless another is given. */
const onTerminal = (args: string[], o: { typed?: Step[]; env?: Record<string, string>; sandbox?: Sandbox } = {}) =>
  runOnTerminal(args, { ...o, sandbox: o.sandbox ?? shared.sb });

describe.skipIf(!haveScript)('on a terminal', () => {
  it('token add asks with a hidden prompt and never echoes the token', async () => {
    const { code, transcript } = await onTerminal(['token', 'add'], {
      typed: [['Paste your sandbox personal API token', `${shared.mock.personalToken}\r`]],
    });
    expect(code).toBe(0);
    expect(transcript).toContain('Paste your sandbox personal API token');
    expect(transcript).toContain('Stored the personal token for account "default" (sandbox)');
    expect(transcript).not.toContain(shared.mock.personalToken);
    expect(transcript).not.toContain(shared.mock.personalToken.slice(0, 8));
  });

  it('api pretty-prints JSON on a terminal', async () => {
    const { code, transcript } = await onTerminal(['api', '/v1/me']);
    expect(code).toBe(0);
    expect(transcript).toContain('{\r\n  "id": 1001,\r\n  "name": "Jane Doe"');
  });

  it('errors are coloured on a terminal, and not with NO_COLOR or --no-color', async () => {
    expectContractViolation(/GET \/nope: no operation/);
    const coloured = await onTerminal(['api', '/nope']);
    expect(coloured.code).toBe(3);
    expect(coloured.transcript).toMatch(ANSI);
    const noColor = await onTerminal(['api', '/nope'], { env: { NO_COLOR: '1' } });
    expect(noColor.transcript).toContain('error: Wise answered 404');
    expect(noColor.transcript).not.toMatch(ANSI);
    const flag = await onTerminal(['--no-color', 'api', '/nope']);
    expect(flag.transcript).not.toMatch(ANSI);
  });

  it('a prompt cancelled with Ctrl-C exits 130', async () => {
    const { code } = await onTerminal(['--account', 'cancel', 'token', 'add'], { typed: [['Paste your', '\x03']] });
    expect(code).toBe(130);
  });

  it('wise login: choose the personal token, paste it at the hidden prompt', async () => {
    const fresh = await createSandbox({ WISE_API_URL: shared.mock.url });
    try {
      const { code, transcript } = await onTerminal(['login'], {
        sandbox: fresh,
        typed: [
          ['How do you want to log in', '\r'],
          ['Paste your sandbox personal API token', `${shared.mock.personalToken}\r`],
        ],
      });
      expect(code, transcript).toBe(0);
      expect(transcript).toContain('How do you want to log in to Wise (sandbox)?');
      // Sandbox tokens come from wise-sandbox.com; a wise.com token is a production one, which the sandbox rejects.
      expect(transcript).toContain('paste a token made at wise-sandbox.com');
      expect(transcript).toContain('Stored the personal token for account "default" (sandbox)');
      expect(transcript).not.toContain(shared.mock.personalToken);
    } finally {
      await fresh.cleanup();
    }
  });

  it('wise login: choose OAuth with a client set up, approve in the browser', async () => {
    const world = await oauthWorld();
    try {
      const { code, transcript } = await onTerminal(['login'], {
        sandbox: world.sb,
        typed: [...CHOOSE_OAUTH],
        env: { BROWSER: CURL_BROWSER },
      });
      expect(code, transcript).toBe(0);
      expect(transcript).toContain('Logged in account "default" (sandbox) with OAuth');
    } finally {
      await world.cleanup();
    }
  });

  it('wise login: OAuth without a client asks for the client id, redirect URI and hidden secret first', async () => {
    const world = await oauthWorld({ setup: false });
    try {
      const { code, transcript } = await onTerminal(['login'], {
        sandbox: world.sb,
        typed: [
          ...CHOOSE_OAUTH,
          ['Client id (from Wise)', `${world.mock.clientId}\r`],
          ['Redirect URI registered with Wise', `${world.redirectUri}\r`],
          ['Client secret (from Wise)', `${world.mock.clientSecret}\r`],
        ],
        env: { BROWSER: CURL_BROWSER },
      });
      expect(code, transcript).toBe(0);
      expect(transcript).toContain('Client id (from Wise)');
      expect(transcript).toContain('Stored OAuth client wise-mock-partner for sandbox');
      expect(transcript).toContain('Logged in account "default" (sandbox) with OAuth');
      expect(transcript).not.toContain(world.mock.clientSecret);
    } finally {
      await world.cleanup();
    }
  });

  it('a new encrypted file store asks for its passphrase twice; two different answers store nothing', async () => {
    const fresh = await createSandbox({ WISE_API_URL: shared.mock.url, WISE_STORE_PASSPHRASE: '' });
    try {
      const differ = await onTerminal(['token', 'add', '--no-verify'], {
        sandbox: fresh,
        typed: [
          ['Paste your sandbox personal API token', 'tok-123456789\r'],
          ['New passphrase for the encrypted secret store (at least 8 characters)', 'first-passphrase\r'],
          ['The same passphrase again', 'other-passphrase\r'],
        ],
      });
      expect(differ.code, differ.transcript).toBe(7);
      expect(differ.transcript).toContain('The two passphrases differ; nothing was stored');
      const short = await onTerminal(['token', 'add', '--no-verify'], {
        sandbox: fresh,
        typed: [
          ['Paste your sandbox personal API token', 'tok-123456789\r'],
          ['New passphrase', 'short\r'],
        ],
      });
      expect(short.code, short.transcript).toBe(7);
      expect(short.transcript).toContain('at least 8 characters');
      const same = await onTerminal(['token', 'add', '--no-verify'], {
        sandbox: fresh,
        typed: [
          ['Paste your sandbox personal API token', 'tok-123456789\r'],
          ['New passphrase', 'good-passphrase\r'],
          ['The same passphrase again', 'good-passphrase\r'],
        ],
      });
      expect(same.code, same.transcript).toBe(0);
      expect(same.transcript).not.toContain('good-passphrase');
      const read = await fresh.run(['auth', 'token'], { env: { WISE_STORE_PASSPHRASE: 'good-passphrase' } });
      expect(read.stdout).toBe('tok-123456789\n');
      // Opening an existing store asks once.
      const open = await onTerminal(['auth', 'token'], {
        sandbox: fresh,
        typed: [['Passphrase for the encrypted secret store', 'good-passphrase\r']],
      });
      expect(open.code, open.transcript).toBe(0);
      expect(open.transcript).toContain('tok-123456789');
    } finally {
      await fresh.cleanup();
    }
  });

  it('oauth export-login asks before printing; No prints nothing and keeps the login', async () => {
    const world = await oauthWorld();
    try {
      const login = await world.sb.run(['oauth', 'authorize', '--timeout', '20'], {
        env: { BROWSER: CURL_BROWSER },
        timeoutMs: 30_000,
      });
      expect(login.code, login.stderr).toBe(0);
      const refresh = (await world.store().get('default:sandbox:refresh-token')) as string;
      const no = await onTerminal(['oauth', 'export-login'], {
        sandbox: world.sb,
        typed: [['Print the refresh token of account "default" (sandbox)?', '\r']],
      });
      expect(no.code, no.transcript).toBe(130);
      expect(no.transcript).not.toContain(refresh);
      expect(await world.store().get('default:sandbox:refresh-token')).toBe(refresh);
      const yes = await onTerminal(['oauth', 'export-login'], {
        sandbox: world.sb,
        typed: [
          ['Print the refresh token', '\x1b[B'],
          ['❯ Yes, print it and remove the login here', '\r'],
        ],
      });
      expect(yes.code, yes.transcript).toBe(0);
      expect(yes.transcript).toContain(refresh);
      expect(await world.store().get('default:sandbox:refresh-token')).toBeNull();
    } finally {
      await world.cleanup();
    }
  });

  it('an SCA PIN challenge asks for the PIN with a hidden prompt', async () => {
    const { loggedIn } = await import('../helpers/oauth.js');
    const world = await loggedIn();
    try {
      await fetch(`${world.mock.url}/__mock/users/1001`, { method: 'POST', body: '{"pin":"8642"}' });
      const { code, transcript } = await onTerminal(
        [
          'api',
          '/v1/profiles/2001/balance-statements/3001/statement.json?currency=EUR&intervalStart=2026-06-01T00:00:00.000Z&intervalEnd=2026-11-30T23:59:59.999Z',
        ],
        {
          sandbox: world.sb,
          typed: [['Your Wise PIN', '8642\r']],
        },
      );
      expect(code, transcript).toBe(0);
      expect(transcript).toContain('"transactions": [');
      expect(showsCode(transcript, '8642')).toBe(false);
    } finally {
      await world.cleanup();
    }
  });
  it('pay on a terminal shows the payment and the environment and asks; No pays nothing (exit 130)', async () => {
    const add = await shared.sb.run(['--account', 'payer', 'token', 'add'], { input: shared.mock.personalToken });
    expect(add.code, add.stderr).toBe(0);
    // Funding with a personal token needs a customer outside the EU and UK and an SCA key, checked before anything
    // is made.
    await fetch(`${shared.mock.url}/__mock/users/1001`, { method: 'POST', body: '{"country":"US"}' });
    expect((await shared.sb.run(['--account', 'payer', 'keys', 'generate', '--use', 'sca'])).code).toBe(0);
    const before = shared.mock.state.transfers.size;
    const { code, transcript } = await onTerminal(
      ['--account', 'payer', 'pay', '--to', '7002', '--amount', '25', '--currency', 'EUR', '--profile-id', '2001'],
      { typed: [['Go ahead?', 'n\r']] },
    );
    expect(code).toBe(130);
    expect(transcript).toMatch(/Recipient\s+Max Mustermann \(7002/);
    expect(transcript).toMatch(/Fee\s+0\.50 EUR/);
    expect(transcript).toContain('Environment: sandbox (test money)');
    expect(transcript).toContain('Cancelled; nothing was paid.');
    expect(shared.mock.state.transfers.size).toBe(before);
  });

  it("recipients add asks for each field of Wise's form on a terminal", async () => {
    const { code, transcript } = await onTerminal(
      ['--account', 'payer', '--profile-id', '2001', 'recipients', 'add', '--currency', 'GBP'],
      {
        typed: [
          ['Full name of the account holder', 'Ada Lovelace\r'],
          ['UK sort code', '123\r'],
          ['does not look like a uk sort code', '\b\b\b040004\r'],
          ['Account number', '12345678\r'],
        ],
      },
    );
    expect(code, transcript).toBe(0);
    expect(transcript).toMatch(/Added recipient \d+: Ada Lovelace \(GBP\)/);
    const made = [...shared.mock.state.recipients.values()].find((r) => r.accountHolderName === 'Ada Lovelace');
    expect(made?.details).toEqual({ sortCode: '040004', accountNumber: '12345678' });
  });
});

describe('not a terminal', () => {
  // A terminal is a character device; so is /dev/null, which is not a terminal. A file and /dev/null get what a pipe
  // gets: the body as Wise sent it, not pretty-printed.
  it('api prints the body as it came to a file and to /dev/null, as to a pipe', async () => {
    const env = { ...shared.sb.env, WISE_TOKEN: shared.mock.personalToken };
    const piped = await shared.sb.run(['api', '/v1/me'], { spawn: true, env });
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stdout).toContain('"id":1001');
    const file = join(shared.sb.dir, 'me.json');
    for (const target of [file, '/dev/null']) {
      const fd = openSync(target, 'w');
      try {
        // (asynchronously: the emulator answers from this process)
        const child = spawn(process.execPath, [WISE_BIN, 'api', '/v1/me'], { env, stdio: ['ignore', fd, 'inherit'] });
        const [code] = (await once(child, 'exit')) as [number];
        expect(code).toBe(0);
      } finally {
        closeSync(fd);
      }
    }
    expect(readFileSync(file, 'utf8')).toBe(piped.stdout);
  });
});
