import { UsageError } from '../errors.js';

/**
 * Checks a pasted or piped secret (token, client secret): one trailing newline is removed (what `echo` and editors
 * add); an empty value, or one spanning several lines, is refused rather than stored half right.
 */
export function normaliseSecret(raw: string, what: string, hints: { empty: string; multiline: string }): string {
  const value = raw.replace(/\r?\n$/, '').trim();
  if (!value) throw new UsageError(`The ${what} is empty.`, { hint: hints.empty });
  if (/[\r\n]/.test(value)) {
    throw new UsageError(`The ${what} spans several lines; it must be a single line.`, { hint: hints.multiline });
  }
  if (/\s/.test(value) || [...value].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) {
    throw new UsageError(`The ${what} contains spaces or control characters.`, {
      hint: `Copy the ${what} again, without extra characters.`,
    });
  }
  return value;
}

export function normalisePersonalToken(raw: string): string {
  return normaliseSecret(raw, 'token', {
    empty: 'Paste the token shown at wise.com > Integrations and Tools > API tokens.',
    multiline: 'Give exactly one token, e.g. `printf %s "$TOKEN" | wise token add --stdin`.',
  });
}
