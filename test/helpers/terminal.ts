import { spawnSync } from 'node:child_process';
import { cleanEnv, type Sandbox, WISE_BIN } from './cli.js';

// A real pseudo-terminal through util-linux `script`, so the tool sees a TTY as it does for a person.
export const haveScript = spawnSync('sh', ['-c', 'command -v script']).status === 0;

/** A keystroke sequence typed once `prompt` has appeared on the screen, as a person reads before typing. */
export type Step = [prompt: string, keys: string];

/** Runs wise on a terminal and types each step's keys when its prompt shows. */
export async function onTerminal(
  args: string[],
  { typed, env = {}, sandbox }: { typed?: Step[]; env?: Record<string, string>; sandbox: Sandbox },
) {
  const command = [process.execPath, WISE_BIN, ...args].map((a) => `'${a}'`).join(' ');
  const { spawn } = await import('node:child_process');
  return new Promise<{ code: number; transcript: string }>((resolve) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], {
      env: cleanEnv({ ...sandbox.env, TERM: 'xterm', ...env }),
    });
    let transcript = '';
    let seen = 0;
    const steps = [...(typed ?? [])];
    if (!steps.length) child.stdin.end();
    child.stdout.on('data', (c: Buffer) => {
      transcript += c.toString();
      const step = steps[0];
      if (step && transcript.indexOf(step[0], seen) >= 0) {
        steps.shift();
        seen = transcript.length;
        // The prompt is drawn once the terminal is in raw mode; a short pause mimics reading it.
        setTimeout(() => child.stdin.write(step[1]), 100);
      }
    });
    // Give up well before the test's own timeout, so a failure shows the screen instead of a bare timeout.
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, transcript });
    });
  });
}
