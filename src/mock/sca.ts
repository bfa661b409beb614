/**
 * Strong Customer Authentication as Wise documents it for personal tokens: a protected call answers 403 with
 * `x-2fa-approval-result: REJECTED` and a one-time token (a UUID) in `x-2fa-approval`; the client signs the token
 * with SHA256withRSA (PKCS#1 v1.5) using a key whose public half the user uploaded, and repeats the call with
 * `x-2fa-approval` and `X-Signature` (standard base64). A one-time token is single use and expires.
 */
import { createPublicKey, type KeyObject, randomUUID, verify } from 'node:crypto';
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
}

export function createScaState(): ScaState {
  return { keys: new Map(), otts: new Map() };
}

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
