import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VERSION } from '../src/version.js';
import { ROOT, runWise } from './helpers/cli.js';

describe('wise --version', () => {
  it('matches package.json', async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'));
    expect(VERSION).toBe(pkg.version);
    expect(await runWise(['--version'])).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
  });
});
