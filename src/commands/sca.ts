/**
 * The `wise sca` commands. `pin set|delete` and `device-fingerprint register|delete`: the factors a partner's user
 * needs before Wise's challenges can be answered (Wise asks for two of different kinds); `session` clears them once
 * for a 5-minute window; `sign` signs a one-time token with the SCA key (personal tokens); `status` shows what a
 * one-time token asks for. Secrets go as a JWE to Wise's trusted encryption key, never on the command line.
 */
import { randomUUID } from 'node:crypto';
import { chooseProfileId } from '../account/profiles.js';
import { accountClient } from '../account/session.js';
import { accountStore, resolveTarget } from '../auth/target.js';
import type { Context } from '../context.js';
import { ApiError, ScaRequiredError, UsageError } from '../errors.js';
import { errorFromResponse, parseJson } from '../http/client.js';
import { printJson } from '../util/output.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The OAuth login's client and profile; any other credential is told these commands are for OAuth users. */
async function oauthProfileClient(ctx: Context, what: string) {
  const { target, credential, client } = await accountClient(ctx);
  if (credential.kind !== 'oauth') {
    throw new UsageError(`${what} is for OAuth users (a partner's user); this login is a ${credential.kind} token.`, {
      hint: 'Log in with `wise oauth authorize` (personal-token users answer SCA with `wise keys generate --use sca`).',
    });
  }
  return { target, client, profileId: await chooseProfileId(ctx, target, client) };
}

/** A secret from a hidden prompt on a terminal, else one line of stdin. */
async function readSecret(
  ctx: Context,
  prompt: string,
  what: string,
  messages: { empty: string; multiline: string },
): Promise<string> {
  const { MAX_SECRET_LENGTH, normaliseSecret } = await import('../auth/personal-token.js');
  const raw = ctx.io.stdinIsTTY
    ? await ctx.io.promptSecret(prompt)
    : (await ctx.io.readStdin(MAX_SECRET_LENGTH + 2)).toString('utf8');
  const value = normaliseSecret(raw, what, messages);
  ctx.redactor.add(value);
  return value;
}

/** How long Wise lets low-risk calls through after an SCA session's challenges are cleared. */
const SESSION_MS = 5 * 60_000;

/**
 * `wise sca session`: asks Wise for an SCA session (`POST /v2/profiles/{id}/sca-sessions/authorise`), answers its
 * challenges as a protected call's are answered (PIN, device fingerprint, a code on a terminal), and checks with
 * Wise that none is left: low-risk calls (balance statements) then pass without a challenge for 5 minutes.
 */
export async function scaSession(ctx: Context): Promise<void> {
  const { target, client, profileId } = await oauthProfileClient(ctx, 'An SCA session');
  const response = await client.request({ method: 'POST', path: `/v2/profiles/${profileId}/sca-sessions/authorise` });
  const { oneTimeTokenProperties: session } = parseJson<{ oneTimeTokenProperties?: { oneTimeToken?: unknown } }>(
    response,
  );
  const ott = session?.oneTimeToken;
  if (typeof ott !== 'string' || !UUID.test(ott)) {
    throw new ApiError('Wise answered the SCA session request without a one-time token.', {
      details: { status: response.status },
    });
  }
  const { answerChallenges, readOttStatus } = await import('../sca/challenges.js');
  await answerChallenges(ctx, target, client, ott, String(profileId));
  const status = await readOttStatus(client, ott);
  const open = (status.challenges ?? []).filter((c) => c.required && !c.passed);
  if (open.length) {
    throw new ScaRequiredError(
      `Wise still asks for ${open.map((c) => c.primaryChallenge?.type ?? 'UNKNOWN').join(', ')}; no session was opened.`,
    );
  }
  const until = new Date(Date.now() + SESSION_MS).toISOString();
  const cleared = (status.challenges ?? []).map((c) => c.primaryChallenge?.type ?? 'UNKNOWN');
  if (ctx.options.json) return printJson(ctx, { profileId, until, challenges: cleared });
  ctx.io.err(
    `SCA session open for profile ${profileId} until about ${until.slice(11, 19)} UTC: low-risk calls (balance statements) are not challenged again until then; money still is.`,
  );
}

