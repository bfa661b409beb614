import { createHash, randomBytes } from 'node:crypto';
import type { Context } from '../../context.js';
import { AuthError, CancelledError } from '../../errors.js';
import { accountSecretName } from '../../store/secret-store.js';
import { accountStore, type Target } from '../target.js';
import { authorizeUrl, checkRedirectUri, loadClient } from './client-config.js';
import { exchangeAuthorizationCode, type TokenSet, toTokenSet } from './grants.js';
import { type Callback, LoopbackReceiver, readRedirect, wrongStateWarning } from './loopback-receiver.js';
import { saveTokens } from './tokens.js';

export interface AuthorizeOptions {
  /** Only print the consent URL; do not start a browser. */
  noBrowser?: boolean;
  timeoutMs: number;
  /** Add a PKCE S256 challenge (RFC 7636). Wise does not document PKCE, so it is opt-in. */
  pkce?: boolean;
}

export interface AuthorizeResult {
  tokens: TokenSet;
  profileId?: number;
}

/** PKCE (RFC 7636): a 43-character verifier and its S256 challenge. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/**
 * The authorization_code login through a loopback redirect: listen on the registered redirect URI, send the browser
 * to the consent page with a fresh `state`, wait for the redirect, exchange the code, store the tokens.
 */
export async function authorizeWithBrowser(
  ctx: Context,
  target: Target,
  options: AuthorizeOptions,
): Promise<AuthorizeResult> {
  const client = await loadClient(ctx, target.env);
  const redirectUri = checkRedirectUri(client.redirectUri);
  const state = randomBytes(32).toString('base64url');
  const pkce = options.pkce ? pkcePair() : undefined;
  const receiver = await LoopbackReceiver.listen({ redirectUri, state, warn: (line) => ctx.io.err(line) });
  let onSigint: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    const consent = authorizeUrl(ctx, target.env);
    consent.searchParams.set('client_id', client.clientId);
    consent.searchParams.set('redirect_uri', client.redirectUri);
    consent.searchParams.set('state', state);
    consent.searchParams.set('response_type', 'code');
    if (pkce) {
      consent.searchParams.set('code_challenge', pkce.challenge);
      consent.searchParams.set('code_challenge_method', 'S256');
    }
    ctx.io.err(
      `Open this page in your browser to let wise use your Wise account (${target.env}):\n\n  ${consent.href}\n`,
    );
    if (!options.noBrowser && !(await ctx.openBrowser(consent.href))) {
      ctx.io.err('No browser could be started: open the page above yourself.');
    }
    // A browser on another machine (wise over SSH) is sent back to the redirect URI on its own machine, where
    // nothing listens: its address can be pasted here, or the port forwarded.
    const remote = options.noBrowser || Boolean(ctx.env.SSH_CONNECTION || ctx.env.SSH_TTY);
    const paste = options.noBrowser || ctx.io.stdinIsTTY ? ctx.io.stdinLines() : undefined;
    if (remote) {
      ctx.io.err(
        `After you approve, Wise sends the browser to ${client.redirectUri}. A browser on another machine cannot reach ` +
          `this one there: forward the port first (ssh -L ${redirectUri.port}:${redirectUri.hostname}:${redirectUri.port} ` +
          `<this host>)${paste ? ', or paste the address the browser ends on here and press Enter' : ''}.\n`,
      );
    }
    const spinner =
      paste && ctx.io.stdinIsTTY ? { stop() {} } : ctx.io.spinner(`Waiting for approval on ${client.redirectUri}`);
    let callback: Callback;
    try {
      callback = await Promise.race([
        receiver.next(),
        ...(paste ? [pastedRedirect(paste.lines, redirectUri, state, (line) => ctx.io.err(line))] : []),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(timedOut(options.timeoutMs, client.clientId, client.redirectUri, remote, redirectUri)),
            options.timeoutMs,
          );
        }),
        new Promise<never>((_, reject) => {
          onSigint = () => reject(new CancelledError('Login cancelled.'));
          process.once('SIGINT', onSigint);
        }),
      ]);
    } finally {
      spinner.stop();
      paste?.close();
    }
    // The browser that came back waits for its result page; a pasted address has nobody waiting.
    const settled = () => (callback.pasted ? Promise.resolve() : receiver.settled(2000));

    if (callback.error || !callback.code) {
      callback.respond(
        false,
        `Wise reported: ${callback.error}${callback.errorDescription ? ` (${callback.errorDescription})` : ''}.`,
      );
      await settled();
      throw new AuthError(
        `The login was not completed: Wise answered ${callback.error}${callback.errorDescription ? `: ${callback.errorDescription}` : ''}.`,
        {
          hint: 'Run `wise oauth authorize` again and approve access on the consent page.',
          details: { oauthError: callback.error },
        },
      );
    }
    ctx.redactor.add(callback.code);
    let tokens: TokenSet;
    try {
      const response = await exchangeAuthorizationCode(
        ctx.client(target.env),
        client,
        callback.code,
        client.redirectUri,
        pkce?.verifier,
      );
      tokens = toTokenSet(response, ctx.clock.now());
    } catch (error) {
      callback.respond(false, 'wise could not exchange the authorization code. See your terminal for details.');
      await settled();
      throw error;
    }
    const profileId = callback.profileId && /^\d+$/.test(callback.profileId) ? Number(callback.profileId) : undefined;
    await storeOAuthLogin(ctx, target, tokens, { grant: 'authorization_code', ...(profileId ? { profileId } : {}) });
    callback.respond(true, 'wise has stored your login. You can close this page and return to your terminal.');
    await settled();
    return { tokens, ...(profileId ? { profileId } : {}) };
  } finally {
    clearTimeout(timer);
    if (onSigint) process.removeListener('SIGINT', onSigint);
    await receiver.close();
  }
}

