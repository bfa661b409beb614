/**
 * The challenge flow of OAuth users: read what the one-time token asks for (`GET /v1/one-time-token/status`), answer
 * each required challenge (or an alternative Wise offers for it), then let the caller send the call again with
 * `x-2fa-approval`. A PIN or a device fingerprint goes as a JWE (RSA-OAEP-256 / A256GCM) to Wise's PAYLOAD_ENCRYPTION
 * key, which is fetched with a client-credentials token; a one-time code (SMS, WhatsApp, voice) is triggered, typed
 * by the person at the terminal and verified.
 */
import type { Target } from '../auth/target.js';
import type { Context } from '../context.js';
import { AuthError, isWiseError, ScaRequiredError } from '../errors.js';
import { errorFromResponse, parseJson, type WiseClient, type WiseResponse } from '../http/client.js';
import { cachedWiseKey, fetchWiseKey, type WiseKey, WiseKeyChangedError } from '../jose/wise-keys.js';

interface Challenge {
  primaryChallenge?: { type?: string };
  /** Challenges Wise accepts instead of the primary one (a code by SMS for a FACE_MAP, say). */
  alternatives?: { type?: string; primaryChallenge?: { type?: string } }[];
  required?: boolean;
  passed?: boolean;
}

/** One-time codes Wise sends to the user's verified phone; a person types them (never from the environment). */
const CODES: Record<string, { label: string; path: string }> = {
  SMS: { label: 'SMS', path: 'sms' },
  WHATSAPP: { label: 'WhatsApp', path: 'whatsapp' },
  VOICE: { label: 'a voice call', path: 'voice' },
};

/**
 * A one-time code challenge: only with a person at a terminal (checked before Wise sends anything), the code
 * triggered, asked for with a hidden prompt (never echoed, redacted from --debug), and verified.
 */
async function answerCode(ctx: Context, client: WiseClient, ott: string, type: string): Promise<void> {
  const code = CODES[type] as { label: string; path: string };
  if (!ctx.io.stdinIsTTY || !ctx.io.stderrIsTTY) {
    throw new ScaRequiredError(
      `Wise asks for a one-time code sent by ${code.label} (${type}), and there is no terminal to type it on.`,
      {
        hint: 'Run the command on a terminal: Wise sends the code to your phone and wise asks you for it.',
        details: { challenge: type },
      },
    );
  }
  const trigger = await client.send({
    method: 'POST',
    path: `/v1/one-time-token/${code.path}/trigger`,
    headers: { 'one-time-token': ott },
  });
  if (trigger.status >= 400) {
    throw errorFromResponse(trigger, 'POST', 'oauth');
  }
  const phone = (() => {
    try {
      return (JSON.parse(trigger.body.toString('utf8')) as { obfuscatedPhoneNo?: string }).obfuscatedPhoneNo;
    } catch {
      return undefined;
    }
  })();
  ctx.io.err(`Wise sent a one-time code by ${code.label}${phone ? ` to ${phone}` : ''}.`);
  const otpCode = (await ctx.io.promptSecret('The code Wise sent')).trim();
  ctx.redactor.add(otpCode);
  const verified = await client.send({
    method: 'POST',
    path: `/v1/one-time-token/${code.path}/verify`,
    headers: { 'one-time-token': ott, 'content-type': 'application/json' },
    body: JSON.stringify({ otpCode }),
  });
  if (verified.status === 400) {
    throw new ScaRequiredError(`Wise did not accept the code sent by ${code.label}.`, {
      hint: 'Run the command again for a new code.',
      details: { challenge: type, status: 400 },
    });
  }
  if (verified.status >= 400) {
    throw errorFromResponse(verified, 'POST', 'oauth');
  }
}

interface OttStatus {
  oneTimeTokenProperties?: { challenges?: Challenge[]; actionType?: string; validity?: number };
}

/** What `wise sca status` and the solver read: the action and its challenges. */
export async function readOttStatus(
  client: WiseClient,
  ott: string,
): Promise<Required<OttStatus>['oneTimeTokenProperties']> {
  const response = await client.request({
    method: 'GET',
    path: '/v1/one-time-token/status',
    headers: { 'one-time-token': ott },
  });
  return parseJson<OttStatus>(response).oneTimeTokenProperties ?? {};
}

async function readPin(ctx: Context): Promise<string> {
  const fromEnv = ctx.env.WISE_SCA_PIN;
  if (fromEnv) {
    ctx.redactor.add(fromEnv);
    return fromEnv;
  }
  if (ctx.io.stdinIsTTY && ctx.io.stderrIsTTY) {
    const pin = await ctx.io.promptSecret('Your Wise PIN');
    ctx.redactor.add(pin);
    return pin;
  }
  throw new ScaRequiredError('Wise asks for your PIN (an SCA challenge), and there is no terminal to ask for it.', {
    hint: 'Run the command on a terminal, or set WISE_SCA_PIN for a script.',
    details: { challenge: 'PIN' },
  });
}

