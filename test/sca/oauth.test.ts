import { afterEach, describe, expect, it } from 'vitest';
import { runInProcessByDefault, STACK_TRACE, showsCode } from '../helpers/cli.js';
import { expectContractViolation } from '../helpers/contract.js';
import { draftTransferFunding, recordedRequests } from '../helpers/mock.js';
import { loggedIn, type OAuthWorld } from '../helpers/oauth.js';

runInProcessByDefault();

const STATEMENT =
  '/v1/profiles/2001/balance-statements/3001/statement.json?currency=EUR&intervalStart=2026-06-01T00:00:00.000Z&intervalEnd=2026-11-30T23:59:59.999Z';

let world: OAuthWorld;
afterEach(async () => {
  await world?.cleanup();
});

/** An OAuth login whose user has a PIN: her statements and funding meet the challenge flow. */
async function withPin(pin = '2468'): Promise<OAuthWorld> {
  const w = await loggedIn();
  await fetch(`${w.mock.url}/__mock/users/1001`, { method: 'POST', body: JSON.stringify({ pin }) });
  return w;
}

async function seen(path: string): Promise<number[]> {
  return (await recordedRequests(world.mock))
    .filter((r) => r.path.split('?')[0] === path.split('?')[0])
    .map((r) => r.status);
}

