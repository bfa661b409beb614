import { randomBytes } from 'node:crypto';
import type { Context } from '../../context.js';
import { parseJson } from '../../http/client.js';
import { endpoint } from '../../http/endpoints.js';
import { accountSecretName, type SecretStore } from '../../store/secret-store.js';
import type { Target } from '../target.js';
import { storeOAuthLogin } from './authorize.js';
import { loadClientForGrant } from './client-config.js';
import { clientCredentials, registrationCodeGrant, toTokenSet } from './grants.js';

/**
 * The partner flow for users created over the API: a client_credentials token (not stored), a fresh registration
 * code, `POST /v1/user/signup/registration_code`, then the registration_code grant. The code is stored with the
 * tokens: it is what gets this user's tokens again.
 */
export async function signUpUser(
  ctx: Context,
  target: Target,
  store: SecretStore,
  email: string,
  language: string,
): Promise<{ id?: number; email?: string }> {
  const oauth = await loadClientForGrant(ctx, target.env);
  const api = ctx.client(target.env);
  const clientToken = (await clientCredentials(api, oauth)).access_token;
  ctx.redactor.add(clientToken);

  // 32 random bytes: 43 URL-safe characters, above Wise's minimum of 32.
  const registrationCode = randomBytes(32).toString('base64url');
  ctx.redactor.add(registrationCode);
  const signup = ctx.client(target.env, { kind: 'oauth', accessToken: async () => clientToken });
  const response = await signup.request({
    method: 'POST',
    path: endpoint('signupWithRegistrationCode', signup.apiVersion),
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, registrationCode, language }),
  });
  const user = parseJson<{ id?: number; email?: string }>(response);
  // The code is the only way back to this user's tokens: keep it before anything else can fail.
  await store.set(accountSecretName(target.account, target.env, 'registration-code'), registrationCode);

  const tokens = toTokenSet(await registrationCodeGrant(api, oauth, email, registrationCode), ctx.clock.now());
  await storeOAuthLogin(ctx, target, tokens, {
    grant: 'registration_code',
    email,
    ...(typeof user.id === 'number' ? { userId: user.id } : {}),
  });
  return user;
}
