import { execFileSync } from 'node:child_process';
import { createHash, createPublicKey } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WISE_WEBHOOK_KEYS } from '../../src/webhooks/signature.js';
import { createSandbox, type Sandbox, STACK_TRACE } from '../helpers/cli.js';

/** A delivery as Wise would send it: raw bytes, and the base64 signature openssl makes over them. */
const BODY =
  '{"data":{"resource":{"id":111,"profile_id":2001,"type":"transfer"},"current_state":"processing","previous_state":"incoming_payment_waiting","occurred_at":"2026-11-28T10:00:00Z"},"subscription_id":"01234567-89ab-cdef-0123-456789abcdef","event_type":"transfers#state-change","schema_version":"2.0.0","sent_at":"2026-11-28T10:00:01Z"}';

describe('wise webhook verify', () => {
  let sb: Sandbox;
  let keyFile: string;
  let pubFile: string;
  let bodyFile: string;
  let signature: string;
  beforeAll(async () => {
    sb = await createSandbox();
    keyFile = join(sb.dir, 'signer.key');
    pubFile = join(sb.dir, 'signer.pem');
    bodyFile = join(sb.dir, 'body.json');
    execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', keyFile]);
    execFileSync('openssl', ['pkey', '-in', keyFile, '-pubout', '-out', pubFile]);
    await writeFile(bodyFile, BODY);
    signature = execFileSync('sh', ['-c', `openssl dgst -sha256 -sign "${keyFile}" "${bodyFile}" | base64 -w0`], {
      encoding: 'utf8',
    });
  });
  afterAll(async () => {
    await sb?.cleanup();
  });

  it('a body signed with openssl verifies (file or stdin); --json says so', async () => {
    const file = await sb.run(['webhook', 'verify', '--public-key', pubFile, '--signature', signature, bodyFile]);
    expect(file.code, file.stderr).toBe(0);
    expect(file.stderr).toContain('Signature valid');
    const stdin = await sb.run(['webhook', 'verify', '--public-key', pubFile, '--signature', signature], {
      input: BODY,
    });
    expect(stdin.code, stdin.stderr).toBe(0);
    const json = await sb.run([
      '--json',
      'webhook',
      'verify',
      '--public-key',
      pubFile,
      '--signature',
      signature,
      bodyFile,
    ]);
    expect(JSON.parse(json.stdout)).toEqual({ valid: true, key: pubFile, bytes: BODY.length });
  });

  it('one changed byte, re-serialised JSON or another signer: exit 1, "do not process it"', async () => {
    const changed = BODY.replace('"id":111', '"id":112');
    for (const input of [changed, `${BODY}\n`, JSON.stringify(JSON.parse(BODY), null, 2)]) {
      const r = await sb.run(['webhook', 'verify', '--public-key', pubFile, '--signature', signature], { input });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('does not match');
      expect(r.stderr).not.toMatch(STACK_TRACE);
    }
    // Wise's published keys (sandbox, production) refuse a signature they did not make.
    for (const env of ['sandbox', 'production']) {
      const r = await sb.run(['--env', env, 'webhook', 'verify', '--signature', signature, bodyFile]);
      expect(r.code, env).toBe(1);
      expect(r.stderr).toContain(`Wise's ${env} webhook key`);
    }
    const json = await sb.run(['--json', 'webhook', 'verify', '--signature', signature, bodyFile]);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout).valid).toBe(false);
  });

  it('bad input is exit 2: not base64, no signature, not a key, no body, no such file', async () => {
    const cases: [string[], string | undefined, RegExp][] = [
      [['--public-key', pubFile, '--signature', 'not base64!', bodyFile], undefined, /not base64/],
      [['--public-key', pubFile, bodyFile], undefined, /--signature/],
      [['--public-key', bodyFile, '--signature', signature, bodyFile], undefined, /is not a PEM public key/],
      [['--public-key', pubFile, '--signature', signature], '', /body is empty/],
      [['--public-key', pubFile, '--signature', signature, join(sb.dir, 'missing.json')], undefined, /Cannot read/],
    ];
    for (const [args, input, message] of cases) {
      const r = await sb.run(['webhook', 'verify', ...args], input === undefined ? {} : { input });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(STACK_TRACE);
    }
  });

  it("the built-in keys are Wise's published RSA 2048 keys (SHA-256 of their DER pinned)", () => {
    const pinned = {
      sandbox: '30bfe2d6312e1b03eedca03db05ee5d0ba3b57e648757b57d0d89a593f710edf',
      production: 'e86411cd96968b70488a1c11dcd22907075dfd25299800578c405c9010a0834a',
    };
    for (const env of ['sandbox', 'production'] as const) {
      const der = createPublicKey(WISE_WEBHOOK_KEYS[env]).export({ type: 'spki', format: 'der' });
      expect(createHash('sha256').update(der).digest('hex'), env).toBe(pinned[env]);
      const details = execFileSync('openssl', ['pkey', '-pubin', '-noout', '-text'], {
        input: WISE_WEBHOOK_KEYS[env],
        encoding: 'utf8',
      });
      expect(details).toContain('Public-Key: (2048 bit)');
    }
  });
});
