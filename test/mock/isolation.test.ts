import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

describe('the emulator is written apart from the client', () => {
  // Third-party libraries made for a job (jose for JWE, @peculiar/x509 for the test certificates of --tls) are fine;
  // the client's own code, wrappers included, is not.
  const LIBRARIES = new Set(['jose', '@peculiar/x509', 'reflect-metadata']);

  it('src/mock imports only node built-ins, its own files and libraries such as jose', async () => {
    const dir = join(ROOT, 'src/mock');
    const files = (await readdir(dir)).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const source = await readFile(join(dir, file), 'utf8');
      // Static imports and re-exports (`import … from '…'`, `export … from '…'`, `import '…'`) and import('…'); a
      // string such as q.get('from') is no import.
      const imports = [
        ...source.matchAll(/(?:^\s*(?:import|export)\b[^;]*?\bfrom\s*|^\s*import\s+|\bimport\s*\(\s*)'([^']+)'/gm),
      ].map((m) => m[1] as string);
      for (const spec of imports) {
        const allowed = spec.startsWith('node:') || /^\.\/[\w-]+\.js$/.test(spec) || LIBRARIES.has(spec);
        expect(allowed, `${file} imports ${spec}`).toBe(true);
      }
    }
  });
});

describe('the built bundles', () => {
  it('the client bundle holds no emulator code, and the emulator bundle no client code', async () => {
    // The client is dist/wise.cjs and dist/commands.cjs (the commands off the start-up path; see scripts/build.mjs).
    const client = (
      await Promise.all(['wise.cjs', 'commands.cjs'].map((name) => readFile(join(ROOT, 'dist', name), 'utf8')))
    ).join('\n');
    const emulator = await readFile(join(ROOT, 'dist/mock.cjs'), 'utf8');
    // bin/wise loads the bundle through node:vm; its import() calls go through __wiseImport (see scripts/build.mjs).
    expect(client).toContain('__wiseImport("./mock.cjs")');
    expect(client).not.toContain('Mock Partner');
    expect(emulator).toContain('Mock Partner');
    for (const clientCode of ['wise-cli/', 'Redactor', 'WISE_TOKEN', 'exchangeAuthorizationCode']) {
      expect(emulator.toLowerCase()).not.toContain(clientCode.toLowerCase());
    }
  });
});
