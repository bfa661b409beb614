import { execFileSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runWise } from '../helpers/cli.js';

describe('wise completion', () => {
  it('bash: valid syntax, completes subcommands and flags from the command tree', async () => {
    const { code, stdout } = await runWise(['completion', 'bash']);
    expect(code).toBe(0);
    const dir = await mkdtemp(join(tmpdir(), 'wise-completion-'));
    const file = join(dir, 'wise.bash');
    await writeFile(file, stdout);
    execFileSync('bash', ['-n', file]);
    const complete = (words: string[]) =>
      execFileSync(
        'bash',
        [
          '-c',
          `source ${file}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _wise; printf '%s\\n' "\${COMPREPLY[@]}"`,
        ],
        { encoding: 'utf8' },
      )
        .trim()
        .split('\n');
    expect(complete(['wise', 'au'])).toEqual(['auth']);
    expect(complete(['wise', 'auth', ''])).toEqual(expect.arrayContaining(['status', 'token', 'switch']));
    expect(complete(['wise', 'token', 'add', '--'])).toEqual(
      expect.arrayContaining(['--stdin', '--no-verify', '--json']),
    );
    expect(complete(['wise', 'api', '/v1/me', '--inc'])).toEqual(['--include']);
  });

  it.each(['zsh', 'fish'])('%s: prints a script naming the commands', async (shell) => {
    const { code, stdout } = await runWise(['completion', shell]);
    expect(code).toBe(0);
    for (const command of ['token', 'auth', 'api', 'logout', 'mock', 'completion']) expect(stdout).toContain(command);
  });
});
