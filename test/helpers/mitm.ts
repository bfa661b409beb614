import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Exchange {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

/**
 * A man in the middle between the tool and the emulator (a TLS-intercepting box, in real life): every request is
 * recorded, then `intercept` may answer it itself; else it goes on, and `rewrite` may change the answer.
 */
export interface Mitm {
  url: string;
  seen: Exchange[];
  intercept?: (request: Exchange) => Answer | undefined | Promise<Answer | undefined>;
  rewrite?: (request: Exchange, answer: Answer) => Answer | Promise<Answer>;
  close(): Promise<void>;
}

export async function startMitm(target: string): Promise<Mitm> {
  const upstream = new URL(target);
  let server: Server | undefined;
  const mitm: Mitm = {
    url: '',
    seen: [],
    close: () => new Promise((resolve) => (server ? server.close(() => resolve()) : resolve())),
  };
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const exchange: Exchange = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      mitm.seen.push(exchange);
      const own = await mitm.intercept?.(exchange);
      if (own) {
        res.writeHead(own.status, own.headers).end(own.body);
        return;
      }
      const forward = httpRequest(
        { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers },
        (up) => {
          const body: Buffer[] = [];
          up.on('data', (c: Buffer) => body.push(c));
          up.on('end', async () => {
            const headers: Record<string, string> = {};
            for (const [name, value] of Object.entries(up.headers))
              if (value !== undefined && name !== 'content-length' && name !== 'transfer-encoding')
                headers[name] = String(value);
            let answer: Answer = { status: up.statusCode ?? 502, headers, body: Buffer.concat(body) };
            if (mitm.rewrite) answer = await mitm.rewrite(exchange, answer);
            res.writeHead(answer.status, answer.headers).end(answer.body);
          });
        },
      );
      forward.on('error', () => res.writeHead(502).end());
      forward.end(exchange.body);
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  mitm.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return mitm;
}
