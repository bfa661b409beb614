/**
 * JOSE in the emulator, from Wise's JOSE guides and API reference: partners register public keys
 * (`POST /v1/auth/jose/request/public-keys`, client-credentials token), fetch Wise's keys
 * (`GET /v1/auth/jose/response/public-keys`), and send JWS (ES256..ES512, PS256..PS512; `kid`, `url` in the protected
 * header, `url` checked against the request path) or JWE (RSA-OAEP-256 / A256GCM to Wise's PAYLOAD_ENCRYPTION key,
 * `url` checked) request bodies with `X-TW-JOSE-Method`. Replies are signed with Wise's signing key of the request's
 * algorithm and/or encrypted to the partner's registered encryption key (`kid`); a JWS inside a JWE (`cty: JWT`) is
 * sign-then-encrypt, answered the same way. Empty replies and errors are sent plain.
 */
import { constants, createPublicKey, generateKeyPairSync, type KeyObject, privateDecrypt } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { errors, json, type Reply } from './reply.js';

export const JWS_ALGS = ['ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512'];
const CURVES: Record<string, string> = { ES256: 'prime256v1', ES384: 'secp384r1', ES512: 'secp521r1' };
const JWK_CURVES: Record<string, string> = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const WISE_DATE = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

interface ClientKey {
  keyId: string;
  scope: 'PAYLOAD_SIGNING' | 'PAYLOAD_ENCRYPTION';
  algorithm: string;
  key: KeyObject;
  validFrom: number;
  validTill: number;
  registeredAt: number;
}

export interface JoseState {
  /** Keys the partner client registered, by key id. */
  clientKeys: Map<string, ClientKey>;
  /** Wise's signing keys, one per algorithm, made on first use. */
  signing: Map<string, { privateKey: KeyObject; publicDer: Buffer; version: number }>;
}

export function createJoseState(): JoseState {
  return { clientKeys: new Map(), signing: new Map() };
}

function signingKey(state: JoseState, alg: string) {
  let key = state.signing.get(alg);
  if (!key) {
    const curve = CURVES[alg];
    const { privateKey, publicKey } = curve
      ? generateKeyPairSync('ec', { namedCurve: curve })
      : generateKeyPairSync('rsa', { modulusLength: 2048 });
    key = { privateKey, publicDer: publicKey.export({ type: 'spki', format: 'der' }), version: 1 };
    state.signing.set(alg, key);
  }
  return key;
}

/** Rotates Wise's signing key of an algorithm (a test control): replies are signed with the new one from then on. */
export function rotateSigningKey(state: JoseState, alg: string): Reply {
  if (!JWS_ALGS.includes(alg)) return errors(400, 'INVALID_ALGORITHM', `Unknown algorithm ${alg}`);
  const version = (state.signing.get(alg)?.version ?? 0) + 1;
  state.signing.delete(alg);
  const key = signingKey(state, alg);
  key.version = version;
  return json(200, { algorithm: alg, version });
}

/** `GET /v1/auth/jose/response/public-keys?algorithm=ES256..PS512&scope=PAYLOAD_SIGNING`. */
export function wiseSigningKey(state: JoseState, url: URL): Reply {
  const alg = url.searchParams.get('algorithm') ?? '';
  if (!JWS_ALGS.includes(alg)) {
    return errors(400, 'INVALID_ALGORITHM', `algorithm must be one of ${JWS_ALGS.join(', ')} for PAYLOAD_SIGNING`);
  }
  const key = signingKey(state, alg);
  return json(200, {
    version: key.version,
    keyMaterial: { algorithm: alg, keyMaterial: key.publicDer.toString('base64') },
    scope: 'PAYLOAD_SIGNING',
  });
}

function parseWiseDate(text: unknown): number | undefined {
  const m = typeof text === 'string' ? WISE_DATE.exec(text) : null;
  if (!m) return undefined;
  const ms = Date.UTC(
    +(m[1] as string),
    +(m[2] as string) - 1,
    +(m[3] as string),
    +(m[4] as string),
    +(m[5] as string),
    +(m[6] as string),
  );
  return Number.isNaN(ms) ? undefined : ms;
}

