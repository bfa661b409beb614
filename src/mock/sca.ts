/**
 * Strong Customer Authentication as Wise documents it for personal tokens: a protected call answers 403 with
 * `x-2fa-approval-result: REJECTED` and a one-time token (a UUID) in `x-2fa-approval`; the client signs the token
 * with SHA256withRSA (PKCS#1 v1.5) using a key whose public half the user uploaded, and repeats the call with
 * `x-2fa-approval` and `X-Signature` (standard base64). A one-time token is single use and expires.
 */
import { createPublicKey, generateKeyPairSync, type KeyObject, randomUUID, verify } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { errors, json, type Reply } from './reply.js';

/** Wise's one-time tokens are valid for an hour (`validity: 3600` in their status). */
const OTT_TTL_MS = 3600 * 1000;

export interface OneTimeToken {
  userId: number;
  actionType: string;
  expiresAt: number;
  used: boolean;
}

export interface ScaState {
  /** Public keys users uploaded for personal-token signing, by user id (Wise allows 5). */
  keys: Map<number, KeyObject[]>;
  otts: Map<string, OneTimeToken>;
  /** SCA sessions by user: the session's one-time token, and once its challenges are cleared, when it ends. */
  sessions: Map<number, { ott: string; until?: number }>;
}

export function createScaState(): ScaState {
  return { keys: new Map(), otts: new Map(), sessions: new Map() };
}

/** Low-risk actions, which an open SCA session lets through for 5 minutes (Wise: a balance statement). */
const LOW_RISK = new Set(['BALANCE__GET_STATEMENT']);
const SESSION_MS = 5 * 60_000;
const SESSION_ACTION = 'IDENTITY__AUTHORISE_SESSION';

/** Registers a public key (PEM) for a user; RSA of 2048 bits or more, at most five per user. */
export function registerScaKey(sca: ScaState, userId: number, pem: string): Reply {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    return errors(400, 'INVALID_KEY', 'Not a PEM public key');
  }
  if (key.asymmetricKeyType !== 'rsa' || (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
    return errors(400, 'INVALID_KEY', 'An RSA key of 2048 bits or more is required');
  }
  const keys = sca.keys.get(userId) ?? [];
  if (keys.length >= 5) return errors(400, 'TOO_MANY_KEYS', 'At most 5 public keys');
  keys.push(key);
  sca.keys.set(userId, keys);
  return json(201, { userId, keys: keys.length });
}

function challenge(sca: ScaState, userId: number, actionType: string): Reply {
  const ott = randomUUID();
  sca.otts.set(ott, { userId, actionType, expiresAt: Date.now() + OTT_TTL_MS, used: false });
  return {
    ...errors(403, 'SCA_REQUIRED', 'This action requires Strong Customer Authentication'),
    headers: { 'x-2fa-approval-result': 'REJECTED', 'x-2fa-approval': ott },
  };
}

/**
 * For a protected call with a personal token: undefined when the request carries a valid, unused one-time token
 * signed with one of the user's keys (the token is then spent), else the 403 challenge with a fresh one-time token.
 */
export function requirePersonalSignature(
  sca: ScaState,
  req: IncomingMessage,
  userId: number,
  actionType: string,
): Reply | undefined {
  const ott = req.headers['x-2fa-approval'];
  const signature = req.headers['x-signature'];
  if (typeof ott !== 'string' || typeof signature !== 'string') return challenge(sca, userId, actionType);
  const token = sca.otts.get(ott);
  if (!token || token.used || token.userId !== userId || token.expiresAt <= Date.now()) {
    return challenge(sca, userId, actionType);
  }
  const bytes = Buffer.from(signature, 'base64');
  const valid = (sca.keys.get(userId) ?? []).some((key) => verify('sha256', Buffer.from(ott), key, bytes));
  if (!valid) return challenge(sca, userId, actionType);
  token.used = true;
  return undefined;
}

