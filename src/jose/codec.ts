/**
 * The body-codec layer of the request pipeline for JOSE (src/http/pipeline.ts, layer 2). On the way out the body is
 * signed (compact JWS: `alg`, `kid`, `url` = the request path) and/or encrypted (compact JWE, RSA-OAEP-256 / A256GCM,
 * `url`, to Wise's PAYLOAD_ENCRYPTION key); on the way back Wise's reply is decrypted with our encryption key (by
 * `kid`) and/or verified with Wise's PAYLOAD_SIGNING key, and the layers outside see the plain JSON. A successful
 * reply that is not JOSE, or does not verify, is refused (exit 1) and its payload never shown: that is the point of
 * asking for it. Wise's keys are kept; one that fails is fetched once more and compared, and a key other than the
 * kept one stops the call (src/jose/wise-keys.ts): nothing is sent to it or accepted from it.
 */
import type { CryptoKey } from 'jose';
import { WiseError } from '../errors.js';
import type { Layer, PipelineRequest, WiseResponse } from '../http/pipeline.js';
import type { Redactor } from '../util/redact.js';
import { CONTENT_ENCRYPTION, ENCRYPTION_ALG, openJwe, SIGNING_ALGS } from './keys.js';
import type { WiseKey, WiseKeyScope } from './wise-keys.js';

export type JoseMode = 'jws' | 'jwe' | 'jws+jwe';
export const JOSE_MODES: readonly JoseMode[] = ['jws', 'jwe', 'jws+jwe'];
const JOSE_TYPE = 'application/jose+json';

/** What the layer needs, loaded on the first request that uses it. */
export interface JoseMaterial {
  /** Our active signing key (for `jws`, `jws+jwe`). */
  signing?: { kid: string; alg: string; key: CryptoKey };
  /** Our encryption keys by kid, to open replies (the active one and older ones not yet removed), imported on demand. */
  decryption: Map<string, () => Promise<CryptoKey>>;
  /** Wise's key of a scope and algorithm: cached (fetched if there is none), or fetched when `fresh`. */
  wiseKey(scope: WiseKeyScope, algorithm: string, fresh: boolean): Promise<WiseKey>;
  /** Wise's key of a scope and algorithm if it is cached; nothing is fetched. */
  cachedWiseKey(scope: WiseKeyScope, algorithm: string): Promise<WiseKey | undefined>;
}

export class JoseReplyError extends WiseError {}

/** Wise's public key as the WebCrypto key jose works with, for one algorithm. */
async function publicKey(key: WiseKey, alg: string): Promise<CryptoKey> {
  const { importSPKI } = await import('jose');
  const base64 = Buffer.from(key.der, 'base64').toString('base64'); // normalised: no whitespace, padded
  return importSPKI(`-----BEGIN PUBLIC KEY-----\n${base64}\n-----END PUBLIC KEY-----`, alg);
}

function isCompactJws(text: string): boolean {
  return /^[\w-]+\.[\w-]*\.[\w-]+$/.test(text);
}

export interface JoseLayerOptions {
  mode: JoseMode;
  material: () => Promise<JoseMaterial>;
  redactor: Redactor;
  debug: (line: string) => void;
  debugEnabled: boolean;
}

