import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import type { WiseEnv } from '../store/config.js';

/** Wise's hosts per environment (see docs/security.md for sources). */
export const API_URLS: Record<WiseEnv, string> = {
  sandbox: 'https://api.wise-sandbox.com',
  production: 'https://api.wise.com',
};

export const MTLS_API_URLS: Record<WiseEnv, string> = {
  sandbox: 'https://api-mtls.wise-sandbox.com',
  production: 'https://api-mtls.transferwise.com',
};

export const AUTHORIZE_URLS: Record<WiseEnv, string> = {
  sandbox: 'https://wise-sandbox.com/oauth/authorize/',
  production: 'https://wise.com/oauth/authorize/',
};

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', '::1', 'localhost']);

export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname.toLowerCase()) || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/** Parses an API URL override: `https://` anywhere, plain `http://` only on loopback hosts. */
export function parseBaseUrl(raw: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`${what} is not a valid URL: ${raw}`);
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw new UsageError(`${what} must use https:// (plain http:// is allowed only for 127.0.0.1, ::1 and localhost).`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new UsageError(`${what} must be an https:// URL.`);
  }
  if (url.username || url.password) throw new UsageError(`${what} must not carry credentials.`);
  url.search = '';
  url.hash = '';
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}

export function parseEnv(raw: string, what = '--env'): WiseEnv {
  if (raw === 'sandbox' || raw === 'production') return raw;
  throw new UsageError(`${what} must be "sandbox" or "production", not "${raw}".`);
}

/** A Wise API version: a calendar quarter, e.g. 2026Q4 (Latest since 1 October 2026). */
const API_VERSION = /^(20\d\d)Q([1-4])$/;

export function parseApiVersion(raw: string, what: string): string {
  if (!API_VERSION.test(raw)) {
    throw new UsageError(`${what} must be a Wise API version such as 2026Q4 (year and quarter), not "${raw}".`, {
      hint: "Wise's versions are listed in its changelog; without one, wise uses the classic /v1-/v4 paths.",
    });
  }
  return raw;
}

/**
 * The one table of the paths the built-in commands call. `classic` is what Wise's reference pages show; `versioned`
 * exists only where Wise documents the calendar-versioned form, and is used when an API version is chosen. No
 * versioned path is guessed: without one in the table, the classic path is used whatever the version.
 */
export const ENDPOINTS = {
  token: { classic: () => '/oauth/token', versioned: (v: string) => `/${v}/oauth/token` },
  profiles: { classic: () => '/v2/profiles' },
  balances: {
    classic: (profileId: number) => `/v4/profiles/${profileId}/balances?types=STANDARD`,
  },
  /** Standard balances and jars (savings). */
  allBalances: {
    classic: (profileId: number) => `/v4/profiles/${profileId}/balances?types=STANDARD,SAVINGS`,
  },
  statement: {
    classic: (profileId: number, balanceId: number, extension: string) =>
      `/v1/profiles/${profileId}/balance-statements/${balanceId}/statement.${extension}`,
  },
  activities: { classic: (profileId: number) => `/v1/profiles/${profileId}/activities` },
  rates: { classic: () => '/v1/rates' },
  quotes: { classic: (profileId: number) => `/v3/profiles/${profileId}/quotes` },
  quote: { classic: (profileId: number, id: string) => `/v3/profiles/${profileId}/quotes/${id}` },
  recipients: { classic: () => '/v2/accounts' },
  createRecipient: { classic: () => '/v1/accounts' },
  accountRequirements: { classic: (quoteId: string) => `/v1/quotes/${quoteId}/account-requirements` },
  transfers: { classic: () => '/v1/transfers' },
  transfer: { classic: (id: number) => `/v1/transfers/${id}` },
  cancelTransfer: { classic: (id: number) => `/v1/transfers/${id}/cancel` },
  fundTransfer: {
    classic: (profileId: number, transferId: number) => `/v3/profiles/${profileId}/transfers/${transferId}/payments`,
  },
  batchGroups: { classic: (profileId: number) => `/v3/profiles/${profileId}/batch-groups` },
  batchGroup: { classic: (profileId: number, id: string) => `/v3/profiles/${profileId}/batch-groups/${id}` },
  batchGroupTransfers: {
    classic: (profileId: number, id: string) => `/v3/profiles/${profileId}/batch-groups/${id}/transfers`,
  },
  fundBatchGroup: {
    classic: (profileId: number, id: string) => `/v3/profiles/${profileId}/batch-payments/${id}/payments`,
    versioned: (v: string, profileId: number, id: string) =>
      `/${v}/profiles/${profileId}/batch-payments/${id}/payments`,
  },
  subscriptions: { classic: (profileId: number) => `/v3/profiles/${profileId}/subscriptions` },
  subscription: { classic: (profileId: number, id: string) => `/v3/profiles/${profileId}/subscriptions/${id}` },
  applicationSubscriptions: {
    classic: (clientKey: string) => `/v3/applications/${encodeURIComponent(clientKey)}/subscriptions`,
  },
  signupWithRegistrationCode: { classic: () => '/v1/user/signup/registration_code' },
  joseResponseKeys: {
    classic: () => '/v1/auth/jose/response/public-keys',
    versioned: (v: string) => `/${v}/auth/jose/response/public-keys`,
  },
} as const;

type Endpoints = typeof ENDPOINTS;
type Args<K extends keyof Endpoints> = Parameters<Endpoints[K]['classic']>;

/** The path of a built-in call: the versioned form when a version is chosen and Wise documents one, else classic. */
export function endpoint<K extends keyof Endpoints>(name: K, version: string | undefined, ...args: Args<K>): string {
  const entry = ENDPOINTS[name] as {
    classic: (...a: unknown[]) => string;
    versioned?: (v: string, ...a: unknown[]) => string;
  };
  return version && entry.versioned ? entry.versioned(version, ...args) : entry.classic(...args);
}

/**
 * The API base for an environment: --api-url, else WISE_API_URL, else Wise's host: the `api-mtls` host once a
 * client certificate is set up for the environment (`wise mtls setup`).
 */
export function apiBaseUrl(ctx: Context, env: WiseEnv, mtls = false): URL {
  if (ctx.options.apiUrl) return parseBaseUrl(ctx.options.apiUrl, '--api-url');
  if (ctx.env.WISE_API_URL) return parseBaseUrl(ctx.env.WISE_API_URL, 'WISE_API_URL');
  return new URL(`${(mtls ? MTLS_API_URLS : API_URLS)[env]}/`);
}