/**
 * The OAuth users' challenge flow: the one-time token lists challenges (`GET /v1/one-time-token/status`); a PIN is
 * sent as a JWE (RSA-OAEP-256 / A256GCM) to Wise's PAYLOAD_ENCRYPTION key at `/v2/profiles/{id}/pin/verify`. Five
 * wrong PINs block one-time-token creation for 15 minutes. Only users with a PIN set meet it here.
 */
export type OtpType = 'SMS' | 'WHATSAPP' | 'VOICE';
export const OTP_TYPES: readonly OtpType[] = ['SMS', 'WHATSAPP', 'VOICE'];
/** Wise's sandbox sends no real message: its code is always this one (ottSmsVerify). */
export const SANDBOX_OTP = '111111';

export interface ChallengeState {
  /** The user's PIN, by user id (set with `POST /v2/profiles/{id}/pin` or the emulator's user control). */
  pins: Map<number, string>;
  /** The device fingerprints the user's partner registered (id -> value, at most 3), by user id: one more challenge. */
  fingerprints: Map<number, Map<string, string>>;
  /** One-time tokens whose PIN challenge passed. */
  passed: Set<string>;
  /** One-time tokens whose device-fingerprint challenge passed. */
  fingerprintPassed: Set<string>;
  /** Users with a one-time-code factor (SMS, WHATSAPP, VOICE) and the verified phone number it goes to. */
  otp: Record<OtpType, Map<number, string>>;
  /** `type ott` of codes triggered, and of code challenges passed. */
  otpTriggered: Set<string>;
  otpPassed: Record<OtpType, Set<string>>;
  /** Users whose tokens carry a FACE_MAP challenge (answered in Wise's app only), with its alternatives. */
  faceMaps: Map<number, OtpType[]>;
  /** One-time tokens whose FACE_MAP challenge was cleared through an alternative. */
  faceMapPassed: Set<string>;
  failures: Map<number, number>;
  lockedUntil: Map<number, number>;
  /** Wise's PAYLOAD_ENCRYPTION key pair (RSA), made at start; a rotation makes a new one with the next version. */
  encryption: { privateKey: KeyObject; publicDer: Buffer; version: number };
}

function encryptionKeyPair(version: number): ChallengeState['encryption'] {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { privateKey, publicDer: publicKey.export({ type: 'spki', format: 'der' }), version };
}

/** What Wise does now and then: a new encryption key; JWEs made for the old one are refused from then on. */
export function rotateEncryptionKey(challenges: ChallengeState): Reply {
  challenges.encryption = encryptionKeyPair(challenges.encryption.version + 1);
  return json(200, { version: challenges.encryption.version });
}

const LOCK_MS = 15 * 60 * 1000;

interface Factor {
  type: string;
  isSet(c: ChallengeState): Map<number, unknown>;
  passed(c: ChallengeState): Set<string>;
  alternatives?(c: ChallengeState, userId: number): readonly string[];
}

/** The factors a user can have, each a required challenge of her one-time tokens once set. */
const FACTORS: readonly Factor[] = [
  { type: 'PIN', isSet: (c) => c.pins, passed: (c) => c.passed },
  { type: 'PARTNER_DEVICE_FINGERPRINT', isSet: (c) => c.fingerprints, passed: (c) => c.fingerprintPassed },
  ...OTP_TYPES.map((type) => ({
    type,
    isSet: (c: ChallengeState) => c.otp[type],
    passed: (c: ChallengeState) => c.otpPassed[type],
  })),
  {
    type: 'FACE_MAP',
    isSet: (c) => c.faceMaps,
    passed: (c) => c.faceMapPassed,
    alternatives: (c, userId) => c.faceMaps.get(userId) ?? [],
  },
];

/** Seconds until a one-time token expires (0 once it has, or for one that is not known). */
function validityOf(sca: ScaState, ott: string): number {
  const token = sca.otts.get(ott);
  return token ? Math.max(0, Math.round((token.expiresAt - Date.now()) / 1000)) : 0;
}

/** The challenges of a user's one-time token as Wise lists them (status, and a code verification's answer). */
function challengeList(challenges: ChallengeState, userId: number, ott: string) {
  return FACTORS.filter((f) => f.isSet(challenges).has(userId)).map((f) => ({
    primaryChallenge: { type: f.type, viewData: {} },
    alternatives: (f.alternatives?.(challenges, userId) ?? []).map((type) => ({ type, viewData: {} })),
    required: true,
    passed: f.passed(challenges).has(ott),
  }));
}

