/**
 * `wise mcp`: an MCP server on stdin/stdout for AI agents, on the official MCP TypeScript SDK's server package (its
 * v2 line: zod and the protocol core only, where v1 brings an HTTP stack a stdio server never uses). One factory
 * serves both protocol eras: 2025-11-25 clients (initialize, server-to-client elicitation) and 2026-07-28 clients
 * (per-request envelope, elicitation as an input-required result); the SDK picks by the client's opening.
 *
 * stdout carries JSON-RPC only; what the server says to a person goes to stderr. Read-only tools always; money
 * tools only with --allow-money and a spending policy in force for the account.
 */
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { createRequestStateCodec, McpServer, type ServerContext } from '@modelcontextprotocol/server';
import { StdioServerTransport, serveStdio } from '@modelcontextprotocol/server/stdio';
import type { z } from 'zod';
import type { Context } from '../context.js';
import { ConfigError, UsageError } from '../errors.js';
import { VERSION } from '../version.js';
import { failure, type ToolResult } from './results.js';
import { Session } from './session.js';

const INVALID = Symbol('invalid arguments');

interface Issue {
  message: string;
  path?: readonly (PropertyKey | { key: PropertyKey })[];
}
const pathOf = (i: Issue) => (i.path ?? []).map((p) => String(typeof p === 'object' ? p.key : p)).join('.');

/**
 * The schema as advertised (its JSON Schema), whose validation never fails: the issues are handed to the tool, which
 * answers them as a BAD_INPUT result, where the SDK would answer a bare text.
 */
function lenient(schema: z.ZodObject): z.ZodObject {
  const standard = schema['~standard'];
  return {
    '~standard': {
      ...standard,
      validate: (value: unknown) => {
        const result = standard.validate(value);
        if (result instanceof Promise) throw new Error('asynchronous schemas are not used here');
        return result.issues ? { value: { [INVALID]: result.issues } } : result;
      },
    },
  } as unknown as z.ZodObject;
}

/** The most a single JSON-RPC message may be: tool arguments are small; anything larger ends the connection. */
const MAX_MESSAGE_BYTES = 1024 * 1024;

type Annotations = {
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
};

export interface ToolSpec<I extends z.ZodObject, O extends z.ZodObject> {
  title: string;
  description: string;
  inputSchema: I;
  outputSchema: O;
  annotations: Annotations;
}

/** The tools being registered, with the session they share and the request state codec for confirmations. */
export interface ToolSet {
  session: Session;
  /** Seals and opens the state a confirmation round carries through the client (HMAC, this process's key). */
  state: {
    mint(payload: unknown, ctx: ServerContext): Promise<string>;
  };
  /** Whether the client can show a form to a person (MCP elicitation, form mode). */
  canElicit(ctx: ServerContext): boolean;
  add<I extends z.ZodObject, O extends z.ZodObject>(
    name: string,
    spec: ToolSpec<I, O>,
    run: (args: z.infer<I>, ctx: ServerContext) => Promise<ToolResult>,
  ): void;
}

export interface McpOptions {
  allowMoney: boolean;
}

/** Serves until the client closes stdin (or sends a message too large to be one); resolves then. */
export async function serveMcp(ctx: Context, options: McpOptions): Promise<void> {
  let agent = 'unknown agent';
  const session = new Session(ctx, () => agent);
  const money = options.allowMoney ? await moneyAllowed(ctx) : false;
  if (options.allowMoney && !money) {
    ctx.io.err(
      'wise mcp: --allow-money is ignored: no spending policy is in force for this account, so no money tool is offered (see `wise policy show`).\n',
    );
  }
  // One key per process: a confirmation's rounds are served by the process that began it.
  const codec = createRequestStateCodec<unknown>({ key: randomBytes(32), ttlSeconds: 600 });
  const redact = (text: string) => ctx.redactor.text(text);

  const build = () => {
    const server: McpServer = new McpServer(
      { name: 'wise', version: VERSION },
      {
        capabilities: { tools: {} },
        instructions:
          'Wise (wise.com) accounts: read profiles, balances, recipients, transfers, activities and statements, make quotes. Money moves only through prepare_payment then confirm_payment, inside the spending policy, with a person confirming each payment.',
        requestState: { verify: (state, c) => codec.verify(state, c) },
      },
    );
    const tools: ToolSet = {
      session,
      state: { mint: (payload, c) => codec.mint(payload, c) },
      canElicit: (c) => canElicit(server, c),
      add(name, spec, run) {
        // Arguments that do not match the schema reach the tool as a refusal (BAD_INPUT), as every other error.
        const inputSchema = lenient(spec.inputSchema);
        server.registerTool(name, { ...spec, inputSchema }, (async (
          args: Record<PropertyKey, unknown>,
          c: ServerContext,
        ) => {
          agent = agentOf(server, c);
          try {
            const issues = args[INVALID] as Issue[] | undefined;
            if (issues) {
              const said = issues.map((i) => `${pathOf(i) || 'arguments'}: ${i.message}`);
              throw new UsageError(`Invalid arguments for ${name}: ${said.join('; ').slice(0, 500)}.`);
            }
            return await run(args as never, c);
          } catch (error) {
            if (ctx.debugEnabled) ctx.debug(`mcp ${name}: ${redact(String((error as Error)?.stack ?? error))}`);
            return failure(error, redact);
          }
        }) as never);
      },
    };
    return { server, tools };
  };

  const { registerReadTools } = await import('./read-tools.js');
  const { registerMoneyTools } = money ? await import('./money-tools.js') : { registerMoneyTools: undefined };
  const input = new PassThrough();
  const transport = new StdioServerTransport(input, ctx.io.outStream() as never, {
    maxBufferSize: MAX_MESSAGE_BYTES,
  });
  const handle = serveStdio(
    () => {
      const { server, tools } = build();
      registerReadTools(tools);
      registerMoneyTools?.(tools);
      return server;
    },
    {
      transport,
      onerror: (error) => {
        ctx.io.err(`wise mcp: ${redact(error.message)}\n`);
        if (/exceeds|buffer size|too large/i.test(error.message)) void handle.close();
      },
    },
  );
  answerBeforeClosing(ctx.io.inStream() as NodeJS.ReadableStream, input, transport);
  // serveStdio has set the transport's close handler (synchronously, before starting it): ours goes around it.
  const closed = new Promise<void>((resolve) => {
    const previous = transport.onclose;
    transport.onclose = () => {
      previous?.();
      resolve();
    };
  });
  ctx.io.err(
    `wise mcp: serving Wise tools on stdio (${money ? 'money tools on, inside the spending policy' : 'read-only'}); stop with Ctrl-D or by closing stdin.\n`,
  );
  await closed;
  ctx.debug('mcp: the client closed the connection');
}

