import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PortInUseError, WiseError } from '../../errors.js';

/** What the browser brought back to the redirect URI. */
export interface Callback {
  code?: string;
  profileId?: string;
  error?: string;
  errorDescription?: string;
  /** Answers the waiting browser: a redirect to a plain result page, so the code leaves the address bar. */
  respond(ok: boolean, message: string): void;
  /** Pasted on the terminal: no browser waits for an answer. */
  pasted?: boolean;
}

type Fields = Omit<Callback, 'respond' | 'pasted'>;

/**
 * The checks of a redirect to the redirect URI, the same for the listener and for an address pasted on the
 * terminal: the right `state` (else it is not this login's), and a code or an error. The fields, or why not.
 */
export function readRedirect(url: URL, state: string): { fields: Fields } | { refused: 'state' | 'empty' } {
  if (url.searchParams.get('state') !== state) return { refused: 'state' };
  const code = url.searchParams.get('code') ?? undefined;
  const error = url.searchParams.get('error') ?? undefined;
  if (!code && !error) return { refused: 'empty' };
  const profileId = url.searchParams.get('profileId') ?? undefined;
  const errorDescription = url.searchParams.get('error_description') ?? undefined;
  return {
    fields: {
      ...(code ? { code } : {}),
      ...(profileId ? { profileId } : {}),
      ...(error ? { error } : {}),
      ...(errorDescription ? { errorDescription } : {}),
    },
  };
}

/** The warning for a redirect with another login's state (or none). */
export const wrongStateWarning = (state: string | null) =>
  `warning: refused a request to the redirect URI with ${state ? 'a wrong' : 'no'} state; still waiting for the real one.`;

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

/**
 * The addresses to bind for a redirect URI's host: exactly that loopback address, and for `localhost` both
 * 127.0.0.1 and ::1, since browsers may resolve it to either (Chromium tries ::1 first): a port left free on one
 * of them would let any local process receive the code.
 */
export function bindAddresses(redirectUri: URL): string[] {
  const host = redirectUri.hostname.toLowerCase();
  if (host === '[::1]') return ['::1'];
  if (host === 'localhost') return ['127.0.0.1', '::1'];
  return ['127.0.0.1'];
}

/** Listens on one address; a busy port is an error that names it. */
function listenOn(server: Server, host: string, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        reject(
          new PortInUseError(
            host,
            port,
            'the OAuth redirect cannot be received',
            `Stop the program listening on port ${port} (\`ss -ltnp 'sport = :${port}'\` shows it), or register another loopback redirect URI with Wise and run \`wise oauth setup\`.`,
          ),
        );
      } else if (error.code === 'EADDRNOTAVAIL' || error.code === 'EAFNOSUPPORT') {
        reject(
          new WiseError(`Cannot listen on ${host}: this machine has no such loopback address.`, {
            details: { reason: 'no_address', host, port },
          }),
        );
      } else {
        reject(error);
      }
    });
    server.listen(port, host, () => resolve());
  });
}

/**
 * Receives the OAuth redirect on the registered loopback host, port and path, and nowhere else. Other paths get
 * 404; a callback with a missing or wrong `state` gets 400 and the receiver keeps waiting. The first valid callback
 * is handed over; the browser waits for `respond()`, then is redirected to a result page without the code in it.
 */
export class LoopbackReceiver {
  readonly #servers: Server[];
  readonly #options: LoopbackReceiverOptions;
  /** Settled by the first valid callback, which may come before anyone asks for it. */
  readonly #callback: Promise<Callback>;
  #deliver: (callback: Callback) => void = () => {};
  #handedOver = false;
  #result: { ok: boolean; message: string } | undefined;
  #resultServed: Promise<void>;
  #markServed: () => void = () => {};

  private constructor(servers: Server[], options: LoopbackReceiverOptions) {
    this.#servers = servers;
    this.#options = options;
    this.#resultServed = new Promise((resolve) => {
      this.#markServed = resolve;
    });
    this.#callback = new Promise((resolve) => {
      this.#deliver = resolve;
    });
  }

  static async listen(options: LoopbackReceiverOptions): Promise<LoopbackReceiver> {
    const port = Number(options.redirectUri.port);
    const hosts = bindAddresses(options.redirectUri);
    const servers: Server[] = [];
    const receiver = new LoopbackReceiver(servers, options);
    try {
      for (const host of hosts) {
        const server = createServer((req, res) => receiver.handle(req, res));
        try {
          await listenOn(server, host, port);
        } catch (error) {
          // `localhost` on a machine without IPv6: browsers cannot reach ::1 there either.
          const noIpv6 = host === '::1' && hosts.length > 1 && (error as WiseError).details?.reason === 'no_address';
          if (noIpv6) continue;
          throw error;
        }
        servers.push(server);
      }
    } catch (error) {
      await receiver.close();
      throw error;
    }
    return receiver;
  }

  /** The addresses listened on, e.g. `127.0.0.1:8765`. */
  get addresses(): AddressInfo[] {
    return this.#servers.map((server) => server.address() as AddressInfo);
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

  async close(): Promise<void> {
    await Promise.all(
      this.#servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      ),
    );
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const html = (status: number, title: string, body: string) =>
      res
        .writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
        .end(page(title, body));
    let url: URL;
    try {
      // Any web page can make the browser send a request here; one that is not even a URL is refused, and the wait
      // goes on.
      url = new URL(`http://loopback${(req.url ?? '/').startsWith('/') ? '' : '/'}${req.url ?? '/'}`);
    } catch {
      html(400, 'Bad request', 'This request is not one that wise can read.');
      return;
    }

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
    const read = readRedirect(url, this.#options.state);
    if ('refused' in read && read.refused === 'state') {
      this.#options.warn(wrongStateWarning(url.searchParams.get('state')));
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
    if ('refused' in read) {
      html(400, 'Invalid login response', 'The response carries neither a code nor an error.');
      return;
    }
    this.#handedOver = true;
    this.#deliver({
      ...read.fields,
      respond: (ok, message) => {
        this.#result = { ok, message };
        res.writeHead(302, { location: DONE_PATH, 'cache-control': 'no-store' }).end();
      },
    });
  }
}