/** True when the user has any factor, so that her protected calls meet the challenge flow. */
export function hasChallenges(challenges: ChallengeState, userId: number): boolean {
  return FACTORS.some((f) => f.isSet(challenges).has(userId));
}

/** The one-time token of the `One-Time-Token` header when it is the user's, unused and unexpired. */
function liveOtt(sca: ScaState, req: IncomingMessage, userId: number): string | undefined {
  const ott = req.headers['one-time-token'];
  const token = typeof ott === 'string' ? sca.otts.get(ott) : undefined;
  return token && token.userId === userId && !token.used && token.expiresAt > Date.now() ? (ott as string) : undefined;
}

const noOtt = () => errors(404, 'OTT_NOT_FOUND', 'No such one-time token');

export function createChallengeState(): ChallengeState {
  return {
    pins: new Map(),
    fingerprints: new Map(),
    passed: new Set(),
    fingerprintPassed: new Set(),
    otp: { SMS: new Map(), WHATSAPP: new Map(), VOICE: new Map() },
    otpTriggered: new Set(),
    otpPassed: { SMS: new Set(), WHATSAPP: new Set(), VOICE: new Set() },
    faceMaps: new Map(),
    faceMapPassed: new Set(),
    failures: new Map(),
    lockedUntil: new Map(),
    encryption: encryptionKeyPair(1),
  };
}

/** `GET /v1/auth/jose/response/public-keys`: Wise's key for a scope, as `{version, keyMaterial, scope}`. */
export function wiseEncryptionKey(challenges: ChallengeState, url: URL): Reply {
  if (url.searchParams.get('scope') !== 'PAYLOAD_ENCRYPTION') {
    return errors(400, 'INVALID_SCOPE', 'This emulator has keys for scope=PAYLOAD_ENCRYPTION only');
  }
  return json(200, {
    version: challenges.encryption.version,
    keyMaterial: { algorithm: 'RSA_OAEP_256', keyMaterial: challenges.encryption.publicDer.toString('base64') },
    scope: 'PAYLOAD_ENCRYPTION',
  });
}

/** For a protected call with a user token: undefined when its one-time token passed its challenges (then spent). */
export function requireChallenges(
  sca: ScaState,
  challenges: ChallengeState,
  req: IncomingMessage,
  userId: number,
  actionType: string,
): Reply | undefined {
  if (!hasChallenges(challenges, userId)) return undefined;
  const session = sca.sessions.get(userId);
  if (LOW_RISK.has(actionType) && session?.until !== undefined && session.until > Date.now()) return undefined;
  const ott = req.headers['x-2fa-approval'];
  if (typeof ott === 'string') {
    const token = sca.otts.get(ott);
    if (
      token &&
      !token.used &&
      token.userId === userId &&
      token.expiresAt > Date.now() &&
      allPassed(challenges, userId, ott)
    ) {
      token.used = true;
      return undefined;
    }
  }
  if ((challenges.lockedUntil.get(userId) ?? 0) > Date.now()) {
    return errors(403, 'OTT_CREATION_BLOCKED', 'Too many wrong PINs: try again in 15 minutes');
  }
  return challenge(sca, userId, actionType);
}

/** `GET /v1/one-time-token/status` with the `One-Time-Token` header. */
export function oneTimeTokenStatus(sca: ScaState, challenges: ChallengeState, req: IncomingMessage, userId: number) {
  const ott = liveOtt(sca, req, userId);
  const token = ott ? sca.otts.get(ott) : undefined;
  if (!ott || !token) return noOtt();
  return json(200, {
    oneTimeTokenProperties: {
      oneTimeToken: ott,
      challenges: challengeList(challenges, userId, ott),
      validity: validityOf(sca, ott),
      actionType: token.actionType,
      userId,
    },
  });
}

