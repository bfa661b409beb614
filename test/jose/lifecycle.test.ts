import { describe, expect, it } from 'vitest';
import { activateJoseKey, addJoseKey, markJoseKeyRegistered, removeJoseKey } from '../../src/jose/keys.js';
import { emptyConfig, type JoseKeyRecord } from '../../src/store/config.js';

const key = (kid: string, use: JoseKeyRecord['use']): JoseKeyRecord => ({
  kid,
  use,
  alg: use === 'signing' ? 'ES256' : 'RSA-OAEP-256',
  createdAt: '2026-12-07T00:00:00.000Z',
  thumbprint: `t-${kid}`,
  active: false,
  source: 'generated',
});

describe('the JOSE key lifecycle', () => {
  it('the first key of a use is active at once; a later one waits; one active per use', () => {
    const config = emptyConfig();
    expect(addJoseKey(config, 'sandbox', key('s1', 'signing')).active).toBe(true);
    expect(addJoseKey(config, 'sandbox', key('e1', 'encryption')).active).toBe(true);
    expect(addJoseKey(config, 'sandbox', key('s2', 'signing')).active).toBe(false);
    // Another environment starts afresh.
    expect(addJoseKey(config, 'production', key('p1', 'signing')).active).toBe(true);
    activateJoseKey(config, 'sandbox', 's2');
    const active = (config.jose?.sandbox ?? []).filter((k) => k.active).map((k) => k.kid);
    expect(active.sort()).toEqual(['e1', 's2']);
    expect(config.jose?.production?.[0]?.active).toBe(true);
    expect(() => activateJoseKey(config, 'sandbox', 'nope')).toThrow(/no JOSE key nope/);
  });

  it('registration is recorded on its key; removing the last key leaves no empty list or section', () => {
    const config = emptyConfig();
    addJoseKey(config, 'sandbox', key('s1', 'signing'));
    const registered = {
      at: '2026-12-07T00:00:00.000Z',
      validFrom: '2026-12-07 00:00:00',
      validTill: '2027-12-07 00:00:00',
    };
    markJoseKeyRegistered(config, 'sandbox', 's1', registered);
    expect(config.jose?.sandbox?.[0]?.registered).toEqual(registered);
    addJoseKey(config, 'production', key('p1', 'signing'));
    removeJoseKey(config, 'sandbox', 's1');
    expect(config.jose).toEqual({ production: [expect.objectContaining({ kid: 'p1' })] });
    removeJoseKey(config, 'production', 'p1');
    expect(config.jose).toBeUndefined();
  });
});
