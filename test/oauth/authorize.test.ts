import { readdir, readFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { STACK_TRACE } from '../helpers/cli.js';
import {
  CURL_BROWSER,
  decide,
  ENV_BROWSER,
  grantsSeen,
  isFree,
  type OAuthWorld,
  oauthWorld,
  startWise,
} from '../helpers/oauth.js';
import { haveScript, onTerminal } from '../helpers/terminal.js';
import { waitFor } from '../helpers/wait.js';

let world: OAuthWorld;
afterEach(async () => {
  await world?.cleanup();
});

async function filesText(dir: string): Promise<string> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  let text = '';
  for (const e of entries) if (e.isFile()) text += await readFile(join(e.parentPath, e.name), 'utf8');
  return text;
}

/** Local addresses of the sockets listening on `port`, from /proc/net/tcp and tcp6. */
async function listeners(port: number): Promise<string[]> {
  const found: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(file, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (!local || state !== '0A') continue; // 0A: LISTEN
      const [addr, hexPort] = local.split(':') as [string, string];
      if (Number.parseInt(hexPort, 16) !== port) continue;
      if (addr.length === 8) {
        found.push(
          (addr.match(/../g) as string[])
            .reverse()
            .map((b) => Number.parseInt(b, 16))
            .join('.'),
        );
      } else {
        found.push(addr === '00000000000000000000000001000000' ? '::1' : addr);
      }
    }
  }
  return found;
}

