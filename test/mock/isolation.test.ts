import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

describe('the emulator is written apart from the client', () => {
  it('src/mock imports only node built-ins and its own files', async () => {
    const dir = join(ROOT, 'src/mock');
    const files = (await readdir(dir)).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const source = await readFile(join(dir, file), 'utf8');
      const imports = [...source.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)].map((m) => m[1] as string);
      for (const spec of imports) {
        expect(spec.startsWith('node:') || /^\.\/[\w-]+\.js$/.test(spec), `${file} imports ${spec}`).toBe(true);
      }
    }
  });
});
