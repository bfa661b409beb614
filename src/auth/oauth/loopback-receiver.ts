import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WiseError } from '../../errors.js';

/** What the browser brought back to the redirect URI. */
export interface Callback {
  code?: string;
  profileId?: string;
  error?: string;
  errorDescription?: string;
  /** Answers the waiting browser: a redirect to a plain result page, so the code leaves the address bar. */
  respond(ok: boolean, message: string): void;
}

export interface LoopbackReceiverOptions {
  redirectUri: URL;
  /** The `state` sent to the consent page; callbacks without it are refused and never exchanged. */
  state: string;
  /** Warnings for the terminal (e.g. a refused callback). */
  warn: (line: string) => void;
}

const DONE_PATH = '/wise-cli/done';

function page(title: string, body: string): string {
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)}</title></head><body style="font-family:sans-serif;max-width:40em;margin:4em auto"><h1>${esc(title)}</h1><p>${esc(body)}</p></body></html>`;
}

/** The address to bind for a redirect URI's host: exactly that loopback address (`localhost` binds 127.0.0.1). */
export function bindAddress(redirectUri: URL): string {
  const host = redirectUri.hostname.toLowerCase();
  if (host === '[::1]') return '::1';
  return '127.0.0.1';
}

/**
 * Receives the OAuth redirect on the registered loopback host, port and path, and nowhere else. Other paths get
 * 404; a callback with a missing or wrong `state` gets 400 and the receiver keeps waiting. The first valid callback
 * is handed over; the browser waits for `respond()`, then is redirected to a result page without the code in it.
 */
export class LoopbackReceiver {
  readonly #server: Server;
  readonly #options: LoopbackReceiverOptions;
  /** Settled by the first valid callback, which may come before anyone asks for it. */
  readonly #callback: Promise<Callback>;
  #deliver: (callback: Callback) => void = () => {};
  #handedOver = false;
  #result: { ok: boolean; message: string } | undefined;
  #resultServed: Promise<void>;
  #markServed: () => void = () => {};

  private constructor(server: Server, options: LoopbackReceiverOptions) {
    this.#server = server;
    this.#options = options;
    this.#resultServed = new Promise((resolve) => {
      this.#markServed = resolve;
    });
    this.#callback = new Promise((resolve) => {
      this.#deliver = resolve;
    });
  }

  static async listen(options: LoopbackReceiverOptions): Promise<LoopbackReceiver> {
    let receiver: LoopbackReceiver | undefined;
    const server = createServer((req, res) => receiver?.handle(req, res));
    receiver = new LoopbackReceiver(server, options);
    const host = bindAddress(options.redirectUri);
    const port = Number(options.redirectUri.port);
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'EADDRINUSE') {
          reject(
            new WiseError(`Port ${port} on ${host} is already in use, so the OAuth redirect cannot be received.`, {
              hint: `Stop the program listening on port ${port} (\`ss -ltnp 'sport = :${port}'\` shows it), or register another loopback redirect URI with Wise and run \`wise oauth setup\`.`,
            }),
          );
        } else if (error.code === 'EADDRNOTAVAIL' || error.code === 'EAFNOSUPPORT') {
          reject(new WiseError(`Cannot listen on ${host}: this machine has no such loopback address.`));
        } else {
          reject(error);
        }
      });
      server.listen(port, host, () => resolve());
    });
    return receiver;
  }

  get address(): AddressInfo {
    return this.#server.address() as AddressInfo;
  }

  /** Resolves with the first callback that carries the right `state`. */
  next(): Promise<Callback> {
    return this.#callback;
  }

  /** Resolves when the browser has fetched the result page, or after `ms`. */
  async settled(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.#resultServed, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
    clearTimeout(timer);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://loopback');
    const html = (status: number, title: string, body: string) =>
      res
        .writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
        .end(page(title, body));

    if (url.pathname === DONE_PATH && this.#result) {
      const { ok, message } = this.#result;
      html(200, ok ? 'You are logged in to wise' : 'The login was not completed', message);
      this.#markServed();
      return;
    }
    if (url.pathname !== this.#options.redirectUri.pathname || req.method !== 'GET') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found\n');
      return;
    }
    const state = url.searchParams.get('state');
    if (state !== this.#options.state) {
      this.#options.warn(
        `warning: refused a request to the redirect URI with ${state ? 'a wrong' : 'no'} state; still waiting for the real one.`,
      );
      html(
        400,
        'Invalid login response',
        'This response does not belong to the login that wise is waiting for. Return to your terminal.',
      );
      return;
    }
    if (this.#handedOver) {
      html(400, 'Already completed', 'This login has already been handled. Return to your terminal.');
      return;
    }
    const code = url.searchParams.get('code') ?? undefined;
    const error = url.searchParams.get('error') ?? undefined;
    if (!code && !error) {
      html(400, 'Invalid login response', 'The response carries neither a code nor an error.');
      return;
    }
    this.#handedOver = true;
    const profileId = url.searchParams.get('profileId') ?? undefined;
    const errorDescription = url.searchParams.get('error_description') ?? undefined;
    this.#deliver({
      ...(code ? { code } : {}),
      ...(profileId ? { profileId } : {}),
      ...(error ? { error } : {}),
      ...(errorDescription ? { errorDescription } : {}),
      respond: (ok, message) => {
        this.#result = { ok, message };
        res.writeHead(302, { location: DONE_PATH, 'cache-control': 'no-store' }).end();
      },
    });
  }
}