function allPassed(challenges: ChallengeState, userId: number, ott: string): boolean {
  return FACTORS.every((f) => !f.isSet(challenges).has(userId) || f.passed(challenges).has(ott));
}

/** A field of a JWE (RSA-OAEP-256 / A256GCM) of a JSON object made for Wise's encryption key. */
async function decryptField(challenges: ChallengeState, body: Buffer, field: string): Promise<string | undefined> {
  try {
    const { compactDecrypt } = await import('jose');
    const { plaintext, protectedHeader } = await compactDecrypt(
      body.toString('utf8').trim(),
      challenges.encryption.privateKey,
    );
    if (protectedHeader.alg !== 'RSA-OAEP-256' || protectedHeader.enc !== 'A256GCM') return undefined;
    const parsed = JSON.parse(new TextDecoder().decode(plaintext)) as Record<string, unknown>;
    return typeof parsed[field] === 'string' ? (parsed[field] as string) : undefined;
  } catch {
    return undefined;
  }
}

const decryptPin = (challenges: ChallengeState, body: Buffer) => decryptField(challenges, body, 'pin');

function isJoseRequest(req: IncomingMessage): boolean {
  return (
    /application\/jose\+json/i.test(req.headers['content-type'] ?? '') &&
    String(req.headers['x-tw-jose-method'] ?? '').toLowerCase() === 'jwe'
  );
}

/**
 * The headers Wise marks required on a challenge verification (scaPinVerify, scaDeviceFingerprintVerify):
 * `Accept: application/jose+json`, `Accept-Encoding: identity`, `Content-Encoding: identity`. A reply naming the
 * first one missing, or undefined.
 */
function missingVerifyHeader(req: IncomingMessage): Reply | undefined {
  const wanted: [string, RegExp][] = [
    ['accept', /application\/jose\+json/i],
    ['accept-encoding', /^identity$/i],
    ['content-encoding', /^identity$/i],
  ];
  for (const [name, value] of wanted) {
    if (!value.test(String(req.headers[name] ?? '').trim()))
      return errors(400, 'MISSING_HEADER', `The ${name} header is required here (${value.source.replace(/\\/g, '')})`);
  }
  return undefined;
}

/**
 * `POST /v2/profiles/{id}/sca-sessions/authorise`: a one-time token for a session and the challenges to clear; once
 * they are, the user's low-risk actions pass without a challenge for 5 minutes.
 */
export function createScaSession(sca: ScaState, challenges: ChallengeState, userId: number): Reply {
  const ott = randomUUID();
  sca.otts.set(ott, { userId, actionType: SESSION_ACTION, expiresAt: Date.now() + OTT_TTL_MS, used: false });
  sca.sessions.set(userId, { ott });
  return json(200, {
    oneTimeTokenProperties: {
      oneTimeToken: ott,
      challenges: challengeList(challenges, userId, ott),
      validity: validityOf(sca, ott),
      actionType: SESSION_ACTION,
      userId,
    },
  });
}

/** After a challenge passed: a session whose challenges are now all cleared opens for 5 minutes. */
function openSessionWhenCleared(sca: ScaState, challenges: ChallengeState, userId: number, ott: string): void {
  const session = sca.sessions.get(userId);
  if (session?.ott === ott && session.until === undefined && allPassed(challenges, userId, ott)) {
    session.until = Date.now() + SESSION_MS;
  }
}

/** A verification's 200, in Wise's shape: the one-time token with its challenges as they stand now. */
function verifiedReply(sca: ScaState, challenges: ChallengeState, userId: number, ott: string): Reply {
  openSessionWhenCleared(sca, challenges, userId, ott);
  return json(200, {
    oneTimeToken: ott,
    challenges: challengeList(challenges, userId, ott).map((c) => ({
      primaryChallenge: { type: c.primaryChallenge.type },
      passed: c.passed,
    })),
    validity: validityOf(sca, ott),
  });
}

