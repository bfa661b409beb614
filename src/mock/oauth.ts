/**
 * The emulator's OAuth 2.0 side, from Wise's OAuth documentation and RFC 6749 where Wise is silent: the consent page,
 * the token endpoint with its four grants, and users created over the API.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { errors, escapeHtml, htmlPage, json, oauthError, type Reply, redirect } from './reply.js';
import { addUser, type MockClient, type MockGrant, type MockState, type MockToken } from './state.js';

export interface OAuthOptions {
  /** Approve at once instead of showing the consent page (for scripts). */
  autoApprove: boolean;
  /** Lifetime of access and client tokens (Wise: about 12 hours). */
  tokenTtlSeconds: number;
}

const REFRESH_TTL_SECONDS = 20 * 365 * 24 * 3600;
const CODE_TTL_MS = 10 * 60 * 1000;

const newToken = () => randomBytes(24).toString('base64url');

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function findClient(state: MockState, id: string | null): MockClient | undefined {
  return id ? state.clients.find((c) => c.id === id) : undefined;
}

/** Validates the consent request; an unknown client or unregistered redirect URI is never redirected to. */
function checkAuthorizeRequest(
  state: MockState,
  params: URLSearchParams,
): { client: MockClient; redirectUri: string } | Reply {
  const client = findClient(state, params.get('client_id'));
  if (!client) return htmlPage(400, page('Unknown application', 'The client_id is not registered with Wise.'));
  const redirectUri = params.get('redirect_uri') ?? '';
  if (!client.redirectUris.includes(redirectUri)) {
    return htmlPage(
      400,
      page('Redirect URL mismatch', 'The redirect_uri does not match the one registered for this application.'),
    );
  }
  return { client, redirectUri };
}

