import { describe, expect, it } from 'vitest';
import { runWise } from '../helpers/cli.js';

/** The subcommands a help page lists under "Commands:" (without commander's own `help`). */
function listed(help: string): string[] {
  const section = help.split(/\nCommands:\n/)[1]?.split(/\n\n/)[0] ?? '';
  return section
    .split('\n')
    .map((line) => /^ {2}([a-z][a-z-]*)/.exec(line)?.[1])
    .filter((name): name is string => Boolean(name) && name !== 'help');
}

/** Every command path, found by walking the help pages from the top, so a new command cannot be forgotten. */
async function allCommands(): Promise<string[][]> {
  const found: string[][] = [];
  const queue: string[][] = [[]];
  while (queue.length) {
    const path = queue.shift() as string[];
    const { stdout } = await runWise([...path, '--help']);
    for (const name of listed(stdout)) {
      found.push([...path, name]);
      queue.push([...path, name]);
    }
  }
  return found;
}

describe('help', () => {
  it('every command has a description, at least one example, and lists the global options', async () => {
    const commands = await allCommands();
    expect(commands.length).toBeGreaterThanOrEqual(20);
    const pages = await Promise.all(commands.map((path) => runWise([...path, '--help'])));
    commands.forEach((path, i) => {
      const { code, stdout } = pages[i] as { code: number; stdout: string };
      const name = path.join(' ');
      expect(code, name).toBe(0);
      // Usage line, a blank line, then the description.
      expect(stdout, name).toMatch(/^Usage: wise .+\n\n[a-zA-Z].{10,}\n/);
      expect(stdout, name).toMatch(/\nExamples:\n {2}\$ wise /);
      expect(stdout, name).toContain('\nGlobal Options:\n');
      expect(stdout, name).toContain('--account <name>');
      expect(stdout, name).not.toContain('(default: [])');
    });
  });

  it('the top-level help has examples too', async () => {
    const { stdout } = await runWise(['--help']);
    expect(stdout).toMatch(/\nExamples:\n {2}\$ wise /);
    expect(listed(stdout)).not.toContain('__complete');
  });

  it('a reader that stops early (| head) ends the output quietly: no EPIPE stack trace', async () => {
    const { spawnSync } = await import('node:child_process');
    const { WISE_BIN } = await import('../helpers/cli.js');
    for (let i = 0; i < 5; i++) {
      const r = spawnSync(
        'bash',
        ['-o', 'pipefail', '-c', `"${process.execPath}" "${WISE_BIN}" oauth setup --help | head -1`],
        {
          encoding: 'utf8',
        },
      );
      expect(r.stdout).toBe('Usage: wise oauth setup [options]\n');
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    }
  });
});
