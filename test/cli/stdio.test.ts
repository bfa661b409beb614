import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, createSandbox, type Sandbox, STACK_TRACE, WISE_BIN } from '../helpers/cli.js';

// Output is written to the descriptor directly (src/util/stdio.ts): these are the cases where a plain write(2) is not
// enough, met with a body of several megabytes from a plain HTTP server.
const BODY = Buffer.from(
  `[${Array.from({ length: 60_000 }, (_, i) => `{"id":${i},"name":"recipient ${i}"}`).join(',')}]`,
);
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** Runs a command without blocking this process, which serves the body. */
function run(file: string, args: string[]): Promise<{ status: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env: cleanEnv(sb.env), stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => {
      stderr += c;
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout: Buffer.concat(out), stderr }));
  });
}

let server: Server;
let sb: Sandbox;
beforeAll(async () => {
  server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(BODY));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  sb = await createSandbox({
    WISE_API_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    WISE_TOKEN: 'stdio-test-token-0123456789',
  });
});
afterAll(async () => {
  server.close();
  await sb.cleanup();
});

describe('standard output', () => {
  it('a large body reaches a pipe whole and in order', async () => {
    expect(BODY.byteLength).toBeGreaterThan(1_000_000);
    const r = await run(process.execPath, [WISE_BIN, 'api', '/v1/big']);
    expect(r.status).toBe(0);
    expect(sha256(r.stdout)).toBe(sha256(BODY));
  });

  it('a reader that stops early ends the run with exit 0 and nothing on stderr', async () => {
    const r = await run('bash', [
      '-o',
      'pipefail',
      '-c',
      `"${process.execPath}" "${WISE_BIN}" api /v1/big | head -c 100 >/dev/null`,
    ]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('a non-blocking pipe with a slow reader gets the whole body (the write that would block waits instead)', async () => {
    // The descriptor is made non-blocking by the parent, as a Node parent's inherited pipe can be; the reader waits
    // before it reads, so the pipe fills and write(2) answers EAGAIN.
    const script = `
import fcntl, hashlib, os, subprocess, sys, time
r, w = os.pipe()
fcntl.fcntl(w, fcntl.F_SETFL, fcntl.fcntl(w, fcntl.F_GETFL) | os.O_NONBLOCK)
p = subprocess.Popen([sys.argv[1], sys.argv[2], 'api', '/v1/big'], stdout=w, stderr=subprocess.PIPE)
os.close(w)
time.sleep(0.5)
data = b''
while True:
    chunk = os.read(r, 65536)
    if not chunk:
        break
    data += chunk
err = p.stderr.read().decode()
print(p.wait(), hashlib.sha256(data).hexdigest(), repr(err))
`;
    const r = await run('python3', ['-c', script, process.execPath, WISE_BIN]);
    expect(r.stderr).toBe('');
    const [code, digest, ...err] = r.stdout.toString('utf8').trim().split(' ');
    expect(err.join(' ')).not.toMatch(STACK_TRACE);
    expect(err.join(' ')).toBe("''");
    expect(code).toBe('0');
    expect(digest).toBe(sha256(BODY));
  });
});
