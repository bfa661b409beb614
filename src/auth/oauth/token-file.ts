import type { Context } from '../../context.js';
import { isWiseError, UsageError } from '../../errors.js';
import { writeFileAtomic } from '../../store/atomic.js';
import type { WiseEnv } from '../../store/config.js';
import { withLock } from '../../store/lock.js';
import { readSmallRegularFile } from '../../store/private-files.js';
import { MAX_SECRET_LENGTH, normaliseSecret } from '../personal-token.js';
import { type OAuthClient, refreshAccessToken, type TokenResponse } from './grants.js';

function fileError(file: string, error: unknown): UsageError {
  const code = (error as NodeJS.ErrnoException).code ?? String(error);
  const writable = code === 'EACCES' || code === 'EPERM' || code === 'EROFS';
  return new UsageError(`WISE_REFRESH_TOKEN_FILE names ${file}, which cannot be used: ${code}.`, {
    hint: writable
      ? 'The file and its folder must be writable: wise writes a rotated refresh token back to it.'
      : 'Put the refresh token (from `wise oauth export-login`) in that file.',
  });
}

async function readTokenFile(file: string): Promise<string> {
  let raw: Buffer;
  try {
    raw = await readSmallRegularFile(file, MAX_SECRET_LENGTH + 2);
  } catch (error) {
    throw fileError(file, error);
  }
  return normaliseSecret(raw.toString('utf8'), `refresh token in ${file} (WISE_REFRESH_TOKEN_FILE)`, {
    empty: 'Put the refresh token (from `wise oauth export-login`) in that file.',
    multiline: 'The file must hold exactly one refresh token.',
  });
}

/**
 * Source 2 with a token file: read the refresh token, refresh, and when Wise rotates it write the new one back
 * (atomically, mode 0600) before the new access token is used, so the next run finds a token that works. Runs
 * under a lock beside the file, so that two jobs sharing it cannot refresh with the same token.
 */
export async function refreshWithTokenFile(
  ctx: Context,
  env: WiseEnv,
  oauth: OAuthClient,
  file: string,
): Promise<TokenResponse> {
  const run = async () => {
    const refreshToken = await readTokenFile(file);
    ctx.redactor.add(refreshToken);
    const response = await refreshAccessToken(ctx.client(env), oauth, refreshToken);
    ctx.redactor.add(response.access_token);
    if (response.refresh_token && response.refresh_token !== refreshToken) {
      ctx.redactor.add(response.refresh_token);
      try {
        await writeFileAtomic(file, `${response.refresh_token}\n`);
      } catch (error) {
        throw fileError(file, error);
      }
      ctx.debug(`  Wise rotated the refresh token: saved the new one to ${file}`);
    }
    return response;
  };
  try {
    return await withLock(`${file}.lock`, run, { timeoutMs: 60_000, staleMs: 120_000, clock: ctx.clock });
  } catch (error) {
    // The lock beside the file could not be made (a folder that is not writable).
    if (!isWiseError(error) && (error as NodeJS.ErrnoException).code) throw fileError(file, error);
    throw error;
  }
}
