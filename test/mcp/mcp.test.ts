/**
 * `wise mcp` end to end: the official MCP SDK's client (nobody here wrote it) spawns `bin/wise mcp` over stdio
 * against the emulator, in both protocol eras, and plays the person who confirms (or does not) through elicitation.
 */
import { spawn } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { describe, expect, it } from 'vitest';
import { useAccount } from '../account/helpers.js';
import { cleanEnv, STACK_TRACE, WISE_BIN } from '../helpers/cli.js';
import { recordedRequests } from '../helpers/mock.js';
import { haveScript, onTerminal } from '../helpers/terminal.js';
import { waitFor } from '../helpers/wait.js';

const env = useAccount();

type Elicit = (params: { message?: string; requestedSchema?: unknown }) => {
  action: 'accept' | 'decline' | 'cancel';
  content?: Record<string, string>;
};

interface Session {
  client: Client;
  stderr(): string;
  /** Every result's text, to look for secrets in. */
  seen: string[];
  call(name: string, args?: Record<string, unknown>): Promise<Result>;
  close(): Promise<void>;
}

interface Result {
  isError?: boolean;
  structuredContent?: Record<string, unknown>;
  content?: unknown;
}

async function connect(
  o: { allowMoney?: boolean; elicit?: Elicit; modern?: boolean; extraEnv?: Record<string, string> } = {},
): Promise<Session> {
  const client = new Client(
    { name: 'test-agent', version: '9.9.9' },
    {
      capabilities: o.elicit ? { elicitation: { form: {} } } : {},
      ...(o.modern ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {}),
    },
  );
  const asked: string[] = [];
  if (o.elicit) {
    const elicit = o.elicit;
    client.setRequestHandler('elicitation/create', async (request) => {
      const params = request.params as { message?: string; requestedSchema?: unknown };
      asked.push(params.message ?? '');
      return elicit(params);
    });
  }
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [WISE_BIN, 'mcp', ...(o.allowMoney ? ['--allow-money'] : [])],
    env: cleanEnv({ ...env.sb.env, ...o.extraEnv }),
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (c: Buffer) => {
    stderr += c;
  });
  await client.connect(transport);
  const seen: string[] = [];
  return {
    client,
    stderr: () => stderr,
    seen,
    async call(name, args = {}) {
      const result = (await client.callTool({ name, arguments: args })) as Result;
      seen.push(JSON.stringify(result), ...asked.splice(0));
      return result;
    },
    close: () => client.close(),
  };
}

const POLICY = { version: 1, rules: [{ maxPerTransfer: { EUR: 100 }, maxPerDay: { EUR: 500 } }] };
const writePolicy = async () =>
  writeFile(join(env.sb.configDir, 'policy.json'), JSON.stringify(POLICY), { mode: 0o600 });

const READ_TOOLS = [
  'list_profiles',
  'list_balances',
  'get_exchange_rate',
  'list_recipients',
  'list_transfers',
  'get_transfer',
  'list_activities',
  'get_statement',
  'show_policy',
  'verify_journal',
  'create_quote',
];
const MONEY_TOOLS = ['prepare_payment', 'confirm_payment', 'cancel_transfer'];

/** What the emulator made since `from`: quotes, transfers and fundings it answered with success. */
async function moneyCalls(from: number) {
  // A funding first meets the SCA challenge (403), then goes through signed: only the answered call counts.
  const sent = (await recordedRequests(env.mock)).slice(from).filter((r) => r.status < 300);
  return {
    quotes: sent.filter((r) => r.method === 'POST' && /\/quotes$/.test(r.path.split('?')[0] as string)).length,
    transfers: sent.filter((r) => r.method === 'POST' && r.path.split('?')[0] === '/v1/transfers').length,
    fundings: sent.filter((r) => r.method === 'POST' && /\/transfers\/\d+\/payments$/.test(r.path)).length,
  };
}
const requestCount = async () => (await recordedRequests(env.mock)).length;