/** `wise sca pin set`: creates the user's PIN at Wise (a hidden prompt, or stdin); Wise answers 409 when one exists. */
export async function scaPinSet(ctx: Context): Promise<void> {
  const { target, client, profileId } = await oauthProfileClient(ctx, 'Setting a PIN');
  const pin = await readSecret(ctx, 'New Wise PIN (4 digits)', 'PIN', {
    empty: 'Give the PIN on stdin, e.g. `wise sca pin set < pin.txt`.',
    multiline: 'Give one PIN.',
  });
  if (!/^\d{4}$/.test(pin)) throw new UsageError('A Wise PIN is four digits.');
  const { sendEncrypted } = await import('../sca/challenges.js');
  const response = await sendEncrypted(ctx, target, client, {
    path: `/v2/profiles/${profileId}/pin`,
    payload: { pin },
    what: 'PIN set-up',
  });
  if (response.status === 409) {
    throw new ApiError(`Profile ${profileId} has a PIN already; Wise keeps one PIN per profile.`, {
      hint: 'To change it, delete it first: `wise sca pin delete`, then `wise sca pin set`.',
      details: { status: 409 },
    });
  }
  if (response.status >= 400) throw errorFromResponse(response, 'POST', 'oauth');
  if (ctx.options.json) return printJson(ctx, { profileId, pin: 'set' });
  ctx.io.err(`Wise has a PIN for profile ${profileId} now: PIN challenges can be answered (WISE_SCA_PIN or a prompt).`);
}

/** `wise sca pin delete`: removes the user's PIN at Wise. */
export async function scaPinDelete(ctx: Context): Promise<void> {
  const { client, profileId } = await oauthProfileClient(ctx, 'Deleting a PIN');
  const response = await client.send({ method: 'DELETE', path: `/v2/profiles/${profileId}/pin` });
  if (response.status === 404)
    throw new ApiError(`Profile ${profileId} has no PIN at Wise.`, { details: { status: 404 } });
  if (response.status >= 400) throw errorFromResponse(response, 'DELETE', 'oauth');
  if (ctx.options.json) return printJson(ctx, { profileId, pin: 'deleted' });
  ctx.io.err(`Deleted the PIN of profile ${profileId} at Wise.`);
}

/** `wise sca device-fingerprint set`: the fingerprint from a hidden prompt or stdin, into the secret store. */
export async function scaFingerprintSet(ctx: Context): Promise<void> {
  const { accountSecretName } = await import('../store/secret-store.js');
  const target = await resolveTarget(ctx);
  const fingerprint = await readSecret(ctx, 'Device fingerprint (as registered with Wise)', 'device fingerprint', {
    empty: 'Give the fingerprint on stdin, e.g. `wise sca device-fingerprint set < fingerprint.txt`.',
    multiline: 'Give exactly one fingerprint.',
  });
  const store = await accountStore(ctx, target);
  await store.set(accountSecretName(target.account, target.env, 'device-fingerprint'), fingerprint);
  if (ctx.options.json) printJson(ctx, { account: target.account, env: target.env, store: store.backend });
  else
    ctx.io.err(
      `Stored the device fingerprint of account "${target.account}" (${target.env}) in the ${store.description}.`,
    );
}

/**
 * `wise sca device-fingerprint register`: registers this account's device fingerprint with Wise (the stored one, or
 * a new random one that is stored first), so that PARTNER_DEVICE_FINGERPRINT challenges can be answered.
 */
