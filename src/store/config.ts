import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';

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

export interface AccountConfig {
  env: WiseEnv;
  credentials: Partial<Record<WiseEnv, EnvCredentials>>;
}

export interface ClientConfig {
  clientId: string;
  redirectUri: string;
}

export interface ConfigData {
  version: number;
  defaultAccount?: string;
  accounts: Record<string, AccountConfig>;
  clients: Partial<Record<WiseEnv, ClientConfig>>;
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

  constructor(readonly dir: string) {
    this.path = join(dir, 'config.json');
    this.lockPath = join(dir, 'config.lock');
  }

  async read(): Promise<ConfigData> {
    let text: string;
    try {
      // Synchronous on purpose: one small file, and start-up time matters more than the event loop here.
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return emptyConfig();
      throw new ConfigError(`Cannot read the config file ${this.path}: ${code ?? String(error)}.`, {
        hint: 'Check the file and folder permissions.',
      });
    }
    return parseConfig(text, this.path);
  }

  /** Applies `change` to the current config and saves it; concurrent updates from other processes are kept. */
  async update<T>(change: (config: ConfigData) => T): Promise<T> {
    // Loaded only by commands that write, so read-only commands never pay for them.
    const [{ ensurePrivateDir, writeFileAtomic }, { withLock }] = await Promise.all([
      import('./atomic.js'),
      import('./lock.js'),
    ]);
    await ensurePrivateDir(this.dir);
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
  if (!data || typeof data !== 'object' || Array.isArray(data)) throw damaged('not a JSON object');
  const config = data as Partial<ConfigData>;
  if (typeof config.version !== 'number') throw damaged('no schema version');
  if (config.version > CONFIG_VERSION) {
    throw new ConfigError(`The config file ${path} has schema version ${config.version}, newer than this wise.`, {
      hint: 'Upgrade wise.',
    });
  }
  if (config.accounts !== undefined && (typeof config.accounts !== 'object' || Array.isArray(config.accounts))) {
    throw damaged('"accounts" is not an object');
  }
  return {
    version: CONFIG_VERSION,
    ...(config.defaultAccount ? { defaultAccount: config.defaultAccount } : {}),
    accounts: config.accounts ?? {},
    clients: config.clients ?? {},
  };
}