/** `POST /v1/auth/jose/request/public-keys`: a partner's public key, checked field by field. */
export function registerClientKey(state: JoseState, body: Buffer): Reply {
  let input: {
    keyId?: unknown;
    validFrom?: unknown;
    validTill?: unknown;
    scope?: unknown;
    publicKeyMaterial?: { algorithm?: unknown; keyMaterial?: unknown };
  };
  try {
    input = JSON.parse(body.toString('utf8'));
  } catch {
    return errors(400, 'INVALID_JSON', 'The body is not JSON');
  }
  const bad = (field: string, why: string) => errors(400, 'INVALID_FIELD', `${field}: ${why}`);
  if (typeof input.keyId !== 'string' || !UUID.test(input.keyId)) return bad('keyId', 'must be a UUID');
  if (state.clientKeys.has(input.keyId)) return errors(409, 'KEY_EXISTS', `Key ${input.keyId} is already registered`);
  if (input.scope !== 'PAYLOAD_SIGNING' && input.scope !== 'PAYLOAD_ENCRYPTION') {
    return bad('scope', 'must be PAYLOAD_SIGNING or PAYLOAD_ENCRYPTION');
  }
  const validFrom = parseWiseDate(input.validFrom);
  const validTill = parseWiseDate(input.validTill);
  if (validFrom === undefined) return bad('validFrom', 'must be yyyy-MM-dd HH:mm:ss');
  if (validTill === undefined) return bad('validTill', 'must be yyyy-MM-dd HH:mm:ss');
  if (validTill <= validFrom) return bad('validTill', 'must be after validFrom');
  const algorithm = input.publicKeyMaterial?.algorithm;
  const allowed = input.scope === 'PAYLOAD_SIGNING' ? JWS_ALGS : ['RSA_OAEP_256'];
  if (typeof algorithm !== 'string' || !allowed.includes(algorithm)) {
    return bad('publicKeyMaterial.algorithm', `must be one of ${allowed.join(', ')} for ${input.scope}`);
  }
  let key: KeyObject;
  try {
    key = createPublicKey({
      key: Buffer.from(String(input.publicKeyMaterial?.keyMaterial), 'base64'),
      format: 'der',
      type: 'spki',
    });
  } catch {
    return bad('publicKeyMaterial.keyMaterial', 'must be a base64 DER (SPKI) public key');
  }
  const curve = JWK_CURVES[algorithm];
  const fits = curve
    ? key.asymmetricKeyType === 'ec' && key.export({ format: 'jwk' }).crv === curve
    : key.asymmetricKeyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048;
  if (!fits) return bad('publicKeyMaterial.keyMaterial', `is not a key for ${algorithm}`);
  state.clientKeys.set(input.keyId, {
    keyId: input.keyId,
    scope: input.scope,
    algorithm,
    key,
    validFrom,
    validTill,
    registeredAt: Date.now(),
  });
  return json(201, {
    keyId: input.keyId,
    scope: input.scope,
    algorithm,
    validFrom: input.validFrom,
    validTill: input.validTill,
  });
}

/** Wise checks that the `url` of a JOSE header is the path called: a signed body cannot be replayed elsewhere. */
function urlMismatch(kind: 'JWS' | 'JWE', url: unknown, path: string): Reply {
  return errors(
    400,
    'JOSE_URL_MISMATCH',
    `The ${kind} header url ${JSON.stringify(url)} is not the request path ${path}`,
  );
}

function validKeys(state: JoseState, scope: ClientKey['scope']): ClientKey[] {
  const now = Date.now();
  return [...state.clientKeys.values()].filter(
    (k) => k.scope === scope && k.validFrom <= now + 60_000 && now < k.validTill,
  );
}

/** The partner's newest valid encryption key, which replies are encrypted to. */
function clientEncryptionKey(state: JoseState): ClientKey | undefined {
  return validKeys(state, 'PAYLOAD_ENCRYPTION').sort((a, b) => b.registeredAt - a.registeredAt)[0];
}

export function hasClientEncryptionKey(state: JoseState): boolean {
  return clientEncryptionKey(state) !== undefined;
}

/** A request body as the route sees it once its JOSE is checked and removed. */
export interface OpenedRequest {
  body: Buffer;
  signs: boolean;
  encrypts: boolean;
  /** The algorithm of the request's JWS, which Wise's reply signature uses. */
  alg?: string;
  /** The request JWE's content encryption key (what a direct-encryption reply is encrypted with). */
  cek?: Buffer;
  /** Encrypt the reply with `cek` itself (alg `dir`), as Wise's jwe-direct-encryption playground does. */
  direct?: boolean;
}