/** `POST /v2/profiles/{id}/pin/verify`: the PIN as a JWE, for the one-time token in `One-Time-Token`. */
export async function verifyPin(
  sca: ScaState,
  challenges: ChallengeState,
  req: IncomingMessage,
  userId: number,
  body: Buffer,
): Promise<Reply> {
  if (!isJoseRequest(req)) {
    return errors(415, 'UNSUPPORTED_MEDIA_TYPE', 'Send the PIN as a JWE: application/jose+json, X-TW-JOSE-Method: jwe');
  }
  const missing = missingVerifyHeader(req);
  if (missing) return missing;
  const ott = liveOtt(sca, req, userId);
  if (!ott) return noOtt();
  const pin = await decryptPin(challenges, body);
  if (pin === undefined) return errors(400, 'INVALID_JWE', 'The body is not a JWE of {"pin"} for our key');
  if (pin !== challenges.pins.get(userId)) {
    const failures = (challenges.failures.get(userId) ?? 0) + 1;
    challenges.failures.set(userId, failures);
    if (failures >= 5) {
      challenges.lockedUntil.set(userId, Date.now() + LOCK_MS);
      challenges.failures.set(userId, 0);
    }
    return errors(400, 'PIN_MISMATCH', 'The PIN is not correct');
  }
  challenges.failures.set(userId, 0);
  challenges.passed.add(ott);
  return verifiedReply(sca, challenges, userId, ott);
}

/** `POST /v2/profiles/{id}/pin` (scaPinCreate): the PIN as a JWE like the verification; 409 when one exists. */
export async function setPin(challenges: ChallengeState, req: IncomingMessage, userId: number, body: Buffer) {
  if (!isJoseRequest(req)) return errors(415, 'UNSUPPORTED_MEDIA_TYPE', 'Send the PIN as a JWE');
  const missing = missingVerifyHeader(req);
  if (missing) return missing;
  if (challenges.pins.has(userId)) return errors(409, 'PIN_EXISTS', 'A PIN has already been created for this profile');
  const pin = await decryptPin(challenges, body);
  if (pin === undefined || !/^\d{4}$/.test(pin)) return errors(400, 'INVALID_PIN', 'A PIN of 4 digits');
  challenges.pins.set(userId, pin);
  return json(200, {});
}

/** `DELETE /v2/profiles/{id}/pin` (scaPinDelete): 204, or 404 without a PIN. */
export function deletePin(challenges: ChallengeState, userId: number): Reply {
  if (!challenges.pins.delete(userId)) return errors(404, 'NOT_FOUND', 'No PIN has been set up for this profile');
  return { status: 204 } as Reply;
}

/** Sets the one fingerprint of the emulator's user control (a quick set-up for tests and demos). */
export function setFingerprint(challenges: ChallengeState, userId: number, value: string): void {
  challenges.fingerprints.set(userId, new Map([[randomUUID(), value]]));
}

/** `POST /v2/profiles/{id}/device-fingerprints` (scaDeviceFingerprintCreate): a JWE of `{"deviceFingerprint"}`. */
export async function createFingerprint(
  challenges: ChallengeState,
  req: IncomingMessage,
  userId: number,
  body: Buffer,
) {
  if (!isJoseRequest(req)) return errors(415, 'UNSUPPORTED_MEDIA_TYPE', 'Send the fingerprint as a JWE');
  const missing = missingVerifyHeader(req);
  if (missing) return missing;
  const value = await decryptField(challenges, body, 'deviceFingerprint');
  if (value === undefined) return errors(400, 'INVALID_JWE', 'The body is not a JWE of {"deviceFingerprint"}');
  // Kept in the map only once there is one: a user with none has no fingerprint challenge.
  const mine = challenges.fingerprints.get(userId) ?? new Map<string, string>();
  if ([...mine.values()].includes(value))
    return errors(409, 'FINGERPRINT_EXISTS', 'The device fingerprint has already been created');
  if (mine.size >= 3) return errors(400, 'MAX_FINGERPRINTS', 'Maximum number of device fingerprints reached (3)');
  const id = randomUUID();
  challenges.fingerprints.set(userId, mine.set(id, value));
  return json(200, { deviceFingerprintId: id, createdAt: new Date().toISOString() });
}