type Message = { id?: string | number; method?: string };
const isRequest = (m: Message) => m.id !== undefined && m.method !== undefined;
const isReply = (m: Message) => m.id !== undefined && m.method === undefined;

/**
 * stdin's end reaches the transport (which then closes) only once every request the client sent is answered, so
 * `printf '<requests>' | wise mcp` gets its answers. A request that waits on the client (a confirmation asked by
 * elicitation) can never be answered after the client's end: then the connection closes at once.
 */
function answerBeforeClosing(stdin: NodeJS.ReadableStream, input: PassThrough, transport: StdioServerTransport): void {
  const open = new Set<string | number>();
  const askedOfClient = new Set<string | number>();
  let ended = false;
  const settle = () => {
    if (ended && (open.size === 0 || askedOfClient.size > 0)) input.end();
  };
  const received = transport.onmessage;
  transport.onmessage = (message) => {
    const m = message as Message;
    if (isRequest(m)) open.add(m.id as string | number);
    if (isReply(m)) askedOfClient.delete(m.id as string | number);
    received?.(message);
  };
  const send = transport.send.bind(transport);
  transport.send = async (message) => {
    const m = message as Message;
    if (isRequest(m)) askedOfClient.add(m.id as string | number);
    try {
      await send(message);
    } finally {
      if (isReply(m)) open.delete(m.id as string | number);
      settle();
    }
  };
  stdin.on('data', (chunk) => input.write(chunk));
  stdin.on('error', (error) => input.destroy(error));
  stdin.on('end', () => {
    ended = true;
    settle();
  });
}

/** Money tools need a spending policy with rules for this account and environment (a file that exists and parses). */
async function moneyAllowed(ctx: Context): Promise<boolean> {
  const [{ resolveTarget }, { policyInForce }, { rulesFor }] = await Promise.all([
    import('../auth/target.js'),
    import('../guard/precheck.js'),
    import('../guard/policy.js'),
  ]);
  const target = await resolveTarget(ctx);
  try {
    return rulesFor(policyInForce(ctx), target.account, target.env).length > 0;
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message, { hint: error.hint });
    throw error;
  }
}

/** The MCP client's name and version, from the request (2026-07-28) or the initialize handshake (2025-11-25). */
function agentOf(server: McpServer, c: ServerContext): string {
  const envelope = (c.mcpReq.envelope ?? {}) as Record<string, { name?: string; version?: string } | undefined>;
  const info = envelope['io.modelcontextprotocol/clientInfo'] ?? server.server.getClientVersion();
  const clean = (s: unknown) =>
    String(s ?? '')
      .replace(/[^\w .@/+-]/g, '')
      .slice(0, 60);
  return info?.name ? `${clean(info.name)} ${clean(info.version)}`.trim() : 'unknown agent';
}

/** Whether the client can show a form to a person (MCP elicitation, form mode). */
function canElicit(server: McpServer, c: ServerContext): boolean {
  const envelope = (c.mcpReq.envelope ?? {}) as Record<string, { elicitation?: { form?: unknown } } | undefined>;
  const caps = envelope['io.modelcontextprotocol/clientCapabilities'] ?? server.server.getClientCapabilities();
  const elicitation = caps?.elicitation as { form?: unknown; url?: unknown } | undefined;
  if (!elicitation) return false;
  // `{}` is form mode (the capability before modes were named); `{url:{}}` alone is not.
  return elicitation.form !== undefined || elicitation.url === undefined;
}
