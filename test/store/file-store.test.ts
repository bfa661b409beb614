import { createCipheriv, randomBytes, scryptSync } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, SecretStoreError } from '../../src/errors.js';
import { FileStore } from '../../src/store/file-store.js';
import { createSandbox, type Sandbox } from '../helpers/cli.js';

let sb: Sandbox;
beforeEach(async () => {
  sb = await createSandbox();
});
afterEach(async () => {
  await sb.cleanup();
});

const PASS = 'right passphrase';

/** Writes a store as Node's crypto alone would, with the given scrypt parameters (an old release's, or an attacker's). */
async function writeStoreWith(path: string, kdf: { N: number; p: number }, secrets: Record<string, string>) {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const params = { name: 'scrypt', N: kdf.N, r: 8, p: kdf.p, salt: randomBytes(16).toString('base64') };
  const header = { format: 'wise-secrets', version: 1, kdf: params, cipher: 'aes-256-gcm' };
  const key = scryptSync(PASS, Buffer.from(params.salt, 'base64'), 32, {
    N: params.N,
    r: 8,
    p: params.p,
    maxmem: 64 * 1024 ** 2,
  });
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(JSON.stringify(header)));
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(secrets)), cipher.final()]);
  await writeFile(
    path,
    JSON.stringify({
      ...header,
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      ciphertext: ciphertext.toString('base64'),
    }),
    { mode: 0o600 },
  );
  return params;
}