export async function scaFingerprintRegister(ctx: Context): Promise<void> {
  const { target, client, profileId } = await oauthProfileClient(ctx, 'Registering a device fingerprint');
  const { accountSecretName } = await import('../store/secret-store.js');
  const store = await accountStore(ctx, target);
  const name = accountSecretName(target.account, target.env, 'device-fingerprint');
  let fingerprint = await store.get(name);
  if (!fingerprint) {
    fingerprint = randomUUID();
    await store.set(name, fingerprint);
  }
  ctx.redactor.add(fingerprint);
  const { sendEncrypted } = await import('../sca/challenges.js');
  const response = await sendEncrypted(ctx, target, client, {
    path: `/v2/profiles/${profileId}/device-fingerprints`,
    payload: { deviceFingerprint: fingerprint },
    what: 'device fingerprint set-up',
  });
  if (response.status === 409) {
    throw new ApiError('Wise has this device fingerprint already.', { details: { status: 409 } });
  }
  if (response.status === 400) {
    throw new ApiError('Wise refused the device fingerprint: a profile has at most 3.', {
      hint: 'Delete one first: `wise sca device-fingerprint delete <id>`.',
      details: { status: 400 },
    });
  }
  if (response.status >= 400) throw errorFromResponse(response, 'POST', 'oauth');
  const answer = parseJson<{ deviceFingerprintId?: string; createdAt?: string }>(response);
  if (ctx.options.json) return printJson(ctx, { profileId, deviceFingerprintId: answer.deviceFingerprintId ?? null });
  ctx.io.out(`${answer.deviceFingerprintId ?? ''}\n`);
  ctx.io.err(
    `Registered this account's device fingerprint with Wise for profile ${profileId} (its id is on standard output; the fingerprint stays in the ${store.description}).`,
  );
}

/** `wise sca device-fingerprint delete <id>`: removes a registered device fingerprint at Wise. */
export async function scaFingerprintDelete(ctx: Context, id: string): Promise<void> {
  if (!/^[0-9a-f-]{8,64}$/i.test(id)) throw new UsageError(`"${id}" is not a device fingerprint id.`);
  const { client, profileId } = await oauthProfileClient(ctx, 'Deleting a device fingerprint');
  const response = await client.send({ method: 'DELETE', path: `/v2/profiles/${profileId}/device-fingerprints/${id}` });
  if (response.status >= 400) throw errorFromResponse(response, 'DELETE', 'oauth');
  if (ctx.options.json) return printJson(ctx, { profileId, deviceFingerprintId: id, deleted: true });
  ctx.io.err(`Deleted device fingerprint ${id} of profile ${profileId} at Wise.`);
}

/** `wise sca sign <ott>`: the base64 SHA256withRSA signature of a one-time token, with the account's SCA key. */
export async function scaSign(ctx: Context, ott: string): Promise<void> {
  const { loadScaKey, signOneTimeToken } = await import('../sca/keys.js');
  const { ONE_TIME_TOKEN } = await import('../http/pipeline.js');
  if (!ONE_TIME_TOKEN.test(ott)) {
    throw new ScaRequiredError(
      `Nothing was signed: "${ott.slice(0, 60)}" is not a one-time token in Wise's form (a UUID from the x-2fa-approval header).`,
      { hint: "The SCA key signs only Wise's one-time tokens, e.g. 5a0b2b4e-2c0e-4b0e-9d7a-1b2c3d4e5f60." },
    );
  }
  const target = await resolveTarget(ctx);
  const key = await loadScaKey(ctx, target);
  if (!key) {
    throw new UsageError(`Account "${target.account}" (${target.env}) has no SCA key.`, {
      hint: 'Run `wise keys generate --use sca`, or set WISE_SCA_PRIVATE_KEY.',
    });
  }
  ctx.io.out(`${signOneTimeToken(key, ott)}\n`);
}

/** `wise sca status <ott>`: the action a one-time token approves and its challenges, as Wise lists them. */
export async function scaStatus(ctx: Context, ott: string): Promise<void> {
  const { ONE_TIME_TOKEN } = await import('../http/pipeline.js');
  if (!ONE_TIME_TOKEN.test(ott)) throw new UsageError(`"${ott}" does not look like a one-time token (a UUID).`);
  const [{ resolveCredential }, { readOttStatus }] = await Promise.all([
    import('../auth/credentials.js'),
    import('../sca/challenges.js'),
  ]);
  const target = await resolveTarget(ctx);
  const client = ctx.client(target.env, await resolveCredential(ctx, target));
  const status = await readOttStatus(client, ott);
  if (ctx.options.json) {
    printJson(ctx, status);
    return;
  }
  const lines = [`One-time token ${ott}: approves ${status.actionType ?? 'an unknown action'}`];
  for (const c of status.challenges ?? []) {
    const state = c.passed ? 'passed' : c.required ? 'required' : 'optional';
    lines.push(`  ${c.primaryChallenge?.type ?? 'UNKNOWN'}: ${state}`);
  }
  ctx.io.out(`${lines.join('\n')}\n`);
}
