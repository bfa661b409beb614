/**
 * The in-process runner (test/helpers/in-process.ts) is what most command tests use: it must give what a spawned
 * `bin/wise` gives. Each command line below runs both ways against the same emulator and account, and the exit code,
 * stdout and stderr must be the same, byte for byte but for the ids made anew for each request: help, the version,
 * usage errors, API answers, API errors, --json.
 */
import { describe, expect, it } from 'vitest';
import { useEmulatorAndSandbox } from '../helpers/mock.js';

const w = useEmulatorAndSandbox({
  mode: 'in-process',
  setUp: async (mock, sb) => {
    const add = await sb.run(['token', 'add'], { input: mock.personalToken });
    if (add.code !== 0) throw new Error(add.stderr);
  },
});

const LINES = [
  ['--version'],
  ['--help'],
  ['profiles', 'list', '--help'],
  ['nonsense'],
  ['profiles', 'list', '--bogus'],
  ['--json', 'profiles', 'list', '--bogus'],
  ['profiles', 'list'],
  ['--json', 'profiles', 'list'],
  ['balances', 'list', '--profile-id', '2001'],
  ['api', '/v1/me'],
  ['api', '/v1/transfers/999999999'],
  ['--json', 'api', '/v1/transfers/999999999'],
  ['recipients', 'list', '--profile-id', '2001', '--format', 'csv'],
  ['auth', 'status'],
  ['--account', 'nobody', 'profiles', 'list'],
];

/** Ids made anew for each request (correlation and trace ids) are the only thing allowed to differ. */
const sameIds = (r: { code: number; stdout: string; stderr: string }) => {
  const ids = (t: string) =>
    t
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>')
      .replace(/\b[0-9a-f]{16}\b/g, '<trace>');
  return { code: r.code, stdout: ids(r.stdout), stderr: ids(r.stderr) };
};

describe('in-process runs are what a spawned bin/wise gives', () => {
  it.each(LINES.map((args) => [args.join(' '), args]))('wise %s', async (_, args) => {
    const spawned = await w.sb.run(args as string[], { spawn: true });
    const inProcess = await w.sb.run(args as string[]);
    expect(sameIds(inProcess)).toEqual(sameIds(spawned));
  });
});
