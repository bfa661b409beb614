import { UsageError } from '../errors.js';

/** The longest secret (token, client secret, refresh token) the tool reads: Wise's are far shorter. */
export const MAX_SECRET_LENGTH = 8192;

/**
 * Checks a pasted or piped secret (token, client secret): one trailing newline is removed (what `echo` and editors
 * add); an empty value, one spanning several lines, one with spaces, control or non-ASCII characters, or one
 * longer than any Wise issues is refused rather than stored half right.
 */
export function normaliseSecret(raw: string, what: string, hints: { empty: string; multiline: string }): string {
  const value = raw.replace(/\r?\n$/, '').trim();
  if (!value) throw new UsageError(`The ${what} is empty.`, { hint: hints.empty });
  if (value.length > MAX_SECRET_LENGTH) {
    throw new UsageError(`The ${what} is longer than ${MAX_SECRET_LENGTH} characters; that is not a Wise secret.`, {
      hint: `Check what was given as the ${what}.`,
    });
  }
  if (/[\r\n]/.test(value)) {
    throw new UsageError(`The ${what} spans several lines; it must be a single line.`, { hint: hints.multiline });
  }
  if (!/^[\x21-\x7e]+$/.test(value)) {
    throw new UsageError(`The ${what} contains spaces, control characters or non-ASCII characters.`, {
      hint: `Copy the ${what} again, without extra characters.`,
    });
  }
  return value;
}

/** The same rules for a secret given in an environment variable, naming the variable. */
export function checkEnvSecret(raw: string, variable: string): string {
  return normaliseSecret(raw, `value of ${variable}`, {
    empty: `Set ${variable} to the secret, or unset it.`,
    multiline: `Set ${variable} to exactly one secret.`,
  });
}

export function normalisePersonalToken(raw: string): string {
  return normaliseSecret(raw, 'token', {
    empty: 'Paste the token shown at wise.com > Integrations and Tools > API tokens.',
    multiline: 'Give exactly one token, e.g. `printf %s "$TOKEN" | wise token add --stdin`.',
  });
}
