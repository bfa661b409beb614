import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SecretStoreError } from '../../src/errors.js';
import { FileStore } from '../../src/store/file-store.js';
import { createSandbox, type Sandbox } from '../helpers/cli.js';

let sb: Sandbox;
beforeEach(async () => {
  sb = await createSandbox();
});
afterEach(async () => {
  await sb.cleanup();
});

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
    expect(doc).toMatchObject({ format: 'wise-secrets', cipher: 'aes-256-gcm', kdf: { name: 'scrypt', N: 32768 } });
    expect(await new FileStore(path, async () => 'correct horse').get('default:sandbox:personal-token')).toBe(secret);
  });

  it('refuses a wrong passphrase with SecretStoreError (exit 7)', async () => {
    const path = join(sb.configDir, 'secrets.enc');
    await new FileStore(path, async () => 'right').set('a', 'value-1');
    const error = await new FileStore(path, async () => 'wrong').get('a').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretStoreError);
    expect((error as SecretStoreError).exitCode).toBe(7);
    expect((error as Error).message).toContain('Wrong passphrase');
  });

  it('detects tampering with the KDF parameters', async () => {
    const path = join(sb.configDir, 'secrets.enc');
    await new FileStore(path, async () => 'right').set('a', 'value-1');
    const doc = JSON.parse(await readFile(path, 'utf8'));
    doc.kdf.N = 16384;
    await writeFile(path, JSON.stringify(doc));
    await expect(new FileStore(path, async () => 'right').get('a')).rejects.toBeInstanceOf(SecretStoreError);
  });

  it('a missing store reads as empty without asking for the passphrase', async () => {
    const store = new FileStore(join(sb.configDir, 'secrets.enc'), async () => {
      throw new Error('must not ask');
    });
    expect(await store.get('anything')).toBeNull();
  });

  it('delete removes the value and reports whether there was one', async () => {
    const store = new FileStore(join(sb.configDir, 'secrets.enc'), async () => 'p');
    await store.set('a', 'value-1');
    expect(await store.delete('a')).toBe(true);
    expect(await store.delete('a')).toBe(false);
    expect(await store.get('a')).toBeNull();
  });
});
