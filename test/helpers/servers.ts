import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { freePort } from './oauth.js';
import { waitFor } from './wait.js';

export const haveTinyproxy = (() => {
  try {
    execFileSync('sh', ['-c', 'command -v tinyproxy'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

export interface Tls {
  cert: string;
  key: string;
  /** The certificate file, for NODE_EXTRA_CA_CERTS: the certificate is its own CA. */
  certFile: string;
}

/** A self-signed certificate for localhost and 127.0.0.1, made with openssl at test time (nothing committed). */
export async function selfSignedCert(
  dir: string,
  names: { cn: string; san: string; file?: string } = { cn: 'localhost', san: 'DNS:localhost,IP:127.0.0.1' },
): Promise<Tls> {
  const keyFile = join(dir, `${names.file ?? 'server'}.key`);
  const certFile = join(dir, `${names.file ?? 'server'}.pem`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '1',
      '-subj',
      `/CN=${names.cn}`,
      '-addext',
      `subjectAltName=${names.san}`,
    ],
    { stdio: 'ignore' },
  );
  return { cert: await readFile(certFile, 'utf8'), key: await readFile(keyFile, 'utf8'), certFile };
}

/** A plain `node:https` server on 127.0.0.1 standing in for Wise's API host. */
export async function startHttpsServer(
  tls: Tls,
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const server = createHttpsServer({ cert: tls.cert, key: tls.key }, handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface Tinyproxy {
  url: string;
  port: number;
  /** What the proxy logged: every request line (CONNECT host:port, or GET http://...) it handled. */
  log(): Promise<string>;
  stop(): Promise<void>;
}

/** Debian's tinyproxy on 127.0.0.1, in the foreground, with its log in `dir`. `connectPorts` limits CONNECT. */
export async function startTinyproxy(dir: string, options: { connectPorts?: number[] } = {}): Promise<Tinyproxy> {
  const port = await freePort();
  const logFile = join(dir, 'tinyproxy.log');
  const root = process.getuid?.() === 0;
  const conf = [
    `Port ${port}`,
    'Listen 127.0.0.1',
    'Timeout 15',
    'MaxClients 50',
    'LogLevel Connect',
    `LogFile "${logFile}"`,
    `PidFile "${join(dir, 'tinyproxy.pid')}"`,
    ...(root ? ['User root', 'Group root'] : []),
    ...(options.connectPorts ?? []).map((p) => `ConnectPort ${p}`),
  ].join('\n');
  const confFile = join(dir, 'tinyproxy.conf');
  await writeFile(confFile, `${conf}\n`);
  const child: ChildProcess = spawn('tinyproxy', ['-d', '-c', confFile], { stdio: 'ignore' });
  // Ready once it accepts connections.
  const { connect } = await import('node:net');
  await waitFor(
    () =>
      new Promise<boolean>((resolve) => {
        const s = connect(port, '127.0.0.1', () => {
          s.destroy();
          resolve(true);
        });
        s.on('error', () => resolve(false));
      }),
    'tinyproxy to accept connections',
  );
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    log: () => readFile(logFile, 'utf8').catch(() => ''),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

const openssl = (args: string[], cwd: string) => execFileSync('openssl', args, { cwd, stdio: 'ignore' });

/** An openssl CA in `dir`: `<name>.pem` and `<name>.key`, subject O=<name>, valid two days. */
export function opensslCa(dir: string, name: string): void {
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.pem`,
      '-days',
      '2',
      '-subj',
      `/O=${name}`,
    ],
    dir,
  );
}

/** A key and CSR in `dir` (`<name>.key`, `<name>.csr`, subject CN=<name>). */
export function opensslCsr(dir: string, name: string): void {
  openssl(
    ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`],
    dir,
  );
}

/** The CA `ca` signs the CSR into `out`, as Wise signs a partner's CSR; `san` adds subjectAltName entries. */
export function opensslSign(dir: string, ca: string, csr: string, out: string, san?: string): void {
  const ext = san ? join(dir, `${out}.ext`) : undefined;
  if (ext) execFileSync('sh', ['-c', `printf 'subjectAltName=%s' "$1" > "$2"`, 'sh', san as string, ext]);
  openssl(
    [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      `${ca}.pem`,
      '-CAkey',
      `${ca}.key`,
      '-CAcreateserial',
      '-out',
      out,
      '-days',
      '1',
      ...(ext ? ['-extfile', ext] : []),
    ],
    dir,
  );
}