/**
 * The redirect's address pasted on the terminal (from a browser that could not reach this machine), checked as the
 * listener checks it: this login's `state`, a code or an error. Anything else is said and the wait goes on; the end
 * of standard input leaves the listener to it.
 */
async function pastedRedirect(
  lines: AsyncIterable<string>,
  redirectUri: URL,
  state: string,
  warn: (line: string) => void,
): Promise<Callback> {
  for await (const raw of lines) {
    const line = raw.trim();
    if (!line) continue;
    let url: URL | undefined;
    try {
      url = new URL(line);
    } catch {
      url = undefined;
    }
    if (!url || url.origin !== redirectUri.origin || url.pathname !== redirectUri.pathname) {
      warn(
        `That is not an address of ${redirectUri.href}: paste the whole address the browser ended on (it starts so).`,
      );
      continue;
    }
    const read = readRedirect(url, state);
    if ('fields' in read) return { ...read.fields, pasted: true, respond: () => {} };
    warn(
      read.refused === 'state'
        ? wrongStateWarning(url.searchParams.get('state'))
        : 'That address carries neither a code nor an error; still waiting.',
    );
  }
  return new Promise<never>(() => {});
}

/** Nobody approved in time: what to do, by what most likely happened. */
function timedOut(timeoutMs: number, clientId: string, uri: string, remote: boolean, redirectUri: URL): AuthError {
  const hints = [
    `Run \`wise oauth authorize\` again when you are ready to approve (\`--timeout <seconds>\` waits longer than ${timeoutMs / 1000} s).`,
  ];
  if (remote) {
    hints.push(
      `If the browser ended on a page that would not load, it is on another machine: paste that address at the prompt next time, or forward the port (ssh -L ${redirectUri.port}:${redirectUri.hostname}:${redirectUri.port} <this host>).`,
    );
  }
  hints.push(
    `If Wise showed an error instead of asking for approval, the redirect URI registered with Wise for client ${clientId} must equal the one set up here, character for character: set up here: ${uri} (change ours with \`wise oauth setup\`).`,
  );
  return new AuthError(`The login timed out after ${timeoutMs / 1000} s: the browser never came back to ${uri}.`, {
    hint: hints.join('\n'),
    details: { reason: 'timeout', redirectUri: uri },
  });
}

/** Stores an OAuth login for the account: tokens to the secret store, the rest (never a secret) to config. */
export async function storeOAuthLogin(
  ctx: Context,
  target: Target,
  tokens: TokenSet,
  meta: { grant: 'authorization_code' | 'registration_code'; profileId?: number; email?: string; userId?: number },
): Promise<void> {
  ctx.redactor.add(tokens.accessToken);
  ctx.redactor.add(tokens.refreshToken);
  const store = await accountStore(ctx, target);
  await saveTokens(store, target, tokens);
  // An OAuth login replaces a personal token of the same account and environment.
  await store.delete(accountSecretName(target.account, target.env, 'personal-token'));
  await ctx.config.update((config) => {
    config.accounts[target.account] ??= { env: target.env, credentials: {} };
    const entry = config.accounts[target.account];
    if (!entry) return;
    entry.env = target.env;
    entry.store = store.backend;
    entry.credentials[target.env] = {
      type: 'oauth',
      addedAt: new Date(ctx.clock.now()).toISOString(),
      grant: meta.grant,
      ...(meta.profileId !== undefined ? { profileId: meta.profileId } : {}),
      ...(meta.email ? { email: meta.email } : {}),
      ...(meta.userId !== undefined ? { userId: meta.userId } : {}),
    };
    config.defaultAccount ??= target.account;
  });
}
