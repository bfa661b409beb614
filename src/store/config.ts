import { join } from 'node:path';
import { ConfigError } from '../errors.js';
import { API_VERSION } from '../http/endpoints.js';
import { checkPrivateDir, readPrivateFileSync } from './private-files.js';
import type { StoreBackend } from './secret-store.js';

export const CONFIG_VERSION = 1;

export type WiseEnv = 'sandbox' | 'production';
export const WISE_ENVS: readonly WiseEnv[] = ['sandbox', 'production'];

export interface ProfileSummary {
  id: number;
  type: string;
  name: string;
}

/** What the config knows about one account's credentials in one environment. Never a secret. */
export interface EnvCredentials {
  type: 'personal' | 'oauth';
  addedAt: string;
  profiles?: ProfileSummary[];
  profileId?: number;
  /** OAuth: how the tokens were obtained (`authorization_code` or `registration_code`). */
  grant?: 'authorization_code' | 'registration_code';
  /** OAuth users created over the API: their email, needed with the registration code. */
  email?: string;
  /** The Wise user id, when known. */
  userId?: number;
}

/** Per-account settings, set with `wise config set`. */
export interface AccountSettings {
  /** The Wise API version (YYYYQn) for built-in paths, unless --api-version or WISE_API_VERSION says otherwise. */
  apiVersion?: string;
  /** JOSE for the account's calls (`wise api --jose` wins). */
  jose?: 'jws' | 'jwe' | 'jws+jwe';
}

export interface AccountConfig {
  env: WiseEnv;
  settings?: AccountSettings;
  /** The account's SCA key, by environment. */
  scaKeys?: Partial<Record<WiseEnv, ScaKeyRecord>>;
  /** Where this account's secrets are (remembered, so a later call without WISE_STORE finds them). */
  store?: StoreBackend;
  credentials: Partial<Record<WiseEnv, EnvCredentials>>;
}

export interface ClientConfig {
  clientId: string;
  redirectUri: string;
  /** Where the client secret is. */
  store?: StoreBackend;
}

export type JoseUse = 'signing' | 'encryption';

/** The public facts of one JOSE key of the environment's partner client (the private half is in the secret store). */
export interface JoseKeyRecord {
  /** The key id (a UUID), `kid` in JOSE headers and `keyId` at Wise. */
  kid: string;
  use: JoseUse;
  /** ES256..ES512, PS256..PS512, or RSA-OAEP-256. */
  alg: string;
  createdAt: string;
  /** RFC 7638 JWK thumbprint (SHA-256, base64url) of the public key. */
  thumbprint: string;
  /** The key used for new requests (one per use). */
  active: boolean;
  source: 'generated' | 'imported';
  store?: StoreBackend;
  /** Set once Wise accepted the key (`POST /v1/auth/jose/request/public-keys`); dates in Wise's format. */
  registered?: { at: string; validFrom: string; validTill: string };
}

/** When and how an account's SCA key was made (the key is in the secret store). */
export interface ScaKeyRecord {
  createdAt: string;
  bits: number;
  source: 'generated' | 'imported';
}

/** The environment's client certificate for mTLS (public files by path; the key in a file or the secret store). */
export interface MtlsConfig {
  cert: string;
  /** The key file (mode 0600), unless the key was imported into the secret store. */
  key?: string;
  keyInStore?: boolean;
  store?: StoreBackend;
  /** An extra trust anchor for the API host (Wise's CA). */
  ca?: string;
  subject: string;
  notAfter: string;
}

export interface ConfigData {
  version: number;
  defaultAccount?: string;
  accounts: Record<string, AccountConfig>;
  clients: Partial<Record<WiseEnv, ClientConfig>>;
  /** The partner client's JOSE keys, by environment. */
  jose?: Partial<Record<WiseEnv, JoseKeyRecord[]>>;
  /** The partner client's mTLS certificate, by environment. */
  mtls?: Partial<Record<WiseEnv, MtlsConfig>>;
}

