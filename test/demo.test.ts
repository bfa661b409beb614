import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanEnv, ROOT, TEST_CACHE } from './helpers/cli.js';

describe('npm run demo', () => {
  it('runs the scripted session against the emulator and cleans up', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts/demo.mjs')], {
      // The start-up caches of the tests', not the user's own.
      env: cleanEnv({ NO_COLOR: '1', XDG_CACHE_HOME: TEST_CACHE }),
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('Stored the personal token for account "default" (sandbox)');
    expect(r.stdout).toMatch(/2002\s+BUSINESS\s+Doe Trading GmbH/);
    expect(r.stdout).toContain('PSD2');
    // The SCA-protected statement, signed with the key the demo made.
    expect(r.stdout).toContain('signing the one-time token with the SCA key');
    expect(r.stdout).toContain('"transactions":[{');
    // A signed and an encrypted call, their replies verified and decrypted.
    // Both answered by Wise's playgrounds (jws, then jwsjwe): the message prefixed, and the method.
    expect(r.stdout.split('{"message":"jose-playground-response-hello wise","method":"POST"}')).toHaveLength(3);
    // A verified webhook (and a forged one refused), and an mTLS call.
    expect(r.stdout).toContain('"test":true,"eventType":"balances#credit"');
    expect(r.stdout).toContain('the listener answered 403');
    expect(r.stdout).toContain('refused the TLS handshake');
    expect(r.stdout).toMatch(/# An mTLS call\n\$ wise api \/v2\/profiles\n\[\{"id":2001/);
    // The account tour: a quote and a payment checked but not made.
    expect(r.stdout).toMatch(/Recipient gets\s+85\.29 GBP/);
    expect(r.stdout).toMatch(/Recipient\s+Acme Supplies Ltd \(7001, \(23-14-70\) 28821822\)/);
    expect(r.stdout).toContain('Dry run in sandbox: nothing was paid.');
    expect(r.stdout).toContain('`wise activities`');
    // The guard rails: a payment refused by policy, one paid, the journal.
    expect(r.stdout).toContain(
      'Refused by policy (--to 7001): maxPerTransfer GBP is 40.00, and this payment is 50.00 GBP',
    );
    expect(r.stdout).toMatch(/transfer\.create\s+30\.00 GBP\s+7001\s+\d+\s+ok/);
    expect(r.stdout).toMatch(/lines, chain intact; head [0-9a-f]{64}/);
    expect(r.stdout).toContain('The demo finished');
    const folder = /(\/[^\s]*wise-demo-\w+)\//.exec(r.stdout)?.[1];
    expect(folder).toBeDefined();
    expect(existsSync(folder as string)).toBe(false);
  }, 90_000);
});
