import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { ROOT } from './cli.js';

/** Bundles a TypeScript helper script so a test can run it as a separate node process. */
export function bundleScript(entry: string): string {
  const outfile = join(mkdtempSync(join(tmpdir(), 'wise-script-')), 'script.mjs');
  buildSync({
    absWorkingDir: ROOT,
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
  return outfile;
}