describe('wise oauth authorize, end to end', () => {
  it('with curl as the browser, started by the system opener through $BROWSER', async () => {
    world = await oauthWorld();
    const out = join(world.sb.dir, 'browser.out');
    const r = await world.sb.run(['oauth', 'authorize', '--timeout', '20'], {
      env: { BROWSER: CURL_BROWSER, CURL_BROWSER_OUT: out },
      timeoutMs: 30_000,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`${world.mock.url}/oauth/authorize?client_id=${world.mock.clientId}`);
    expect(r.stderr).toMatch(/Logged in account "default" \(sandbox\) with OAuth, default profile 2001/);
    // The browser ends on the plain result page: the code is not left in its address bar. It may still be loading
    // that page when the login has ended.
    await waitFor(
      async () => (await readFile(out, 'utf8')).includes('/wise-cli/done'),
      'the browser on the result page',
    );
    const browser = await readFile(out, 'utf8');
    expect(browser).toContain('You are logged in to wise');
    expect(browser.trim().split('\n').at(-1)).toBe(`http://127.0.0.1:${world.port}/wise-cli/done`);

    const me = await world.sb.run(['api', '/v1/me']);
    expect(me.code).toBe(0);
    expect(JSON.parse(me.stdout)).toMatchObject({ id: 1001, name: 'Jane Doe' });

    // No token in any file.
    const access = (await world.sb.run(['auth', 'token'])).stdout.trim();
    const refresh = (await world.store().get('default:sandbox:refresh-token')) as string;
    expect(refresh.length).toBeGreaterThan(20);
    const files = await filesText(world.sb.configDir);
    for (const secret of [access, refresh, world.mock.clientSecret]) expect(files).not.toContain(secret);
    expect(JSON.parse(await readFile(join(world.sb.configDir, 'config.json'), 'utf8'))).toMatchObject({
      clients: { sandbox: { clientId: world.mock.clientId, redirectUri: world.redirectUri } },
      accounts: {
        default: { credentials: { sandbox: { type: 'oauth', grant: 'authorization_code', profileId: 2001 } } },
      },
    });
    expect(await grantsSeen(world.mock, 'authorization_code')).toBe(1);
  });

  it('with --pkce the emulator checks the S256 verifier', async () => {
    world = await oauthWorld();
    const run = startWise(world.sb, ['oauth', 'authorize', '--no-browser', '--pkce', '--timeout', '20']);
    const url = await run.consentUrl;
    expect(new URL(url).searchParams.get('code_challenge_method')).toBe('S256');
    expect(new URL(url).searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await decide(url, 'approve');
    expect((await run.done).code).toBe(0);
  });

  it('a forged callback with a wrong or missing state is refused with 400, never exchanged, and the login goes on', async () => {
    world = await oauthWorld();
    const run = startWise(world.sb, ['oauth', 'authorize', '--no-browser', '--timeout', '20']);
    const url = await run.consentUrl;
    const state = new URL(url).searchParams.get('state') as string;
    expect(state).toMatch(/^[A-Za-z0-9_-]{43}$/); // 32 random bytes
    const base = `http://127.0.0.1:${world.port}`;
    expect((await fetch(`${base}/callback?code=forged-code&state=wrong`)).status).toBe(400);
    expect((await fetch(`${base}/callback?code=forged-code`)).status).toBe(400);
    expect((await fetch(`${base}/elsewhere?code=x&state=${state}`)).status).toBe(404);
    expect(await grantsSeen(world.mock, 'authorization_code')).toBe(0);
    const { finalUrl } = await decide(url, 'approve');
    expect(finalUrl).toBe(`${base}/wise-cli/done`);
    const done = await run.done;
    expect(done.code).toBe(0);
    expect(done.stderr).toContain('refused a request to the redirect URI with a wrong state');
    expect(await grantsSeen(world.mock, 'authorization_code')).toBe(1);
  });

  it('a browser on another machine: the address it ends on, pasted on the terminal, completes the login (state checked as the listener checks it)', async () => {
    world = await oauthWorld();
    const run = startWise(world.sb, ['oauth', 'authorize', '--no-browser', '--timeout', '20'], {}, { stdin: true });
    const base = `http://127.0.0.1:${world.port}`;
    const { finalUrl } = await decide(await run.consentUrl, 'approve', base);
    expect(finalUrl).toMatch(new RegExp(`^${base}/callback\\?`));
    const stdin = run.child.stdin as NonNullable<typeof run.child.stdin>;
    const forged = new URL(finalUrl);
    forged.searchParams.set('state', 'wrong');
    stdin.write(`not an address\n${forged.href}\n${base}/elsewhere?code=x\n`);
    await waitFor(
      () => /wrong state/.test(run.stderr()) && (run.stderr().match(/That is not an address of/g) ?? []).length === 2,
      'the pasted lines refused',
    );
    expect(await grantsSeen(world.mock, 'authorization_code')).toBe(0);
    stdin.write(`  ${finalUrl}  \n`);
    const done = await run.done;
    expect(done.code, done.stderr).toBe(0);
    expect(done.stderr).toContain(`forward the port first (ssh -L ${world.port}:127.0.0.1:${world.port} <this host>)`);
    expect(done.stderr).toContain('Logged in account');
    expect(done.stderr).not.toContain(new URL(finalUrl).searchParams.get('code') as string);
    expect(await grantsSeen(world.mock, 'authorization_code')).toBe(1);
    expect(await isFree(world.port)).toBe(true);
    expect((await world.sb.run(['auth', 'token'])).code).toBe(0);
  });

  it.skipIf(!haveScript)(
    'on a terminal, reading pasted lines does not hold the process once the browser has come back',
    async () => {
      world = await oauthWorld();
      const r = await onTerminal(['oauth', 'authorize', '--timeout', '20'], {
        sandbox: world.sb,
        env: { BROWSER: CURL_BROWSER, SSH_CONNECTION: '10.0.0.2 50000 10.0.0.1 22' },
        typed: [['press Enter', '']],
      });
      expect(r.code, r.transcript).toBe(0);
      // Over SSH the port forward and the paste are offered even when a browser was started.
      expect(r.transcript.replace(/\s+/g, ' ')).toContain('paste the address the browser ends on here');
      expect(r.transcript).toContain('Logged in account');
    },
  );

  it('Deny ends the login with exit 4 naming Wise error', async () => {
    world = await oauthWorld();
    const run = startWise(world.sb, ['oauth', 'authorize', '--no-browser', '--timeout', '20']);
    const { body } = await decide(await run.consentUrl, 'deny');
    expect(body).toContain('The login was not completed');
    const done = await run.done;
    expect(done.code).toBe(4);
    expect(done.stderr).toContain('access_denied: The user denied access');
    expect(done.stderr).not.toMatch(STACK_TRACE);
    expect(await isFree(world.port)).toBe(true);
  });

  it('times out with exit 4 and closes the listener', async () => {
    world = await oauthWorld();
    const r = await world.sb.run(['oauth', 'authorize', '--no-browser', '--timeout', '1']);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('timed out after 1 s');
    // What a redirect URI Wise does not know looks like: the browser never comes back. Say so, and print ours.
    expect(r.stderr).toContain(`the browser never came back to ${world.redirectUri}`);
    expect(r.stderr).toContain(
      `the redirect URI registered with Wise for client ${world.mock.clientId} must equal the one set up here`,
    );
    expect(r.stderr).toContain(`set up here: ${world.redirectUri}`);
    // Its own hint first (nobody approved in time), then the browser on another machine, then the URI.
    expect(r.stderr).toContain('`--timeout <seconds>` waits longer than 1 s');
    expect(r.stderr).toContain('paste that address at the prompt next time, or forward the port (ssh -L');
    expect(await isFree(world.port)).toBe(true);
  });

  it('Ctrl-C exits 130 and closes the listener', async () => {
    world = await oauthWorld();
    const run = startWise(world.sb, ['oauth', 'authorize', '--no-browser', '--timeout', '20']);
    await run.consentUrl;
    run.child.kill('SIGINT');
    const done = await run.done;
    expect(done.code).toBe(130);
    expect(await isFree(world.port)).toBe(true);
  });

  it('a busy port is a clear error naming the port', async () => {
    world = await oauthWorld();
    const blocker = createServer().listen(world.port, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    try {
      const r = await world.sb.run(['oauth', 'authorize', '--no-browser']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`Port ${world.port} on 127.0.0.1 is already in use`);
      const json = await world.sb.run(['--json', 'oauth', 'authorize', '--no-browser']);
      expect(JSON.parse(json.stderr).error).toMatchObject({ code: 'port_in_use', port: world.port });
      expect(r.stderr).not.toMatch(STACK_TRACE);
    } finally {
      blocker.close();
    }
  });

  it('listens on loopback only', async () => {
    world = await oauthWorld();
    const run = startWise(world.sb, ['oauth', 'authorize', '--no-browser', '--timeout', '20']);
    const url = await run.consentUrl;
    // The kernel's table of listening sockets (Linux): every listener on the port is bound to 127.0.0.1 alone.
    expect(await listeners(world.port)).toEqual(['127.0.0.1']);
    expect((await fetch(`http://127.0.0.1:${world.port}/nothing`)).status).toBe(404);
    await decide(url, 'approve');
    expect((await run.done).code).toBe(0);
    expect(await listeners(world.port)).toEqual([]);
  });

  it.each([
    ['localhost', ['127.0.0.1', '::1']],
    ['[::1]', ['::1']],
  ])('a %s redirect URI binds %o', async (host, bound) => {
    world = await oauthWorld({ host });
    const run = startWise(world.sb, ['oauth', 'authorize', '--no-browser', '--timeout', '20']);
    const url = await run.consentUrl;
    expect((await listeners(world.port)).sort()).toEqual(bound);
    await decide(url, 'approve');
    expect((await run.done).code).toBe(0);
    expect(await listeners(world.port)).toEqual([]);
  });

  it('a localhost redirect URI whose port another process holds on [::1] fails clearly, and frees 127.0.0.1', async () => {
    world = await oauthWorld({ host: 'localhost' });
    // A local process that would otherwise receive the code: browsers try [::1] first for localhost.
    const squatter = createServer().listen(world.port, '::1');
    await new Promise((r) => squatter.once('listening', r));
    try {
      const r = await world.sb.run(['oauth', 'authorize', '--no-browser', '--timeout', '5']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`Port ${world.port} on ::1 is already in use`);
      expect(r.stderr).not.toContain('/oauth/authorize?');
      expect(await isFree(world.port, '127.0.0.1')).toBe(true);
    } finally {
      squatter.close();
    }
  });

  it('a request that is not even a URL gets 400 and the login goes on', async () => {
    world = await oauthWorld();
    const run = startWise(world.sb, ['oauth', 'authorize', '--no-browser', '--timeout', '20']);
    const url = await run.consentUrl;
    for (const target of ['//[/callback', '/callback?%', 'http://[', '*']) {
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connect(world.port, '127.0.0.1', () => {
          socket.end(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
        });
        let text = '';
        socket.on('data', (c: Buffer) => {
          text += c.toString();
        });
        socket.on('end', () => resolve(text));
        socket.on('error', reject);
      });
      expect(answer, target).toMatch(/^HTTP\/1\.1 (400|404) /);
    }
    expect(run.child.exitCode).toBeNull();
    await decide(url, 'approve');
    const done = await run.done;
    expect(done.code, done.stderr).toBe(0);
    expect(done.stderr).not.toMatch(STACK_TRACE);
  });

  it('terminal escapes in a callback never reach the terminal', async () => {
    world = await oauthWorld();
    const run = startWise(world.sb, ['oauth', 'authorize', '--no-browser', '--timeout', '20']);
    const state = new URL(await run.consentUrl).searchParams.get('state') as string;
    const evil = encodeURIComponent('\u001b]0;pwned\u0007\u001b[2J\u009b31m\u202e');
    const res = await fetch(
      `http://127.0.0.1:${world.port}/callback?state=${state}&error=access_denied%1B[31m&error_description=${evil}`,
    );
    expect(res.status).toBeLessThan(500);
    const done = await run.done;
    expect(done.code).toBe(4);
    expect(done.stderr).toContain('access_denied');
    expect(done.stderr).toContain(']0;pwned');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters is the point.
    expect(done.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
  });

  it('the browser is started without any WISE_* variable in its environment', async () => {
    world = await oauthWorld();
    const envOut = join(world.sb.dir, 'browser.env');
    const secrets = {
      WISE_TOKEN: 'env-token-that-must-not-leak',
      WISE_CLIENT_SECRET: 'client-secret-that-must-not-leak',
      WISE_REFRESH_TOKEN: 'refresh-token-that-must-not-leak',
    };
    const r = await world.sb.run(['oauth', 'authorize', '--timeout', '20'], {
      env: { ...secrets, BROWSER: ENV_BROWSER, ENV_BROWSER_OUT: envOut, CURL_BROWSER_OUT: join(world.sb.dir, 'page') },
      timeoutMs: 30_000,
    });
    // The partial OAuth variables would make a user call fail; the login itself uses the stored client.
    expect(r.code, r.stderr).toBe(0);
    const env = await readFile(envOut, 'utf8');
    expect(env).toContain('ENV_BROWSER_OUT=');
    expect(env).not.toMatch(/^WISE_/m);
    for (const value of [world.sb.env.WISE_STORE_PASSPHRASE as string, ...Object.values(secrets)]) {
      expect(env).not.toContain(value);
    }
  });

  it('--debug output of the whole flow holds no secret and no Basic credentials', async () => {
    world = await oauthWorld();
    const run = startWise(world.sb, ['--debug', 'oauth', 'authorize', '--no-browser', '--timeout', '20']);
    const url = await run.consentUrl;
    const { finalUrl } = await decide(url, 'approve');
    const done = await run.done;
    expect(done.code).toBe(0);
    let stderr = done.stderr;
    for (const args of [
      ['oauth', 'refresh'],
      ['api', '/v1/me'],
      ['oauth', 'client-token'],
      ['auth', 'status'],
    ]) {
      stderr += (await world.sb.run(['--debug', ...args])).stderr;
    }
    const refresh = (await world.store().get('default:sandbox:refresh-token')) as string;
    const access = (await world.sb.run(['auth', 'token'])).stdout.trim();
    const basic = Buffer.from(`${world.mock.clientId}:${world.mock.clientSecret}`).toString('base64');
    expect(stderr).toContain('> POST http://127.0.0.1');
    expect(stderr).toContain('authorization: Basic [REDACTED]');
    expect(stderr).toContain('grant_type=refresh_token&refresh_token=[REDACTED]');
    for (const secret of [
      refresh,
      access,
      world.mock.clientSecret,
      basic,
      world.sb.env.WISE_STORE_PASSPHRASE as string,
    ]) {
      expect(stderr).not.toContain(secret);
    }
    expect(finalUrl).not.toContain('code=');
    expect(stderr).not.toMatch(/[?&]code=[A-Za-z0-9_-]{10,}/);
  });
});

describe('wise oauth setup', () => {
  it.each([
    ['https://127.0.0.1:8765/callback', /must start with http:\/\//],
    ['http://example.com:8765/callback', /must be on 127.0.0.1, \[::1\] or localhost/],
    ['http://127.0.0.1/callback', /needs an explicit port/],
    ['not a url', /not a valid URL/],
  ])('refuses the redirect URI %s (exit 2)', async (uri, message) => {
    world = await oauthWorld({ setup: false });
    const r = await world.sb.run(['oauth', 'setup', '--client-id', 'x', '--redirect-uri', uri], { input: 'secret' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('refuses a client Wise does not accept, and stores nothing', async () => {
    world = await oauthWorld({ setup: false });
    const r = await world.sb.run(
      ['oauth', 'setup', '--client-id', world.mock.clientId, '--redirect-uri', world.redirectUri],
      {
        input: 'wrong-secret',
      },
    );
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('nothing was stored');
    const status = JSON.parse((await world.sb.run(['--json', 'auth', 'status', '--offline'])).stdout);
    expect(status.accounts).toEqual([]);
  });

  it('an empty client secret is exit 2', async () => {
    world = await oauthWorld({ setup: false });
    const r = await world.sb.run(['oauth', 'setup', '--client-id', 'x', '--redirect-uri', world.redirectUri], {
      input: '\n',
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('client secret is empty');
  });
});

describe('the consent page override', () => {
  it('WISE_AUTHORIZE_URL is used as given', async () => {
    world = await oauthWorld();
    const run = startWise(world.sb, ['oauth', 'authorize', '--no-browser', '--timeout', '20'], {
      WISE_AUTHORIZE_URL: `${world.mock.url}/oauth/authorize`,
    });
    expect(await run.consentUrl).toMatch(new RegExp(`^${world.mock.url}/oauth/authorize\\?client_id=`));
    await decide(await run.consentUrl, 'approve');
    expect((await run.done).code).toBe(0);
  });

  it('a plain-http WISE_AUTHORIZE_URL off loopback is refused (exit 2)', async () => {
    world = await oauthWorld();
    const r = await world.sb.run(['oauth', 'authorize', '--no-browser'], {
      env: { WISE_AUTHORIZE_URL: 'http://wise.example/oauth/authorize' },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('WISE_AUTHORIZE_URL must use https://');
  });
});

describe('wise oauth authorize without a client', () => {
  it('exits 4 and says how to set one up', async () => {
    world = await oauthWorld({ setup: false });
    const r = await world.sb.run(['oauth', 'authorize', '--no-browser']);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('wise oauth setup');
  });
});