describe('encrypted file store', () => {
  it('holds no plain text and is 0600', async () => {
    const path = join(sb.configDir, 'secrets.enc');
    const store = new FileStore(path, async () => 'correct horse');
    const secret = `secret-${Math.random().toString(36)}`;
    await store.set('default:sandbox:personal-token', secret);
    const raw = await readFile(path);
    expect(raw.includes(secret)).toBe(false);
    expect(raw.toString().includes(Buffer.from(secret).toString('base64'))).toBe(false);
    expect(raw.toString().includes('personal-token')).toBe(false);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const doc = JSON.parse(raw.toString());
    // One of OWASP's scrypt settings, the one with the least memory (32 MiB).
    expect(doc).toMatchObject({
      format: 'wise-secrets',
      cipher: 'aes-256-gcm',
      kdf: { name: 'scrypt', N: 32768, r: 8, p: 3 },
    });
    expect(Buffer.from(doc.tag, 'base64')).toHaveLength(16);
    expect(await new FileStore(path, async () => 'correct horse').get('default:sandbox:personal-token')).toBe(secret);
  });

  it('refuses a wrong passphrase with SecretStoreError (exit 7)', async () => {
    const path = join(sb.configDir, 'secrets.enc');
    await new FileStore(path, async () => 'right passphrase').set('a', 'value-1');
    const error = await new FileStore(path, async () => 'wrong passphrase').get('a').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretStoreError);
    expect((error as SecretStoreError).exitCode).toBe(7);
    expect((error as Error).message).toContain('Wrong passphrase');
  });

  it('detects tampering with the KDF parameters', async () => {
    const path = join(sb.configDir, 'secrets.enc');
    await new FileStore(path, async () => 'right passphrase').set('a', 'value-1');
    const doc = JSON.parse(await readFile(path, 'utf8'));
    doc.kdf.N = 16384;
    await writeFile(path, JSON.stringify(doc));
    await expect(new FileStore(path, async () => 'right passphrase').get('a')).rejects.toBeInstanceOf(SecretStoreError);
  });

  it('a missing store reads as empty without asking for the passphrase', async () => {
    const store = new FileStore(join(sb.configDir, 'secrets.enc'), async () => {
      throw new Error('must not ask');
    });
    expect(await store.get('anything')).toBeNull();
  });

  it('delete removes the value and reports whether there was one', async () => {
    const store = new FileStore(join(sb.configDir, 'secrets.enc'), async () => 'passphrase-1');
    await store.set('a', 'value-1');
    expect(await store.delete('a')).toBe(true);
    expect(await store.delete('a')).toBe(false);
    expect(await store.get('a')).toBeNull();
  });

  async function storeWith(secret: string): Promise<{ path: string; doc: Record<string, unknown> }> {
    const path = join(sb.configDir, 'secrets.enc');
    await new FileStore(path, async () => PASS).set('a', secret);
    return { path, doc: JSON.parse(await readFile(path, 'utf8')) };
  }

  it.each([
    [
      'a tag cut to 4 bytes',
      (doc: Record<string, string>) => {
        doc.tag = Buffer.from(doc.tag as string, 'base64')
          .subarray(0, 4)
          .toString('base64');
      },
      ConfigError,
      /authentication tag is not 16 bytes/,
    ],
    [
      'one bit of the tag flipped',
      (doc: Record<string, string>) => {
        const tag = Buffer.from(doc.tag as string, 'base64');
        tag[0] = (tag[0] as number) ^ 1;
        doc.tag = tag.toString('base64');
      },
      SecretStoreError,
      /or the file was altered/,
    ],
    [
      'one bit of the ciphertext flipped',
      (doc: Record<string, string>) => {
        const data = Buffer.from(doc.ciphertext as string, 'base64');
        data[0] = (data[0] as number) ^ 1;
        doc.ciphertext = data.toString('base64');
      },
      SecretStoreError,
      /or the file was altered/,
    ],
  ])('opened with the right passphrase, a file with %s is refused', async (_, alter, kind, message) => {
    const { path, doc } = await storeWith('value-1');
    alter(doc as Record<string, string>);
    const text = JSON.stringify(doc);
    await writeFile(path, text);
    const error = await new FileStore(path, async () => PASS).get('a').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(kind);
    expect((error as Error).message).toMatch(message);
    expect(await readFile(path, 'utf8')).toBe(text);
  });

  it.each([
    ['N=3', (doc: Record<string, Record<string, unknown>>) => (doc.kdf = { ...doc.kdf, N: 3 })],
    ['N=2^30', (doc: Record<string, Record<string, unknown>>) => (doc.kdf = { ...doc.kdf, N: 2 ** 30 })],
    ['p=1000', (doc: Record<string, Record<string, unknown>>) => (doc.kdf = { ...doc.kdf, p: 1000 })],
    ['r as a string', (doc: Record<string, Record<string, unknown>>) => (doc.kdf = { ...doc.kdf, r: '8' })],
    ['no kdf', (doc: Record<string, unknown>) => delete doc.kdf],
    ['no iv', (doc: Record<string, unknown>) => delete doc.iv],
    ['an iv of 16 bytes', (doc: Record<string, unknown>) => (doc.iv = Buffer.alloc(16).toString('base64'))],
  ])('KDF and cipher parameters are checked before use: %s is "damaged" (exit 1)', async (_, alter) => {
    const { path, doc } = await storeWith('value-1');
    alter(doc as never);
    await writeFile(path, JSON.stringify(doc));
    const error = await new FileStore(path, async () => PASS).get('a').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).exitCode).toBe(1);
    expect((error as Error).message).toMatch(/is damaged \(.+\)\. It was left untouched/);
  });

  it('a file written with the old parameters (N=2^15, p=1) still opens, and the next write upgrades it', async () => {
    const path = join(sb.configDir, 'secrets.enc');
    // Written exactly as the previous release did, with Node's crypto directly.
    const kdf = await writeStoreWith(path, { N: 2 ** 15, p: 1 }, { old: 'value-old' });
    const store = new FileStore(path, async () => PASS);
    expect(await store.get('old')).toBe('value-old');
    await store.set('new', 'value-new');
    const doc = JSON.parse(await readFile(path, 'utf8'));
    expect(doc.kdf).toMatchObject({ N: 2 ** 15, r: 8, p: 3 });
    expect(doc.kdf.salt).not.toBe(kdf.salt);
    const reopened = new FileStore(path, async () => PASS);
    expect(await reopened.get('old')).toBe('value-old');
    expect(await reopened.get('new')).toBe('value-new');
  });

  it('a file made with a weak work factor (N=2^10) is refused even though it decrypts: an attacker could have made it', async () => {
    const path = join(sb.configDir, 'secrets.enc');
    await writeStoreWith(path, { N: 2 ** 10, p: 1 }, { weak: 'value-weak' });
    const error = await new FileStore(path, async () => PASS).get('weak').catch((e: unknown) => e);
    // Reported as a damaged store (exit 1), left as it is.
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('scrypt N=1024 out of range');
  });

  it('a new store refuses a passphrase under 8 characters (exit 7); nothing is written', async () => {
    const path = join(sb.configDir, 'secrets.enc');
    const error = await new FileStore(path, async () => 'short').set('a', 'v').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretStoreError);
    expect((error as Error).message).toContain('at least 8 characters');
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