export function emptyConfig(): ConfigData {
  return { version: CONFIG_VERSION, accounts: {}, clients: {} };
}

/**
 * `config.json` in the config folder. Reads never write; updates run read-modify-write under a cross-process lock
 * and replace the file atomically. A damaged file is reported with its path and left exactly as it is.
 */
export class ConfigFile {
  readonly path: string;
  readonly lockPath: string;
  /** Make a folder or file of ours private when others could use it (off for `wise doctor`, which only reports). */
  repair = true;
  #dirChecked = false;

  /** `warn` tells the user on stderr when a folder or file of ours had to be made private. */
  constructor(
    readonly dir: string,
    private readonly warn: (line: string) => void = () => {},
  ) {
    this.path = join(dir, 'config.json');
    this.lockPath = join(dir, 'config.lock');
  }

  /** The folder must be ours and private before anything in it is trusted; checked once per process. */
  checkDir(): void {
    if (this.#dirChecked) return;
    checkPrivateDir(this.dir, this.warn, this.repair);
    this.#dirChecked = true;
  }

  async read(): Promise<ConfigData> {
    return this.readSync();
  }

  /** Synchronous on purpose: one small file, and start-up time matters more than the event loop here. */
  readSync(): ConfigData {
    this.checkDir();
    const text = readPrivateFileSync(this.path, 'config file', this.warn, this.repair);
    return text === undefined ? emptyConfig() : parseConfig(text, this.path);
  }

  /** Applies `change` to the current config and saves it; concurrent updates from other processes are kept. */
  async update<T>(change: (config: ConfigData) => T): Promise<T> {
    // Loaded only by commands that write, so read-only commands never pay for them.
    const [{ ensurePrivateDir, writeFileAtomic }, { withLock }] = await Promise.all([
      import('./atomic.js'),
      import('./lock.js'),
    ]);
    await ensurePrivateDir(this.dir);
    this.#dirChecked = false;
    this.checkDir();
    return withLock(this.lockPath, async () => {
      const config = await this.read();
      const result = change(config);
      await writeFileAtomic(this.path, `${JSON.stringify(config, null, 2)}\n`);
      await removeStaleTempFiles(this.dir);
      return result;
    });
  }
}

/** Temporary files of writers that were killed mid-write: harmless, but not to pile up. */
async function removeStaleTempFiles(dir: string): Promise<void> {
  const { readdir, stat, unlink } = await import('node:fs/promises');
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => /^\..+\.[0-9a-f]{12}\.tmp$/.test(n));
  for (const name of names) {
    const path = join(dir, name);
    const info = await stat(path).catch(() => undefined);
    if (info && Date.now() - info.mtimeMs > 60_000) await unlink(path).catch(() => {});
  }
}

type Check = (value: unknown, where: string) => string | undefined;

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** Field checks: each returns why the value is wrong, or undefined. Unknown fields are kept as they are. */
const string: Check = (v, where) => (typeof v === 'string' ? undefined : `${where} is not a string`);
const boolean: Check = (v, where) => (typeof v === 'boolean' ? undefined : `${where} is not true or false`);
const integer: Check = (v, where) => (Number.isSafeInteger(v) ? undefined : `${where} is not a whole number`);
const oneOf =
  (...allowed: string[]): Check =>
  (v, where) =>
    typeof v === 'string' && allowed.includes(v) ? undefined : `${where} is not one of ${allowed.join(', ')}`;
const optional =
  (check: Check): Check =>
  (v, where) =>
    v === undefined ? undefined : check(v, where);
const object =
  (fields: Record<string, Check>): Check =>
  (v, where) => {
    if (!isObject(v)) return `${where} is not an object`;
    for (const [name, check] of Object.entries(fields)) {
      const problem = check(v[name], `${where}.${name}`);
      if (problem) return problem;
    }
    return undefined;
  };
