/** `wise mock --detach`: back once the emulator listens, with its lines, its pid and its log; a failure is reported. */
import { readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('wise mock --detach', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await createSandbox();
  });
  afterAll(() => sb.cleanup());

  it('returns once the emulator answers, printing its lines, pid and log; kill <pid> stops it', async () => {
    const r = await sb.run(['mock', '--port', '0', '--detach']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const field = (name: string) => lines.find((l) => l.startsWith(`${name} `))?.slice(name.length + 1) as string;
    expect(lines[0]).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const pid = Number(field('pid'));
    expect(alive(pid)).toBe(true);
    try {
      // No waiting: it answers as soon as the command is back.
      const me = await fetch(`${lines[0]}/v1/me`, { headers: { authorization: `Bearer ${field('personal-token')}` } });
      expect(me.status).toBe(200);
      expect(field('client-id')).toBe('wise-mock-partner');
      expect(r.stderr).toContain(`kill ${pid}`);
      // The log is the emulator's stderr; its lines (a token, a secret) are not left in a file beside it.
      expect(readdirSync(dirname(field('log')))).toEqual(['emulator.log']);
    } finally {
      process.kill(pid, 'SIGTERM');
    }
    await waitFor(() => !alive(pid), 'the emulator to stop');
  });

  it('an emulator that cannot start is reported with its own message and exit code', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const busy = await sb.run(['mock', '--port', String(port), '--detach']);
      expect(busy.code).toBe(1);
      expect(busy.stderr).toContain(`Port ${port} on 127.0.0.1 is already in use`);
      expect(busy.stdout).toBe('');
    } finally {
      taken.close();
    }
    const bad = await sb.run(['mock', '--detach', '--token-ttl', 'soon']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--token-ttl must be a whole number of seconds');
  });
});
