/**
 * Interoperability with JOSE implementations nobody here wrote: Debian's python3-jwcrypto (both ways, JWS and JWE)
 * and the `jose` command (José, which verifies our JWS). Skipped with a banner without them, except under CI=true.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, runInProcessByDefault, type Sandbox } from '../helpers/cli.js';

runInProcessByDefault();

const PYTHON = '/usr/bin/python3';
const haveJwcrypto = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import jwcrypto']).status === 0;
const haveJose = spawnSync('sh', ['-c', 'command -v jose']).status === 0;
if (!(haveJwcrypto && haveJose)) {
  if (process.env.CI === 'true')
    throw new Error('CI needs python3-jwcrypto and jose (apt-get install python3-jwcrypto jose)');
  console.warn('\n*** JOSE interoperability tests SKIPPED: apt-get install python3-jwcrypto jose ***\n');
}

function python(script: string, input = ''): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(PYTHON, ['-c', script], { input, encoding: 'utf8' });
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(!(haveJwcrypto && haveJose))('JOSE interoperability', () => {
  let sb: Sandbox;
  const kids: Record<string, string> = {};
  beforeAll(async () => {
    sb = await createSandbox();
    for (const alg of ['ES256', 'ES384', 'ES512', 'PS256']) {
      const r = await sb.run(['--json', 'keys', 'generate', '--use', 'signing', '--alg', alg]);
      expect(r.code, r.stderr).toBe(0);
      kids[alg] = JSON.parse(r.stdout).kid;
    }
    const enc = await sb.run(['--json', 'keys', 'generate', '--use', 'encryption']);
    expect(enc.code, enc.stderr).toBe(0);
    kids.enc = JSON.parse(enc.stdout).kid;
  });
  afterAll(async () => {
    await sb?.cleanup();
  });

  it.each(['ES256', 'ES384', 'ES512', 'PS256'])(
    'jwcrypto and jose(1) verify our %s JWS, header and all',
    async (alg) => {
      const kid = kids[alg] as string;
      const jws = await sb.run(['jose', 'sign', '--kid', kid, '--url', '/v3/profiles/1/transfers/2/payments'], {
        input: '{"amount":"10.00"}',
      });
      expect(jws.code, jws.stderr).toBe(0);
      const jwk = (await sb.run(['keys', 'public', '--use', 'signing', '--kid', kid, '--format', 'jwk'])).stdout;
      const r = python(
        `import sys, json
from jwcrypto import jwk, jws
key = jwk.JWK.from_json(${JSON.stringify(jwk.trim())})
t = jws.JWS(); t.deserialize(sys.stdin.read().strip()); t.verify(key)
print(json.dumps({"payload": t.payload.decode(), "header": t.jose_header}))`,
        jws.stdout,
      );
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.payload).toBe('{"amount":"10.00"}');
      expect(out.header).toEqual({ alg, kid, url: '/v3/profiles/1/transfers/2/payments' });

      const dir = sb.dir;
      await writeFile(join(dir, 'our.jws'), jws.stdout.trim());
      await writeFile(join(dir, 'our.jwk'), jwk);
      const jose = spawnSync(
        'jose',
        ['jws', 'ver', '-i', join(dir, 'our.jws'), '-k', join(dir, 'our.jwk'), '-O', '-'],
        {
          encoding: 'utf8',
        },
      );
      expect(jose.status, jose.stderr).toBe(0);
      expect(jose.stdout).toBe('{"amount":"10.00"}');
      // One changed byte of payload, and neither accepts it.
      const [h, p, s] = jws.stdout.trim().split('.');
      const forged = `${h}.${Buffer.from('{"amount":"99.00"}').toString('base64url')}.${s}`;
      void p;
      await writeFile(join(dir, 'forged.jws'), forged);
      expect(
        spawnSync('jose', ['jws', 'ver', '-i', join(dir, 'forged.jws'), '-k', join(dir, 'our.jwk')]).status,
      ).not.toBe(0);
    },
  );

  it('jwcrypto decrypts our JWE (RSA-OAEP-256 / A256GCM, url in the header)', async () => {
    const made = python(`from jwcrypto import jwk
k = jwk.JWK.generate(kty="RSA", size=2048)
print(k.export_private()); print(k.export_to_pem().decode())`);
    expect(made.code, made.stderr).toBe(0);
    const [privateJwk, ...pem] = made.stdout.trim().split('\n');
    const pub = join(sb.dir, 'recipient.pem');
    await writeFile(pub, `${pem.join('\n')}\n`);
    const jwe = await sb.run(['jose', 'encrypt', '--key', pub, '--url', '/v1/auth/jose/playground/jwe'], {
      input: '{"secret":"s3"}',
    });
    expect(jwe.code, jwe.stderr).toBe(0);
    const r = python(
      `import sys, json
from jwcrypto import jwk, jwe
key = jwk.JWK.from_json(${JSON.stringify(privateJwk)})
t = jwe.JWE(); t.deserialize(sys.stdin.read().strip(), key=key)
print(json.dumps({"plaintext": t.payload.decode(), "header": json.loads(t.objects["protected"])}))`,
      jwe.stdout,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      plaintext: '{"secret":"s3"}',
      header: { alg: 'RSA-OAEP-256', enc: 'A256GCM', url: '/v1/auth/jose/playground/jwe' },
    });
  });

  it("we verify jwcrypto's JWS (ES256, PS256) and refuse it once changed", async () => {
    for (const [kty, alg] of [
      ['kty="EC", crv="P-256"', 'ES256'],
      ['kty="RSA", size=2048', 'PS256'],
    ] as const) {
      const r = python(`import json
from jwcrypto import jwk, jws
k = jwk.JWK.generate(${kty})
t = jws.JWS('{"from":"jwcrypto"}'); t.add_signature(k, alg="${alg}", protected=json.dumps({"alg": "${alg}", "url": "/x"}))
print(t.serialize(compact=True)); print(k.export_to_pem().decode())`);
      expect(r.code, r.stderr).toBe(0);
      const [jws, ...pem] = r.stdout.trim().split('\n');
      const keyFile = join(sb.dir, `their-${alg}.pem`);
      await writeFile(keyFile, `${pem.join('\n')}\n`);
      const ok = await sb.run(['jose', 'verify', '--key', keyFile], { input: jws });
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout).toBe('{"from":"jwcrypto"}');
      const [h, , s] = (jws as string).split('.');
      const bad = await sb.run(['jose', 'verify', '--key', keyFile], {
        input: `${h}.${Buffer.from('{"from":"someone"}').toString('base64url')}.${s}`,
      });
      expect(bad.code).toBe(1);
      expect(bad.stdout).toBe('');
      expect(bad.stderr).toContain('does not verify');
    }
  });

  it("we decrypt jwcrypto's JWE made for our encryption key (found by kid)", async () => {
    const jwk = (await sb.run(['keys', 'public', '--use', 'encryption', '--format', 'jwk'])).stdout.trim();
    expect(JSON.parse(jwk)).toMatchObject({ kty: 'RSA', kid: kids.enc, alg: 'RSA-OAEP-256', use: 'enc' });
    const r = python(`import json
from jwcrypto import jwk, jwe
k = jwk.JWK.from_json(${JSON.stringify(jwk)})
t = jwe.JWE('{"from":"jwcrypto"}', json.dumps({"alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": k.key_id}))
t.add_recipient(k)
print(t.serialize(compact=True))`);
    expect(r.code, r.stderr).toBe(0);
    const out = await sb.run(['jose', 'decrypt'], { input: r.stdout });
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toBe('{"from":"jwcrypto"}');
    // A JWE for another key is refused, not misread.
    const other = python(`import json
from jwcrypto import jwk, jwe
k = jwk.JWK.generate(kty="RSA", size=2048)
t = jwe.JWE('x', json.dumps({"alg": "RSA-OAEP-256", "enc": "A256GCM"})); t.add_recipient(k)
print(t.serialize(compact=True))`);
    const refused = await sb.run(['jose', 'decrypt'], { input: other.stdout });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('cannot be decrypted');
    expect(await readFile(join(sb.configDir, 'config.json'), 'utf8')).not.toContain('PRIVATE');
  });
});
