import { createHash, generateKeyPairSync } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CompactEncrypt, CompactSign, compactDecrypt, importSPKI } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runInProcessByDefault, STACK_TRACE } from '../helpers/cli.js';
import { type Mitm, startMitm } from '../helpers/mitm.js';
import { loggedIn, type OAuthWorld } from '../helpers/oauth.js';
import { haveScript, onTerminal } from '../helpers/terminal.js';

runInProcessByDefault();

const STATEMENT =
  '/v1/profiles/2001/balance-statements/3001/statement.json?currency=EUR&intervalStart=2026-06-01T00:00:00.000Z&intervalEnd=2026-11-30T23:59:59.999Z';
const PIN_VERIFY = '/v2/profiles/2001/pin/verify';
const KEYS = '/v1/auth/jose/response/public-keys';
const PLAY_JWS = '/v1/auth/jose/playground/jws';
const PLAY_JWE = '/v1/auth/jose/playground/jwe';
const PLAY_JWSJWE = '/v1/auth/jose/playground/jwsjwe';
const PIN = '2468';

let world: OAuthWorld;
let mitm: Mitm;
/** The tool, talking to "Wise" through the man in the middle. */
const wise = (args: string[], env: Record<string, string> = {}) =>
  world.sb.run(args, { env: { WISE_API_URL: mitm.url, ...env } });

beforeEach(async () => {
  world = await loggedIn();
  mitm = await startMitm(world.mock.url);
  await fetch(`${world.mock.url}/__mock/users/1001`, { method: 'POST', body: JSON.stringify({ pin: PIN }) });
});
afterEach(async () => {
  await mitm?.close();
  await world?.cleanup();
});

const der = (key: import('node:crypto').KeyObject) =>
  (key.export({ type: 'spki', format: 'der' }) as Buffer).toString('base64');
const fingerprint = (key: import('node:crypto').KeyObject) =>
  createHash('sha256')
    .update(key.export({ type: 'spki', format: 'der' }))
    .digest('hex');
const pathOf = (path: string) => path.split('?')[0];

/** The attacker's key served as Wise's for one scope, in Wise's answer shape. */
function serveKey(scope: string, key: import('node:crypto').KeyObject) {
  return (request: { path: string }) =>
    pathOf(request.path) === KEYS && request.path.includes(`scope=${scope}`)
      ? {
          status: 200,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ version: 9, keyMaterial: { algorithm: 'x', keyMaterial: der(key) } }),
        }
      : undefined;
}

async function trustedFile(): Promise<string> {
  return readFile(join(world.sb.configDir, 'wise-public-keys.json'), 'utf8');
}