/** Wise's PAYLOAD_ENCRYPTION key; without a partner client set up, exit 5 with the set-up hint. */
async function fetchEncryptionKey(ctx: Context, target: Target, challenge: string): Promise<WiseKey> {
  try {
    return await fetchWiseKey(ctx, target.env, 'PAYLOAD_ENCRYPTION', 'RSA_OAEP_256');
  } catch (error) {
    if (error instanceof AuthError) {
      throw new ScaRequiredError(`Answering the ${challenge} challenge needs the partner client of the environment.`, {
        hint: 'Run `wise oauth setup` (or set WISE_CLIENT_ID and WISE_CLIENT_SECRET).',
      });
    }
    if (error instanceof WiseKeyChangedError) {
      throw new ScaRequiredError(error.message, { hint: error.hint, details: { ...error.details, challenge } });
    }
    throw error;
  }
}

/** A challenge answer as Wise wants it: a compact JWE of a JSON object, RSA-OAEP-256 / A256GCM, naming the path. */
async function encryptFor(der: string, payload: Record<string, string>, url: string): Promise<string> {
  const { CompactEncrypt, importSPKI } = await import('jose');
  const pem = `-----BEGIN PUBLIC KEY-----\n${der.match(/.{1,64}/g)?.join('\n')}\n-----END PUBLIC KEY-----\n`;
  const key = await importSPKI(pem, 'RSA-OAEP-256');
  return new CompactEncrypt(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM', url })
    .encrypt(key);
}

/**
 * Wise encrypts its answer to the partner's registered encryption key: opened with the environment's keys (the one
 * its `kid` names), else exit 5 naming the key to make.
 */
async function openEncryptedReply(ctx: Context, target: Target, response: WiseResponse, what: string): Promise<void> {
  const { decodeProtectedHeader } = await import('jose');
  const { joseKeys, loadPrivateKey, openJwe } = await import('../jose/keys.js');
  const text = response.body.toString('utf8').trim();
  let kid: unknown;
  try {
    kid = decodeProtectedHeader(text).kid;
  } catch {}
  const records = joseKeys(await ctx.config.read(), target.env).filter(
    (k) => k.use === 'encryption' && (kid === undefined || k.kid === kid),
  );
  for (const record of records) {
    // A key whose private half is missing cannot open it: the error below names the key to make.
    const key = await loadPrivateKey(ctx, target.env, record).catch(() => undefined);
    const plaintext = key && (await openJwe(text, [key]));
    if (plaintext) {
      ctx.debug(
        `  ${what} reply decrypted with key ${record.kid}: ${ctx.redactor.body(new TextDecoder().decode(plaintext), 'application/json')}`,
      );
      return;
    }
  }
  throw new ScaRequiredError(
    `Wise answered the ${what} with an encrypted reply, and there is no key here to open it.`,
    {
      hint: `Make and register an encryption key: \`wise keys generate --use encryption\`${typeof kid === 'string' ? ` (Wise used key ${kid})` : ''}.`,
    },
  );
}

/** The answers this tool can give: what each challenge sends, where, and how it is read. */
const ANSWERS: Record<
  string,
  { name: string; field: string; path: string; read(ctx: Context, target: Target): Promise<string> }
> = {
  PIN: { name: 'PIN', field: 'pin', path: 'pin/verify', read: (ctx) => readPin(ctx) },
  // Wise's name for the fingerprint of a partner's device (the OpenAPI document's challenge types: PIN, FACE_MAP,
  // SMS, WHATSAPP, VOICE, PARTNER_DEVICE_FINGERPRINT).
  PARTNER_DEVICE_FINGERPRINT: {
    name: 'device fingerprint',
    field: 'deviceFingerprint',
    path: 'device-fingerprints/verify',
    read: (ctx, target) => readFingerprint(ctx, target),
  },
};

async function readFingerprint(ctx: Context, target: Target): Promise<string> {
  const { accountStore } = await import('../auth/target.js');
  const { accountSecretName } = await import('../store/secret-store.js');
  const value = await (await accountStore(ctx, target)).get(
    accountSecretName(target.account, target.env, 'device-fingerprint'),
  );
  if (!value) {
    throw new ScaRequiredError('Wise asks for the device fingerprint, and none is stored for this account.', {
      hint: 'Store the fingerprint your app registered with Wise: `wise sca device-fingerprint set` (it reads stdin).',
      details: { challenge: 'PARTNER_DEVICE_FINGERPRINT' },
    });
  }
  ctx.redactor.add(value);
  return value;
}

/**
 * POSTs a secret (a PIN, a device fingerprint) as a JWE to Wise's encryption key, with the headers Wise marks
 * required. A secret goes out once per command. A kept key Wise may have rotated is fetched again and compared
 * after a refusal (a 400, or Wise's generic 500): the same key means the answer itself was refused; another key stops
 * here (exit 5, both fingerprints), since a man in the middle who failed the call could serve his own key to get the
 * secret sent again, to him.
 */
export async function sendEncrypted(
  ctx: Context,
  target: Target,
  client: WiseClient,
  o: { path: string; payload: Record<string, string>; what: string; headers?: Record<string, string> },
): Promise<WiseResponse> {
  const cached = await cachedWiseKey(ctx, target.env, 'PAYLOAD_ENCRYPTION', 'RSA_OAEP_256');
  const key = cached ?? (await fetchEncryptionKey(ctx, target, o.what));
  const response = await client.send({
    method: 'POST',
    path: o.path,
    headers: {
      ...o.headers,
      'content-type': 'application/jose+json',
      accept: 'application/jose+json',
      // Marked required by Wise: the JWE goes and comes back byte for byte.
      'accept-encoding': 'identity',
      'content-encoding': 'identity',
      'x-tw-jose-method': 'jwe',
    },
    body: await encryptFor(key.der, o.payload, o.path),
  });
  if (cached && (response.status === 400 || response.status === 500)) await fetchEncryptionKey(ctx, target, o.what);
  return response;
}

/** Answers the required challenges of a one-time token; returns the header that approves the call. */
export async function answerChallenges(
  ctx: Context,
  target: Target,
  client: WiseClient,
  ott: string,
  profileId: string | undefined,
): Promise<Record<string, string>> {
  const status = await readOttStatus(client, ott);
  const open = (status.challenges ?? []).filter((c) => c.required && !c.passed);
  const names = open.map((c) => c.primaryChallenge?.type ?? 'UNKNOWN');
  ctx.io.err(
    `Wise asks for Strong Customer Authentication to approve ${status.actionType ?? 'this call'}: ${names.join(', ') || 'nothing left to answer'}.`,
  );
  for (const challenge of open) {
    const primary = challenge.primaryChallenge?.type ?? 'UNKNOWN';
    const alternatives = (challenge.alternatives ?? [])
      .map((a) => a.type ?? a.primaryChallenge?.type)
      .filter((t): t is string => typeof t === 'string');
    // The primary challenge if wise can answer it, else the first alternative it can.
    const type = [primary, ...alternatives].find((t) => ANSWERS[t] !== undefined || CODES[t] !== undefined);
    if (!type) {
      throw new ScaRequiredError(
        `Wise asks for a ${primary} challenge${alternatives.length ? ` (or instead ${alternatives.join(', ')})` : ''}, and wise can answer none of them.`,
        {
          hint: 'Approve the action in the Wise app, then run the command again.',
          details: { challenge: primary, alternatives },
        },
      );
    }
    if (type !== primary) ctx.io.err(`Answering ${type} instead of ${primary}, as Wise allows.`);
    if (CODES[type]) {
      await answerCode(ctx, client, ott, type);
      continue;
    }
    const answer = ANSWERS[type] as (typeof ANSWERS)[string];
    if (!profileId) {
      throw new ScaRequiredError(`The ${answer.name} challenge needs a profile.`, { hint: 'Give --profile-id.' });
    }
    const value = await answer.read(ctx, target);
    const response = await sendEncrypted(ctx, target, client, {
      path: `/v2/profiles/${profileId}/${answer.path}`,
      payload: { [answer.field]: value },
      what: type,
      headers: { 'one-time-token': ott },
    });
    if (/jose/i.test(response.headers['content-type'] ?? ''))
      await openEncryptedReply(ctx, target, response, answer.name);
    if (response.status === 400) {
      throw new ScaRequiredError(`Wise did not accept the ${answer.name}.`, {
        hint:
          type === 'PIN'
            ? 'Check the PIN (after five wrong ones Wise blocks approvals for 15 minutes).'
            : 'Store the fingerprint Wise knows for this device: `wise sca device-fingerprint set`.',
        details: { challenge: type, status: 400 },
      });
    }
    if (response.status >= 400) {
      const error = errorFromResponse(response, 'POST', 'oauth');
      throw isWiseError(error) ? error : new ScaRequiredError(`Wise refused the ${answer.name}.`);
    }
  }
  return { 'x-2fa-approval': ott };
}
