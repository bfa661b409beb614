import { createCipheriv, createDecipheriv, randomBytes, scrypt } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ConfigError, SecretStoreError } from '../errors.js';
import { ensurePrivateDir, writeFileAtomic } from './atomic.js';
import { withLock } from './lock.js';
import type { SecretStore } from './secret-store.js';

const KDF = { name: 'scrypt', N: 2 ** 15, r: 8, p: 1 } as const;

interface Envelope {
  format: 'wise-secrets';
  version: 1;
  kdf: { name: 'scrypt'; N: number; r: number; p: number; salt: string };
  cipher: 'aes-256-gcm';
  iv: string;
  tag: string;
  ciphertext: string;
}

function deriveKey(passphrase: string, kdf: Envelope['kdf']): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(
      passphrase,
      Buffer.from(kdf.salt, 'base64'),
      32,
      { N: kdf.N, r: kdf.r, p: kdf.p, maxmem: 256 * kdf.N * kdf.r },
      (error, key) => (error ? reject(error) : resolve(key)),
    );
  });
}

/** The authenticated header: changing any KDF or cipher parameter makes decryption fail. */
function aad(envelope: Pick<Envelope, 'format' | 'version' | 'kdf' | 'cipher'>): Buffer {
  const { format, version, kdf, cipher } = envelope;
  return Buffer.from(JSON.stringify({ format, version, kdf, cipher }));
}

/**
 * Secrets in one file encrypted with AES-256-GCM under a key derived by scrypt from a passphrase (`WISE_STORE=file`).
 * The file is 0600 and replaced atomically under a lock; no secret is ever on disk in plain text.
 */
export class FileStore implements SecretStore {
  readonly backend = 'file' as const;
  readonly description: string;
  #cache: Map<string, string> | undefined;
  /** Keys derived this process, by salt: scrypt is deliberately slow, so each salt is derived once. */
  readonly #keys = new Map<string, Buffer>();
  #salt: string | undefined;

  constructor(
    readonly path: string,
    private readonly passphrase: () => Promise<string>,
  ) {
    this.description = `encrypted file ${path}`;
  }

  invalidate(): void {
    this.#cache = undefined;
  }

  async get(name: string): Promise<string | null> {
    const values = await this.#load();
    return values.get(name) ?? null;
  }

  async set(name: string, value: string): Promise<void> {
    await this.#modify((values) => {
      values.set(name, value);
      return true;
    });
  }

  async delete(name: string): Promise<boolean> {
    return this.#modify((values) => values.delete(name));
  }

  async list(): Promise<string[]> {
    return [...(await this.#load()).keys()];
  }

  async #modify(change: (values: Map<string, string>) => boolean): Promise<boolean> {
    await ensurePrivateDir(dirname(this.path));
    return withLock(`${this.path}.lock`, async () => {
      this.#cache = undefined;
      const values = await this.#load();
      const changed = change(values);
      if (changed) await this.#save(values);
      return changed;
    });
  }

  async #load(): Promise<Map<string, string>> {
    if (this.#cache) return this.#cache;
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        this.#cache = new Map();
        return this.#cache;
      }
      throw new SecretStoreError(`Cannot read the encrypted secret store ${this.path}.`, { cause: error });
    }
    let envelope: Envelope;
    try {
      envelope = JSON.parse(text) as Envelope;
      if (envelope.format !== 'wise-secrets' || envelope.version !== 1) throw new Error('unknown format');
    } catch {
      throw new ConfigError(`The encrypted secret store ${this.path} is damaged. It was left untouched.`, {
        hint: 'Restore it from a backup, or move it away and store your credentials again.',
      });
    }
    const key = await this.#key(envelope.kdf);
    let plain: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(envelope.iv, 'base64'));
      decipher.setAAD(aad(envelope));
      decipher.setAuthTag(Buffer.from(envelope.tag, 'base64'));
      plain = Buffer.concat([decipher.update(Buffer.from(envelope.ciphertext, 'base64')), decipher.final()]);
    } catch {
      throw new SecretStoreError(`Wrong passphrase for the encrypted secret store ${this.path}.`, {
        hint: 'Check WISE_STORE_PASSPHRASE (or what you typed at the prompt).',
      });
    }
    const values = new Map<string, string>(
      Object.entries(JSON.parse(plain.toString('utf8')) as Record<string, string>),
    );
    this.#cache = values;
    return values;
  }

  async #key(kdf: Envelope['kdf']): Promise<Buffer> {
    let key = this.#keys.get(kdf.salt);
    if (!key) {
      key = await deriveKey(await this.passphrase(), kdf);
      this.#keys.set(kdf.salt, key);
    }
    return key;
  }

  async #save(values: Map<string, string>): Promise<void> {
    const header = {
      format: 'wise-secrets' as const,
      version: 1 as const,
      // The salt belongs to the store and the passphrase; every write gets a fresh IV.
      kdf: { ...KDF, salt: this.#salt ?? randomBytes(16).toString('base64') },
      cipher: 'aes-256-gcm' as const,
    };
    const key = await this.#key(header.kdf);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(aad(header));
    const ciphertext = Buffer.concat([
      cipher.update(JSON.stringify(Object.fromEntries(values)), 'utf8'),
      cipher.final(),
    ]);
    const envelope: Envelope = {
      ...header,
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      ciphertext: ciphertext.toString('base64'),
    };
    await writeFileAtomic(this.path, `${JSON.stringify(envelope, null, 2)}\n`);
    this.#salt = header.kdf.salt;
    this.#cache = values;
  }
}
