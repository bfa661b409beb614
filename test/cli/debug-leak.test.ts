import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useEmulatorAndSandbox } from '../helpers/mock.js';

const world = useEmulatorAndSandbox();

describe('--debug', () => {
  it('traces a whole session on stderr without any secret', async () => {
    const steps: [string[], string?][] = [
      [['--debug', 'token', 'add'], `${world.mock.personalToken}\n`],
      [['--debug', 'api', '/v2/profiles']],
      [['--debug', 'api', '-i', '/v1/me']],
      [['--debug', 'api', '/v1/profiles/2001/balance-statements/3001/statement.json']],
      [['--debug', 'api', '-X', 'POST', '/v3/profiles/2001/transfers/9/payments', '-d', '{"type":"BALANCE"}']],
      [['--debug', 'auth', 'status']],
      [['--debug', 'balances', 'list']],
      [['--debug', 'auth', 'token']],
      [['--debug', 'api', '/v2/profiles'], undefined],
    ];
    let stderr = '';
    for (const [args, input] of steps) {
      const result = await world.sb.run(args, input === undefined ? {} : { input });
      stderr += result.stderr;
    }
    // A rejected token, then WISE_DEBUG=1 instead of the flag.
    const wrong = await world.sb.run(['api', '/v1/me'], {
      env: { WISE_DEBUG: '1', WISE_TOKEN: 'leaky-wrong-token-987654' },
    });
    stderr += wrong.stderr;

    expect(stderr).toContain('> GET http://127.0.0.1');
    expect(stderr).toContain('> authorization: Bearer [REDACTED]');
    expect(stderr).toMatch(/< 200 OK \(\d+ ms\)/);
    expect(stderr).toContain('< 401');
    for (const secret of [
      world.mock.personalToken,
      'leaky-wrong-token-987654',
      world.sb.env.WISE_STORE_PASSPHRASE as string,
    ]) {
      expect(stderr).not.toContain(secret);
      expect(stderr).not.toContain(Buffer.from(secret).toString('base64'));
    }
    // Nor in any file the tool wrote.
    for (const name of await readdir(world.sb.configDir)) {
      const text = await readFile(join(world.sb.configDir, name), 'utf8');
      expect(text).not.toContain(world.mock.personalToken);
    }
  });
});
