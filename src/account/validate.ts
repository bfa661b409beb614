/**
 * Checks of what users type before any call to Wise: amounts, currency codes, dates. Each failure is a UsageError
 * (exit 2) naming the flag or the CSV cell and what a good value looks like.
 */
import { UsageError } from '../errors.js';

/** An amount: a positive decimal with at most two decimals (`12`, `12.5`, `1200.00`), as a number. */
export function parseAmount(raw: string | number, what: string): number {
  const text = String(raw).trim();
  if (!/^\d{1,12}(\.\d{1,2})?$/.test(text)) {
    throw new UsageError(`${what} must be a positive amount such as 120 or 99.50, not "${raw}".`, {
      hint: 'Use a dot for decimals, at most two of them, and no thousands separators or currency signs.',
    });
  }
  const value = Number(text);
  if (!(value > 0)) throw new UsageError(`${what} must be more than zero, not "${raw}".`);
  return value;
}

/** A currency code: three letters (ISO 4217), upper-cased. */
export function parseCurrency(raw: string, what: string): string {
  const code = raw.trim().toUpperCase();
  if (!/^[A-Z]{3}$/.test(code)) {
    throw new UsageError(`${what} must be a three-letter currency code such as EUR or GBP, not "${raw}".`);
  }
  return code;
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * A date (`2026-01-31`, read as that day in UTC) or an ISO 8601 time (`2026-01-31T12:00:00Z`), as milliseconds.
 * With `end`, a plain date means the end of that day.
 */
export function parseDate(raw: string, what: string, options: { end?: boolean } = {}): number {
  const day = DAY.exec(raw.trim());
  if (day) {
    const time = Date.UTC(Number(day[1]), Number(day[2]) - 1, Number(day[3]));
    const back = new Date(time);
    if (back.getUTCMonth() + 1 !== Number(day[2]) || back.getUTCDate() !== Number(day[3])) {
      throw new UsageError(`${what} is not a real date: "${raw}".`);
    }
    return options.end ? time + 86_400_000 - 1 : time;
  }
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})$/.test(raw.trim())) {
    const time = Date.parse(raw.trim());
    if (!Number.isNaN(time)) return time;
  }
  throw new UsageError(
    `${what} must be a date such as 2026-01-31 or a time such as 2026-01-31T12:00:00Z, not "${raw}".`,
  );
}

/** A positive whole number for a flag such as --concurrency. */
export function parseCount(raw: string, what: string, max: number): number {
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > max) {
    throw new UsageError(`${what} must be a whole number from 1 to ${max}, not "${raw}".`);
  }
  return Number(raw);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An idempotency key, which Wise takes as the transfer's `customerTransactionId`: a UUID. */
export function parseIdempotencyKey(raw: string, what: string): string {
  if (!UUID.test(raw.trim())) {
    throw new UsageError(`${what} must be a UUID (Wise's customerTransactionId), not "${raw}".`, {
      hint: 'Make one with `uuidgen`, and keep it with the payment: the same key never pays twice.',
    });
  }
  return raw.trim().toLowerCase();
}

/** The environment as a person must read it before money moves. */
export function environmentLabel(env: string): string {
  return env === 'production' ? 'PRODUCTION: this moves real money' : 'sandbox (test money)';
}

/** Money as people read it: two decimals and the currency. */
export function formatMoney(value: number, currency: string): string {
  return `${value.toFixed(2)} ${currency}`;
}