/** `DELETE /v2/profiles/{id}/device-fingerprints/{fingerprintId}` (scaDeviceFingerprintDelete). */
export function deleteFingerprint(challenges: ChallengeState, userId: number, id: string): Reply {
  const mine = challenges.fingerprints.get(userId);
  if (!mine?.delete(id)) return errors(404, 'NOT_FOUND', 'No such device fingerprint');
  if (!mine.size) challenges.fingerprints.delete(userId);
  return { status: 204 } as Reply;
}

/** `POST /v2/profiles/{id}/device-fingerprints/verify`: the fingerprint as a JWE of `{"deviceFingerprint"}`. */
export async function verifyFingerprint(
  sca: ScaState,
  challenges: ChallengeState,
  req: IncomingMessage,
  userId: number,
  body: Buffer,
): Promise<Reply> {
  if (!isJoseRequest(req)) return errors(415, 'UNSUPPORTED_MEDIA_TYPE', 'Send the fingerprint as a JWE');
  const missing = missingVerifyHeader(req);
  if (missing) return missing;
  const ott = liveOtt(sca, req, userId);
  if (!ott) return noOtt();
  const fingerprint = await decryptField(challenges, body, 'deviceFingerprint');
  if (fingerprint === undefined) return errors(400, 'INVALID_JWE', 'The body is not a JWE of {"deviceFingerprint"}');
  if (![...(challenges.fingerprints.get(userId)?.values() ?? [])].includes(fingerprint)) {
    return errors(400, 'FINGERPRINT_MISMATCH', 'The device fingerprint is not the registered one');
  }
  challenges.fingerprintPassed.add(ott);
  return verifiedReply(sca, challenges, userId, ott);
}

/**
 * `POST /v1/one-time-token/{sms|whatsapp|voice}/trigger` (ottSmsTrigger ...): "sends" the code for the token to the
 * user's verified phone; answers the obfuscated number. The user must have that factor, or a FACE_MAP challenge
 * with it as an alternative.
 */
export function triggerOtp(
  sca: ScaState,
  challenges: ChallengeState,
  req: IncomingMessage,
  userId: number,
  type: OtpType,
): Reply {
  const ott = liveOtt(sca, req, userId);
  if (!ott) return noOtt();
  const phone =
    challenges.otp[type].get(userId) ??
    (challenges.faceMaps.get(userId)?.includes(type) ? '+4915112348888' : undefined);
  if (!phone) return errors(400, 'CHALLENGE_NOT_AVAILABLE', `${type} is not a challenge of this one-time token`);
  challenges.otpTriggered.add(`${type} ${ott}`);
  return json(200, { obfuscatedPhoneNo: `${'*'.repeat(Math.max(0, phone.length - 4))}${phone.slice(-4)}` });
}

/** `POST /v1/one-time-token/{type}/verify` with `{"otpCode"}`: clears the challenge (and a FACE_MAP it stands in for). */
export function verifyOtp(
  sca: ScaState,
  challenges: ChallengeState,
  req: IncomingMessage,
  userId: number,
  type: OtpType,
  body: Buffer,
): Reply {
  const ott = liveOtt(sca, req, userId);
  if (!ott) return noOtt();
  if (!challenges.otpTriggered.has(`${type} ${ott}`))
    return errors(400, 'CHALLENGE_NOT_TRIGGERED', `Trigger the ${type} challenge first`);
  let code: unknown;
  try {
    code = (JSON.parse(body.toString('utf8')) as { otpCode?: unknown }).otpCode;
  } catch {
    return errors(400, 'INVALID_BODY', 'A JSON body {"otpCode"} is required');
  }
  if (code !== SANDBOX_OTP) return errors(400, 'OTP_MISMATCH', 'The code is not correct');
  challenges.otpPassed[type].add(ott);
  if (challenges.faceMaps.get(userId)?.includes(type)) challenges.faceMapPassed.add(ott);
  openSessionWhenCleared(sca, challenges, userId, ott);
  return json(200, {
    oneTimeTokenProperties: {
      oneTimeToken: ott,
      challenges: challengeList(challenges, userId, ott),
      validity: validityOf(sca, ott),
    },
  });
}