describe('SCA for OAuth users (challenge flow)', () => {
  it('a statement with the PIN from WISE_SCA_PIN: status read, PIN sent as a JWE, the call sent once more', async () => {
    world = await withPin();
    const r = await world.sb.run(['--debug', 'api', STATEMENT], { env: { WISE_SCA_PIN: '2468' } });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).transactions).toHaveLength(40);
    expect(r.stderr).toContain('Wise asks for Strong Customer Authentication to approve BALANCE__GET_STATEMENT: PIN');
    expect(await seen(STATEMENT)).toEqual([403, 200]);
    expect(await seen('/v1/one-time-token/status')).toEqual([200]);
    expect(await seen('/v2/profiles/2001/pin/verify')).toEqual([200]);
    // The PIN travels encrypted and never shows: not in the trace, not in the JWE's place.
    expect(r.stderr).toContain('> content-type: application/jose+json');
    expect(r.stderr).toContain('(compact JOSE, ');
    expect(showsCode(r.stderr, '2468')).toBe(false);
    expect(r.stderr).toContain('> one-time-token: [REDACTED]');
  });

  it('a POST that met SCA reached Wise exactly twice', async () => {
    world = await withPin();
    const FUNDING = await draftTransferFunding(world.mock);
    const r = await world.sb.run(['api', '-X', 'POST', FUNDING, '-d', '{"type":"BALANCE"}'], {
      env: { WISE_SCA_PIN: '2468' },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(await seen(FUNDING)).toEqual([403, 200]);
  });

  it('a wrong PIN is exit 5, and the call is not sent again', async () => {
    world = await withPin();
    const r = await world.sb.run(['api', STATEMENT], { env: { WISE_SCA_PIN: '0000' } });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('Wise did not accept the PIN');
    expect(r.stderr).not.toMatch(STACK_TRACE);
    expect(await seen(STATEMENT)).toEqual([403]);
  });

  it('no PIN and no terminal: exit 5 naming the PIN challenge and WISE_SCA_PIN', async () => {
    world = await withPin();
    const r = await world.sb.run(['--json', 'api', STATEMENT]);
    expect(r.code).toBe(5);
    // Progress lines come first on stderr; the error is the last line, one JSON object.
    const error = JSON.parse(r.stderr.trim().split('\n').at(-1) as string).error;
    expect(error).toMatchObject({ code: 'sca_required', challenge: 'PIN' });
    expect(error.hint).toContain('WISE_SCA_PIN');
  });

  it('five wrong PINs block one-time tokens for 15 minutes', async () => {
    world = await withPin();
    for (let i = 0; i < 5; i++) {
      expect((await world.sb.run(['api', STATEMENT], { env: { WISE_SCA_PIN: '1111' } })).code).toBe(5);
    }
    const blocked = await world.sb.run(['api', STATEMENT], { env: { WISE_SCA_PIN: '2468' } });
    expect(blocked.code).toBe(3);
    expect(blocked.stderr).toContain('OTT_CREATION_BLOCKED');
  });

  it('without a partner client set up, the PIN cannot be encrypted: exit 5 with the hint', async () => {
    world = await withPin();
    // The login stays; the client secret is gone.
    const { FileStore } = await import('../../src/store/file-store.js');
    const { join } = await import('node:path');
    await new FileStore(
      join(world.sb.configDir, 'secrets.enc'),
      async () => world.sb.env.WISE_STORE_PASSPHRASE as string,
    ).delete('@client:sandbox:client-secret');
    const r = await world.sb.run(['api', STATEMENT], { env: { WISE_SCA_PIN: '2468' } });
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).toContain('wise oauth setup');
  });

  it("the emulator holds the client to Wise's required verify headers (Accept-Encoding and Content-Encoding: identity)", async () => {
    world = await withPin();
    const token = (await world.sb.run(['auth', 'token'])).stdout.trim();
    const headers = {
      authorization: `Bearer ${token}`,
      'content-type': 'application/jose+json',
      accept: 'application/jose+json',
      'x-tw-jose-method': 'jwe',
      'one-time-token': '5a0b2b4e-2c0e-4b0e-9d7a-1b2c3d4e5f60',
    };
    expectContractViolation(/verify: header parameter Content-Encoding is required/);
    for (const path of ['/v2/profiles/2001/pin/verify', '/v2/profiles/2001/device-fingerprints/verify']) {
      const res = await fetch(`${world.mock.url}${path}`, { method: 'POST', headers, body: 'a.b.c.d.e' });
      expect(res.status).toBe(400);
      expect(JSON.stringify(await res.json())).toContain('accept-encoding');
    }
    // The client sends them: a PIN challenge is answered.
    const r = await world.sb.run(['api', STATEMENT], { env: { WISE_SCA_PIN: '2468' } });
    expect(r.code, r.stderr).toBe(0);
  });

  it('users without a PIN are not challenged (as before)', async () => {
    world = await loggedIn();
    expect((await world.sb.run(['api', STATEMENT])).code).toBe(0);
    expect(await seen(STATEMENT)).toEqual([200]);
  });

  it('wise sca status shows the action and its challenges', async () => {
    world = await withPin();
    const token = (await world.sb.run(['auth', 'token'])).stdout.trim();
    const challenged = await fetch(`${world.mock.url}${STATEMENT}`, { headers: { authorization: `Bearer ${token}` } });
    const ott = challenged.headers.get('x-2fa-approval') as string;
    const text = await world.sb.run(['sca', 'status', ott]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toBe(`One-time token ${ott}: approves BALANCE__GET_STATEMENT\n  PIN: required\n`);
    const json = JSON.parse((await world.sb.run(['--json', 'sca', 'status', ott])).stdout);
    expect(json).toMatchObject({
      actionType: 'BALANCE__GET_STATEMENT',
      challenges: [{ required: true, passed: false }],
    });
    expect((await world.sb.run(['sca', 'status', 'not a token'])).code).toBe(2);
  });

  it("Wise's encryption key is kept; a rotated one is fetched and compared, never sent the PIN on its own; a wrong PIN is never sent twice", async () => {
    world = await withPin();
    const env = { WISE_SCA_PIN: '2468' };
    expect((await world.sb.run(['api', STATEMENT], { env })).code).toBe(0);
    expect((await world.sb.run(['api', STATEMENT], { env })).code).toBe(0);
    const KEYS = '/v1/auth/jose/response/public-keys';
    expect(await seen(KEYS)).toEqual([200]);
    // Wise rotates its key: the kept one is refused, fetched again and compared. A key other than the trusted one is
    // never sent a secret on its own: exit 5 naming both fingerprints, the PIN not sent again.
    await fetch(`${world.mock.url}/__mock/rotate-encryption-key`, { method: 'POST' });
    const rotated = await world.sb.run(['api', STATEMENT], { env });
    expect(rotated.code).toBe(5);
    expect(rotated.stderr).toMatch(
      /trusted [0-9a-f]{64} \(since \d{4}-\d\d-\d\d\), served now [0-9a-f]{64} \(version 2\)/,
    );
    expect(rotated.stderr).toContain('wise keys wise --trust');
    expect(await seen(KEYS)).toEqual([200, 200]);
    expect(await seen('/v2/profiles/2001/pin/verify')).toEqual([200, 200, 400]);
    const { existsSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const cache = join(world.sb.configDir, 'wise-public-keys.json');
    expect(existsSync(cache)).toBe(true);
    // Once the new key is trusted (here the kept keys are removed: the next call trusts on first use), a wrong PIN
    // with a key that did not change: the key is checked again, the PIN is not sent twice.
    rmSync(cache);
    expect((await world.sb.run(['api', STATEMENT], { env })).code).toBe(0);
    const wrong = await world.sb.run(['api', STATEMENT], { env: { WISE_SCA_PIN: '1357' } });
    expect(wrong.code).toBe(5);
    expect(wrong.stderr).toContain('Wise did not accept the PIN');
    expect(await seen('/v2/profiles/2001/pin/verify')).toEqual([200, 200, 400, 200, 400]);
    expect(await seen(KEYS)).toEqual([200, 200, 200, 200]);
    expect((await world.sb.run(['logout', '--all'])).code).toBe(0);
    expect(existsSync(cache)).toBe(false);
  });

  it('a device-fingerprint challenge is answered with the stored fingerprint, as a JWE', async () => {
    world = await loggedIn();
    await fetch(`${world.mock.url}/__mock/users/1001`, {
      method: 'POST',
      body: JSON.stringify({ pin: '2468', deviceFingerprint: 'fp-3c9a1e77-registered' }),
    });
    const none = await world.sb.run(['api', STATEMENT], { env: { WISE_SCA_PIN: '2468' } });
    expect(none.code).toBe(5);
    expect(none.stderr).toContain('wise sca device-fingerprint set');
    const set = await world.sb.run(['sca', 'device-fingerprint', 'set'], { input: 'fp-3c9a1e77-wrong\n' });
    expect(set.code, set.stderr).toBe(0);
    const wrong = await world.sb.run(['api', STATEMENT], { env: { WISE_SCA_PIN: '2468' } });
    expect(wrong.code).toBe(5);
    expect(wrong.stderr).toContain('Wise did not accept the device fingerprint');
    await world.sb.run(['sca', 'device-fingerprint', 'set'], { input: 'fp-3c9a1e77-registered\n' });
    const ok = await world.sb.run(['--debug', 'api', STATEMENT], { env: { WISE_SCA_PIN: '2468' } });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toContain('approve BALANCE__GET_STATEMENT: PIN, PARTNER_DEVICE_FINGERPRINT');
    expect(ok.stderr).not.toContain('fp-3c9a1e77-registered');
    expect(await seen('/v2/profiles/2001/device-fingerprints/verify')).toEqual([400, 200]);
  });
});
