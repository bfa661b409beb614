import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type MockServer, startMockServer } from '../../src/mock/server.js';
import { expectContractViolation } from '../helpers/contract.js';

const REDIRECT = 'http://127.0.0.1:8765/callback';
let mock: MockServer;
beforeEach(async () => {
  mock = await startMockServer({ port: 0, redirectUris: [REDIRECT], autoApprove: true });
});
afterEach(async () => {
  await mock.close();
});

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

async function token(form: Record<string, string>, auth = basic(mock.clientId, mock.clientSecret)) {
  const res = await fetch(`${mock.url}/oauth/token`, {
    method: 'POST',
    headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

async function authorizeCode(extra: Record<string, string> = {}): Promise<URL> {
  const q = new URLSearchParams({
    client_id: mock.clientId,
    redirect_uri: REDIRECT,
    state: 's1',
    response_type: 'code',
    ...extra,
  });
  const res = await fetch(`${mock.url}/oauth/authorize?${q}`, { redirect: 'manual' });
  expect(res.status).toBe(302);
  return new URL(res.headers.get('location') as string);
}

async function me(accessToken: string) {
  return (await fetch(`${mock.url}/v1/me`, { headers: { authorization: `Bearer ${accessToken}` } })).status;
}

describe('emulator: consent page', () => {
  it('redirects back with code, state and profileId (auto-approve)', async () => {
    const back = await authorizeCode();
    expect(back.origin + back.pathname).toBe(REDIRECT);
    expect(back.searchParams.get('state')).toBe('s1');
    expect(back.searchParams.get('profileId')).toBe('2001');
    expect(back.searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });

  it.each([
    [{ client_id: 'nobody' }, 'Unknown application'],
    [{ redirect_uri: 'http://127.0.0.1:9999/other' }, 'Redirect URL mismatch'],
  ])('never redirects for an unknown client or unregistered redirect URI: %o', async (override, title) => {
    const q = new URLSearchParams({ client_id: mock.clientId, redirect_uri: REDIRECT, state: 's', ...override });
    const res = await fetch(`${mock.url}/oauth/authorize?${q}`, { redirect: 'manual' });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain(title);
  });
});

describe('emulator: /oauth/token', () => {
  it('needs HTTP Basic client authentication', async () => {
    const none = await fetch(`${mock.url}/oauth/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    });
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ error: 'invalid_client' });
    expect((await token({ grant_type: 'client_credentials' }, basic(mock.clientId, 'wrong'))).status).toBe(401);
  });

  it('authorization_code: single use; a replayed code is refused and revokes what it gave', async () => {
    const code = (await authorizeCode()).searchParams.get('code') as string;
    const first = await token({
      grant_type: 'authorization_code',
      client_id: mock.clientId,
      code,
      redirect_uri: REDIRECT,
    });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ token_type: 'bearer', expires_in: 43199, scope: 'transfers' });
    expect(first.body.refresh_token).toBeTruthy();
    expect(await me(first.body.access_token as string)).toBe(200);
    const replay = await token({
      grant_type: 'authorization_code',
      client_id: mock.clientId,
      code,
      redirect_uri: REDIRECT,
    });
    expect(replay).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(await me(first.body.access_token as string)).toBe(401);
  });

  it('authorization_code: the redirect_uri must match the one the code was issued for', async () => {
    const code = (await authorizeCode()).searchParams.get('code') as string;
    const r = await token({
      grant_type: 'authorization_code',
      client_id: mock.clientId,
      code,
      redirect_uri: 'http://127.0.0.1:1/x',
    });
    expect(r).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('PKCE: the verifier must match the S256 challenge', async () => {
    const verifier = 'v'.repeat(43);
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const extra = { code_challenge: challenge, code_challenge_method: 'S256' };
    const code1 = (await authorizeCode(extra)).searchParams.get('code') as string;
    expect(
      (
        await token({
          grant_type: 'authorization_code',
          client_id: mock.clientId,
          code: code1,
          redirect_uri: REDIRECT,
          code_verifier: 'w'.repeat(43),
        })
      ).status,
    ).toBe(400);
    const code2 = (await authorizeCode(extra)).searchParams.get('code') as string;
    expect(
      (
        await token({
          grant_type: 'authorization_code',
          client_id: mock.clientId,
          code: code2,
          redirect_uri: REDIRECT,
          code_verifier: verifier,
        })
      ).status,
    ).toBe(200);
  });

  it('refresh_token: rotates the refresh token and invalidates the previous access token', async () => {
    const code = (await authorizeCode()).searchParams.get('code') as string;
    const first = (
      await token({ grant_type: 'authorization_code', client_id: mock.clientId, code, redirect_uri: REDIRECT })
    ).body;
    const second = await token({ grant_type: 'refresh_token', refresh_token: first.refresh_token as string });
    expect(second.status).toBe(200);
    expect(second.body.refresh_token).not.toBe(first.refresh_token);
    expect(await me(first.access_token as string)).toBe(401);
    expect(await me(second.body.access_token as string)).toBe(200);
    const reuse = await token({ grant_type: 'refresh_token', refresh_token: first.refresh_token as string });
    expect(reuse).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('client_credentials: no refresh token; refused where a user token is needed, and the other way round', async () => {
    const client = await token({ grant_type: 'client_credentials' });
    expect(client.status).toBe(200);
    expect(client.body.refresh_token).toBeUndefined();
    expect(await me(client.body.access_token as string)).toBe(403);
    const signupAsUser = await fetch(`${mock.url}/v1/user/signup/registration_code`, {
      method: 'POST',
      headers: { authorization: `Bearer ${mock.personalToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'x@example.com', registrationCode: 'c'.repeat(32), language: 'en' }),
    });
    expect(signupAsUser.status).toBe(403);
  });

  it('registration_code: signup with a client token, then the grant gives that user tokens', async () => {
    const client = (await token({ grant_type: 'client_credentials' })).body.access_token as string;
    const signup = (body: unknown) =>
      fetch(`${mock.url}/v1/user/signup/registration_code`, {
        method: 'POST',
        headers: { authorization: `Bearer ${client}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expectContractViolation(/registrationCode must NOT have fewer than 32 characters/);
    expect((await signup({ email: 'eve@example.com', registrationCode: 'short', language: 'en' })).status).toBe(400);
    const code = 'r'.repeat(40);
    const created = await signup({ email: 'eve@example.com', registrationCode: code, language: 'en' });
    expect(created.status).toBe(200);
    const { id } = (await created.json()) as { id: number };
    expect((await signup({ email: 'eve@example.com', registrationCode: code, language: 'en' })).status).toBe(409);
    expect(
      (
        await token({
          grant_type: 'registration_code',
          client_id: mock.clientId,
          email: 'eve@example.com',
          registration_code: 'x'.repeat(40),
        })
      ).status,
    ).toBe(400);
    // Without client_id in the form, which Wise's contract requires of this grant: refused.
    expectContractViolation(/POST \/oauth\/token: request body/);
    expect(
      (await token({ grant_type: 'registration_code', email: 'eve@example.com', registration_code: code })).body,
    ).toMatchObject({ error: 'invalid_request', error_description: 'Missing parameter: client_id' });
    const tokens = await token({
      grant_type: 'registration_code',
      client_id: mock.clientId,
      email: 'eve@example.com',
      registration_code: code,
    });
    expect(tokens.status).toBe(200);
    const user = await fetch(`${mock.url}/v1/me`, { headers: { authorization: `Bearer ${tokens.body.access_token}` } });
    expect(await user.json()).toMatchObject({ id, email: 'eve@example.com' });
  });

  it('an unknown grant type is unsupported_grant_type', async () => {
    expectContractViolation(/POST \/oauth\/token: request body/);
    expect(await token({ grant_type: 'password' })).toMatchObject({
      status: 400,
      body: { error: 'unsupported_grant_type' },
    });
  });
});
