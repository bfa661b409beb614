/**
 * `--jq`: jq itself (jq-wasm, jq compiled to WebAssembly, so no jq binary is needed), loaded only when the flag is
 * given. As `gh api --jq` does, strings print raw; other values print as JSON (compact when piped).
 */
import { UsageError, WiseError } from '../errors.js';

export type JqFilter = (json: string) => Promise<string>;

/** The filter, checked before anything is sent: a bad expression is exit 2 with jq's own message. */
export async function compileJq(expression: string, pretty: boolean): Promise<JqFilter> {
  const { raw } = await import('jq-wasm');
  const flags = pretty ? ['-r'] : ['-r', '-c'];
  try {
    await raw('null', expression, flags);
  } catch (error) {
    const message = jqMessage(error);
    // A valid filter may still fail on null (`.[]`): only a compile error is the expression's fault.
    if (/compile error/.test(message)) throw new UsageError(`--jq: ${message}`);
  }
  return async (json) => {
    try {
      const out = await raw(json, expression, flags);
      return out === '' || out.endsWith('\n') ? out : `${out}\n`;
    } catch (error) {
      throw new WiseError(`--jq: ${jqMessage(error)}`);
    }
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
