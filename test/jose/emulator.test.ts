import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { CompactEncrypt, CompactSign, compactDecrypt, decodeProtectedHeader, generateKeyPair, importSPKI } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInProcessByDefault, STACK_TRACE, showsCode } from '../helpers/cli.js';
import { expectContractViolation } from '../helpers/contract.js';
import { recordedRequests } from '../helpers/mock.js';
import { loggedIn, type OAuthWorld, oauthWorld } from '../helpers/oauth.js';

runInProcessByDefault();

const PLAY_JWS = '/v1/auth/jose/playground/jws';
const PLAY_JWE = '/v1/auth/jose/playground/jwe';
const PLAY_JWSJWE = '/v1/auth/jose/playground/jwsjwe';

/** A "Wise" between the tool and the emulator that changes the replies of one path: tampered or unsigned. */
async function tamperingProxy(
  target: string,
  path: string,
  how: 'tamper' | 'unsigned',
): Promise<{ url: string; server: Server }> {
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const forward = httpRequest(
        { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers },
        (up) => {
          const body: Buffer[] = [];
          up.on('data', (c: Buffer) => body.push(c));
          up.on('end', () => {
            let text = Buffer.concat(body).toString('utf8');
            const headers = { ...up.headers };
            delete headers['content-length'];
            if (req.url?.split('?')[0] === path && up.statusCode === 200) {
              if (how === 'unsigned') {
                const [, payload] = text.split('.');
                text = Buffer.from(payload ?? '', 'base64url').toString('utf8');
                headers['content-type'] = 'application/json';
              } else {
                const [h, payload, sig] = text.split('.');
                const changed = Buffer.from(payload ?? '', 'base64url')
                  .toString('utf8')
                  .replace('jose-playground-response', 'jose-playground-respon5e');
                text = `${h}.${Buffer.from(changed).toString('base64url')}.${sig}`;
              }
            }
            res.writeHead(up.statusCode ?? 502, headers).end(text);
          });
        },
      );
      forward.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('JOSE calls against the emulator', () => {
  let world: OAuthWorld;
  let signingKid: string;
  let encryptionKid: string;
  const wise = (args: string[], env: Record<string, string> = {}, input?: string) =>
    world.sb.run(args, { env, ...(input !== undefined ? { input } : {}) });

  beforeAll(async () => {
    world = await loggedIn();
    const signing = await wise(['--json', 'keys', 'generate', '--use', 'signing', '--alg', 'ES256']);
    expect(signing.code, signing.stderr).toBe(0);
    signingKid = JSON.parse(signing.stdout).kid;
    const encryption = await wise(['--json', 'keys', 'generate', '--use', 'encryption']);
    expect(encryption.code, encryption.stderr).toBe(0);
    encryptionKid = JSON.parse(encryption.stdout).kid;
    for (const use of ['signing', 'encryption']) {
      const r = await wise(['keys', 'register', '--use', use]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain('Wise accepted');
    }
  });
  afterAll(async () => {
    await world?.cleanup();
  });

  it('JWS, JWE and JWS+JWE round-trip: the body goes signed and/or encrypted, the reply comes back verified/decrypted', async () => {
    const jws = await wise(['--debug', 'api', '--jose', 'jws', '-X', 'POST', PLAY_JWS, '-d', '{"message":"jws"}']);
    expect(jws.code, jws.stderr).toBe(0);
    // Wise's playgrounds answer the message prefixed, and the method.
    expect(JSON.parse(jws.stdout)).toEqual({ message: 'jose-playground-response-jws', method: 'POST' });
    expect(jws.stderr).toContain('> x-tw-jose-method: jws');
    expect(jws.stderr).toContain('> content-type: application/jose+json');
    expect(jws.stderr).toContain('> accept: application/jose+json');
    expect(jws.stderr).toContain('> accept-encoding: identity');
    expect(jws.stderr).toContain('< content-type: application/jose+json');
    expect(jws.stderr).toContain('reply signature verified (ES256');

    const jwe = await wise(['--debug', 'api', '--jose', 'jwe', '-X', 'POST', PLAY_JWE, '-d', '{"message":"jwe"}']);
    expect(jwe.code, jwe.stderr).toBe(0);
    expect(JSON.parse(jwe.stdout)).toEqual({ message: 'jose-playground-response-jwe', method: 'POST' });
    expect(jwe.stderr).toContain('> x-tw-jose-method: jwe');
    expect(jwe.stderr).toContain('> content-encoding: identity');
    expect(jwe.stderr).toContain('reply decrypted');

    const both = await wise([
      '--debug',
      'api',
      '--jose',
      'jws+jwe',
      '-X',
      'POST',
      PLAY_JWSJWE,
      '-d',
      '{"message":"both"}',
    ]);
    expect(both.code, both.stderr).toBe(0);
    expect(JSON.parse(both.stdout)).toEqual({ message: 'jose-playground-response-both', method: 'POST' });
    expect(both.stderr).toContain('reply decrypted');
    expect(both.stderr).toContain('reply signature verified');
    // Announced as Wise names the nested mode; Wise's own jwsjwe playground answers as Wise documents it.
    expect(both.stderr).toContain('> x-tw-jose-method: jws+jwe');
    const docs = await wise([
      'api',
      '--jose',
      'jws+jwe',
      '-X',
      'POST',
      '/v1/auth/jose/playground/jwsjwe',
      '-d',
      '{"message":"hi"}',
    ]);
    expect(docs.code, docs.stderr).toBe(0);
    expect(JSON.parse(docs.stdout)).toEqual({ message: 'jose-playground-response-hi', method: 'POST' });
    expectContractViolation(/playground\/jwsjwe: header x-tw-jose-method=jwe/);
    expectContractViolation(/playground\/jwe: header x-tw-jose-method=jws\+jwe/);
    const onlyEncrypted = await wise([
      'api',
      '--jose',
      'jwe',
      '-X',
      'POST',
      '/v1/auth/jose/playground/jwsjwe',
      '-d',
      '{"message":"hi"}',
    ]);
    expect(onlyEncrypted.code).toBe(3);

    // A GET gets response-only encryption; any endpoint speaks JOSE.
    const get = await wise(['api', '--jose', 'jwe', PLAY_JWE]);
    expect(JSON.parse(get.stdout)).toEqual({ message: 'jose-playground-response-', method: 'GET' });
    // Each playground takes its own method only, and a message.
    const wrong = await wise(['api', '--jose', 'jws+jwe', '-X', 'POST', PLAY_JWE, '-d', '{"message":"x"}']);
    expect(wrong.code).toBe(3);
    const noMessage = await wise(['api', '--jose', 'jws', '-X', 'POST', PLAY_JWS, '-d', '{"hello":"x"}']);
    expect(noMessage.code).toBe(3);
    const profiles = await wise(['api', '--jose', 'jws', '/v2/profiles']);
    expect(profiles.code, profiles.stderr).toBe(0);
    expect(JSON.parse(profiles.stdout)[0].id).toBe(2001);
  });

  it('the emulator follows Wise: a JWE without url is accepted; jws+jwe must hold a JWS', async () => {
    const token = (await wise(['auth', 'token'])).stdout.trim();
    const plain = await wise(['jose', 'encrypt'], {}, '{"message":"no url"}');
    expect(plain.code, plain.stderr).toBe(0);
    const send = (method: string) =>
      fetch(`${world.mock.url}${method === 'jwe' ? PLAY_JWE : PLAY_JWSJWE}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/jose+json',
          accept: 'application/jose+json',
          'x-tw-jose-method': method,
        },
        body: plain.stdout.trim(),
      });
    expect((await send('jwe')).status).toBe(200);
    const nested = await send('jws+jwe');
    expect(nested.status).toBe(400);
    expect(JSON.stringify(await nested.json())).toContain('JOSE_INVALID_JWS');
  });

  it("Wise's jwe-direct-encryption playground answers with the request's own content key (alg dir)", async () => {
    const token = (await wise(['auth', 'token'])).stdout.trim();
    const auth = { authorization: `Bearer ${token}` };
    const key = (await (
      await fetch(
        `${world.mock.url}/v1/auth/jose/response/public-keys?algorithm=RSA_OAEP_256&scope=PAYLOAD_ENCRYPTION`,
        { headers: auth },
      )
    ).json()) as { keyMaterial: { keyMaterial: string } };
    const pem = `-----BEGIN PUBLIC KEY-----\n${key.keyMaterial.keyMaterial}\n-----END PUBLIC KEY-----`;
    const cek = randomBytes(32);
    const body = await new CompactEncrypt(new TextEncoder().encode('{"message":"direct"}'))
      .setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM' })
      .setContentEncryptionKey(cek)
      .encrypt(await importSPKI(pem, 'RSA-OAEP-256'));
    const res = await fetch(`${world.mock.url}/v1/auth/jose/playground/jwe-direct-encryption`, {
      method: 'POST',
      headers: {
        ...auth,
        'content-type': 'application/jose+json',
        accept: 'application/jose+json',
        'x-tw-jose-method': 'jwe',
      },
      body,
    });
    expect(res.status).toBe(200);
    const reply = await res.text();
    expect(decodeProtectedHeader(reply)).toEqual({ alg: 'dir', enc: 'A256GCM' });
    const { plaintext } = await compactDecrypt(reply, cek);
    expect(JSON.parse(new TextDecoder().decode(plaintext))).toEqual({
      message: 'jose-playground-response-direct',
      method: 'POST',
    });
    // Another key does not open it.
    await expect(compactDecrypt(reply, randomBytes(32))).rejects.toThrow();
  });

  it("the account's jose setting applies to its commands; --jose none turns it off for one call", async () => {
    expect((await wise(['config', 'set', 'jose', 'jws+jwe'])).code).toBe(0);
    const list = await wise(['--debug', 'profiles', 'list']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain('2001');
    expect(list.stderr).toContain('> x-tw-jose-method: jws+jwe');
    const plain = await wise(['--debug', 'api', '--jose', 'none', '/v2/profiles']);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stderr).not.toContain('x-tw-jose-method');
    expect((await wise(['config', 'unset', 'jose'])).code).toBe(0);
    const bad = await wise(['config', 'set', 'jose', 'rs256']);
    expect(bad.code).toBe(2);
  });

  it('Wise refuses a wrong url, an unknown kid and a disallowed alg, each with a clear message', async () => {
    const post = (body: string) =>
      wise([
        'api',
        '-X',
        'POST',
        PLAY_JWS,
        '-H',
        'Content-Type: application/jose+json',
        '-H',
        'Accept: application/jose+json',
        '-H',
        'X-TW-JOSE-Method: jws',
        '-d',
        body,
      ]);
    const wrongUrl = (await wise(['jose', 'sign', '--url', '/v1/transfers'], {}, '{"a":1}')).stdout.trim();
    let r = await post(wrongUrl);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('JOSE_URL_MISMATCH');
    expect(r.stderr).toContain('is not the request path /v1/auth/jose/playground/jws');

    // A calendar-versioned path: the url is the path Wise receives, version and all (not the /v3 form it maps to).
    const versioned = '/2026Q4/profiles/2001/batch-payments/00000000-0000-4000-8000-000000000000/payments';
    const sendTo = (path: string, body: string) =>
      wise([
        'api',
        '-X',
        'POST',
        path,
        '-H',
        'Content-Type: application/jose+json',
        '-H',
        'Accept: application/jose+json',
        '-H',
        'X-TW-JOSE-Method: jws',
        '-d',
        body,
      ]);
    const asV3 = (
      await wise(['jose', 'sign', '--url', versioned.replace('/2026Q4/', '/v3/')], {}, '{"type":"BALANCE"}')
    ).stdout.trim();
    r = await sendTo(versioned, asV3);
    expect(r.stderr).toContain('JOSE_URL_MISMATCH');
    const asSent = (await wise(['jose', 'sign', '--url', versioned], {}, '{"type":"BALANCE"}')).stdout.trim();
    r = await sendTo(versioned, asSent);
    expect(r.stderr).not.toContain('JOSE_URL_MISMATCH');
    expect(r.stderr).toContain('Batch group not found');

    const unregistered = JSON.parse((await wise(['--json', 'keys', 'generate', '--use', 'signing'])).stdout).kid;
    const unknownKid = (
      await wise(['jose', 'sign', '--kid', unregistered, '--url', PLAY_JWS], {}, '{"a":1}')
    ).stdout.trim();
    r = await post(unknownKid);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`No valid signing key with kid ${unregistered} is registered`);
    expect((await wise(['keys', 'remove', unregistered])).code).toBe(0);

    // RS256 (PKCS#1 v1.5) is not among Wise's algorithms, whoever signs it.
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    const rs256 = await new CompactSign(new TextEncoder().encode('{"a":1}'))
      .setProtectedHeader({ alg: 'RS256', kid: signingKid, url: PLAY_JWS })
      .sign(privateKey);
    r = await post(rs256);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('JWS algorithm RS256 is not allowed');
    expect(r.stderr).not.toMatch(STACK_TRACE);
  });

  it('a tampered reply, or an unsigned one, is refused with exit 1 and its payload is not printed', async () => {
    for (const how of ['tamper', 'unsigned'] as const) {
      const proxy = await tamperingProxy(world.mock.url, PLAY_JWS, how);
      try {
        const r = await wise(['api', '--jose', 'jws', '-X', 'POST', PLAY_JWS, '-d', '{"message":"x"}'], {
          WISE_API_URL: proxy.url,
        });
        expect(r.code, how).toBe(1);
        expect(r.stdout, how).toBe('');
        expect(r.stderr).toContain(how === 'tamper' ? 'does not verify' : 'was not signed');
        expect(r.stderr).not.toMatch(STACK_TRACE);
      } finally {
        proxy.server.close();
      }
    }
  });

  it("rotation: old replies stay readable until the old key goes; Wise's new signing key is fetched once, not trusted", async () => {
    // A reply encrypted to the current (old) key, kept as it came.
    const raw = await wise(['api', PLAY_JWE, '-H', 'X-TW-JOSE-Method: jwe', '-H', 'Accept: application/jose+json']);
    expect(raw.code, raw.stderr).toBe(0);
    const oldReply = join(world.sb.dir, 'old-reply.jwe');
    await writeFile(oldReply, raw.stdout);
    expect(raw.stdout.split('.')).toHaveLength(5);

    const fresh = JSON.parse((await wise(['--json', 'keys', 'generate', '--use', 'encryption'])).stdout);
    expect(fresh.active).toBe(false);
    expect((await wise(['keys', 'register', '--use', 'encryption', '--kid', fresh.kid])).code).toBe(0);
    expect((await wise(['keys', 'activate', fresh.kid])).code).toBe(0);
    const list = JSON.parse((await wise(['--json', 'keys', 'list'])).stdout);
    const enc = list.jose.filter((k: { use: string }) => k.use === 'encryption');
    expect(enc.map((k: { kid: string; active: boolean }) => [k.kid, k.active])).toEqual([
      [encryptionKid, false],
      [fresh.kid, true],
    ]);
    // Wise now encrypts to the new key; the old reply still opens with the old one.
    const now = await wise(['--debug', 'api', '--jose', 'jwe', PLAY_JWE]);
    expect(now.code, now.stderr).toBe(0);
    const old = await wise(['jose', 'decrypt', oldReply]);
    expect(old.code, old.stderr).toBe(0);
    // Signed, then encrypted (a signing key is installed too): the inner JWS verifies with Wise's key.
    expect(old.stdout.split('.')).toHaveLength(3);
    const inner = await wise(['jose', 'verify'], {}, old.stdout);
    expect(inner.code, inner.stderr).toBe(0);
    expect(JSON.parse(inner.stdout).message).toBe('jose-playground-response-');
    expect((await wise(['keys', 'remove', encryptionKid])).code).toBe(0);
    const gone = await wise(['jose', 'decrypt', oldReply]);
    expect(gone.code).toBe(2);
    expect(gone.stderr).toContain(`There is no JOSE key ${encryptionKid}`);

    // Wise rotates its signing key: the kept one fails once, the new one is fetched once and compared; it is not the
    // trusted key, so the reply is not accepted (test/jose/mitm.test.ts trusts it with `wise keys wise --trust`).
    await fetch(`${world.mock.url}/__mock/rotate-signing-key?algorithm=ES256`, { method: 'POST' });
    const before = (await recordedRequests(world.mock)).filter((q) => q.path.includes('scope=PAYLOAD_SIGNING')).length;
    const rotated = await wise(['api', '--jose', 'jws', '-X', 'POST', PLAY_JWS, '-d', '{"message":"hi"}']);
    expect(rotated.code).toBe(1);
    expect(rotated.stdout).toBe('');
    expect(rotated.stderr).toContain("Wise's PAYLOAD_SIGNING key (ES256, sandbox) is not the one this tool trusts");
    const after = (await recordedRequests(world.mock)).filter((q) => q.path.includes('scope=PAYLOAD_SIGNING')).length;
    expect(after - before).toBe(1);
  });

  it("a damaged cached key of Wise's is fetched again once, and the reply verifies", async () => {
    const cacheFile = join(world.sb.configDir, 'wise-public-keys.json');
    const cache = JSON.parse(await readFile(cacheFile, 'utf8')) as Record<string, { der: string }>;
    // (One entry per API host: the tampering proxy of an earlier test has its own.)
    const signing = Object.keys(cache).filter((k) => k.endsWith(' PAYLOAD_SIGNING ES256'));
    expect(signing.length).toBeGreaterThan(0);
    for (const k of signing)
      cache[k] = { ...(cache[k] as { der: string }), der: Buffer.from('not a key').toString('base64') };
    await writeFile(cacheFile, JSON.stringify(cache));
    const fetches = async () =>
      (await recordedRequests(world.mock)).filter((q) => q.path.includes('scope=PAYLOAD_SIGNING')).length;
    const before = await fetches();
    const r = await wise(['--debug', 'api', '--jose', 'jws', '-X', 'POST', PLAY_JWS, '-d', '{"message":"hi"}']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('reply signature verified (ES256');
    expect((await fetches()) - before).toBe(1);
    // The fresh key replaced the damaged one: the next call fetches nothing.
    const again = await wise(['api', '--jose', 'jws', '-X', 'POST', PLAY_JWS, '-d', '{"message":"hi"}']);
    expect(again.code, again.stderr).toBe(0);
    expect((await fetches()) - before).toBe(1);
  });

  it('an encrypted answer to a PIN is opened with the encryption key', async () => {
    await fetch(`${world.mock.url}/__mock/users/1001`, { method: 'POST', body: JSON.stringify({ pin: '2468' }) });
    const r = await wise(
      [
        '--debug',
        'api',
        '/v1/profiles/2001/balance-statements/3001/statement.json?currency=EUR&intervalStart=2026-06-01T00:00:00.000Z&intervalEnd=2026-11-30T23:59:59.999Z',
      ],
      {
        WISE_SCA_PIN: '2468',
      },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('PIN reply decrypted with key');
    expect(showsCode(r.stderr, '2468')).toBe(false);
  });

  it('public facts only: no private key in config, keys list, or a --debug JOSE call', async () => {
    const config = await readFile(join(world.sb.configDir, 'config.json'), 'utf8');
    expect(config).not.toMatch(/PRIVATE KEY|"d":/);
    const list = await wise(['--json', 'keys', 'list']);
    expect(list.stdout).not.toMatch(/PRIVATE KEY|"d":/);
    const debug = await wise([
      '--debug',
      'api',
      '--jose',
      'jws+jwe',
      '-X',
      'POST',
      PLAY_JWSJWE,
      '-d',
      '{"message":"a"}',
    ]);
    expect(debug.code, debug.stderr).toBe(0);
    expect(debug.stderr).not.toMatch(/PRIVATE KEY/);
    const status = JSON.parse((await wise(['--json', 'auth', 'status', '--offline'])).stdout);
    expect(
      status.joseKeys
        .filter((k: { active: boolean }) => k.active)
        .map((k: { use: string }) => k.use)
        .sort(),
    ).toEqual(['encryption', 'signing']);
    expect(JSON.stringify(status)).not.toMatch(/PRIVATE KEY/);
    const jwk = JSON.parse((await wise(['keys', 'public', '--use', 'signing', '--format', 'jwk'])).stdout);
    expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256', kid: signingKid, alg: 'ES256', use: 'sig' });
    expect(jwk.d).toBeUndefined();
  });
});

describe('JOSE keys and the partner client', () => {
  it('registering without an OAuth client set up is exit 4 with the hint; JWS without a key is exit 2', async () => {
    const world = await oauthWorld({ setup: false });
    try {
      expect((await world.sb.run(['keys', 'generate', '--use', 'signing', '--alg', 'PS256'])).code).toBe(0);
      const r = await world.sb.run(['keys', 'register', '--use', 'signing']);
      expect(r.code).toBe(4);
      expect(r.stderr).toContain('wise oauth setup');
      const none = await world.sb.run(['api', '--jose', 'jwe', '/v2/profiles'], {
        env: { WISE_TOKEN: world.mock.personalToken },
      });
      expect(none.code).toBe(2);
      expect(none.stderr).toContain('needs an encryption key');
      const badAlg = await world.sb.run(['keys', 'generate', '--use', 'encryption', '--alg', 'ES256']);
      expect(badAlg.code).toBe(2);
    } finally {
      await world.cleanup();
    }
  });
});
