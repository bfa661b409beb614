import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSandbox, STACK_TRACE } from '../helpers/cli.js';
import { expectContractViolation } from '../helpers/contract.js';
import { useEmulatorAndSandbox } from '../helpers/mock.js';

const world = useEmulatorAndSandbox();

interface Case {
  name: string;
  args: string[];
  code: number;
  message: RegExp;
  input?: string;
  env?: Record<string, string | undefined>;
  /** `wise api` prints Wise's body on stdout on an error status too, as `gh api` does. */
  stdout?: RegExp;
}

const cases: Case[] = [
  { name: 'unknown option', args: ['--bogus'], code: 2, message: /unknown option '--bogus'/i },
  { name: 'unknown command', args: ['frobnicate'], code: 2, message: /unknown command 'frobnicate'/i },
  // A command three deep reports its usage errors as the others do.
  {
    name: 'unknown option, three deep',
    args: ['sca', 'pin', 'delete', '--bogus'],
    code: 2,
    message: /Unknown option '--bogus'/,
  },
  { name: 'bad --env', args: ['--env', 'staging', 'auth', 'token'], code: 2, message: /staging/ },
  { name: 'bad WISE_ENV', args: ['auth', 'token'], env: { WISE_ENV: 'live' }, code: 2, message: /WISE_ENV must be/ },
  { name: 'api without a path', args: ['api'], code: 2, message: /missing required argument 'path'/i },
  { name: 'api with a full URL', args: ['api', 'https://evil.example/v2/profiles'], code: 2, message: /not a URL/ },
  { name: 'api with a bad header', args: ['api', '/v2/profiles', '-H', 'nocolon'], code: 2, message: /Bad header/ },
  {
    name: 'api with a missing body file',
    args: ['api', '/v1/x', '-d', '@/nonexistent/body.json'],
    code: 2,
    message: /Cannot read the request body file/,
  },
  {
    name: 'api with a bad method',
    args: ['api', '/v2/profiles', '-X', 'FROB'],
    code: 2,
    message: /Unknown HTTP method/,
  },
  {
    name: 'plain http API URL',
    args: ['--api-url', 'http://example.com', 'api', '/v2/profiles'],
    env: { WISE_TOKEN: 'tok-123456789' },
    code: 2,
    message: /must use https/,
  },
  {
    name: 'bad account name',
    args: ['--account', 'bad name', 'auth', 'token'],
    code: 2,
    message: /not a valid account name/,
  },
  {
    name: 'no credentials',
    args: ['auth', 'token'],
    code: 4,
    message: /No credentials for account "default" in sandbox/,
  },
  {
    name: 'switch to an unknown account',
    args: ['auth', 'switch', 'nobody'],
    code: 2,
    message: /no account named "nobody"/,
  },
  { name: 'empty token', args: ['token', 'add'], input: '\n', code: 2, message: /token is empty/ },
  { name: 'multi-line token', args: ['token', 'add'], input: 'abc123\ndef456\n', code: 2, message: /several lines/ },
  {
    name: 'no token on stdin',
    args: ['token', 'add', '--stdin'],
    input: '',
    code: 2,
    message: /No token on standard input/,
  },
  {
    name: 'token Wise rejects',
    args: ['token', 'add'],
    input: 'not-a-real-token\n',
    code: 4,
    message: /rejected this token in sandbox \(401\); it was not stored/,
  },
  {
    name: 'token rejected by the API',
    args: ['api', '/v2/profiles'],
    env: { WISE_TOKEN: 'wrong-token-123' },
    code: 4,
    message: /401/,
    stdout: /^\{"error":"invalid_token"/,
  },
  {
    name: 'unknown API path',
    args: ['api', '/v9/nothing'],
    env: { WISE_TOKEN: '@mock' },
    code: 3,
    message: /404 Not Found: NOT_FOUND/,
    stdout: /^\{"errors":\[\{"code":"NOT_FOUND"/,
  },
  {
    name: 'connection refused',
    args: ['--api-url', 'http://127.0.0.1:9', 'api', '/v2/profiles'],
    env: { WISE_TOKEN: 'tok-123456789' },
    code: 6,
    message: /connection refused/,
  },
  {
    name: 'unknown store',
    args: ['token', 'add'],
    input: 'tok-123456789\n',
    env: { WISE_STORE: 'vault' },
    code: 2,
    message: /Unknown secret store/,
  },
  {
    name: 'file store without passphrase',
    args: ['token', 'add', '--no-verify'],
    input: 'tok-123456789\n',
    env: { WISE_STORE_PASSPHRASE: undefined },
    code: 7,
    message: /needs a passphrase/,
  },
  {
    name: 'non-ASCII token',
    args: ['token', 'add', '--no-verify'],
    input: 'tok-123456789\u00e9\n',
    code: 2,
    message: /token contains spaces, control characters or non-ASCII characters/,
  },
  {
    // 50 MB: refused after the first few KiB, never read whole.
    name: 'token on stdin larger than any Wise token',
    args: ['token', 'add', '--no-verify'],
    input: 'a'.repeat(50 * 1024 * 1024),
    code: 2,
    message: /Standard input holds more than 8194 bytes/,
  },
  {
    name: 'client secret on stdin larger than any Wise secret',
    args: ['oauth', 'setup', '--client-id', 'x', '--redirect-uri', 'http://127.0.0.1:8765/cb', '--no-verify'],
    input: 'a'.repeat(64 * 1024),
    code: 2,
    message: /Standard input holds more than/,
  },
  {
    name: 'WISE_TOKEN with a space',
    args: ['auth', 'token'],
    env: { WISE_TOKEN: 'tok 123456789' },
    code: 2,
    message: /value of WISE_TOKEN contains spaces/,
  },
  {
    name: 'WISE_TOKEN with a control character',
    args: ['api', '/v2/profiles'],
    env: { WISE_TOKEN: 'tok-123456789\u001b[2J' },
    code: 2,
    message: /value of WISE_TOKEN contains spaces, control characters/,
  },
  {
    name: 'WISE_TOKEN with non-ASCII',
    args: ['api', '/v2/profiles'],
    env: { WISE_TOKEN: 'tok-123456789\u00e9' },
    code: 2,
    message: /value of WISE_TOKEN contains .*non-ASCII/,
  },
  {
    name: 'WISE_TOKEN over 8 KiB',
    args: ['auth', 'token'],
    env: { WISE_TOKEN: 'a'.repeat(9000) },
    code: 2,
    message: /value of WISE_TOKEN is longer than 8192 characters/,
  },
  {
    name: 'WISE_CLIENT_SECRET with a line break',
    args: ['auth', 'token'],
    env: { WISE_CLIENT_ID: 'id', WISE_CLIENT_SECRET: 'abc123\ndef456', WISE_REFRESH_TOKEN: 'refresh-123456' },
    code: 2,
    message: /value of WISE_CLIENT_SECRET spans several lines/,
  },
  {
    name: 'API path with a backslash',
    args: ['api', '/v1\\me'],
    env: { WISE_TOKEN: 'tok-123456789' },
    code: 2,
    message: /no spaces, control characters or backslashes/,
  },
  { name: 'bad mock port', args: ['mock', '--port', 'abc'], code: 2, message: /--port must be a number/ },
  { name: 'unknown completion shell', args: ['completion', 'tcsh'], code: 2, message: /tcsh/ },
];

describe('bad input gets a clear message and the documented exit code', () => {
  it.each(cases)('$name → exit $code', async (c) => {
    if (c.args.includes('/v9/nothing')) expectContractViolation(/GET \/v9\/nothing: no operation/);
    const env = { ...c.env };
    if (env.WISE_TOKEN === '@mock') env.WISE_TOKEN = world.mock.personalToken;
    const result = await world.sb.run(c.args, { env, ...(c.input !== undefined ? { input: c.input } : {}) });
    expect(result.stderr).toMatch(c.message);
    expect(result.code).toBe(c.code);
    expect(result.stderr).toMatch(/^error: /);
    expect(result.stderr).not.toMatch(STACK_TRACE);
    if (c.stdout) expect(result.stdout).toMatch(c.stdout);
    else expect(result.stdout).toBe('');
  });

  it.each(cases)('$name → one JSON error object with --json', async (c) => {
    if (c.args.includes('/v9/nothing')) expectContractViolation(/GET \/v9\/nothing: no operation/);
    const env = { ...c.env };
    if (env.WISE_TOKEN === '@mock') env.WISE_TOKEN = world.mock.personalToken;
    const result = await world.sb.run(['--json', ...c.args], {
      env,
      ...(c.input !== undefined ? { input: c.input } : {}),
    });
    expect(result.code).toBe(c.code);
    const parsed = JSON.parse(result.stderr) as { error: { code: string; message: string; hint: string } };
    expect(parsed.error.message).toMatch(c.message);
    expect(typeof parsed.error.code).toBe('string');
    expect(typeof parsed.error.hint).toBe('string');
  });
});

describe('stored state', () => {
  it('a damaged config is reported with its path and left untouched', async () => {
    const s = await createSandbox();
    try {
      await mkdir(s.configDir, { recursive: true });
      const path = join(s.configDir, 'config.json');
      const damaged = '{"version": 1, "accounts": {"default": ';
      await writeFile(path, damaged);
      for (const args of [
        ['auth', 'status', '--offline'],
        ['token', 'add', '--no-verify'],
        ['logout', '--all'],
      ]) {
        const result = await s.run(args, { input: 'tok-123456789\n' });
        expect(result.code).toBe(1);
        expect(result.stderr).toContain(`The config file ${path} is damaged`);
        expect(result.stderr).not.toMatch(STACK_TRACE);
      }
      expect(await readFile(path, 'utf8')).toBe(damaged);
    } finally {
      await s.cleanup();
    }
  });

  it('a wrong passphrase for the file store exits 7 and keeps the store', async () => {
    const s = await createSandbox({ WISE_API_URL: world.mock.url });
    try {
      expect((await s.run(['token', 'add'], { input: `${world.mock.personalToken}\n` })).code).toBe(0);
      const before = await readFile(join(s.configDir, 'secrets.enc'));
      const result = await s.run(['auth', 'token'], { env: { WISE_STORE_PASSPHRASE: 'not-the-passphrase' } });
      expect(result.code).toBe(7);
      expect(result.stderr).toMatch(/Wrong passphrase for the encrypted secret store/);
      expect(await readFile(join(s.configDir, 'secrets.enc'))).toEqual(before);
      expect((await s.run(['auth', 'token'])).stdout).toBe(`${world.mock.personalToken}\n`);
    } finally {
      await s.cleanup();
    }
  });
});
