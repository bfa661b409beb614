import { afterEach, describe, expect, it } from 'vitest';
import { runInProcessByDefault, STACK_TRACE, showsCode } from '../helpers/cli.js';
import { recordedRequests } from '../helpers/mock.js';
import { loggedIn, type OAuthWorld } from '../helpers/oauth.js';
import { haveScript, onTerminal } from '../helpers/terminal.js';

runInProcessByDefault();

const STATEMENT =
  '/v1/profiles/2001/balance-statements/3001/statement.json?currency=EUR&intervalStart=2026-06-01T00:00:00.000Z&intervalEnd=2026-11-30T23:59:59.999Z';
/** Wise's sandbox code (no real message is sent there), as the emulator does it. */
const CODE = '111111';

let world: OAuthWorld;
afterEach(async () => {
  await world?.cleanup();
});

/** An OAuth user whose factors are set with the emulator's user control. */
async function userWith(factors: Record<string, unknown>): Promise<OAuthWorld> {
  const w = await loggedIn();
  const res = await fetch(`${w.mock.url}/__mock/users/1001`, { method: 'POST', body: JSON.stringify(factors) });
  expect(res.status).toBe(200);
  return w;
}

const seen = async (path: string) =>
  (await recordedRequests(world.mock)).filter((r) => r.path.split('?')[0] === path.split('?')[0]).map((r) => r.status);

describe('one-time codes and alternatives (OAuth users)', () => {
  it.skipIf(!haveScript)(
    'PIN + SMS on a terminal: the code is triggered, typed at a hidden prompt, verified; the trace shows no code',
    async () => {
      world = await userWith({ pin: '2468', otp: { type: 'SMS', phone: '+4915112348888' } });
      const { code, transcript } = await onTerminal(['--debug', 'api', STATEMENT], {
        sandbox: world.sb,
        env: { WISE_SCA_PIN: '2468' },
        typed: [['The code Wise sent', `${CODE}\r`]],
      });
      expect(code, transcript).toBe(0);
      expect(transcript).toContain('approve BALANCE__GET_STATEMENT: PIN, SMS');
      expect(transcript).toMatch(/Wise sent a one-time code by SMS to \*+8888\./);
      expect(transcript).not.toContain(CODE);
      expect(await seen('/v1/one-time-token/sms/trigger')).toEqual([200]);
      expect(await seen('/v1/one-time-token/sms/verify')).toEqual([200]);
      expect(await seen('/v2/profiles/2001/pin/verify')).toEqual([200]);
    },
  );

  it('PIN + SMS without a terminal: exit 5 naming the SMS challenge, and no code is sent', async () => {
    world = await userWith({ pin: '2468', otp: { type: 'WHATSAPP' } });
    const r = await world.sb.run(['--json', 'api', STATEMENT], { env: { WISE_SCA_PIN: '2468' } });
    expect(r.code).toBe(5);
    const error = JSON.parse(r.stderr.trim().split('\n').at(-1) as string).error;
    expect(error).toMatchObject({ code: 'sca_required', challenge: 'WHATSAPP' });
    expect(error.message).toContain('one-time code sent by WhatsApp');
    expect(error.hint).toContain('on a terminal');
    expect(r.stderr).not.toMatch(STACK_TRACE);
    expect(await seen('/v1/one-time-token/whatsapp/trigger')).toEqual([]);
  });

  it('a FACE_MAP with no alternative: exit 5, saying none can be answered', async () => {
    world = await userWith({ faceMap: {} });
    const r = await world.sb.run(['api', STATEMENT]);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('Wise asks for a FACE_MAP challenge, and wise can answer none of them');
    expect(r.stderr).toContain('Wise app');
  });

  it.skipIf(!haveScript)('a FACE_MAP with an SMS alternative is answered by the code on a terminal', async () => {
    world = await userWith({ faceMap: { alternatives: ['SMS'] } });
    const { code, transcript } = await onTerminal(['api', STATEMENT], {
      sandbox: world.sb,
      typed: [['The code Wise sent', `${CODE}\r`]],
    });
    expect(code, transcript).toBe(0);
    expect(transcript).toContain('Answering SMS instead of FACE_MAP, as Wise allows.');
    expect(await seen(STATEMENT)).toEqual([403, 200]);
  });

  it.skipIf(!haveScript)('a wrong code is exit 5, and the call is not sent again', async () => {
    world = await userWith({ otp: { type: 'VOICE' } });
    const { code, transcript } = await onTerminal(['api', STATEMENT], {
      sandbox: world.sb,
      typed: [['The code Wise sent', '999999\r']],
    });
    expect(code).toBe(5);
    expect(transcript).toContain('Wise did not accept the code sent by a voice call');
    expect(await seen(STATEMENT)).toEqual([403]);
  });
});

