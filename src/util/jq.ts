/**
 * `--jq`: jq itself (jq-wasm, jq compiled to WebAssembly, so no jq binary is needed), loaded only when the flag is
 * given. As `gh api --jq` does, strings print raw; other values print as JSON (compact when piped).
 */
import { createRequire } from 'node:module';
import { sep } from 'node:path';
import { UsageError, WiseError } from '../errors.js';

const require = createRequire(import.meta.url);

export type JqFilter = (json: string) => Promise<string>;

type JqModule = { raw(data: string, filter: string, flags?: string[]): Promise<string> };

/**
 * A jq instance of its own: jq-wasm keeps one WebAssembly instance per load, whose memory runs out after a few
 * hundred runs (a long `--paginate` walk); a walk takes a fresh one every RUNS_PER_INSTANCE pages.
 */
function freshJq(): JqModule {
  for (const key of Object.keys(require.cache)) if (key.includes(`${sep}jq-wasm${sep}`)) delete require.cache[key];
  return require('jq-wasm') as JqModule;
}
const RUNS_PER_INSTANCE = 100;

/** The filter, checked before anything is sent: a bad expression is exit 2 with jq's own message. */
export async function compileJq(expression: string, pretty: boolean): Promise<JqFilter> {
  let jq = freshJq();
  let runs = 0;
  const flags = pretty ? ['-r'] : ['-r', '-c'];
  try {
    await jq.raw('null', expression, flags);
  } catch (error) {
    const message = jqMessage(error);
    // A valid filter may still fail on null (`.[]`): only a compile error is the expression's fault.
    if (/compile error/.test(message)) throw new UsageError(`--jq: ${message}`);
  }
  return async (json) => {
    if (++runs % RUNS_PER_INSTANCE === 0) jq = freshJq();
    let out: string;
    try {
      out = await jq.raw(json, expression, flags);
    } catch (error) {
      // The instance's memory ran out early (a large page): once more with a fresh one; jq's own errors stay.
      if (!/memory access out of bounds|out of memory/i.test(jqMessage(error))) {
        throw new WiseError(`--jq: ${jqMessage(error)}`);
      }
      jq = freshJq();
      try {
        out = await jq.raw(json, expression, flags);
      } catch (again) {
        throw new WiseError(`--jq: ${jqMessage(again)}`);
      }
    }
    return out === '' || out.endsWith('\n') ? out : `${out}\n`;
  };
}

/** jq's message without its trailer lines (the filter echoed back, "1 compile error"). */
function jqMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ')
    .slice(0, 500);
}

/**
 * `--jq` of a list command (`transfer list`, `activities`, `recipients list`): the filter, compiled before anything
 * is sent, for the list's JSON (undefined without the flag); a table or CSV asked for beside it is a usage error.
 * jq itself loads only when there is an expression.
 */
export async function listJq(
  expression: string | undefined,
  format: string | undefined,
  pretty: boolean,
): Promise<JqFilter | undefined> {
  if (expression === undefined) return undefined;
  if (format !== undefined && format !== 'json') {
    throw new UsageError(`--jq filters the JSON list: leave out --format ${format}.`);
  }
  return compileJq(expression, pretty);
}
