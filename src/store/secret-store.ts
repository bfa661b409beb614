import type { WiseEnv } from './config.js';

/** The kinds of secret the tool keeps for an account in one environment. */
export const ACCOUNT_SECRET_KINDS = [
  'personal-token',
  'refresh-token',
  'access-token',
  'registration-code',
  'sca-key',
  'device-fingerprint',
] as const;
export type AccountSecretKind = (typeof ACCOUNT_SECRET_KINDS)[number];

export type StoreBackend = 'keychain' | 'file';

/** Where secrets live. Values are opaque strings; names come from `accountSecretName` / `clientSecretName`. */
export interface SecretStore {
  readonly backend: StoreBackend;
  /** Human-readable location, e.g. "OS keychain (service wise-cli)". */
  readonly description: string;
  get(name: string): Promise<string | null>;
  set(name: string, value: string): Promise<void>;
  delete(name: string): Promise<boolean>;
  /** Forgets anything cached in this process, so the next read sees what other processes wrote. */
  invalidate?(): void;
  /** The names of every secret the tool has stored here (`wise logout --all` deletes them all). */
  list(): Promise<string[]>;
}

export function accountSecretName(account: string, env: WiseEnv, kind: AccountSecretKind): string {
  return `${account}:${env}:${kind}`;
}

export function clientSecretName(env: WiseEnv): string {
  return `@client:${env}:client-secret`;
}
