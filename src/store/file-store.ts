import { createCipheriv, createDecipheriv, randomBytes, scrypt } from 'node:crypto';
import { dirname } from 'node:path';
import { ConfigError, SecretStoreError } from '../errors.js';
import { ensurePrivateDir, writeFileAtomic } from './atomic.js';
import { withLock } from './lock.js';
import { readPrivateFileSync } from './private-files.js';
import type { SecretStore } from './secret-store.js';

/**
 * One of OWASP's equivalent scrypt settings (N=2^17,p=1 / 2^16,p=2 / 2^15,p=3 ...): the one with the least memory
 * (32 MiB), since many wise processes may open the store at once. About a quarter of a second, once per process.
 */
const KDF = { name: 'scrypt', N: 2 ** 15, r: 8, p: 3 } as const;
/** Scrypt parameters read from a file are checked against these bounds before use, as input, not trusted. */
const KDF_LIMITS = { minN: 2 ** 14, maxN: 2 ** 20, maxR: 32, maxP: 16, maxMemory: 1024 * 1024 * 1024 };
const TAG_BYTES = 16;
const IV_BYTES = 12;
export const MIN_PASSPHRASE_LENGTH = 8;

/** Why the store asks for its passphrase: to open an existing file, or to create one (a new passphrase). */
export type PassphrasePurpose = 'open' | 'create';

interface Envelope {
  format: 'wise-secrets';
  version: 1;
  kdf: { name: 'scrypt'; N: number; r: number; p: number; salt: string };
  cipher: 'aes-256-gcm';
  iv: string;
  tag: string;
  ciphertext: string;
}

/**
 * Keys derived in this process, by passphrase, salt and parameters. A CLI run derives one key once; a process that
 * builds many contexts (the in-process runs of the test suite, hundreds of commands against the same store) would
 * otherwise spend a quarter of a second of CPU on each. The key is in this process's memory while it is used anyway.
 */
const derived = new Map<string, Promise<Buffer>>();