function redirectBack(redirectUri: string, params: Record<string, string | undefined>): Reply {
  const url = new URL(redirectUri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return redirect(url.href);
}

function page(title: string, body: string, extra = ''): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body style="font-family:sans-serif;max-width:36em;margin:4em auto"><h1>${escapeHtml(title)}</h1><p>${escapeHtml(body)}</p>${extra}</body></html>`;
}

function approve(state: MockState, client: MockClient, redirectUri: string, params: URLSearchParams): Reply {
  const user = state.users[0];
  if (!user) return htmlPage(500, page('No user', 'The emulator has no user to log in.'));
  const code = newToken();
  const challenge = params.get('code_challenge') ?? undefined;
  state.codes.set(code, {
    clientId: client.id,
    redirectUri,
    userId: user.id,
    expiresAt: Date.now() + CODE_TTL_MS,
    used: false,
    ...(challenge ? { challenge } : {}),
  });
  const profile = state.profiles.find((p) => p.userId === user.id && p.type === 'PERSONAL');
  return redirectBack(redirectUri, {
    code,
    state: params.get('state') ?? undefined,
    profileId: profile ? String(profile.id) : undefined,
  });
}

function consentPage(state: MockState, client: MockClient, params: URLSearchParams): Reply {
  const user = state.users[0];
  const hidden = ['client_id', 'redirect_uri', 'state', 'response_type', 'code_challenge', 'code_challenge_method']
    .filter((k) => params.has(k))
    .map((k) => `<input type="hidden" name="${k}" value="${escapeHtml(params.get(k) ?? '')}">`)
    .join('');
  const form = `<form method="post" action="/oauth/authorize/decision">${hidden}<button type="submit" name="decision" value="approve" id="approve">Approve</button> <button type="submit" name="decision" value="deny" id="deny">Deny</button></form>`;
  return htmlPage(
    200,
    page(
      `Connect ${client.name} to Wise`,
      `${client.name} asks to access the Wise account of ${user?.name ?? 'this user'}: profiles, balances, quotes and transfers.`,
      form,
    ),
  );
}

/** `GET /oauth/authorize` and the consent form's `POST /oauth/authorize/decision`. */
export function handleAuthorize(
  state: MockState,
  options: OAuthOptions,
  method: string,
  path: string,
  params: URLSearchParams,
): Reply | undefined {
  if (path === '/oauth/authorize' && method === 'GET') {
    const checked = checkAuthorizeRequest(state, params);
    if ('status' in checked) return checked;
    const { client, redirectUri } = checked;
    const responseType = params.get('response_type');
    if (responseType && responseType !== 'code') {
      return redirectBack(redirectUri, { error: 'unsupported_response_type', state: params.get('state') ?? undefined });
    }
    const method = params.get('code_challenge_method');
    if (params.has('code_challenge') && method !== 'S256') {
      return redirectBack(redirectUri, {
        error: 'invalid_request',
        error_description: 'code_challenge_method must be S256',
        state: params.get('state') ?? undefined,
      });
    }
    return options.autoApprove ? approve(state, client, redirectUri, params) : consentPage(state, client, params);
  }
  if (path === '/oauth/authorize/decision' && method === 'POST') {
    const checked = checkAuthorizeRequest(state, params);
    if ('status' in checked) return checked;
    if (params.get('decision') === 'approve') return approve(state, checked.client, checked.redirectUri, params);
    return redirectBack(checked.redirectUri, {
      error: 'access_denied',
      error_description: 'The user denied access',
      state: params.get('state') ?? undefined,
    });
  }
  return undefined;
}

function authenticateClient(state: MockState, req: IncomingMessage): MockClient | Reply {
  const invalid = oauthError(401, 'invalid_client', 'Bad client credentials', {
    'www-authenticate': 'Basic realm="oauth2/client"',
  });
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(req.headers.authorization ?? '');
  if (!match) return invalid;
  const decoded = Buffer.from(match[1] ?? '', 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return invalid;
  const id = decodeURIComponent(decoded.slice(0, colon));
  const secret = decodeURIComponent(decoded.slice(colon + 1));
  const client = findClient(state, id);
  if (!client || !sameSecret(client.secret, secret)) return invalid;
  return client;
}

function revokeGrant(state: MockState, grant: MockGrant): void {
  for (const token of grant.accessTokens) state.tokens.delete(token);
  state.refreshTokens.delete(grant.refreshToken);
  state.grants.delete(grant.id);
}

function issueAccessToken(
  state: MockState,
  options: OAuthOptions,
  token: MockToken,
): { token: string; expiresIn: number } {
  const value = newToken();
  state.tokens.set(value, { ...token, expiresAt: Date.now() + options.tokenTtlSeconds * 1000 });
  return { token: value, expiresIn: options.tokenTtlSeconds };
}

/** Issues an access token under the grant, rotating its refresh token: the previous access tokens stop working. */
function issueUserTokens(state: MockState, options: OAuthOptions, grant: MockGrant): Reply {
  for (const token of grant.accessTokens) state.tokens.delete(token);
  grant.accessTokens.clear();
  state.refreshTokens.delete(grant.refreshToken);
  grant.refreshToken = newToken();
  state.refreshTokens.set(grant.refreshToken, grant.id);
  const access = issueAccessToken(state, options, {
    kind: 'user',
    userId: grant.userId,
    clientId: grant.clientId,
    grantId: grant.id,
  });
  grant.accessTokens.add(access.token);
  const now = Date.now();
  return json(200, {
    access_token: access.token,
    token_type: 'bearer',
    refresh_token: grant.refreshToken,
    expires_in: access.expiresIn,
    expires_at: new Date(now + access.expiresIn * 1000).toISOString(),
    refresh_token_expires_in: REFRESH_TTL_SECONDS,
    refresh_token_expires_at: new Date(now + REFRESH_TTL_SECONDS * 1000).toISOString(),
    scope: 'transfers',
    created_at: new Date(now).toISOString(),
  });
}

function newGrant(state: MockState, clientId: string, userId: number): MockGrant {
  const grant: MockGrant = { id: newToken(), clientId, userId, refreshToken: '', accessTokens: new Set() };
  state.grants.set(grant.id, grant);
  return grant;
}

/** `POST /oauth/token`: HTTP Basic client authentication and the four grants Wise documents. */
export function handleToken(
  state: MockState,
  options: OAuthOptions,
  req: IncomingMessage,
  form: URLSearchParams,
): Reply {
  const client = authenticateClient(state, req);
  if ('status' in client) return client;
  const missing = (name: string) => oauthError(400, 'invalid_request', `Missing parameter: ${name}`);
  const formClientId = form.get('client_id');
  if (formClientId && formClientId !== client.id) return oauthError(400, 'invalid_request', 'client_id does not match');
  const grantType = form.get('grant_type');

  // Wise's contract lists client_id among the form's required fields for these grants (besides Basic auth).
  if ((grantType === 'authorization_code' || grantType === 'registration_code') && !formClientId) {
    return missing('client_id');
  }
  if (grantType === 'authorization_code') {
    const code = form.get('code');
    const redirectUri = form.get('redirect_uri');
    if (!code) return missing('code');
    if (!redirectUri) return missing('redirect_uri');
    const issued = state.codes.get(code);
    if (!issued || issued.clientId !== client.id || issued.expiresAt < Date.now()) {
      return oauthError(400, 'invalid_grant', 'Invalid authorization code');
    }
    if (issued.used) {
      // A replayed code: revoke what it gave (RFC 6749 section 4.1.2).
      const grant = issued.grantId ? state.grants.get(issued.grantId) : undefined;
      if (grant) revokeGrant(state, grant);
      return oauthError(400, 'invalid_grant', 'Authorization code already used');
    }
    if (issued.redirectUri !== redirectUri) return oauthError(400, 'invalid_grant', 'Redirect URI mismatch');
    if (issued.challenge) {
      const verifier = form.get('code_verifier') ?? '';
      const computed = createHash('sha256').update(verifier).digest('base64url');
      if (!verifier || !sameSecret(computed, issued.challenge))
        return oauthError(400, 'invalid_grant', 'PKCE verification failed');
    }
    issued.used = true;
    const grant = newGrant(state, client.id, issued.userId);
    issued.grantId = grant.id;
    return issueUserTokens(state, options, grant);
  }

  if (grantType === 'refresh_token') {
    const refreshToken = form.get('refresh_token');
    if (!refreshToken) return missing('refresh_token');
    const grant = state.grants.get(state.refreshTokens.get(refreshToken) ?? '');
    if (!grant || grant.clientId !== client.id) return oauthError(400, 'invalid_grant', 'Invalid refresh token');
    return issueUserTokens(state, options, grant);
  }

  if (grantType === 'client_credentials') {
    const access = issueAccessToken(state, options, { kind: 'client', userId: 0, clientId: client.id });
    return json(200, {
      access_token: access.token,
      token_type: 'bearer',
      expires_in: access.expiresIn,
      expires_at: new Date(Date.now() + access.expiresIn * 1000).toISOString(),
      scope: 'transfers',
      created_at: new Date().toISOString(),
    });
  }

  if (grantType === 'registration_code') {
    const email = form.get('email');
    const code = form.get('registration_code');
    if (!email) return missing('email');
    if (!code) return missing('registration_code');
    const registration = state.registrations.get(email.toLowerCase());
    if (!registration || registration.clientId !== client.id || !sameSecret(registration.code, code)) {
      return oauthError(400, 'invalid_grant', 'Invalid registration code or email');
    }
    for (const grant of state.grants.values()) {
      if (grant.clientId === client.id && grant.userId === registration.userId) revokeGrant(state, grant);
    }
    return issueUserTokens(state, options, newGrant(state, client.id, registration.userId));
  }

  return oauthError(400, 'unsupported_grant_type', `Unsupported grant type: ${grantType ?? '(none)'}`);
}

/** `POST /v1/user/signup/registration_code`, with a client-credentials token. */
export function handleSignup(state: MockState, token: MockToken, body: Buffer): Reply {
  if (token.kind !== 'client' || !token.clientId) {
    return errors(403, 'FORBIDDEN', 'This endpoint needs a client credentials token');
  }
  let input: { email?: unknown; registrationCode?: unknown; language?: unknown };
  try {
    input = JSON.parse(body.toString('utf8') || '{}');
  } catch {
    return errors(400, 'INVALID_JSON', 'Malformed JSON');
  }
  const { email, registrationCode, language } = input;
  if (typeof email !== 'string' || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email))
    return errors(400, 'INVALID_EMAIL', 'email is not valid');
  if (typeof registrationCode !== 'string' || registrationCode.length < 32) {
    return errors(400, 'INVALID_REGISTRATION_CODE', 'registrationCode must be at least 32 characters');
  }
  if (language !== undefined && typeof language !== 'string')
    return errors(400, 'INVALID_LANGUAGE', 'language must be a string');
  const key = email.toLowerCase();
  if (state.registrations.has(key) || state.users.some((u) => u.email.toLowerCase() === key)) {
    return errors(409, 'NOT_UNIQUE', 'A user with this email already exists');
  }
  const user = addUser(state, email, email.split('@')[0] ?? email);
  state.registrations.set(key, { userId: user.id, clientId: token.clientId, code: registrationCode });
  return json(200, { id: user.id, email, active: true });
}