export function joseLayer(o: JoseLayerOptions): Layer {
  const signs = o.mode !== 'jwe';
  const encrypts = o.mode !== 'jws';
  return {
    name: 'body codec',
    async handle(request, next) {
      // A body its caller already made JOSE (an SCA answer) goes as it is.
      if (/^application\/jose\+json/i.test(request.headers['content-type'] ?? '')) return next(request);
      // The keys (read once, imported into WebCrypto keys with the JOSE code), then the JOSE code they loaded.
      const m = await o.material();
      const jose = await import('jose');
      if (signs && !m.signing) throw new WiseError('JWS needs an active signing key.');
      const url = request.url.pathname;
      const plaintext = request.body?.byteLength ? request.body : undefined;
      if (o.debugEnabled && plaintext) {
        o.debug(
          `  ${o.mode.toUpperCase()} request, url ${url}; plaintext: ${o.redactor.body(Buffer.from(plaintext).toString('utf8'), 'application/json')}`,
        );
      }
      let signed: string | undefined;
      if (plaintext && signs && m.signing) {
        signed = await new jose.CompactSign(plaintext)
          .setProtectedHeader({ alg: m.signing.alg, kid: m.signing.kid, url })
          .sign(m.signing.key);
      }
      const headers: Record<string, string> = {
        ...request.headers,
        accept: JOSE_TYPE,
        'accept-encoding': 'identity',
        // As Wise names them: `jws`, `jwe`, and `jws+jwe` for a signed then encrypted body.
        'x-tw-jose-method': o.mode,
      };
      const encryptFor = async (key: WiseKey) =>
        new jose.CompactEncrypt(signed ? new TextEncoder().encode(signed) : (plaintext as Uint8Array))
          .setProtectedHeader({ alg: ENCRYPTION_ALG, enc: CONTENT_ENCRYPTION, url, ...(signed ? { cty: 'JWT' } : {}) })
          .encrypt(await publicKey(key, ENCRYPTION_ALG));
      const build = async (wiseEncryptionKey?: WiseKey): Promise<PipelineRequest> => {
        const body = plaintext
          ? encrypts
            ? await encryptFor(wiseEncryptionKey as WiseKey)
            : (signed as string)
          : undefined;
        return {
          ...request,
          headers: {
            ...headers,
            ...(body ? { 'content-type': JOSE_TYPE } : {}),
            ...(body && encrypts ? { 'content-encoding': 'identity' } : {}),
          },
          ...(body ? { body: new TextEncoder().encode(body) } : { body: undefined }),
        } as PipelineRequest;
      };

      // Wise's key that verifies the reply (for the algorithm of our request, which Wise signs its reply with) and
      // the keys that open the reply are imported while the request is on its way and Wise works on it.
      const verifier = verifierOf(m);
      const importWhileWaiting = () => {
        setImmediate(() => {
          if (signs && m.signing) verifier.warm(m.signing.alg);
          if (encrypts) for (const key of m.decryption.values()) key().catch(() => {});
        });
      };
      let response: WiseResponse;
      if (plaintext && encrypts) {
        let key = await m.wiseKey('PAYLOAD_ENCRYPTION', 'RSA_OAEP_256', false);
        // A kept key that does not import (a damaged file) is fetched again before anything is sent.
        const body = await build(key).catch(async () => {
          key = await m.wiseKey('PAYLOAD_ENCRYPTION', 'RSA_OAEP_256', true);
          return build(key);
        });
        const sent = next(body);
        importWhileWaiting();
        response = await sent;
        // Wise may have rotated its key: it is fetched once more and compared. The same key means the failure is
        // not the key's; another key stops the command (WiseKeyChangedError): the body is never sent to a key this
        // tool does not trust, and never twice.
        // (Wise answers a decryption failure with a 400 naming JWE, or with a generic 500.)
        if (
          (response.status === 400 && /JWE|decrypt/i.test(response.body.toString('utf8'))) ||
          response.status === 500
        ) {
          await m.wiseKey('PAYLOAD_ENCRYPTION', 'RSA_OAEP_256', true);
        }
      } else {
        const sent = next(await build());
        importWhileWaiting();
        response = await sent;
      }
      return openReply(response, o, m, verifier, signs, encrypts);
    },
  };
}

interface Verifier {
  (alg: string, fresh: boolean): Promise<{ key: WiseKey; crypto?: CryptoKey }>;
  /** Imports the cached key of the algorithm ahead of the reply, if there is one (nothing is fetched for it). */
  warm(alg: string): void;
}

/**
 * Wise's signing key for an algorithm as a WebCrypto key: the cached one imported once, or a fresh one when asked.
 * A key that does not import (a damaged cache) has no `crypto`, and verifies nothing.
 */
function verifierOf(m: JoseMaterial): Verifier {
  const known = new Map<string, ReturnType<Verifier>>();
  const imported = async (key: WiseKey, alg: string) => ({
    key,
    crypto: await publicKey(key, alg).catch(() => undefined),
  });
  const verifier = (alg: string, fresh: boolean) => {
    if (fresh) return m.wiseKey('PAYLOAD_SIGNING', alg, true).then((key) => imported(key, alg));
    let loaded = known.get(alg);
    if (!loaded) {
      loaded = m.wiseKey('PAYLOAD_SIGNING', alg, false).then((key) => imported(key, alg));
      known.set(alg, loaded);
    }
    return loaded;
  };
  verifier.warm = (alg: string) => {
    m.cachedWiseKey('PAYLOAD_SIGNING', alg)
      .then((key) => {
        if (key && !known.has(alg)) known.set(alg, imported(key, alg));
      })
      .catch(() => {});
  };
  return verifier;
}