function deriveKey(passphrase: string, kdf: Envelope['kdf']): Promise<Buffer> {
  const id = JSON.stringify([passphrase, kdf.salt, kdf.N, kdf.r, kdf.p]);
  let key = derived.get(id);
  if (!key) {
    key = new Promise((resolve, reject) => {
      scrypt(
        passphrase,
        Buffer.from(kdf.salt, 'base64'),
        32,
        { N: kdf.N, r: kdf.r, p: kdf.p, maxmem: 256 * kdf.N * kdf.r * kdf.p },
        (error, derivedKey) => (error ? reject(error) : resolve(derivedKey)),
      );
    });
    derived.set(id, key);
    key.catch(() => derived.delete(id));
  }
  return key;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function base64Of(value: unknown, bytes?: number): boolean {
  if (typeof value !== 'string' || !BASE64.test(value)) return false;
  return bytes === undefined || Buffer.from(value, 'base64').byteLength === bytes;
}

/** Checks every field of an envelope read from disk; returns why it is unusable, or undefined. */
function envelopeProblem(value: unknown): string | undefined {
  if (!value || typeof value !== 'object') return 'not a JSON object';
  const e = value as Partial<Envelope>;
  if (e.format !== 'wise-secrets' || e.version !== 1) return 'unknown format';
  if (e.cipher !== 'aes-256-gcm') return 'unknown cipher';
  const kdf = e.kdf;
  if (!kdf || typeof kdf !== 'object' || kdf.name !== 'scrypt') return 'no scrypt parameters';
  const { N, r, p } = kdf;
  const integer = (x: unknown, max: number) => Number.isInteger(x) && (x as number) >= 1 && (x as number) <= max;
  if (!integer(N, KDF_LIMITS.maxN) || N < KDF_LIMITS.minN || (N & (N - 1)) !== 0) return `scrypt N=${N} out of range`;
  if (!integer(r, KDF_LIMITS.maxR) || !integer(p, KDF_LIMITS.maxP)) return 'scrypt r or p out of range';
  if (128 * N * r * p > KDF_LIMITS.maxMemory) return 'scrypt parameters need too much memory';
  if (!base64Of(kdf.salt) || Buffer.from(kdf.salt, 'base64').byteLength < 16) return 'bad salt';
  if (!base64Of(e.iv, IV_BYTES)) return 'bad IV';
  if (!base64Of(e.tag, TAG_BYTES)) return `the authentication tag is not ${TAG_BYTES} bytes`;
  if (typeof e.ciphertext !== 'string' || (e.ciphertext !== '' && !BASE64.test(e.ciphertext))) return 'bad ciphertext';
  return undefined;
}

function sameParameters(kdf: Envelope['kdf']): boolean {
  return kdf.name === KDF.name && kdf.N === KDF.N && kdf.r === KDF.r && kdf.p === KDF.p;
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
  /** The KDF header of the file as read; a write keeps its salt only while its parameters are today's. */
  #kdf: Envelope['kdf'] | undefined;

  constructor(
    readonly path: string,
    private readonly passphrase: (purpose: PassphrasePurpose) => Promise<string>,
    private readonly warn: (line: string) => void = () => {},
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
    const text = readPrivateFileSync(this.path, 'encrypted secret store', this.warn);
    if (text === undefined) {
      this.#cache = new Map();
      return this.#cache;
    }
    const damaged = (why: string) =>
      new ConfigError(`The encrypted secret store ${this.path} is damaged (${why}). It was left untouched.`, {
        hint: 'Restore it from a backup, or move it away and store your credentials again.',
      });
    let envelope: Envelope;
    try {
      envelope = JSON.parse(text) as Envelope;
    } catch {
      throw damaged('not JSON');
    }
    const problem = envelopeProblem(envelope);
    if (problem) throw damaged(problem);
    const key = await this.#key(envelope.kdf, 'open');
    let plain: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(envelope.iv, 'base64'), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(aad(envelope));
      decipher.setAuthTag(Buffer.from(envelope.tag, 'base64'));
      plain = Buffer.concat([decipher.update(Buffer.from(envelope.ciphertext, 'base64')), decipher.final()]);
    } catch {
      throw new SecretStoreError(
        `Wrong passphrase for the encrypted secret store ${this.path}, or the file was altered.`,
        {
          hint: 'Check WISE_STORE_PASSPHRASE (or what you typed at the prompt).',
        },
      );
    }
    let values: Map<string, string>;
    try {
      const parsed = JSON.parse(plain.toString('utf8')) as unknown;
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      const entries = Object.entries(parsed as Record<string, unknown>);
      if (entries.some(([, v]) => typeof v !== 'string')) throw new Error('not strings');
      values = new Map(entries as [string, string][]);
    } catch {
      throw damaged('unreadable content');
    }
    this.#kdf = envelope.kdf;
    this.#cache = values;
    return values;
  }

  async #key(kdf: Envelope['kdf'], purpose: PassphrasePurpose): Promise<Buffer> {
    let key = this.#keys.get(kdf.salt);
    if (!key) {
      const passphrase = await this.passphrase(purpose);
      if (purpose === 'create' && passphrase.length < MIN_PASSPHRASE_LENGTH) {
        throw new SecretStoreError(
          `The passphrase for a new encrypted secret store must have at least ${MIN_PASSPHRASE_LENGTH} characters.`,
          { hint: 'Choose a longer WISE_STORE_PASSPHRASE; a generated one is best.' },
        );
      }
      key = await deriveKey(passphrase, kdf);
      this.#keys.set(kdf.salt, key);
    }
    return key;
  }

  async #save(values: Map<string, string>): Promise<void> {
    const header = {
      format: 'wise-secrets' as const,
      version: 1 as const,
      // The salt belongs to the store and the passphrase while the parameters stay; a file written with older
      // parameters is re-encrypted with today's and a new salt. Every write gets a fresh IV.
      kdf: {
        ...KDF,
        salt: this.#kdf && sameParameters(this.#kdf) ? this.#kdf.salt : randomBytes(16).toString('base64'),
      },
      cipher: 'aes-256-gcm' as const,
    };
    const key = await this.#key(header.kdf, this.#kdf ? 'open' : 'create');
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
    this.#kdf = header.kdf;
    this.#cache = values;
  }
}