describe("a man in the middle and Wise's key re-fetch", () => {
  it('gets no PIN: a refused PIN answer and a key of his own on the re-fetch stop the command (exit 5)', async () => {
    // An honest call first: Wise's encryption key is fetched and trusted.
    const honest = await wise(['api', STATEMENT], { WISE_SCA_PIN: PIN });
    expect(honest.code, honest.stderr).toBe(0);
    const trusted = await trustedFile();
    const honestKey = JSON.parse(trusted)[Object.keys(JSON.parse(trusted))[0] as string].der as string;

    const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 });
    mitm.seen.length = 0;
    mitm.intercept = (request) =>
      pathOf(request.path) === PIN_VERIFY
        ? {
            status: 400,
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ errors: [{ code: 'JOSE_DECRYPTION_FAILED', message: 'fetch the key again' }] }),
          }
        : serveKey('PAYLOAD_ENCRYPTION', attacker.publicKey)(request);
    const r = await wise(['api', STATEMENT], { WISE_SCA_PIN: PIN });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain(createHash('sha256').update(Buffer.from(honestKey, 'base64')).digest('hex'));
    expect(r.stderr).toContain(fingerprint(attacker.publicKey));
    expect(r.stderr).toContain('wise keys wise --trust');
    expect(r.stderr).not.toMatch(STACK_TRACE);
    // The PIN went out once, to the trusted key; nothing the proxy got opens with the attacker's key.
    const answers = mitm.seen.filter((s) => pathOf(s.path) === PIN_VERIFY);
    expect(answers).toHaveLength(1);
    for (const s of mitm.seen.filter((x) => x.body.length)) {
      await expect(compactDecrypt(s.body.toString('utf8'), attacker.privateKey)).rejects.toThrow();
    }
    // The attacker's key was not kept: the next honest call works with the trusted key.
    expect(await trustedFile()).toBe(trusted);
    mitm.intercept = undefined;
    const after = await wise(['api', STATEMENT], { WISE_SCA_PIN: PIN });
    expect(after.code, after.stderr).toBe(0);
  });

  it('a challenge Wise marks passed is not answered again: the PIN is not sent', async () => {
    mitm.rewrite = (request, answer) => {
      if (pathOf(request.path) !== '/v1/one-time-token/status') return answer;
      const status = JSON.parse(answer.body.toString());
      for (const c of status.oneTimeTokenProperties.challenges) c.passed = true;
      return { ...answer, body: JSON.stringify(status) };
    };
    const r = await wise(['api', STATEMENT], { WISE_SCA_PIN: PIN });
    expect(r.stderr).toContain('nothing left to answer');
    expect(mitm.seen.filter((s) => pathOf(s.path) === PIN_VERIFY)).toEqual([]);
  });

  describe('with JOSE keys registered', () => {
    beforeEach(async () => {
      for (const [use, extra] of [
        ['signing', ['--alg', 'ES256']],
        ['encryption', []],
      ] as const) {
        expect((await wise(['keys', 'generate', '--use', use, ...extra])).code).toBe(0);
        const reg = await wise(['keys', 'register', '--use', use]);
        expect(reg.code, reg.stderr).toBe(0);
      }
    });

    it('accepts no forged reply: his signing key on the re-fetch stops the command (exit 1), his payload unseen', async () => {
      const honest = await wise(['api', '--jose', 'jws', '-X', 'POST', PLAY_JWS, '-d', '{"message":"hi"}']);
      expect(honest.code, honest.stderr).toBe(0);
      const trusted = await trustedFile();
      const attacker = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      mitm.intercept = serveKey('PAYLOAD_SIGNING', attacker.publicKey);
      mitm.rewrite = async (request, answer) => {
        if (pathOf(request.path) !== PLAY_JWS) return answer;
        const forged = await new CompactSign(new TextEncoder().encode('{"message":"pay the attacker"}'))
          .setProtectedHeader({ alg: 'ES256' })
          .sign(attacker.privateKey);
        return { ...answer, body: forged };
      };
      const r = await wise(['api', '--jose', 'jws', '-X', 'POST', PLAY_JWS, '-d', '{"message":"hi"}']);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).not.toContain('pay the attacker');
      expect(r.stderr).toContain(fingerprint(attacker.publicKey));
      expect(r.stderr).toContain('wise keys wise --trust');
      expect(await trustedFile()).toBe(trusted);
      // keys wise, keys list and doctor show the trusted fingerprint.
      const listed = JSON.parse((await wise(['--json', 'keys', 'wise'])).stdout);
      const signing = listed.keys.find((k: { scope: string }) => k.scope === 'PAYLOAD_SIGNING');
      expect(signing).toMatchObject({ algorithm: 'ES256' });
      expect(signing.fingerprint).toMatch(/^[0-9a-f]{64}$/);
      expect(r.stderr).toContain(signing.fingerprint);
      expect(JSON.parse((await wise(['--json', 'keys', 'list'])).stdout).wise).toEqual(listed.keys);
      const doctor = await wise(['--json', 'doctor', '--offline']);
      const row = JSON.parse(doctor.stdout).checks.find((c: { check: string }) => c.check === "wise's keys");
      expect(row.detail).toContain(signing.fingerprint);
    });

    it("Wise's generic 500 for a body it cannot decrypt fetches its key again: his key stops the call, sent once", async () => {
      const honest = await wise(['api', '--jose', 'jwe', '-X', 'POST', PLAY_JWE, '-d', '{"message":"1"}']);
      expect(honest.code, honest.stderr).toBe(0);
      const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 });
      mitm.seen.length = 0;
      mitm.intercept = (request) =>
        pathOf(request.path) === PLAY_JWE
          ? { status: 500, headers: { 'content-type': 'application/json' }, body: '{"error":"internal"}' }
          : serveKey('PAYLOAD_ENCRYPTION', attacker.publicKey)(request);
      const r = await wise(['api', '--jose', 'jwe', '-X', 'POST', PLAY_JWE, '-d', '{"message":"2"}']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(fingerprint(attacker.publicKey));
      expect(mitm.seen.filter((x) => pathOf(x.path) === PLAY_JWE)).toHaveLength(1);
      expect(mitm.seen.filter((x) => pathOf(x.path) === KEYS)).toHaveLength(1);
    });

    it('a reply signed with HS256 or alg none is refused (exit 1), its payload unseen', async () => {
      for (const header of [{ alg: 'HS256' }, { alg: 'none' }]) {
        mitm.rewrite = (request, answer) => {
          if (pathOf(request.path) !== PLAY_JWS) return answer;
          const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
          const sig = header.alg === 'none' ? '' : Buffer.from('mac').toString('base64url');
          return { ...answer, body: `${part(header)}.${part({ message: 'forged' })}.${sig}` };
        };
        const r = await wise(['api', '--jose', 'jws', '-X', 'POST', PLAY_JWS, '-d', '{"message":"hi"}']);
        expect(r.code).toBe(1);
        expect(r.stdout).toBe('');
        expect(r.stderr).not.toContain('forged');
        if (header.alg === 'HS256') expect(r.stderr).toContain('signed with HS256, which is not allowed');
      }
    });

    it('a reply encrypted to a kid that is not ours is refused naming the kid; an unsigned one in jws+jwe too', async () => {
      const publicPem = (await wise(['keys', 'public', '--use', 'encryption'])).stdout;
      const ours = await importSPKI(publicPem, 'RSA-OAEP-256');
      for (const [kid, expected] of [
        ['not-a-key-of-ours', 'encrypted to key not-a-key-of-ours, which is not among'],
        [undefined, 'not signed, though JWS was asked for'],
      ] as const) {
        mitm.rewrite = async (request, answer) => {
          if (pathOf(request.path) !== PLAY_JWSJWE) return answer;
          // Anyone can encrypt to our public key: an unsigned reply with his own content.
          const body = await new CompactEncrypt(new TextEncoder().encode('{"message":"forged"}'))
            .setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM', ...(kid ? { kid } : {}) })
            .encrypt(ours);
          return { ...answer, body };
        };
        const r = await wise(['api', '--jose', 'jws+jwe', '-X', 'POST', PLAY_JWSJWE, '-d', '{"message":"hi"}']);
        expect(r.code).toBe(1);
        expect(r.stdout).toBe('');
        expect(r.stderr).not.toContain('forged');
        expect(r.stderr).toContain(expected);
      }
    });

    it.skipIf(!haveScript)(
      "a genuine rotation of Wise's signing key takes one step: `wise keys wise --trust` on a terminal",
      async () => {
        const first = await wise(['api', '--jose', 'jws', '-X', 'POST', PLAY_JWS, '-d', '{"message":"hi"}']);
        expect(first.code, first.stderr).toBe(0);
        await fetch(`${world.mock.url}/__mock/rotate-signing-key?algorithm=ES256`, { method: 'POST' });
        const stopped = await wise(['api', '--jose', 'jws', '-X', 'POST', PLAY_JWS, '-d', '{"message":"hi"}']);
        expect(stopped.code).toBe(1);
        expect(stopped.stderr).toContain('wise keys wise --trust');
        // Not without a terminal.
        const script = await wise(['keys', 'wise', '--trust']);
        expect(script.code).toBe(2);
        const sandbox = { ...world.sb, env: { ...world.sb.env, WISE_API_URL: mitm.url } };
        const { code, transcript } = await onTerminal(['keys', 'wise', '--trust'], {
          sandbox,
          typed: [['Trust the key Wise serves now for PAYLOAD_SIGNING ES256?', 'y\r']],
        });
        expect(code, transcript).toBe(0);
        expect(transcript).toContain('trusted now:');
        expect(transcript).toContain('Wise serves now:');
        expect(transcript).toContain('PAYLOAD_ENCRYPTION RSA_OAEP_256 (sandbox): none kept yet; trusted');
        const after = await wise(['--debug', 'api', '--jose', 'jws', '-X', 'POST', PLAY_JWS, '-d', '{"message":"hi"}']);
        expect(after.code, after.stderr).toBe(0);
        expect(after.stderr).toContain('Wise key version 2');
      },
    );
  });
});