describe("setting up a partner user's factors", () => {
  it('sca pin set (stdin) creates the PIN, then PIN challenges pass; a second set is 409; delete removes it', async () => {
    world = await loggedIn();
    const set = await world.sb.run(['--debug', 'sca', 'pin', 'set'], { input: '4826\n' });
    expect(set.code, set.stderr).toBe(0);
    expect(set.stderr).toContain('> accept-encoding: identity');
    expect(showsCode(set.stderr, '4826')).toBe(false);
    const ok = await world.sb.run(['api', STATEMENT], { env: { WISE_SCA_PIN: '4826' } });
    expect(ok.code, ok.stderr).toBe(0);
    const again = await world.sb.run(['sca', 'pin', 'set'], { input: '1111\n' });
    expect(again.code).toBe(3);
    expect(again.stderr).toContain('has a PIN already');
    expect(again.stderr).toContain('wise sca pin delete');
    expect((await world.sb.run(['sca', 'pin', 'delete'])).code).toBe(0);
    expect((await world.sb.run(['sca', 'pin', 'delete'])).code).toBe(3);
    expect((await world.sb.run(['sca', 'pin', 'set'], { input: '12345\n' })).code).toBe(2);
  });

  it('PIN + device fingerprint end to end: register the fingerprint, then both challenges pass; delete it', async () => {
    world = await loggedIn();
    expect((await world.sb.run(['sca', 'pin', 'set'], { input: '4826\n' })).code).toBe(0);
    const reg = await world.sb.run(['--json', 'sca', 'device-fingerprint', 'register']);
    expect(reg.code, reg.stderr).toBe(0);
    const id = JSON.parse(reg.stdout).deviceFingerprintId as string;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const r = await world.sb.run(['--debug', 'api', STATEMENT], { env: { WISE_SCA_PIN: '4826' } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('approve BALANCE__GET_STATEMENT: PIN, PARTNER_DEVICE_FINGERPRINT');
    expect(await seen('/v2/profiles/2001/device-fingerprints/verify')).toEqual([200]);
    const stored = await world.store().get('default:sandbox:device-fingerprint');
    expect(stored).toBeTruthy();
    expect(r.stderr).not.toContain(stored as string);
    expect((await world.sb.run(['sca', 'device-fingerprint', 'delete', id])).code).toBe(0);
    const pinOnly = await world.sb.run(['api', STATEMENT], { env: { WISE_SCA_PIN: '4826' } });
    expect(pinOnly.stderr).toContain('approve BALANCE__GET_STATEMENT: PIN.');
  });

  it('a personal-token login is told these are for OAuth users (exit 2)', async () => {
    world = await loggedIn();
    const r = await world.sb.run(['sca', 'pin', 'set'], {
      input: '4826\n',
      env: { WISE_TOKEN: world.mock.personalToken },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('for OAuth users');
  });
});

describe('SCA sessions', () => {
  it('sca session clears PIN + fingerprint once; statements then pass unchallenged, a funding is still challenged', async () => {
    world = await loggedIn();
    expect((await world.sb.run(['sca', 'pin', 'set'], { input: '4826\n' })).code).toBe(0);
    expect((await world.sb.run(['sca', 'device-fingerprint', 'register'])).code).toBe(0);
    const before = await seen(STATEMENT);
    const session = await world.sb.run(['--debug', '--json', 'sca', 'session'], { env: { WISE_SCA_PIN: '4826' } });
    expect(session.code, session.stderr).toBe(0);
    expect(session.stderr).toContain('approve IDENTITY__AUTHORISE_SESSION: PIN, PARTNER_DEVICE_FINGERPRINT');
    expect(showsCode(session.stderr, '4826')).toBe(false);
    const out = JSON.parse(session.stdout);
    expect(out).toMatchObject({ profileId: 2001, challenges: ['PIN', 'PARTNER_DEVICE_FINGERPRINT'] });
    expect(Date.parse(out.until) - Date.now()).toBeGreaterThan(4 * 60_000);
    expect(await seen('/v2/profiles/2001/sca-sessions/authorise')).toEqual([200]);
    // Within the window a statement needs no challenge at all (no PIN given now): one 200, no 403.
    const statement = await world.sb.run(['api', STATEMENT]);
    expect(statement.code, statement.stderr).toBe(0);
    expect((await seen(STATEMENT)).slice(before.length)).toEqual([200]);
    // Funding is not low-risk: it is still challenged (and without the PIN, exit 5).
    const fund = await world.sb.run([
      'api',
      '-X',
      'POST',
      '/v3/profiles/2001/transfers/1/payments',
      '-d',
      '{"type":"BALANCE"}',
    ]);
    expect(fund.code).toBe(5);
  });

  it('sca session with a personal token is exit 2, naming OAuth', async () => {
    world = await loggedIn();
    const r = await world.sb.run(['sca', 'session'], { env: { WISE_TOKEN: world.mock.personalToken } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('for OAuth users');
  });
});
