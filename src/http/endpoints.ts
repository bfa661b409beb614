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
