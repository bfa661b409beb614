import { readdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
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
      [
        [
          '--debug',
          'api',
          '/v1/profiles/2001/balance-statements/3001/statement.json?currency=EUR&intervalStart=2026-06-01T00:00:00.000Z&intervalEnd=2026-11-30T23:59:59.999Z',
        ],
      ],
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

  it('redacts a Location with a code, and a form body sent with -d, whatever its declared type', async () => {
    const received: string[] = [];
    const server = createServer((req, res) => {
      received.push(String(req.headers['content-type']));
      req.resume();
      res.writeHead(302, { location: 'http://127.0.0.1:8765/callback?code=code-secret-987654&state=st' }).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const form = 'grant_type=refresh_token&refresh_token=rt-secret-987654';
    try {
      const env = { WISE_API_URL: url, WISE_TOKEN: 'env-token-987654' };
      const plain = await world.sb.run(['--debug', 'api', '/oauth/token', '-d', form], { env });
      const labelled = await world.sb.run(
        ['--debug', 'api', '/oauth/token', '-H', 'Content-Type: application/json', '-d', form],
        { env },
      );
      const json = await world.sb.run(['--debug', 'api', '/x', '-d', '{"refresh_token":"rt-secret-987654"}'], { env });
      // As curl labels -d: a form unless the body parses as JSON.
      expect(received).toEqual(['application/x-www-form-urlencoded', 'application/json', 'application/json']);
      const stderr = plain.stderr + labelled.stderr + json.stderr;
      expect(stderr).toContain('< location: http://127.0.0.1:8765/callback?code=[REDACTED]&state=st');
      expect(stderr).toContain('> grant_type=refresh_token&refresh_token=[REDACTED]');
      expect(stderr).not.toMatch(/secret-987654/);
    } finally {
      server.close();
    }
  });
});
