import { UsageError } from '../errors.js';

/**
 * Checks a pasted or piped personal token: one trailing newline is removed (what `echo` and editors add);
 * an empty token, or one spanning several lines, is refused rather than stored half right.
 */
export function normalisePersonalToken(raw: string): string {
  const token = raw.replace(/\r?\n$/, '').trim();
  if (!token)
    throw new UsageError('The token is empty.', {
      hint: 'Paste the token shown at wise.com > Integrations and Tools > API tokens.',
    });
  if (/[\r\n]/.test(token)) {
    throw new UsageError('The token spans several lines; a Wise token is a single line.', {
      hint: 'Give exactly one token, e.g. `printf %s "$TOKEN" | wise token add --stdin`.',
    });
  }
  if (/\s/.test(token) || [...token].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) {
    throw new UsageError('The token contains spaces or control characters.', {
      hint: 'Copy the token again, without extra characters.',
    });
  }
  return token;
}