const decodeHeader = (compact: string): Record<string, unknown> | undefined => {
  try {
    return JSON.parse(Buffer.from(compact.split('.')[0] ?? '', 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
};

async function verifyJws(state: JoseState, compact: string, path: string): Promise<Buffer | Reply> {
  const { compactVerify } = await import('jose');
  const header = decodeHeader(compact);
  if (!header || !/^[\w-]+\.[\w-]*\.[\w-]+$/.test(compact))
    return errors(400, 'JOSE_INVALID_JWS', 'The body is not a compact JWS');
  const alg = String(header.alg);
  if (!JWS_ALGS.includes(alg)) {
    return errors(
      400,
      'JOSE_ALGORITHM_NOT_ALLOWED',
      `JWS algorithm ${alg} is not allowed; use one of ${JWS_ALGS.join(', ')}`,
    );
  }
  const keys = validKeys(state, 'PAYLOAD_SIGNING');
  let key: ClientKey | undefined;
  if (header.kid !== undefined) {
    key = keys.find((k) => k.keyId === header.kid);
    if (!key)
      return errors(400, 'JOSE_UNKNOWN_KEY', `No valid signing key with kid ${String(header.kid)} is registered`);
  } else if (keys.length === 1) {
    key = keys[0];
  } else {
    return errors(400, 'JOSE_KID_REQUIRED', `${keys.length} signing keys are registered: name one with kid`);
  }
  if (!key || key.algorithm !== alg) {
    return errors(400, 'JOSE_ALGORITHM_MISMATCH', `Key ${key?.keyId} is registered for ${key?.algorithm}, not ${alg}`);
  }
  let payload: Uint8Array;
  try {
    payload = (await compactVerify(compact, key.key, { algorithms: [alg] })).payload;
  } catch {
    return errors(400, 'JOSE_INVALID_SIGNATURE', 'The JWS signature does not verify with the registered key');
  }
  if (header.url !== path) return urlMismatch('JWS', header.url, path);
  return Buffer.from(payload);
}

/**
 * Checks and removes the JOSE of a request with `X-TW-JOSE-Method`; a reply (400) when it does not pass. A JWE
 * request needs a registered encryption key of the partner as well, for the reply.
 */
export async function openJoseRequest(
  state: JoseState,
  wiseEncryption: KeyObject,
  req: IncomingMessage,
  path: string,
  body: Buffer,
): Promise<OpenedRequest | Reply> {
  const method = String(req.headers['x-tw-jose-method'] ?? '').toLowerCase();
  if (method !== 'jws' && method !== 'jwe' && method !== 'jws+jwe') {
    return errors(400, 'JOSE_INVALID_METHOD', 'X-TW-JOSE-Method must be jws, jwe or jws+jwe');
  }
  const text = body.toString('utf8').trim();
  if (text && !/^application\/jose\+json/i.test(req.headers['content-type'] ?? '')) {
    return errors(415, 'UNSUPPORTED_MEDIA_TYPE', 'A JOSE body is sent as Content-Type: application/jose+json');
  }
  if (method === 'jws') {
    if (!text) return { body, signs: true, encrypts: false };
    const opened = await verifyJws(state, text, path);
    if (!Buffer.isBuffer(opened)) return opened;
    return { body: opened, signs: true, encrypts: false, alg: String(decodeHeader(text)?.alg) };
  }
  // A direct-encryption reply is encrypted with the request's own key: no partner key is needed for it.
  if (!clientEncryptionKey(state) && path !== '/v1/auth/jose/playground/jwe-direct-encryption') {
    return errors(
      400,
      'JOSE_NO_ENCRYPTION_KEY',
      'Register a PAYLOAD_ENCRYPTION key first: replies are encrypted to it',
    );
  }
  // A JWE call without a body (a GET): the reply is signed, then encrypted, when the partner has installed a
  // signing key too (Wise's JWS+JWE set-up), else only encrypted.
  if (!text) return { body, signs: validKeys(state, 'PAYLOAD_SIGNING').length > 0, encrypts: true };
  const header = decodeHeader(text);
  if (header?.alg !== 'RSA-OAEP-256' || header?.enc !== 'A256GCM') {
    return errors(400, 'JOSE_ALGORITHM_NOT_ALLOWED', 'JWE must use alg RSA-OAEP-256 and enc A256GCM');
  }
  const { compactDecrypt } = await import('jose');
  let plaintext: Uint8Array;
  try {
    plaintext = (await compactDecrypt(text, wiseEncryption)).plaintext;
  } catch {
    return errors(400, 'JOSE_DECRYPTION_FAILED', 'The JWE cannot be decrypted with our current key (fetch it again)');
  }
  // Wise's JWE examples carry no `url`; one that is there must name the path.
  if (header.url !== undefined && header.url !== path) return urlMismatch('JWE', header.url, path);
  // The content encryption key, as the request's RSA-OAEP-256 encrypted it: a direct-encryption reply reuses it.
  const cek = privateDecrypt(
    { key: wiseEncryption, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
    Buffer.from(text.split('.')[1] ?? '', 'base64url'),
  );
  const inner = Buffer.from(plaintext).toString('utf8');
  const nested = /^[\w-]+\.[\w-]*\.[\w-]+$/.test(inner);
  if (method === 'jws+jwe' && !nested)
    return errors(400, 'JOSE_INVALID_JWS', 'X-TW-JOSE-Method jws+jwe: the JWE must hold a compact JWS');
  if (header.cty === 'JWT' || nested) {
    const verified = await verifyJws(state, inner, path);
    if (!Buffer.isBuffer(verified)) return verified;
    return { body: verified, signs: true, encrypts: true, alg: String(decodeHeader(inner)?.alg), cek };
  }
  return { body: Buffer.from(plaintext), signs: false, encrypts: true, cek };
}

/** The reply to a JOSE request: signed and/or encrypted as the request was; errors and empty replies stay plain. */
export async function sealJoseReply(
  state: JoseState,
  opened: Pick<OpenedRequest, 'signs' | 'encrypts' | 'alg' | 'cek' | 'direct'>,
  reply: Reply,
): Promise<Reply> {
  if (reply.body === undefined || reply.status >= 400) return reply;
  const jose = await import('jose');
  let text = JSON.stringify(reply.body);
  if (opened.direct && opened.cek) {
    text = await new jose.CompactEncrypt(new TextEncoder().encode(text))
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .encrypt(opened.cek);
    return { status: reply.status, jose: text, ...(reply.headers ? { headers: reply.headers } : {}) };
  }
  if (opened.signs) {
    const alg = opened.alg ?? newestSigningAlg(state);
    const key = signingKey(state, alg);
    text = await new jose.CompactSign(new TextEncoder().encode(text)).setProtectedHeader({ alg }).sign(key.privateKey);
  }
  if (opened.encrypts) {
    const to = clientEncryptionKey(state);
    if (!to) return errors(400, 'JOSE_NO_ENCRYPTION_KEY', 'No PAYLOAD_ENCRYPTION key is registered for the reply');
    text = await new jose.CompactEncrypt(new TextEncoder().encode(text))
      .setProtectedHeader({
        alg: 'RSA-OAEP-256',
        enc: 'A256GCM',
        kid: to.keyId,
        ...(opened.signs ? { cty: 'JWT' } : {}),
      })
      .encrypt(to.key);
  }
  return { status: reply.status, jose: text, ...(reply.headers ? { headers: reply.headers } : {}) };
}

/** A reply to a GET with `jws`: signed with the algorithm of the partner's newest signing key (ES256 without one). */
function newestSigningAlg(state: JoseState): string {
  return validKeys(state, 'PAYLOAD_SIGNING').sort((a, b) => b.registeredAt - a.registeredAt)[0]?.algorithm ?? 'ES256';
}

/** Wise's JOSE playgrounds, by the last segment of their path, and the X-TW-JOSE-Method each takes. */
export const PLAYGROUNDS: Record<string, 'jws' | 'jwe' | 'jws+jwe'> = {
  jws: 'jws',
  jwe: 'jwe',
  jwsjwe: 'jws+jwe',
  'jwe-direct-encryption': 'jwe',
};

/** The message length Wise's playgrounds answer at most. */
const PLAYGROUND_MESSAGE_MAX = 100;

/**
 * `/v1/auth/jose/playground/{jws,jwe,jwsjwe,jwe-direct-encryption}` as Wise documents them: a `{"message"}` sent
 * signed and/or encrypted as the playground demands is answered (sealed the same way) with the message prefixed
 * `jose-playground-response-` (100 characters at most) and the request's method; `GET …/jwe` answers the prefix alone.
 * jwe-direct-encryption encrypts its answer with the request's own content encryption key (alg `dir`).
 */
export function playground(name: string, opened: OpenedRequest | undefined, method: string): Reply {
  const wanted = PLAYGROUNDS[name] as string;
  const got = opened ? (opened.signs && opened.encrypts ? 'jws+jwe' : opened.signs ? 'jws' : 'jwe') : undefined;
  // A GET has no body: its reply is encrypted (and signed too when the partner has a signing key installed).
  const fits = method === 'GET' ? name === 'jwe' && opened?.encrypts === true : got === wanted;
  if (!opened || !fits) {
    return errors(
      400,
      'JOSE_REQUIRED',
      `Send this with X-TW-JOSE-Method: ${wanted} (and a ${wanted.toUpperCase()} body)`,
    );
  }
  if (method === 'GET') return json(200, { message: 'jose-playground-response-', method });
  let message: unknown;
  try {
    message = (JSON.parse(opened.body.toString('utf8')) as { message?: unknown }).message;
  } catch {
    message = undefined;
  }
  if (typeof message !== 'string') return errors(400, 'NOT_VALID', 'The payload needs a "message" field');
  if (name === 'jwe-direct-encryption') opened.direct = true;
  return json(200, { message: `jose-playground-response-${message}`.slice(0, PLAYGROUND_MESSAGE_MAX), method });
}
