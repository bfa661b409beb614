/**
 * The local Wise emulator behind `wise mock`. It is written from Wise's public API documentation and imports none of
 * the client's code (src/auth, src/http, src/jose), so that client and emulator cannot share a misunderstanding.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { accountRoute, subscriptionRoute } from './account.js';
import {
  createJoseState,
  hasClientEncryptionKey,
  type OpenedRequest,
  openJoseRequest,
  PLAYGROUNDS,
  playground,
  registerClientKey,
  rotateSigningKey,
  sealJoseReply,
  wiseSigningKey,
} from './jose.js';
import { handleAuthorize, handleSignup, handleToken, type OAuthOptions } from './oauth.js';
import { createQuote } from './quotes.js';
import { errors, json, type Reply } from './reply.js';
import {
  createChallengeState,
  createFingerprint,
  createScaSession,
  createScaState,
  deleteFingerprint,
  deletePin,
  hasChallenges,
  OTP_TYPES,
  type OtpType,
  oneTimeTokenStatus,
  registerScaKey,
  requireChallenges,
  requirePersonalSignature,
  rotateEncryptionKey,
  setFingerprint,
  setPin,
  triggerOtp,
  verifyFingerprint,
  verifyOtp,
  verifyPin,
  wiseEncryptionKey,
} from './sca.js';
import { createSeed, type MockState, type MockToken } from './state.js';
import { createWebhookSigner, deliverTestEvent, EventPublisher } from './webhooks.js';

export { makeTestPki, type TestPki } from './certs.js';

export interface MockOptions {
  port?: number;
  host?: string;
  /** The demo user's personal token; generated when absent. */
  personalToken?: string;
  /** The partner client registered with the emulator: id, secret (generated when absent) and redirect URIs. */
  clientId?: string;
  clientSecret?: string;
  redirectUris?: string[];
  /** Approve the consent page at once, for scripts. */
  autoApprove?: boolean;
  /** Lifetime of OAuth access tokens in seconds (default 43199, as Wise). */
  tokenTtlSeconds?: number;
  /** Seconds to add to the `Date` header, to try clients against a server whose clock is off. */
  clockSkewSeconds?: number;
  /** PEM public keys the demo user uploaded for signing one-time tokens (SCA with a personal token). */
  scaPublicKeys?: string[];
  /** Milliseconds every API answer waits, to try clients against a slow network (the emulator's controls do not). */
  latencyMs?: number;
  /** Serve HTTPS with this certificate; with `ca` and `requestCert`, demand client certificates (mTLS). */
  tls?: { cert: string; key: string; ca?: string; requestCert?: boolean };
}

export const DEFAULT_REDIRECT_URI = 'http://127.0.0.1:8765/callback';

export interface MockServer {
  url: string;
  port: number;
  personalToken: string;
  clientId: string;
  clientSecret: string;
  /** The public key (PEM) of the emulator's webhook signatures. */
  webhookPublicKey: string;
  state: MockState;
  close(): Promise<void>;
}

/** A fault queued through `POST /__mock/faults`: the next `count` matching requests get it instead of an answer. */
interface Fault {
  method?: string;
  path: string;
  status?: number;
  retryAfter?: string;
  reset?: boolean;
  body?: unknown;
  count: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  correlationId: string | null;
  authenticated: boolean;
  /** For `POST /oauth/token`: which grant was asked for. */
  grantType?: string;
  status: number;
  at: string;
  /** How long the emulator took to answer, from the whole request received to the answer made (ms). */
  durationMs: number;
}

type TokenInfo = MockToken;

/** One request the emulator answered and its answer, as an observer (a contract check) sees them. */
export interface Exchange {
  method: string;
  /** Path and query as the client sent them. */
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
  status: number;
  replyHeaders: Record<string, string>;
  /** The answer's media type, without parameters; absent when it has no body. */
  contentType?: string;
  /** A JSON answer's value, a JOSE or text answer's string; absent for bodies sent as bytes or streamed. */
  replyBody?: unknown;
  /** The answer was a fault a test queued through `/__mock/faults`, not the emulator's own. */
  injected: boolean;
}

