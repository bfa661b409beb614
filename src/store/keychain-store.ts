import { SecretStoreError } from '../errors.js';
import type { SecretStore } from './secret-store.js';

export const KEYCHAIN_SERVICE = 'wise-cli';

/** One keychain item, as the context's keychain library exposes it (the only seam to the native module). */
export interface KeyringEntry {
  getPassword(): Promise<string | null>;
  setPassword(value: string): Promise<void>;
  deletePassword(): Promise<boolean>;
}

export type KeyringOpener = (service: string, name: string) => Promise<KeyringEntry>;
/** Lists the item names of a service (the seam to the library's credential search). */
export type KeyringLister = (service: string) => Promise<string[]>;

const FILE_STORE_HINT =
  'Use the encrypted file store instead: export WISE_STORE=file (passphrase from WISE_STORE_PASSPHRASE or a prompt).';

/**
 * Secrets in the OS keychain (Secret Service on Linux, Keychain on macOS, Credential Manager on Windows), one item
 * per account, environment and kind under the service `wise-cli`. Every call is bounded by a timeout, which covers
 * the D-Bus check before the first one, so that a hung D-Bus cannot hang the tool. A locked or absent keyring may
 * answer reads with "nothing", so a read that finds nothing is followed once by a write-and-read-back probe, and
 * every write is read back.
 */
export class KeychainStore implements SecretStore {
  readonly backend = 'keychain' as const;
  readonly description = `OS keychain (service ${KEYCHAIN_SERVICE})`;
  #probed = false;

  constructor(
    private readonly open: KeyringOpener,
    private readonly timeoutMs = 5_000,
    private readonly lister?: KeyringLister,
  ) {}

  async get(name: string): Promise<string | null> {
    const value = await this.#call('read', name, (entry) => entry.getPassword());
    if (value === null) await this.probe();
    return value;
  }

  async set(name: string, value: string): Promise<void> {
    await this.#call('write', name, (entry) => entry.setPassword(value));
    const back = await this.#call('read', name, (entry) => entry.getPassword());
    if (back !== value) throw this.#unusable('a secret written to it could not be read back (is the keyring locked?)');
    this.#probed = true;
  }

  async delete(name: string): Promise<boolean> {
    return this.#call('delete', name, (entry) => entry.deletePassword());
  }

  /** Every item of the service, probe items aside; names the tool can compute are deleted by logout anyway. */
  async list(): Promise<string[]> {
    const lister = this.lister;
    if (!lister) return [];
    const names = await this.#call('search', KEYCHAIN_SERVICE, () => lister(KEYCHAIN_SERVICE));
    return names.filter((name) => !name.startsWith('@probe:'));
  }

  /** Tells "nothing stored" from "keychain unusable" by writing, reading back and deleting a probe item. */
  async probe(): Promise<void> {
    if (this.#probed) return;
    const { randomBytes } = await import('node:crypto');
    const name = `@probe:${randomBytes(6).toString('hex')}`;
    const value = randomBytes(12).toString('hex');
    await this.#call('write', name, (entry) => entry.setPassword(value));
    const back = await this.#call('read', name, (entry) => entry.getPassword());
    await this.#call('delete', name, (entry) => entry.deletePassword()).catch(() => false);
    if (back !== value) throw this.#unusable('it accepts writes but returns nothing (the keyring is probably locked)');
    this.#probed = true;
  }

  /**
   * Runs one keychain operation under a timeout. A call that times out is abandoned, not aborted (an AbortSignal
   * costs start-up time): the CLI exits right after reporting the error, so the hung call cannot hold it.
   */
  async #call<T>(what: string, name: string, op: (entry: KeyringEntry) => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(this.#unusable(`a ${what} did not answer within ${this.timeoutMs / 1000} s (is D-Bus hung?)`));
      }, this.timeoutMs);
      timer.unref();
    });
    try {
      // Opening the entry (which connects to D-Bus) is inside the race too.
      return await Promise.race([this.open(KEYCHAIN_SERVICE, name).then(op), timeout]);
    } catch (error) {
      if (error instanceof SecretStoreError) throw error;
      throw this.#unusable(describeKeyringError(error), error);
    } finally {
      clearTimeout(timer);
    }
  }

  #unusable(why: string, cause?: unknown): SecretStoreError {
    return new SecretStoreError(`The OS keychain cannot be used: ${why}.`, { hint: FILE_STORE_HINT, cause });
  }
}

function describeKeyringError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/DBUS_SESSION_BUS_ADDRESS|dbus|D-Bus/i.test(message)) return 'no D-Bus session or Secret Service is reachable';
  if (/unlock|locked/i.test(message))
    return 'the keyring is locked and could not be unlocked (no unlock prompt answered)';
  return message.split('\n')[0] ?? 'unknown error';
}