const arrayOf =
  (check: Check): Check =>
  (v, where) => {
    if (!Array.isArray(v)) return `${where} is not a list`;
    for (const [i, item] of v.entries()) {
      const problem = check(item, `${where}[${i}]`);
      if (problem) return problem;
    }
    return undefined;
  };
const recordOf =
  (check: Check, keys?: readonly string[]): Check =>
  (v, where) => {
    if (!isObject(v)) return `${where} is not an object`;
    for (const [key, item] of Object.entries(v)) {
      if (keys && !keys.includes(key)) return `${where} has an unknown environment "${key}"`;
      const problem = check(item, `${where}.${key}`);
      if (problem) return problem;
    }
    return undefined;
  };

const backend = optional(oneOf('keychain', 'file'));
const apiVersionText: Check = (v, where) =>
  typeof v === 'string' && API_VERSION.test(v) ? undefined : `${where} is not an API version such as 2026Q4`;

const envCredentials = object({
  type: oneOf('personal', 'oauth'),
  addedAt: string,
  profiles: optional(arrayOf(object({ id: integer, type: string, name: string }))),
  profileId: optional(integer),
  grant: optional(oneOf('authorization_code', 'registration_code')),
  email: optional(string),
  userId: optional(integer),
});

const configShape = object({
  version: integer,
  defaultAccount: optional(string),
  accounts: optional(
    recordOf(
      object({
        env: oneOf(...WISE_ENVS),
        store: backend,
        settings: optional(
          object({ apiVersion: optional(apiVersionText), jose: optional(oneOf('jws', 'jwe', 'jws+jwe')) }),
        ),
        scaKeys: optional(
          recordOf(object({ createdAt: string, bits: integer, source: oneOf('generated', 'imported') }), WISE_ENVS),
        ),
        credentials: recordOf(envCredentials, WISE_ENVS),
      }),
    ),
  ),
  clients: optional(recordOf(object({ clientId: string, redirectUri: string, store: backend }), WISE_ENVS)),
  mtls: optional(
    recordOf(
      object({
        cert: string,
        key: optional(string),
        keyInStore: optional(boolean),
        store: backend,
        ca: optional(string),
        subject: string,
        notAfter: string,
      }),
      WISE_ENVS,
    ),
  ),
  jose: optional(
    recordOf(
      arrayOf(
        object({
          kid: string,
          use: oneOf('signing', 'encryption'),
          alg: oneOf('ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'RSA-OAEP-256'),
          createdAt: string,
          thumbprint: string,
          active: boolean,
          source: oneOf('generated', 'imported'),
          store: backend,
          registered: optional(object({ at: string, validFrom: string, validTill: string })),
        }),
      ),
      WISE_ENVS,
    ),
  ),
});

/** Parses and checks every field of config.json: a file of the wrong shape is damaged, never half used. */
export function parseConfig(text: string, path: string): ConfigData {
  const damaged = (why: string) =>
    new ConfigError(`The config file ${path} is damaged: ${why}. It was left untouched.`, {
      hint: `Repair it, or move it away (mv ${path} ${path}.bak) to start afresh; stored secrets are not affected.`,
    });
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw damaged((error as Error).message);
  }
  if (!isObject(data)) throw damaged('not a JSON object');
  if (typeof data.version !== 'number') throw damaged('no schema version');
  if (data.version > CONFIG_VERSION) {
    throw new ConfigError(`The config file ${path} has schema version ${data.version}, newer than this wise.`, {
      hint: 'Upgrade wise.',
    });
  }
  if (data.accounts !== undefined && !isObject(data.accounts)) throw damaged('"accounts" is not an object');
  const problem = configShape(data, 'config');
  if (problem) throw damaged(problem);
  const { defaultAccount, ...config } = data as Partial<ConfigData>;
  return {
    ...config,
    ...(defaultAccount ? { defaultAccount } : {}),
    version: CONFIG_VERSION,
    accounts: config.accounts ?? {},
    clients: config.clients ?? {},
  } as ConfigData;
}