async function openReply(
  response: WiseResponse,
  o: JoseLayerOptions,
  m: JoseMaterial,
  verifier: Verifier,
  signs: boolean,
  encrypts: boolean,
): Promise<WiseResponse> {
  const isJose = (response.headers['content-type'] ?? '').toLowerCase().startsWith(JOSE_TYPE);
  const ok = response.status >= 200 && response.status < 300;
  if (!response.body.byteLength) return response;
  if (!isJose) {
    if (!ok) return response; // Wise's errors may come as plain JSON.
    throw new JoseReplyError(
      `Wise's reply was not ${signs ? 'signed' : 'encrypted'} (content-type ${response.headers['content-type'] ?? 'none'}), though ${o.mode.toUpperCase()} was asked for; it is not shown.`,
      { hint: 'Something between you and Wise may have changed the reply; try again with --debug.' },
    );
  }
  const jose = await import('jose');
  let text = response.body.toString('utf8').trim();
  if (encrypts || !isCompactJws(text)) {
    const header = (() => {
      try {
        return jose.decodeProtectedHeader(text);
      } catch {
        return {};
      }
    })();
    const wanted = header.kid ? [m.decryption.get(header.kid)] : [...m.decryption.values()];
    const candidates = await Promise.all(wanted.filter((key) => key !== undefined).map((key) => key()));
    if (!candidates.length) {
      throw new JoseReplyError(
        header.kid
          ? `Wise's reply is encrypted to key ${header.kid}, which is not among this environment's encryption keys.`
          : "Wise's reply is encrypted, and this environment has no encryption key to open it.",
        {
          hint: 'Make and register one: `wise keys generate --use encryption` then `wise keys register --use encryption`.',
        },
      );
    }
    const opened = await openJwe(text, candidates);
    if (!opened)
      throw new JoseReplyError("Wise's reply could not be decrypted with the key it names: it is not shown.");
    text = new TextDecoder().decode(opened);
    o.debug('  reply decrypted');
  }
  if (signs || isCompactJws(text)) {
    if (!isCompactJws(text))
      throw new JoseReplyError("Wise's reply is not signed, though JWS was asked for; it is not shown.");
    const header = jose.decodeProtectedHeader(text);
    const alg = String(header.alg);
    if (!(SIGNING_ALGS as readonly string[]).includes(alg)) {
      throw new JoseReplyError(`Wise's reply is signed with ${alg}, which is not allowed: it is not shown.`);
    }
    const verify = async (fresh: boolean) => {
      const { key, crypto } = await verifier(alg, fresh);
      if (!crypto) return { key, result: undefined };
      try {
        return { key, result: await jose.compactVerify(text, crypto, { algorithms: [alg] }) };
      } catch {
        return { key, result: undefined };
      }
    };
    let attempt = await verify(false);
    // As Wise asks: a verification failure fetches its key once more, then tries once more; a key other than the
    // trusted one is not tried at all (fetchWiseKey throws).
    if (!attempt.result) attempt = await verify(true);
    if (!attempt.result) {
      throw new JoseReplyError(
        "Wise's reply does not verify with Wise's signing key: it may have been changed on the way, and is not shown.",
        {
          hint: 'Try again; if it persists, check what sits between you and Wise (proxy, TLS inspection).',
          details: { status: response.status },
        },
      );
    }
    text = new TextDecoder().decode(attempt.result.payload);
    o.debug(`  reply signature verified (${alg}, Wise key version ${attempt.key.version ?? 'unknown'})`);
  }
  if (o.debugEnabled) o.debug(`  plaintext reply: ${o.redactor.body(text, 'application/json')}`);
  return {
    ...response,
    headers: { ...response.headers, 'content-type': 'application/json' },
    body: Buffer.from(text, 'utf8'),
  };
}
