/**
 * A smoke run of `wise mcp` with the MCP Inspector's CLI, a client nobody here wrote, on Node 24 (the Inspector needs
 * Node 22.19+). CI installs both (`.ci/run`) and names them in WISE_TEST_MCP_INSPECTOR and WISE_TEST_NODE_EXECVE.
 */
import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cleanEnv, STACK_TRACE, WISE_BIN } from '../helpers/cli.js';
import { useEmulatorAndSandbox } from '../helpers/mock.js';

const inspector = process.env.WISE_TEST_MCP_INSPECTOR;
const node24 = process.env.WISE_TEST_NODE_EXECVE;
const env = useEmulatorAndSandbox();

describe.skipIf(!inspector || !node24)('the MCP Inspector CLI', () => {
  // Asynchronous: the emulator answers from this process.
  const inspect = (...args: string[]) => {
    const { sb } = env;
    const pass = ['WISE_API_URL', 'WISE_CONFIG_DIR', 'WISE_STORE', 'WISE_STORE_PASSPHRASE'].flatMap((k) => [
      '-e',
      `${k}=${sb.env[k]}`,
    ]);
    return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        node24 as string,
        [inspector as string, '--cli', ...args, ...pass, process.execPath, WISE_BIN, 'mcp'],
        { env: cleanEnv({ HOME: sb.dir }), encoding: 'utf8', timeout: 60_000 },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      );
    });
  };

  it('lists the tools and calls one', { timeout: 120_000 }, async () => {
    const add = await env.sb.run(['token', 'add'], { input: env.mock.personalToken });
    expect(add.code).toBe(0);
    const list = await inspect('--method', 'tools/list');
    expect(list.code, list.stderr).toBe(0);
    const tools = JSON.parse(list.stdout).tools as { name: string; outputSchema?: unknown }[];
    expect(tools.map((t) => t.name)).toContain('list_balances');
    expect(tools.every((t) => t.outputSchema)).toBe(true);
    const call = await inspect('--method', 'tools/call', '--tool-name', 'list_profiles');
    expect(call.code, call.stderr).toBe(0);
    expect(JSON.parse(call.stdout).structuredContent.profiles[0]).toEqual({
      id: 2001,
      type: 'PERSONAL',
      name: 'Jane Doe',
    });
    expect(list.stdout + list.stderr + call.stdout + call.stderr).not.toContain(env.mock.personalToken);
    expect(call.stderr).not.toMatch(STACK_TRACE);
  });
});
