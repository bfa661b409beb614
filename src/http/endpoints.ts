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

/** A Wise API version: a calendar quarter, e.g. 2026Q4 (Latest since 1 October 2026). The one copy of the pattern. */
export const API_VERSION = /^20\d\dQ[1-4]$/;

export function parseApiVersion(raw: string, what: string): string {
  if (!API_VERSION.test(raw)) {
    throw new UsageError(`${what} must be a Wise API version such as 2026Q4 (year and quarter), not "${raw}".`, {
      hint: "Wise's versions are listed in its changelog; without one, wise uses the classic /v1-/v4 paths.",
    });
  }
  return raw;
}

/** What a call that moves money is, for the journal and the spending policy (src/guard). */
export type MoneyKind =
  | 'quote.create'
  | 'transfer.create'
  | 'transfer.fund'
  | 'transfer.cancel'
  | 'batch.create'
  | 'batch.transfer'
  | 'batch.complete'
  | 'batch.fund';

/** A path of the table as Wise writes it (`{name}` for each parameter, in the order the path function takes them). */
function path<A extends unknown[]>(template: string): ((...args: A) => string) & { template: string } {
  const names = [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
  const fn = (...args: A) => {
    let i = 0;
    return template.replace(/\{\w+\}/g, () => String(args[i++]));
  };
  if (names.includes('version')) throw new Error(`${template}: the version is not a parameter of a classic path`);
  return Object.assign(fn, { template });
}

/** The calendar-versioned form of a path: `{version}` first, then the path's own parameters. */
function versioned<A extends unknown[]>(template: string): ((v: string, ...args: A) => string) & { template: string } {
  const fn = (v: string, ...args: A) => {
    let i = 0;
    return template.replace(/\{\w+\}/g, (m) => (m === '{version}' ? v : String(args[i++])));
  };
  return Object.assign(fn, { template });
}

/**
 * The one table of the paths the built-in commands call. `classic` is what Wise's reference pages show; `versioned`
 * exists only where Wise documents the calendar-versioned form, and is used when an API version is chosen. No
 * versioned path is guessed: without one in the table, the classic path is used whatever the version. `money` marks
 * the calls that move money (`method` and journal kind): the guard's classifier is derived from these entries, their
 * classic and versioned templates alike.
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
  quotes: {
    classic: path<[profileId: number]>('/v3/profiles/{profileId}/quotes'),
    money: { method: 'POST', kind: 'quote.create' },
  },
  quote: { classic: (profileId: number, id: string) => `/v3/profiles/${profileId}/quotes/${id}` },
  recipients: { classic: () => '/v2/accounts' },
  createRecipient: { classic: () => '/v1/accounts' },
  accountRequirements: { classic: (quoteId: string) => `/v1/quotes/${quoteId}/account-requirements` },
  transfers: { classic: path<[]>('/v1/transfers'), money: { method: 'POST', kind: 'transfer.create' } },
  transfer: { classic: (id: number) => `/v1/transfers/${id}` },
  cancelTransfer: {
    classic: path<[transferId: number]>('/v1/transfers/{transferId}/cancel'),
    money: { method: 'PUT', kind: 'transfer.cancel' },
  },
  fundTransfer: {
    classic: path<[profileId: number, transferId: number]>('/v3/profiles/{profileId}/transfers/{transferId}/payments'),
    money: { method: 'POST', kind: 'transfer.fund' },
  },
  batchGroups: {
    classic: path<[profileId: number]>('/v3/profiles/{profileId}/batch-groups'),
    money: { method: 'POST', kind: 'batch.create' },
  },
  batchGroup: {
    classic: path<[profileId: number, batchGroupId: string]>('/v3/profiles/{profileId}/batch-groups/{batchGroupId}'),
    // Completing (or cancelling) a group: the body says which.
    money: { method: 'PATCH', kind: 'batch.complete' },
  },
  batchGroupTransfers: {
    classic: path<[profileId: number, batchGroupId: string]>(
      '/v3/profiles/{profileId}/batch-groups/{batchGroupId}/transfers',
    ),
    money: { method: 'POST', kind: 'batch.transfer' },
  },
  fundBatchGroup: {
    classic: path<[profileId: number, batchGroupId: string]>(
      '/v3/profiles/{profileId}/batch-payments/{batchGroupId}/payments',
    ),
    versioned: versioned<[profileId: number, batchGroupId: string]>(
      '/{version}/profiles/{profileId}/batch-payments/{batchGroupId}/payments',
    ),
    money: { method: 'POST', kind: 'batch.fund' },
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

/**
 * How Wise pages its lists (`wise api --paginate` and the list commands): activities by cursor, recipients by seek
 * position (at most 20 a page), transfers by offset and limit.
 */
export const PAGING: readonly { pattern: RegExp; scheme: 'cursor' | 'seek' | 'offset' }[] = [
  { pattern: /^\/v1\/profiles\/\d+\/activities$/, scheme: 'cursor' },
  { pattern: /^\/v2\/accounts$/, scheme: 'seek' },
  { pattern: /^\/v1\/transfers$/, scheme: 'offset' },
];

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

/** A call that moves money, as the table's templates match it: its kind and the parameters named in its path. */
export interface MoneyRoute {
  method: string;
  kind: MoneyKind;
  pattern: RegExp;
  names: string[];
}

let moneyRoutes_: readonly MoneyRoute[] | undefined;

/**
 * The money calls of the table, each as a pattern of its classic path and one of its versioned path. Built on first
 * use: only a write asks (a GET never does), and building the patterns at every start would cost `wise auth token`
 * and every read a few tenths of a millisecond for nothing.
 */
export function moneyRoutes(): readonly MoneyRoute[] {
  moneyRoutes_ ??= buildMoneyRoutes();
  return moneyRoutes_;
}

function buildMoneyRoutes(): readonly MoneyRoute[] {
  return Object.values(ENDPOINTS).flatMap((entry) => {
    const e = entry as {
      classic: { template?: string };
      versioned?: { template?: string };
      money?: { method: string; kind: MoneyKind };
    };
    const money = e.money;
    if (!money) return [];
    // The guard errs on the side of checking: a profile path's calendar-versioned form is guarded like the classic
    // one even where the table names none (Wise may accept it, and a policy must not be bypassed by a prefix).
    const guessed = e.classic.template?.replace(/^\/v3\/profiles\//, '/{version}/profiles/');
    const templates = new Set([e.classic.template, e.versioned?.template, guessed]);
    return [...templates].flatMap((template) => {
      if (!template) return [];
      const names = [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string).filter((n) => n !== 'version');
      const source = template
        .split(/(\{\w+\})/)
        .map((part) => {
          const name = /^\{(\w+)\}$/.exec(part)?.[1];
          if (name === 'version') return API_VERSION.source.slice(1, -1);
          // Numeric ids (profile, transfer) are digits; a batch group's id is a UUID.
          if (name) return name === 'profileId' || name === 'transferId' ? '(\\d+)' : '([^/]+)';
          return part.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
        })
        .join('');
      return [{ method: money.method, kind: money.kind, pattern: new RegExp(`^${source}$`), names }];
    });
  });
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
