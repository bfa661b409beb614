import { describe, expect, it } from 'vitest';
import { SecretStoreError } from '../../src/errors.js';
import { KeychainStore, type KeyringEntry, type KeyringOpener } from '../../src/store/keychain-store.js';

/** An in-memory keyring; `locked` makes it accept writes and answer every read with null, as a locked keyring can. */
function fakeKeyring(mode: 'ok' | 'locked' | 'hung' | 'no-dbus' = 'ok') {
  const items = new Map<string, string>();
  const calls: string[] = [];
  const open: KeyringOpener = async (service, name) => {
    const key = `${service}/${name}`;
    const entry: KeyringEntry = {
      async getPassword() {
        calls.push(`get ${name}`);
        if (mode === 'hung') return new Promise(() => {});
        if (mode === 'no-dbus') throw new Error('DBus error: Using X11 for dbus-daemon autolaunch was disabled');
        return mode === 'locked' ? null : (items.get(key) ?? null);
      },
      async setPassword(value) {
        calls.push(`set ${name}`);
        if (mode === 'no-dbus') throw new Error('DBus error: no bus');
        items.set(key, value);
      },
      async deletePassword() {
        calls.push(`delete ${name}`);
        return items.delete(key);
      },
    };
    return entry;
  };
  return { open, items, calls };
}

describe('KeychainStore', () => {
  it('stores and reads back; a miss is confirmed once by a probe', async () => {
    const k = fakeKeyring();
    const store = new KeychainStore(k.open);
    expect(await store.get('a')).toBeNull();
    expect(k.calls.filter((c) => c.startsWith('set @probe'))).toHaveLength(1);
    expect(await store.get('b')).toBeNull();
    expect(k.calls.filter((c) => c.startsWith('set @probe'))).toHaveLength(1);
    await store.set('a', 'v1');
    expect(await store.get('a')).toBe('v1');
    expect([...k.items.keys()]).toEqual(['wise-cli/a']);
  });

  it('a hit costs one read and no probe', async () => {
    const k = fakeKeyring();
    k.items.set('wise-cli/a', 'v1');
    const store = new KeychainStore(k.open);
    expect(await store.get('a')).toBe('v1');
    expect(k.calls).toEqual(['get a']);
  });

  it('a locked keyring that answers reads with null is reported, not taken as "nothing stored"', async () => {
    const store = new KeychainStore(fakeKeyring('locked').open);
    await expect(store.get('a')).rejects.toThrow(/keyring is probably locked/);
    await expect(new KeychainStore(fakeKeyring('locked').open).set('a', 'v')).rejects.toThrow(SecretStoreError);
  });

  it('no D-Bus session is exit 7 naming the file store', async () => {
    const error = await new KeychainStore(fakeKeyring('no-dbus').open).get('a').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretStoreError);
    expect((error as SecretStoreError).message).toContain('no D-Bus session or Secret Service is reachable');
    expect((error as SecretStoreError).hint).toContain('WISE_STORE=file');
  });

  it('a hung keychain call times out', async () => {
    const store = new KeychainStore(fakeKeyring('hung').open, 50);
    await expect(store.get('a')).rejects.toThrow(/did not answer within 0.05 s/);
  });
});
