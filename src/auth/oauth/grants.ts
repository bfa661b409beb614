import { AuthError, type WiseError } from '../../errors.js';
import { describeWiseError, errorFromResponse, parseJson, type WiseClient } from '../../http/client.js';
import { endpoint } from '../../http/endpoints.js';
import { selfRedacting } from '../../util/redact.js';

/** The partner's OAuth client: id and secret issued by Wise for one environment. */
export interface OAuthClient {
  clientId: string;
  clientSecret: string;
}

/** A token response from `POST /oauth/token`, as Wise documents it. */
export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  expires_at?: string;
  refresh_token?: string;
  refresh_token_expires_in?: number;
  refresh_token_expires_at?: string;
  scope?: string;
  created_at?: string;
}

/** The tokens as the tool keeps them: times in epoch milliseconds. */
export interface TokenSet {
  accessToken: string;
  /** When Wise says the access token expires. */
  expiresAt: number;
  /** When the tool received it (Wise advises refreshing 6 hours after issue). */
  obtainedAt: number;
  refreshToken?: string;
  refreshTokenExpiresAt?: number;
  scope?: string;
}

/** When the access token of a response expires (epoch ms), if Wise said so with a usable `expires_in`. */
export function expiresAtOf(response: Pick<TokenResponse, 'expires_in'>, now: number): number | undefined {
  const expiresIn = Number(response.expires_in);
  return Number.isFinite(expiresIn) && expiresIn > 0 ? now + expiresIn * 1000 : undefined;
}

export function toTokenSet(response: TokenResponse, now: number): TokenSet {
  const expiresIn = Number(response.expires_in);
  return selfRedacting<TokenSet>(
    {
      accessToken: response.access_token,
      expiresAt: now + (Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : 43_199) * 1000,
      obtainedAt: now,
      ...(response.refresh_token ? { refreshToken: response.refresh_token } : {}),
      ...(response.refresh_token_expires_in
        ? { refreshTokenExpiresAt: now + Number(response.refresh_token_expires_in) * 1000 }
        : {}),
      ...(response.scope ? { scope: response.scope } : {}),
    },
    ['accessToken', 'refreshToken'],
  );
}

/** Hints for the OAuth error codes of RFC 6749 section 5.2 that a user can act on. */
const OAUTH_HINTS: Record<string, string> = {
  invalid_grant: 'The grant is no longer valid: run `wise oauth authorize` to log in again.',
  invalid_client: 'Wise did not accept the client id and secret: check them with `wise oauth setup`.',
  unauthorized_client: 'This client may not use this grant: ask Wise to enable it for your client id.',
  invalid_request: 'Wise refused the token request as malformed.',
  unsupported_grant_type: 'Wise does not support this grant for your client.',
};

function grantError(response: Awaited<ReturnType<WiseClient['send']>>, grant: string): WiseError {
  const { message, codes } = describeWiseError(response.body);
  const code = codes[0];
  if (response.status >= 400 && response.status < 500 && code && OAUTH_HINTS[code]) {
    return new AuthError(`Wise refused the ${grant} grant: ${message}.`, {
      hint: OAUTH_HINTS[code],
      details: { status: response.status, oauthError: code, correlationId: response.correlationId },
    });
  }
  return errorFromResponse(response, 'POST');
}

/**
 * `POST /oauth/token` with the client authenticated by HTTP Basic and the form body Wise documents. Every grant
 * below is this call with other fields. A token request is never retried by the client (it is a POST).
 */
export async function requestToken(
  client: WiseClient,
  oauth: OAuthClient,
  grant: string,
  fields: Record<string, string>,
): Promise<TokenResponse> {
  const basic = Buffer.from(`${encodeURIComponent(oauth.clientId)}:${encodeURIComponent(oauth.clientSecret)}`).toString(
    'base64',
  );
  const body = new URLSearchParams({ grant_type: grant, ...fields }).toString();
  const response = await client.send({
    method: 'POST',
    path: endpoint('token', client.apiVersion),
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
  if (response.status >= 400) throw grantError(response, grant);
  const tokens = parseJson<TokenResponse>(response);
  if (!tokens || typeof tokens.access_token !== 'string') {
    throw new AuthError(`Wise answered the ${grant} grant without an access token.`);
  }
  return tokens;
}

export function exchangeAuthorizationCode(
  client: WiseClient,
  oauth: OAuthClient,
  code: string,
  redirectUri: string,
  codeVerifier?: string,
): Promise<TokenResponse> {
  return requestToken(client, oauth, 'authorization_code', {
    client_id: oauth.clientId,
    code,
    redirect_uri: redirectUri,
    ...(codeVerifier ? { code_verifier: codeVerifier } : {}),
  });
}

export function refreshAccessToken(
  client: WiseClient,
  oauth: OAuthClient,
  refreshToken: string,
): Promise<TokenResponse> {
  return requestToken(client, oauth, 'refresh_token', { refresh_token: refreshToken });
}

export function clientCredentials(client: WiseClient, oauth: OAuthClient): Promise<TokenResponse> {
  return requestToken(client, oauth, 'client_credentials', {});
}

export function registrationCodeGrant(
  client: WiseClient,
  oauth: OAuthClient,
  email: string,
  registrationCode: string,
): Promise<TokenResponse> {
  return requestToken(client, oauth, 'registration_code', {
    client_id: oauth.clientId,
    email,
    registration_code: registrationCode,
  });
}