describe('wise mcp: the tools an agent sees', () => {
  it('read-only by default; money tools only with --allow-money and a policy in force', async () => {
    await rm(join(env.sb.configDir, 'policy.json'), { force: true });
    const plain = await connect();
    const listed = (await plain.client.listTools()).tools;
    expect(listed.map((t) => t.name).sort()).toEqual([...READ_TOOLS].sort());
    for (const tool of listed) {
      expect(tool.outputSchema?.type, tool.name).toBe('object');
      expect(tool.inputSchema.type, tool.name).toBe('object');
      expect(tool.annotations?.readOnlyHint, tool.name).toBe(tool.name !== 'create_quote');
      expect(tool.annotations?.destructiveHint, tool.name).toBe(false);
    }
    await plain.close();

    // --allow-money without a policy: still read-only, and the person starting it is told why.
    const noPolicy = await connect({ allowMoney: true });
    expect((await noPolicy.client.listTools()).tools.map((t) => t.name)).not.toContain('prepare_payment');
    expect(noPolicy.stderr()).toContain('no spending policy is in force');
    await noPolicy.close();

    await writePolicy();
    const money = await connect({ allowMoney: true });
    const tools = (await money.client.listTools()).tools;
    expect(tools.map((t) => t.name).sort()).toEqual([...READ_TOOLS, ...MONEY_TOOLS].sort());
    const confirm = tools.find((t) => t.name === 'confirm_payment');
    expect(confirm?.annotations).toMatchObject({ destructiveHint: true, idempotentHint: true, readOnlyHint: false });
    expect(tools.find((t) => t.name === 'cancel_transfer')?.annotations?.destructiveHint).toBe(true);
    expect(tools.find((t) => t.name === 'prepare_payment')?.inputSchema.required).toEqual(
      expect.arrayContaining(['recipientId', 'amount', 'currency']),
    );
    await money.close();
  });

  it("structured results are the emulator's data: amounts as decimal strings, lists that page, small statements", async () => {
    const s = await connect();
    const profiles = await s.call('list_profiles');
    expect(profiles.structuredContent).toEqual({
      profiles: [
        { id: 2001, type: 'PERSONAL', name: 'Jane Doe' },
        { id: 2002, type: 'BUSINESS', name: 'Doe Trading GmbH' },
      ],
    });
    const balances = (await s.call('list_balances')).structuredContent as {
      balances: { id: number; amount: { value: string; currency: string } }[];
    };
    const eur = balances.balances.find((b) => b.id === 3001);
    const seeded = env.mock.state.balances.find((b) => b.id === 3001);
    expect(eur?.amount).toEqual({ value: (seeded?.value ?? Number.NaN).toFixed(2), currency: 'EUR' });
    expect(typeof eur?.amount.value).toBe('string');

    // Recipients one a page: the cursor walks them all, each once.
    const ids: number[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const r = (await s.call('list_recipients', { limit: 1, ...(cursor ? { cursor } : {}) })).structuredContent as {
        recipients: { id: number }[];
        nextCursor: string | null;
      };
      ids.push(...r.recipients.map((x) => x.id));
      if (!r.nextCursor) break;
      cursor = r.nextCursor;
    }
    const wanted = [...env.mock.state.recipients.values()].filter((r) => r.profileId === 2001).map((r) => r.id);
    expect(ids.sort()).toEqual(wanted.sort());

    const statement = await s.call('get_statement', {
      currency: 'EUR',
      from: '2026-01-01',
      to: '2026-11-30',
      limit: 3,
    });
    expect(statement.isError, JSON.stringify(statement.content)).toBeFalsy();
    const st = statement.structuredContent as {
      summary: { transactions: number; closing: { value: string } };
      transactions: unknown[];
      nextCursor: string | null;
    };
    expect(st.transactions).toHaveLength(Math.min(3, st.summary.transactions));
    expect(st.summary.closing.value).toMatch(/^-?\d+\.\d{2}$/);
    expect(JSON.stringify(statement).length).toBeLessThan(4000);

    const rate = (await s.call('get_exchange_rate', { source: 'eur', target: 'GBP' })).structuredContent;
    expect(rate).toMatchObject({ source: 'EUR', target: 'GBP' });
    await s.close();
  });

  it('bad input is an error result and the server goes on: wrong types, unknown tool, unknown transfer', async () => {
    const s = await connect();
    const wrong = await s.call('list_balances', { profileId: 'two thousand' });
    expect(wrong.isError).toBe(true);
    expect(wrong.structuredContent).toMatchObject({ error: { code: 'BAD_INPUT' } });
    const date = await s.call('list_transfers', { since: 'last tuesday' });
    expect(date.structuredContent).toMatchObject({ error: { code: 'BAD_INPUT' } });
    const state = await s.call('list_transfers', { status: 'paid' });
    expect(state.structuredContent).toMatchObject({
      error: { code: 'BAD_INPUT', hint: expect.stringContaining('processing') },
    });
    await expect(s.client.callTool({ name: 'no_such_tool', arguments: {} })).rejects.toThrow(/not found/i);
    const missing = await s.call('get_transfer', { transferId: 123456789 });
    expect(missing.structuredContent).toMatchObject({ error: { code: 'WISE_ERROR' } });
    // Still serving.
    expect((await s.call('list_profiles')).isError).toBeFalsy();
    expect(s.stderr()).not.toMatch(STACK_TRACE);
    await s.close();
  });
});

