import { createHash, randomBytes } from 'node:crypto';
import type { Context } from '../../context.js';
import { AuthError, CancelledError } from '../../errors.js';
import { accountSecretName } from '../../store/secret-store.js';
import { accountStore, type Target } from '../target.js';
import { authorizeUrl, checkRedirectUri, loadClient } from './client-config.js';
import { exchangeAuthorizationCode, type TokenSet, toTokenSet } from './grants.js';
import { type Callback, LoopbackReceiver } from './loopback-receiver.js';
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
    const spinner = ctx.io.spinner(`Waiting for approval on ${client.redirectUri}`);
    let callback: Callback;
    try {
      callback = await Promise.race([
        receiver.next(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new AuthError(
                  `The login timed out after ${options.timeoutMs / 1000} s: the browser never came back to ${client.redirectUri}.`,
                  {
                    hint:
                      'If Wise showed an error instead of sending the browser back, the redirect URI registered with Wise ' +
                      `for client ${client.clientId} must equal the one set up here, character for character: ` +
                      `set up here: ${client.redirectUri}; registered with Wise: see the Developer Hub ` +
                      '(change ours with `wise oauth setup`). Otherwise run `wise oauth authorize` again ' +
                      '(`--timeout <seconds>` to wait longer).',
                    details: { reason: 'timeout', redirectUri: client.redirectUri },
                  },
                ),
              ),
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
    }

    if (callback.error || !callback.code) {
      callback.respond(
        false,
        `Wise reported: ${callback.error}${callback.errorDescription ? ` (${callback.errorDescription})` : ''}.`,
      );
      await receiver.settled(2000);
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
      await receiver.settled(2000);
      throw error;
    }
    const profileId = callback.profileId && /^\d+$/.test(callback.profileId) ? Number(callback.profileId) : undefined;
    await storeOAuthLogin(ctx, target, tokens, { grant: 'authorization_code', ...(profileId ? { profileId } : {}) });
    callback.respond(true, 'wise has stored your login. You can close this page and return to your terminal.');
    await receiver.settled(2000);
    return { tokens, ...(profileId ? { profileId } : {}) };
  } finally {
    clearTimeout(timer);
    if (onSigint) process.removeListener('SIGINT', onSigint);
    await receiver.close();
  }
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
