import { randomBytes } from 'node:crypto';
import { storeOAuthLogin } from '../../auth/oauth/authorize.js';
import { loadClientForGrant } from '../../auth/oauth/client-config.js';
import { clientCredentials, registrationCodeGrant, toTokenSet } from '../../auth/oauth/grants.js';
import { accountStore, resolveTarget } from '../../auth/target.js';
import type { Context } from '../../context.js';
import { UsageError } from '../../errors.js';
import { parseJson } from '../../http/client.js';
import { endpoint } from '../../http/endpoints.js';
import { createClient } from '../../http/factory.js';
import { accountSecretName } from '../../store/secret-store.js';
import { printJson } from '../../util/output.js';

export interface CreateUserOptions {
  email: string;
  language: string;
}

/**
 * The partner flow for users created over the API: a client_credentials token (not stored), a fresh registration
 * code, `POST /v1/user/signup/registration_code`, then the registration_code grant. The code is stored with the
 * tokens: it is what gets this user's tokens again.
 */
export async function oauthCreateUser(ctx: Context, opts: CreateUserOptions): Promise<void> {
  const email = opts.email.trim();
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) throw new UsageError(`"${opts.email}" is not an email address.`);
  if (!/^[a-z]{2}([-_][A-Za-z]{2})?$/.test(opts.language)) {
    throw new UsageError(`"${opts.language}" is not a language code such as en or de.`);
  }
  const target = await resolveTarget(ctx);
  if (target.config.accounts[target.account]?.credentials[target.env]) {
    throw new UsageError(`Account "${target.account}" already has credentials in ${target.env}.`, {
      hint: 'Store the new user under another name: `wise --account <name> oauth create-user ...`.',
    });
  }
  const oauth = await loadClientForGrant(ctx, target.env);
  const store = await accountStore(ctx, target);
  const api = createClient(ctx, target.env);
  const clientToken = (await clientCredentials(api, oauth)).access_token;
  ctx.redactor.add(clientToken);

  // 32 random bytes: 43 URL-safe characters, above Wise's minimum of 32.
  const registrationCode = randomBytes(32).toString('base64url');
  ctx.redactor.add(registrationCode);
  const signup = createClient(ctx, target.env, { kind: 'oauth', accessToken: async () => clientToken });
  const response = await signup.request({
    method: 'POST',
    path: endpoint('signupWithRegistrationCode', signup.apiVersion),
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, registrationCode, language: opts.language }),
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
  if (ctx.options.json) {
    printJson(ctx, { account: target.account, env: target.env, email, userId: user.id ?? null, store: store.backend });
    return;
  }
  const style = await ctx.io.style('err');
  ctx.io.err(
    `${style.green('✓')} Created Wise user ${email}${user.id ? ` (id ${user.id})` : ''} and stored its tokens and registration code under account "${target.account}" (${target.env}) in the ${store.description}.`,
  );
}