describe('wise mcp: money, inside the policy, with a person confirming', () => {
  const prepare = async (s: Session, amount = '10.00') => {
    const r = await s.call('prepare_payment', { recipientId: 7002, amount, currency: 'EUR', reference: 'Agent test' });
    expect(r.isError, JSON.stringify(r.structuredContent)).toBeFalsy();
    return r.structuredContent as { paymentId: string; recipient: { name: string; account: string } };
  };

  it('elicitation accepted with the right amount pays once; wrong amount, decline and cancel pay nothing', async () => {
    await writePolicy();
    let answer: ReturnType<Elicit> = { action: 'accept', content: { amount: '10.00' } };
    let question = '';
    const s = await connect({
      allowMoney: true,
      elicit: (params) => {
        question = params.message ?? '';
        return answer;
      },
    });
    const before = await requestCount();
    const transfersBefore = env.mock.state.transfers.size;
    const prepared = await prepare(s);
    expect(prepared.paymentId).toMatch(/^pay_[0-9a-f]{32}$/);
    expect(prepared.recipient).toEqual({ id: 7002, name: 'Max Mustermann', account: 'DE89 3704 0044 0532 0130 00' });
    expect(await moneyCalls(before)).toEqual({ quotes: 1, transfers: 0, fundings: 0 });
    const stored = join(env.sb.configDir, 'agent-payments', `${prepared.paymentId}.json`);
    expect(((await import('node:fs')).statSync(stored).mode & 0o777).toString(8)).toBe('600');

    for (const [refusal, code] of [
      [{ action: 'accept', content: { amount: '100.00' } }, 'DECLINED'],
      [{ action: 'decline' }, 'DECLINED'],
      [{ action: 'cancel' }, 'DECLINED'],
    ] as const) {
      answer = refusal;
      const r = await s.call('confirm_payment', { paymentId: prepared.paymentId });
      expect(r.isError).toBe(true);
      expect(r.structuredContent).toMatchObject({ error: { code } });
      expect(JSON.stringify(r.structuredContent)).toContain('nothing was paid');
    }
    expect(env.mock.state.transfers.size).toBe(transfersBefore);
    // The form shows Wise's data: the recipient's name and masked account, amounts, fee, rate, the day's budget.
    expect(question).toContain('Pay Max Mustermann (DE89 3704 0044 0532 0130 00)?');
    expect(question).toContain('Recipient gets: 10.00 EUR');
    expect(question).toMatch(/Fee: \d+\.\d{2} EUR/);
    expect(question).toMatch(/Left of today's policy budget: \d+\.\d{2} EUR/);
    expect(question).toContain('Asked by: test-agent 9.9.9');
    expect(question).toContain('Reference (written by the agent): "Agent test"');
    // A reference cannot add lines to the form (one that reads like a figure), and nothing is made for it.
    const spoof = await s.call('prepare_payment', {
      recipientId: 7002,
      amount: '10.00',
      currency: 'EUR',
      reference: 'x\nRecipient gets: 1.00 EUR',
    });
    expect(spoof.structuredContent).toMatchObject({ error: { code: 'BAD_INPUT' } });

    answer = { action: 'accept', content: { amount: '10.00' } };
    const paid = await s.call('confirm_payment', { paymentId: prepared.paymentId });
    expect(paid.isError, JSON.stringify(paid.structuredContent)).toBeFalsy();
    expect(paid.structuredContent).toMatchObject({ approvedVia: 'elicitation', alreadyPaid: false });
    // Confirmed again: the payment made, not a second one.
    const again = await s.call('confirm_payment', { paymentId: prepared.paymentId });
    expect(again.structuredContent).toMatchObject({
      alreadyPaid: true,
      transferId: (paid.structuredContent as { transferId: number }).transferId,
    });
    expect(await moneyCalls(before)).toEqual({ quotes: 1, transfers: 1, fundings: 1 });
    expect(env.mock.state.transfers.size).toBe(transfersBefore + 1);

    // The journal names the agent and how the person approved, and the chain holds.
    const journal = await readFile(join(env.sb.configDir, 'journal.jsonl'), 'utf8');
    const lines = journal
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const made = lines.filter((l) => l.kind === 'transfer.create' && l.phase === 'outcome').at(-1);
    expect(made).toMatchObject({ agent: 'test-agent 9.9.9', approvedVia: 'elicitation', status: 'ok' });
    expect(lines.filter((l) => l.kind === 'quote.create').at(-1)).toMatchObject({ agent: 'test-agent 9.9.9' });
    const shown = await env.sb.run(['journal', 'show']);
    expect(shown.stdout).toMatch(/transfer\.create .* test-agent 9\.9\.9 \(approved: elicitation\)/);
    const verified = await s.call('verify_journal');
    expect(verified.structuredContent).toMatchObject({ ok: true });

    // Nothing secret in any result, form or log line.
    const secrets = [env.mock.personalToken, env.sb.env.WISE_STORE_PASSPHRASE as string];
    const everything = [...s.seen, s.stderr()].join('\n');
    for (const secret of secrets) expect(everything).not.toContain(secret);
    expect(everything).not.toMatch(/PRIVATE KEY/);
    await s.close();
  });

  it('on the 2026-07-28 protocol the confirmation is an input-required round, and pays once', async () => {
    await writePolicy();
    const s = await connect({
      allowMoney: true,
      modern: true,
      elicit: () => ({ action: 'accept', content: { amount: '12' } }),
    });
    const before = await requestCount();
    const prepared = await prepare(s, '12.00');
    const paid = await s.call('confirm_payment', { paymentId: prepared.paymentId });
    expect(paid.isError, JSON.stringify(paid.structuredContent)).toBeFalsy();
    expect(await moneyCalls(before)).toEqual({ quotes: 1, transfers: 1, fundings: 1 });
    await s.close();
  });

  it('a client that cannot ask gets APPROVAL_REQUIRED; wise approve on a terminal; then confirm_payment pays', async () => {
    await writePolicy();
    const s = await connect({ allowMoney: true });
    const before = await requestCount();
    const prepared = await prepare(s, '15.00');
    const first = await s.call('confirm_payment', { paymentId: prepared.paymentId });
    expect(first.structuredContent).toMatchObject({
      error: { code: 'APPROVAL_REQUIRED', command: `wise approve ${prepared.paymentId}` },
    });
    expect(await moneyCalls(before)).toMatchObject({ transfers: 0 });

    // Without a terminal, no approval (an agent cannot approve its own payment by running the command).
    const piped = await env.sb.run(['approve', prepared.paymentId], { input: '15.00\n' });
    expect(piped.code).toBe(2);
    const listed = await env.sb.run(['approve', '--list']);
    expect(listed.stdout).toContain(prepared.paymentId);
    expect(listed.stdout).toContain('waiting');

    if (haveScript) {
      const wrong = await onTerminal(['approve', prepared.paymentId], {
        sandbox: env.sb,
        typed: [['to approve', '51.00\r']],
      });
      expect(wrong.code).toBe(130);
      const right = await onTerminal(['approve', prepared.paymentId], {
        sandbox: env.sb,
        typed: [['to approve', '15.00\r']],
      });
      expect(right.code, right.transcript).toBe(0);
      expect(right.transcript).toContain('Max Mustermann');
      expect(right.transcript).toContain('test-agent 9.9.9');
      const paid = await s.call('confirm_payment', { paymentId: prepared.paymentId });
      expect(paid.isError, JSON.stringify(paid.structuredContent)).toBeFalsy();
      expect(paid.structuredContent).toMatchObject({ approvedVia: 'terminal' });
      expect(await moneyCalls(before)).toEqual({ quotes: 1, transfers: 1, fundings: 1 });
    }
    await s.close();
  });

  it('two servers confirming the same approved payment at once pay it once', async () => {
    await writePolicy();
    const a = await connect({ allowMoney: true });
    const b = await connect({ allowMoney: true });
    const before = await requestCount();
    const prepared = await prepare(a, '7.00');
    // Approved as `wise approve` records it (its terminal path is tested above).
    const file = join(env.sb.configDir, 'agent-payments', `${prepared.paymentId}.json`);
    const record = JSON.parse(await readFile(file, 'utf8'));
    await writeFile(file, JSON.stringify({ ...record, approval: { via: 'terminal', at: new Date().toISOString() } }));
    const results = await Promise.all([
      a.call('confirm_payment', { paymentId: prepared.paymentId }),
      b.call('confirm_payment', { paymentId: prepared.paymentId }),
    ]);
    for (const r of results) expect(r.isError, JSON.stringify(r.structuredContent)).toBeFalsy();
    expect(results.map((r) => (r.structuredContent as { alreadyPaid: boolean }).alreadyPaid).sort()).toEqual([
      false,
      true,
    ]);
    expect(await moneyCalls(before)).toEqual({ quotes: 1, transfers: 1, fundings: 1 });
    await Promise.all([a.close(), b.close()]);
  });

  it('an EU customer with a personal token is told before anything is made (PSD2)', async () => {
    await writePolicy();
    await fetch(`${env.mock.url}/__mock/users/1001`, { method: 'POST', body: '{"country":"DE"}' });
    try {
      const s = await connect({ allowMoney: true });
      const before = await requestCount();
      const r = await s.call('prepare_payment', { recipientId: 7002, amount: '5.00', currency: 'EUR' });
      expect(r.structuredContent).toMatchObject({ error: { code: 'WISE_ERROR' } });
      expect(JSON.stringify(r.structuredContent)).toContain('PSD2');
      expect(await moneyCalls(before)).toEqual({ quotes: 0, transfers: 0, fundings: 0 });
      await s.close();
    } finally {
      await fetch(`${env.mock.url}/__mock/users/1001`, { method: 'POST', body: '{"country":"US"}' });
    }
  });

  it('POLICY_DENIED names the rule and sends nothing', async () => {
    await writePolicy();
    const s = await connect({ allowMoney: true, elicit: () => ({ action: 'accept', content: { amount: '250.00' } }) });
    const before = await requestCount();
    const r = await s.call('prepare_payment', { recipientId: 7002, amount: '250.00', currency: 'EUR' });
    expect(r.isError).toBe(true);
    expect(r.structuredContent).toMatchObject({ error: { code: 'POLICY_DENIED' } });
    expect(JSON.stringify(r.structuredContent)).toContain('maxPerTransfer EUR is 100.00');
    expect(await requestCount()).toBe(before);
    await s.close();
  });
});

describe('wise mcp: loaded only when it runs', () => {
  it('the start-up bundle holds no MCP code; the cold commands bundle does, and requires the SDK only there', async () => {
    const root = join(WISE_BIN, '..', '..');
    const hot = await readFile(join(root, 'dist/wise.cjs'), 'utf8');
    const cold = await readFile(join(root, 'dist/commands.cjs'), 'utf8');
    for (const marker of ['APPROVAL_REQUIRED', 'registerReadTools', '@modelcontextprotocol', '"zod"']) {
      expect(hot.includes(marker), marker).toBe(false);
      if (marker !== '@modelcontextprotocol') expect(cold.includes(marker), marker).toBe(true);
    }
    expect(cold).toContain('require("@modelcontextprotocol/server")');
  });
});

describe('wise mcp: the stream stays JSON-RPC', () => {
  it('a client that closes stdin ends the server: exit 0, having seen the connection close', async () => {
    const child = spawn(process.execPath, [WISE_BIN, '--debug', 'mcp'], { env: cleanEnv(env.sb.env) });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c;
    });
    child.stdin.end();
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    expect(stderr).toContain('mcp: the client closed the connection');
  });

  /** `wise mcp` spawned by hand, with what it printed so far. */
  function raw(args: string[] = []) {
    const child = spawn(process.execPath, [WISE_BIN, 'mcp', ...args], { env: cleanEnv(env.sb.env) });
    const out = { stdout: '', stderr: '' };
    child.stdout.on('data', (c: Buffer) => {
      out.stdout += c;
    });
    child.stderr.on('data', (c: Buffer) => {
      out.stderr += c;
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const send = (message: unknown) => child.stdin.write(`${JSON.stringify(message)}\n`);
    const open = (capabilities: Record<string, unknown> = {}) => {
      send({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities, clientInfo: { name: 'raw', version: '1' } },
      });
      send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    };
    return { child, out, exited, send, open };
  }
  const call = (id: number, name: string, args: Record<string, unknown> = {}) => ({
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: { name, arguments: args },
  });

  it('requests piped in and stdin closed at once: every one is answered before the server exits', async () => {
    const s = raw();
    s.open();
    s.send(call(2, 'list_balances'));
    s.send(call(3, 'list_profiles'));
    s.child.stdin.end();
    expect(await s.exited).toBe(0);
    const answers = s.out.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    expect(answers.map((a) => a.id)).toEqual([1, 2, 3]);
    expect(answers[1].result.structuredContent.balances.length).toBeGreaterThan(0);
    expect(JSON.stringify(answers[2])).toContain('Jane Doe');
  });

  it('a confirmation still waiting on the client when stdin closes ends the server, and pays nothing', async () => {
    await writePolicy();
    const before = await requestCount();
    const s = raw(['--allow-money']);
    s.open({ elicitation: { form: {} } });
    s.send(call(2, 'prepare_payment', { recipientId: 7002, amount: '10.00', currency: 'EUR', reference: 'EOF' }));
    await waitFor(() => s.out.stdout.includes('"id":2'), 'the prepared payment');
    const paymentId = /"paymentId":"(pay_[0-9a-f]+)"/.exec(s.out.stdout)?.[1];
    expect(paymentId).toBeDefined();
    s.send(call(3, 'confirm_payment', { paymentId }));
    await waitFor(() => s.out.stdout.includes('elicitation/create'), 'the question to the person');
    s.child.stdin.end();
    expect(await s.exited).toBe(0);
    expect(await moneyCalls(before)).toEqual({ quotes: 1, transfers: 0, fundings: 0 });
    expect(s.out.stdout + s.out.stderr).not.toMatch(STACK_TRACE);
  });

  it('a line that is not JSON, a huge message and a closed stdin: no crash, no stack, nothing but JSON-RPC on stdout', async () => {
    const child = spawn(process.execPath, [WISE_BIN, 'mcp'], { env: cleanEnv(env.sb.env) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c;
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c;
    });
    // The server may end the connection while the huge message is still being written.
    child.stdin.on('error', () => {});
    const send = (message: unknown) => child.stdin.write(`${JSON.stringify(message)}\n`);
    send({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    });
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    child.stdin.write('this is not json\n');
    send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'list_profiles', arguments: {} } });
    await waitFor(() => stdout.includes('"id":2'), 'the answer to the tool call');
    // 2 MB in one message: more than a tool's arguments can be.
    send({
      jsonrpc: '2.0',
      id: 3,
      method: 'tools/call',
      params: { name: 'list_profiles', arguments: { x: 'y'.repeat(2 << 20) } },
    });
    child.stdin.end();
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    const lines = stdout.split('\n').filter(Boolean);
    for (const line of lines) expect(JSON.parse(line)).toMatchObject({ jsonrpc: '2.0' });
    expect(lines.some((l) => l.includes('"id":2') && l.includes('Jane Doe'))).toBe(true);
    expect(stdout + stderr).not.toMatch(STACK_TRACE);
    expect(stderr).toMatch(/exceeds|too large|buffer/i);
  });
});
