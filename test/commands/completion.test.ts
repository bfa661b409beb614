import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSandbox, runWise, WISE_BIN } from '../helpers/cli.js';

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
    expect(complete(['wise', '--env', 'pro'])).toEqual(['production']);
    expect(complete(['wise', 'auth', '__'])).toEqual(['']);
  });

  it('bash: --account <TAB> completes the account names of the config', async () => {
    const sb = await createSandbox();
    try {
      for (const name of ['shop', 'personal', 'shop-eu']) {
        await sb.run(['--account', name, 'token', 'add', '--no-verify'], { input: 'tok-123456789' });
      }
      const script = (await runWise(['completion', 'bash'])).stdout;
      const dir = await mkdtemp(join(tmpdir(), 'wise-completion-'));
      await writeFile(join(dir, 'wise.bash'), script);
      // `wise` on PATH, as after `npm link`.
      await mkdir(join(dir, 'bin'));
      await symlink(WISE_BIN, join(dir, 'bin', 'wise'));
      const complete = async (words: string[]) => {
        const r = await new Promise<string>((resolve) => {
          const child = spawn(
            'bash',
            [
              '-c',
              `source ${join(dir, 'wise.bash')}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _wise; printf '%s\\n' "\${COMPREPLY[@]}"`,
            ],
            { env: { ...sb.env, PATH: `${join(dir, 'bin')}:${process.env.PATH}` } },
          );
          let out = '';
          child.stdout.on('data', (c: Buffer) => {
            out += c;
          });
          child.on('close', () => resolve(out));
        });
        return r.trim().split('\n').sort();
      };
      expect(await complete(['wise', '--account', 'sh'])).toEqual(['shop', 'shop-eu']);
      expect(await complete(['wise', 'api', '--account', ''])).toEqual(['personal', 'shop', 'shop-eu']);
    } finally {
      await sb.cleanup();
    }
  });

  it.each(['zsh', 'fish'])('%s: prints a script naming the commands', async (shell) => {
    const { code, stdout } = await runWise(['completion', shell]);
    expect(code).toBe(0);
    for (const command of ['token', 'auth', 'api', 'logout', 'mock', 'completion']) expect(stdout).toContain(command);
  });
});

describe('wise completion powershell', () => {
  const havePwsh = spawnSync('sh', ['-c', 'command -v pwsh']).status === 0;

  it('a native argument completer whose table is the command tree: every command path, its subcommands and flags', async () => {
    const { code, stdout } = await runWise(['completion', 'powershell']);
    expect(code).toBe(0);
    expect(stdout).toContain('Register-ArgumentCompleter -Native -CommandName wise -ScriptBlock {');
    const table = new Map(
      [...stdout.matchAll(/^ {4}'([^']*)' = @\((.*)\)$/gm)].map((m) => [
        m[1] as string,
        [...(m[2] as string).matchAll(/'([^']*)'/g)].map((w) => w[1]),
      ]),
    );
    // The same command paths as the bash script's table (both walk the tree commander builds).
    const bash = (await runWise(['completion', 'bash'])).stdout;
    const bashPaths = [...bash.matchAll(/^ {4}"([^"]*)"\) words=/gm)].map((m) => m[1]);
    expect([...table.keys()].sort()).toEqual(bashPaths.sort());
    expect(table.get('')).toEqual(expect.arrayContaining(['auth', 'api', 'pay', 'completion', '--json', '--env']));
    expect(table.get('webhook')).toEqual(expect.arrayContaining(['subscribe', 'listen', 'verify']));
    expect(table.get('transfer list')).toEqual(expect.arrayContaining(['--since', '--all', '--format', '--account']));
    expect(table.get('simulate transfer')).toEqual(expect.arrayContaining(['--help', '--env']));
    // Balanced script blocks and arrays: a table row with a stray quote or bracket would break them.
    for (const [open, close] of [
      ['{', '}'],
      ['(', ')'],
    ]) {
      expect(stdout.split(open as string).length, `${open}${close}`).toBe(stdout.split(close as string).length);
    }
  });

  it.skipIf(!havePwsh)('completes in pwsh as it does in bash', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wise-completion-'));
    await mkdir(join(dir, 'bin'));
    await symlink(WISE_BIN, join(dir, 'bin', 'wise'));
    const complete = (line: string) =>
      execFileSync(
        'pwsh',
        [
          '-NoProfile',
          '-Command',
          `wise completion powershell | Out-String | Invoke-Expression; (TabExpansion2 '${line}' ${line.length}).CompletionMatches.CompletionText`,
        ],
        { encoding: 'utf8', env: { ...process.env, PATH: `${join(dir, 'bin')}:${process.env.PATH}` } },
      )
        .trim()
        .split(/\r?\n/);
    expect(complete('wise au')).toEqual(['auth']);
    expect(complete('wise auth ')).toEqual(expect.arrayContaining(['status', 'token', 'switch']));
    expect(complete('wise --env pro')).toEqual(['production']);
  });
});