const observers = new Set<(exchange: Exchange) => void>();

/** Calls `observer` with every exchange of every emulator of this process (not its controls); returns the undo. */
export function observeExchanges(observer: (exchange: Exchange) => void): () => void {
  observers.add(observer);
  return () => observers.delete(observer);
}

/** The media type an answer is sent with. */
function replyType(reply: Reply): string | undefined {
  if (reply.text !== undefined) return 'text/plain';
  if (reply.jose !== undefined) return 'application/jose+json';
  if (reply.html !== undefined) return 'text/html';
  if (reply.raw !== undefined || reply.stream !== undefined) return reply.contentType ?? 'application/octet-stream';
  return reply.body === undefined ? undefined : 'application/json';
}

/** EU and EEA countries and the UK, where PSD2 keeps personal tokens from statements and funding. */
const PSD2_COUNTRIES = new Set(
  'AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE IS LI NO GB'.split(' '),
);

const VERSIONED_TOKEN_PATH = /^\/20\d\dQ[1-4]\/oauth\/token$/;

function bearer(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization ?? '';
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match?.[1];
}

export async function startMockServer(options: MockOptions = {}): Promise<MockServer> {
  const personalToken = options.personalToken ?? randomUUID();
  const clientId = options.clientId ?? 'wise-mock-partner';
  const clientSecret = options.clientSecret ?? randomBytes(24).toString('base64url');
  const state = createSeed(personalToken, {
    id: clientId,
    secret: clientSecret,
    name: 'Mock Partner',
    redirectUris: options.redirectUris?.length ? options.redirectUris : [DEFAULT_REDIRECT_URI],
  });
  const oauth: OAuthOptions = {
    autoApprove: options.autoApprove ?? false,
    tokenTtlSeconds: options.tokenTtlSeconds ?? 43_199,
  };
  const faults: Fault[] = [];
  const sca = createScaState();
  const challenges = createChallengeState();
  const jose = createJoseState();
  const webhookSigner = createWebhookSigner();
  const events = new EventPublisher(state, webhookSigner);
  for (const pem of options.scaPublicKeys ?? []) registerScaKey(sca, 1001, pem);
  const requests: RecordedRequest[] = [];

  function authenticate(req: IncomingMessage): TokenInfo | Reply {
    const token = bearer(req);
    const info = token ? state.tokens.get(token) : undefined;
    if (!info || (info.expiresAt !== undefined && info.expiresAt <= Date.now())) {
      return json(
        401,
        { error: 'invalid_token', error_description: token ? 'Invalid token' : 'Full authentication is required' },
        { 'www-authenticate': 'Bearer realm="wise", error="invalid_token"' },
      );
    }
    return info;
  }

  function ownProfile(info: TokenInfo, id: string): Reply | undefined {
    const profile = state.profiles.find((p) => String(p.id) === id);
    if (!profile) return errors(404, 'NOT_FOUND', `Profile ${id} not found`);
    if (profile.userId !== info.userId) return errors(403, 'FORBIDDEN', 'Access to this profile is not allowed');
    return undefined;
  }

  async function route(req: IncomingMessage, url: URL, body: Buffer): Promise<Reply> {
    const method = req.method ?? 'GET';
    // The calendar-versioned form Wise documents for batch funding (`/2026Q4/profiles/…/batch-payments/…/payments`).
    const path = (url.pathname.replace(/\/+$/, '') || '/').replace(
      /^\/20\d\dQ[1-4](\/profiles\/\d+\/batch-payments\/[^/]+\/payments)$/,
      '/v3$1',
    );

    if (path === '/__mock/faults' && method === 'POST') {
      const fault = JSON.parse(body.toString('utf8') || '{}') as Partial<Fault>;
      if (!fault.path) return errors(400, 'INVALID', 'path is required');
      faults.push({ count: 1, ...fault, path: fault.path });
      return json(201, { queued: faults.length });
    }
    if (path === '/__mock/requests' && method === 'GET') return json(200, requests);
    if (path === '/__mock/transfers' && method === 'GET') return json(200, [...state.transfers.values()]);
    if (path === '/__mock/expire-quotes' && method === 'POST') {
      // What 30 minutes do to a quote: every quote made so far is past its expirationTime; with `next`, also the
      // quotes of the next so many transfer creations (they expire on the way).
      const { next } = JSON.parse(body.toString('utf8') || '{}') as { next?: number };
      if (Number.isInteger(next)) state.expireNextQuotes = next as number;
      const past = new Date(Date.now() - 1000).toISOString();
      for (const quote of state.quotes.values()) quote.expirationTime = past;
      return json(200, { expired: state.quotes.size });
    }
    const seriesControl = /^\/__mock\/balances\/(\d+)\/transactions$/.exec(path);
    if (seriesControl && method === 'POST') {
      // A balance's statement rows: `count` transactions spread evenly between `from` and `to`.
      const spec = JSON.parse(body.toString('utf8') || '{}') as { count?: number; from?: string; to?: string };
      const from = Date.parse(spec.from ?? '');
      const to = Date.parse(spec.to ?? '');
      if (!Number.isInteger(spec.count) || Number.isNaN(from) || Number.isNaN(to) || to <= from) {
        return errors(400, 'INVALID', 'count (an integer), from and to (ISO times, from first) are required');
      }
      state.transactionSeries.set(Number(seriesControl[1]), { count: spec.count as number, from, to });
      return json(200, { balanceId: Number(seriesControl[1]), count: spec.count });
    }
    const balanceControl = /^\/__mock\/balances\/(\d+)$/.exec(path);
    if (balanceControl && method === 'POST') {
      const target = state.balances.find((b) => b.id === Number(balanceControl[1]));
      if (!target) return errors(404, 'NOT_FOUND', 'No such balance');
      const change = JSON.parse(body.toString('utf8') || '{}') as { value?: number };
      if (typeof change.value === 'number') target.value = change.value;
      return json(200, target.json());
    }
    let userControl = /^\/__mock\/users\/(\d+)$/.exec(path);
    if (userControl && method === 'POST') {
      // Where the user lives decides what a personal token may do (PSD2 in the EU and UK).
      const target = state.users.find((u) => u.id === Number(userControl?.[1]));
      if (!target) return errors(404, 'NOT_FOUND', 'No such user');
      const change = JSON.parse(body.toString('utf8') || '{}') as {
        country?: string;
        pin?: string;
        deviceFingerprint?: string;
        /** A one-time-code factor: `{"otp":{"type":"SMS","phone":"+4915112345678"}}`. */
        otp?: { type?: string; phone?: string };
        /** A FACE_MAP challenge, with the code factors that may stand in for it. */
        faceMap?: { alternatives?: string[] };
      };
      if (change.otp && OTP_TYPES.includes(change.otp.type as OtpType)) {
        challenges.otp[change.otp.type as OtpType].set(target.id, change.otp.phone ?? '+4915112345678');
      }
      if (change.faceMap) {
        challenges.faceMaps.set(
          target.id,
          (change.faceMap.alternatives ?? []).filter((t): t is OtpType => OTP_TYPES.includes(t as OtpType)),
        );
      }
      if (typeof change.deviceFingerprint === 'string') {
        setFingerprint(challenges, target.id, change.deviceFingerprint);
      }
      if (typeof change.country === 'string') {
        // Where the user lives: their address, and with it whether PSD2 holds their personal tokens back.
        target.psd2 = PSD2_COUNTRIES.has(change.country.toUpperCase());
        const address = (target.details.address ?? {}) as Record<string, unknown>;
        target.details.address = { ...address, countryCode: change.country.toUpperCase() };
      }
      // A PIN makes the user's OAuth calls to statements and funding meet the challenge flow.
      if (typeof change.pin === 'string') challenges.pins.set(target.id, change.pin);
      return json(200, { id: target.id, psd2: target.psd2, pin: challenges.pins.has(target.id) });
    }
    if (path === '/__mock/rotate-encryption-key' && method === 'POST') return rotateEncryptionKey(challenges);
    if (path === '/__mock/webhook-public-key' && method === 'GET') {
      return { status: 200, text: webhookSigner.publicPem };
    }
    if (path === '/__mock/webhooks/deliver' && method === 'POST') return deliverTestEvent(webhookSigner, body);
    if (path === '/__mock/webhooks/deliveries' && method === 'GET') return json(200, events.deliveries);
    if (path === '/__mock/rotate-signing-key' && method === 'POST') {
      return rotateSigningKey(jose, url.searchParams.get('algorithm') ?? 'ES256');
    }
    userControl = /^\/__mock\/users\/(\d+)\/sca-keys$/.exec(path);
    if (userControl && method === 'POST') return registerScaKey(sca, Number(userControl[1]), body.toString('utf8'));
    if (path === '/__mock/revoke-access-tokens' && method === 'POST') {
      // What Wise does to an access token before its time: another refresh, or a revocation. Refresh tokens stay.
      let revoked = 0;
      for (const [token, info] of state.tokens) {
        if (info.kind !== 'user') continue;
        state.tokens.delete(token);
        for (const grant of state.grants.values()) grant.accessTokens.delete(token);
        revoked++;
      }
      return json(200, { revoked });
    }

    const form = () => new URLSearchParams(body.toString('utf8'));
    const consent = handleAuthorize(state, oauth, method, path, method === 'POST' ? form() : url.searchParams);
    if (consent) return consent;
    // The token endpoint, classic and calendar-versioned (`/2026Q4/oauth/token`), as Wise documents both.
    if (path === '/oauth/token' || VERSIONED_TOKEN_PATH.test(path)) {
      if (method !== 'POST') return errors(405, 'METHOD_NOT_ALLOWED', 'Use POST');
      return handleToken(state, oauth, req, form());
    }

    const auth = authenticate(req);
    if ('status' in auth) return auth;
    /** The routes behind authentication; `opened` is the request's JOSE, already checked and removed. */
    const authed = async (auth: TokenInfo, body: Buffer, opened: OpenedRequest | undefined): Promise<Reply> => {
      if (path === '/v1/user/signup/registration_code' && method === 'POST') return handleSignup(state, auth, body);
      if (path === '/v1/auth/jose/response/public-keys' && method === 'GET') {
        return url.searchParams.get('scope') === 'PAYLOAD_SIGNING'
          ? wiseSigningKey(jose, url)
          : wiseEncryptionKey(challenges, url);
      }
      if (path === '/v1/auth/jose/request/public-keys' && method === 'POST') {
        if (auth.kind !== 'client') return errors(403, 'FORBIDDEN', 'Register keys with a client credentials token');
        return registerClientKey(jose, body);
      }
      const play = /^\/v1\/auth\/jose\/playground\/([\w-]+)$/.exec(path)?.[1];
      if (play && PLAYGROUNDS[play] && (method === 'POST' || (method === 'GET' && play === 'jwe'))) {
        return playground(play, opened, method);
      }
      const application = /^\/v3\/applications\/([^/]+)\/subscriptions(?:\/([^/]+))?$/.exec(path);
      if (application) {
        const clientKey = decodeURIComponent(application[1] ?? '');
        if (auth.kind !== 'client' || clientKey !== auth.clientId) {
          return errors(403, 'FORBIDDEN', "An application's subscriptions need that application's client token");
        }
        return subscriptionRoute(
          state,
          { domain: 'application', id: clientKey },
          { type: 'application', id: clientKey },
          application[2],
          method,
          body,
        );
      }
      if (auth.kind === 'client') {
        return errors(403, 'FORBIDDEN', 'This endpoint needs a user access token, not a client credentials token');
      }
      const user = state.users.find((u) => u.id === auth.userId);
      if (!user) return errors(404, 'NOT_FOUND', 'User not found');
      const mine = state.profiles.filter((p) => p.userId === user.id);

      if (method === 'GET' && path === '/v2/profiles')
        return json(
          200,
          mine.map((p) => p.v2()),
        );
      if (method === 'GET' && path === '/v1/profiles')
        return json(
          200,
          mine.map((p) => p.v1()),
        );
      if (method === 'GET' && path === '/v1/me') {
        return json(200, { id: user.id, name: user.name, email: user.email, active: true, details: user.details });
      }

      if (method === 'GET' && path === '/v1/one-time-token/status')
        return oneTimeTokenStatus(sca, challenges, req, user.id);
      const otpPath = /^\/v1\/one-time-token\/(sms|whatsapp|voice)\/(trigger|verify)$/.exec(path);
      if (otpPath && method === 'POST') {
        const type = (otpPath[1] as string).toUpperCase() as OtpType;
        return otpPath[2] === 'trigger'
          ? triggerOtp(sca, challenges, req, user.id, type)
          : verifyOtp(sca, challenges, req, user.id, type, body);
      }
      const fingerprintPath = /^\/v2\/profiles\/([^/]+)\/device-fingerprints\/verify$/.exec(path);
      if (fingerprintPath && method === 'POST') {
        const denied = ownProfile(auth, fingerprintPath[1] ?? '');
        if (denied) return denied;
        return verifyFingerprint(sca, challenges, req, user.id, body);
      }
      const sessionPath = /^\/v2\/profiles\/([^/]+)\/sca-sessions\/authorise$/.exec(path);
      if (sessionPath && method === 'POST') {
        const denied = ownProfile(auth, sessionPath[1] ?? '');
        if (denied) return denied;
        if (auth.kind === 'personal') {
          return errors(403, 'FORBIDDEN', 'SCA sessions are for partner users; personal tokens sign one-time tokens');
        }
        return createScaSession(sca, challenges, user.id);
      }
      const pinPath = /^\/v2\/profiles\/([^/]+)\/pin(\/verify)?$/.exec(path);
      if (pinPath && (method === 'POST' || (method === 'DELETE' && !pinPath[2]))) {
        const denied = ownProfile(auth, pinPath[1] ?? '');
        if (denied) return denied;
        if (method === 'DELETE') return deletePin(challenges, user.id);
        return pinPath[2] ? verifyPin(sca, challenges, req, user.id, body) : setPin(challenges, req, user.id, body);
      }
      const fingerprints = /^\/v2\/profiles\/([^/]+)\/device-fingerprints(?:\/([^/]+))?$/.exec(path);
      if (fingerprints && fingerprints[2] !== 'verify') {
        const denied = ownProfile(auth, fingerprints[1] ?? '');
        if (denied) return denied;
        if (method === 'POST' && !fingerprints[2]) return createFingerprint(challenges, req, user.id, body);
        if (method === 'DELETE' && fingerprints[2]) return deleteFingerprint(challenges, user.id, fingerprints[2]);
      }

      let m = /^\/v4\/profiles\/([^/]+)\/balances$/.exec(path);
      if (m && method === 'GET') {
        const denied = ownProfile(auth, m[1] ?? '');
        if (denied) return denied;
        const types = url.searchParams.get('types');
        if (!types) return errors(400, 'NotNull', 'types: must not be null (use types=STANDARD or SAVINGS)');
        const wanted = new Set(types.split(','));
        return json(
          200,
          state.balances.filter((b) => String(b.profileId) === m?.[1] && wanted.has(b.type)).map((b) => b.json()),
        );
      }

      m = /^\/v3\/profiles\/([^/]+)\/quotes$/.exec(path);
      if (m && method === 'POST') {
        const denied = ownProfile(auth, m[1] ?? '');
        if (denied) return denied;
        return createQuote(state, Number(m[1]), user.id, body);
      }
      m = /^\/v3\/profiles\/([^/]+)\/quotes\/([^/]+)$/.exec(path);
      if (m && method === 'GET') {
        const denied = ownProfile(auth, m[1] ?? '');
        if (denied) return denied;
        const quote = state.quotes.get(m[2] ?? '');
        return quote && String(quote.profile) === m[1] ? json(200, quote) : errors(404, 'NOT_FOUND', 'Quote not found');
      }

      // Balance statements and funding are refused to personal tokens of EU/UK (PSD2) users; elsewhere a personal
      // token passes SCA with the one-time token signed by the user's key, an OAuth user with its challenges.
      const protect = (action: string) => {
        if (auth.kind === 'personal' && user.psd2) {
          return {
            refused: errors(403, 'FORBIDDEN', 'This action is not available with a personal API token for your region'),
          };
        }
        const refused =
          auth.kind === 'personal'
            ? requirePersonalSignature(sca, req, user.id, action)
            : requireChallenges(sca, challenges, req, user.id, action);
        if (refused) return { refused };
        const checked = auth.kind === 'personal' || hasChallenges(challenges, user.id);
        return checked ? { headers: { 'x-2fa-approval-result': 'APPROVED' } } : {};
      };
      const answered = await accountRoute({
        state,
        user,
        method,
        path,
        url,
        body,
        ownProfile: (id) => ownProfile(auth, id),
        protect,
        emit: (eventType, profileId, data) => events.publish(eventType, profileId, data),
      });
      if (answered) return answered;

      return errors(404, 'NOT_FOUND', `No handler found for ${method} ${url.pathname}`);
    };

    // JOSE: a request with X-TW-JOSE-Method is checked and opened here, answered by the routes above as usual, and
    // its reply signed and/or encrypted as the request was. The SCA answers carry their own JWE (their handlers check
    // it); their replies are encrypted when the partner registered an encryption key.
    const scaAnswer = /^\/v2\/profiles\/[^/]+\/(pin|device-fingerprints)(\/verify)?$/.test(path);
    if (req.headers['x-tw-jose-method'] !== undefined && !scaAnswer) {
      if (auth.kind === 'personal') {
        return errors(403, 'FORBIDDEN', 'JOSE is for partner clients (OAuth tokens), not personal tokens');
      }
      // A JWS or JWE names the path Wise received (a calendar-versioned one as sent), not the emulator's rewrite of it.
      const received = url.pathname.replace(/\/+$/, '') || '/';
      const opened = await openJoseRequest(jose, challenges.encryption.privateKey, req, received, body);
      if ('status' in opened) return opened;
      return sealJoseReply(jose, opened, await authed(auth, opened.body, opened));
    }
    const reply = await authed(auth, body, undefined);
    if (scaAnswer && auth.kind !== 'personal' && hasClientEncryptionKey(jose) && reply.status < 400) {
      return sealJoseReply(jose, { signs: false, encrypts: true }, reply);
    }
    return reply;
  }

  function takeFault(method: string, path: string): Fault | undefined {
    const index = faults.findIndex((f) => f.path === path && (!f.method || f.method.toUpperCase() === method));
    if (index < 0) return undefined;
    const fault = faults[index] as Fault;
    fault.count -= 1;
    if (fault.count <= 0) faults.splice(index, 1);
    return fault;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const correlation = req.headers['x-external-correlation-id'];
    const correlationId = typeof correlation === 'string' ? correlation.slice(0, 36) : null;
    const grantType =
      url.pathname === '/oauth/token' || VERSIONED_TOKEN_PATH.test(url.pathname)
        ? new URLSearchParams(body.toString('utf8')).get('grant_type')
        : null;
    const record = (status: number) => {
      if (url.pathname.startsWith('/__mock/')) return;
      requests.push({
        method,
        // The query of a consent page or callback may hold a code or state: keep only the path.
        path: url.pathname.startsWith('/oauth/') ? url.pathname : url.pathname + url.search,
        correlationId,
        authenticated: Boolean(req.headers.authorization),
        ...(grantType ? { grantType } : {}),
        status,
        at: new Date().toISOString(),
        durationMs: Math.round((performance.now() - started) * 100) / 100,
      });
    };
    if (options.latencyMs && !url.pathname.startsWith('/__mock/')) {
      await new Promise((resolve) => setTimeout(resolve, options.latencyMs));
    }
    const fault = takeFault(method, url.pathname);
    if (fault?.reset) {
      record(0);
      req.socket.destroy();
      return;
    }
    let reply: Reply;
    if (fault) {
      reply = json(fault.status ?? 503, fault.body ?? { errors: [{ code: 'UNAVAILABLE', message: 'Injected fault' }] });
      if (fault.retryAfter !== undefined) reply.headers = { 'retry-after': fault.retryAfter };
    } else {
      try {
        reply = await route(req, url, body);
      } catch (error) {
        reply = errors(500, 'INTERNAL', error instanceof SyntaxError ? 'Malformed JSON' : 'Internal error');
      }
    }
    record(reply.status);
    const headers: Record<string, string> = {
      date: new Date(Date.now() + (options.clockSkewSeconds ?? 0) * 1000).toUTCString(),
      'x-trace-id': randomBytes(8).toString('hex'),
      ...(correlationId ? { 'x-external-correlation-id': correlationId } : {}),
      ...reply.headers,
    };
    if (observers.size > 0 && !url.pathname.startsWith('/__mock/')) {
      const contentType = replyType(reply);
      const exchange: Exchange = {
        method,
        url: req.url ?? '/',
        headers: req.headers,
        body,
        status: reply.status,
        replyHeaders: headers,
        ...(contentType ? { contentType } : {}),
        replyBody: reply.body ?? reply.jose ?? reply.text ?? reply.html,
        injected: fault !== undefined,
      };
      for (const observer of observers) observer(exchange);
    }
    if (reply.text !== undefined) {
      res.writeHead(reply.status, { ...headers, 'content-type': 'text/plain; charset=utf-8' }).end(reply.text);
      return;
    }
    if (reply.jose !== undefined) {
      res.writeHead(reply.status, { ...headers, 'content-type': 'application/jose+json' }).end(reply.jose);
      return;
    }
    if (reply.html !== undefined) {
      res.writeHead(reply.status, { ...headers, 'content-type': 'text/html; charset=utf-8' }).end(reply.html);
      return;
    }
    if (reply.raw !== undefined) {
      res.writeHead(reply.status, { ...headers, 'content-type': reply.contentType ?? 'application/octet-stream' });
      res.end(reply.raw);
      return;
    }
    if (reply.stream !== undefined) {
      res.writeHead(reply.status, { ...headers, 'content-type': reply.contentType ?? 'application/octet-stream' });
      for (const chunk of reply.stream) {
        if (!res.write(chunk)) {
          await new Promise((resolve) => {
            res.once('drain', resolve);
            res.once('close', resolve);
          });
        }
        if (res.destroyed) return;
      }
      res.end();
      return;
    }
    if (reply.body === undefined) {
      res.writeHead(reply.status, headers).end();
      return;
    }
    const text = JSON.stringify(reply.body);
    res.writeHead(reply.status, { ...headers, 'content-type': 'application/json;charset=UTF-8' }).end(text);
  }

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  };
  const tls = options.tls;
  const server: Server = tls
    ? (createHttpsServer(
        {
          cert: tls.cert,
          key: tls.key,
          ...(tls.ca ? { ca: tls.ca } : {}),
          ...(tls.requestCert ? { requestCert: true, rejectUnauthorized: true } : {}),
        },
        listener,
      ) as unknown as Server)
    : createServer(listener);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    personalToken,
    clientId,
    clientSecret,
    webhookPublicKey: webhookSigner.publicPem,
    state,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await events.settle();
    },
  };
}
