import type { Context } from '../context.js';
import { AuthError, UsageError } from '../errors.js';
import type { CredentialKind } from '../http/client.js';
import { accountSecretName } from '../store/secret-store.js';
import { checkEnvSecret } from './personal-token.js';
import { accountStore, type Target } from './target.js';

export type CredentialSource = 'env-token' | 'env-refresh' | 'stored';

/** The credential a call will use, and where it came from (`wise auth status` shows this). */
export interface ActiveCredential {
  source: CredentialSource;
  kind: CredentialKind;
  /** Human-readable origin, e.g. "WISE_TOKEN" or "OS keychain (service wise-cli)". */
  origin: string;
  accessToken(): Promise<string>;
  /** When the token last returned by `accessToken` expires (epoch ms), where that is known. */
  expiresAt?(): number | undefined;
  /** A new access token after Wise rejected `rejected` with 401; absent where none can be had. */
  renew?(rejected: string): Promise<string>;
}

export function noCredentialsError(target: Target): AuthError {
  return new AuthError(`No credentials for account "${target.account}" in ${target.env}.`, {
    hint: 'Run `wise login` (or `wise token add`), or set WISE_TOKEN for a single run.',
  });
}

/** OAuth refresh credentials from the environment (source 2): the client pair and a token or a token file. */
export interface EnvRefreshSettings {
  clientId: string;
  clientSecret: string;
  refreshToken?: string;
  refreshTokenFile?: string;
}

const ENV_REFRESH_VARIABLES = ['WISE_CLIENT_ID', 'WISE_CLIENT_SECRET', 'WISE_REFRESH_TOKEN', 'WISE_REFRESH_TOKEN_FILE'];

/**
 * Reads source 2 from the environment: undefined when none of its variables is set; an error naming the missing
 * ones when only some are, rather than a silent fall-through to stored credentials.
 */
export function envRefreshSettings(env: Context['env']): EnvRefreshSettings | undefined {
  const value = (name: string) => (env[name] === '' ? undefined : env[name]);
  if (!ENV_REFRESH_VARIABLES.some((name) => value(name) !== undefined)) return undefined;
  const refreshToken = value('WISE_REFRESH_TOKEN');
  const refreshTokenFile = value('WISE_REFRESH_TOKEN_FILE');
  if (refreshToken !== undefined && refreshTokenFile !== undefined) {
    throw new UsageError('Both WISE_REFRESH_TOKEN and WISE_REFRESH_TOKEN_FILE are set; set one of them.', {
      hint: 'WISE_REFRESH_TOKEN_FILE keeps a refresh token that Wise rotates usable across runs.',
    });
  }
  const missing = ['WISE_CLIENT_ID', 'WISE_CLIENT_SECRET'].filter((name) => value(name) === undefined);
  if (refreshToken === undefined && refreshTokenFile === undefined) {
    missing.push('WISE_REFRESH_TOKEN (or WISE_REFRESH_TOKEN_FILE)');
  }
  if (missing.length) {
    throw new AuthError(
      `OAuth credentials in the environment are incomplete: ${missing.join(' and ')} ${missing.length === 1 ? 'is' : 'are'} not set.`,
      {
        hint: 'Set WISE_CLIENT_ID, WISE_CLIENT_SECRET and WISE_REFRESH_TOKEN (or WISE_REFRESH_TOKEN_FILE) together, or unset them all to use the stored credentials.',
        details: { missing },
      },
    );
  }
  return {
    clientId: checkEnvSecret(value('WISE_CLIENT_ID') as string, 'WISE_CLIENT_ID'),
    clientSecret: checkEnvSecret(value('WISE_CLIENT_SECRET') as string, 'WISE_CLIENT_SECRET'),
    ...(refreshToken !== undefined ? { refreshToken: checkEnvSecret(refreshToken, 'WISE_REFRESH_TOKEN') } : {}),
    ...(refreshTokenFile !== undefined ? { refreshTokenFile } : {}),
  };
}

/**
 * Credential precedence of the CLI contract, first hit wins:
 * 1. WISE_TOKEN, used as is and never stored;
 * 2. the OAuth client and refresh token from the environment (WISE_CLIENT_ID, WISE_CLIENT_SECRET, and
 *    WISE_REFRESH_TOKEN or WISE_REFRESH_TOKEN_FILE);
 * 3. the account's stored credentials.
 * Sources are checked in that order before any store is opened, so source 1 costs no keychain access.
 */
export async function resolveCredential(ctx: Context, target: Target): Promise<ActiveCredential> {
  const rawEnvToken = ctx.env.WISE_TOKEN;
  if (rawEnvToken !== undefined && rawEnvToken.trim() !== '') {
    const envToken = checkEnvSecret(rawEnvToken, 'WISE_TOKEN');
    ctx.redactor.add(envToken);
    return { source: 'env-token', kind: 'bearer', origin: 'WISE_TOKEN', accessToken: async () => envToken };
  }
  const fromEnv = envRefreshSettings(ctx.env);
  if (fromEnv) return envRefreshCredential(ctx, target, fromEnv);
  const stored = target.config.accounts[target.account]?.credentials[target.env];
  if (!stored) throw noCredentialsError(target);
  const store = await accountStore(ctx, target);
  if (stored.type === 'personal') {
    const name = accountSecretName(target.account, target.env, 'personal-token');
    const read = async () => {
      const token = await store.get(name);
      if (!token) {
        throw new AuthError(
          `The personal token of account "${target.account}" (${target.env}) is missing from the ${store.description}.`,
          {
            hint: 'Store it again with `wise token add`.',
          },
        );
      }
      ctx.redactor.add(token);
      return token;
    };
    // Read now, not at the first request: the keychain answers on another thread while the client is being built
    // and the HTTP modules load. A failure surfaces when the token is asked for.
    const token = read();
    token.catch(() => {});
    return {
      source: 'stored',
      kind: 'personal',
      origin: store.description,
      accessToken: () => token,
    };
  }
  let expiresAt: number | undefined;
  const access = async (rejected?: string) => {
    const { storedAccessToken } = await import('./oauth/tokens.js');
    const tokens = await storedAccessToken(ctx, target, { ...stored, ...(rejected ? { rejected } : {}) });
    expiresAt = tokens.expiresAt;
    return tokens.accessToken;
  };
  return {
    source: 'stored',
    kind: 'oauth',
    origin: store.description,
    accessToken: () => access(),
    expiresAt: () => expiresAt,
    renew: (rejected) => access(rejected),
  };
}

/** Source 2: refreshes in memory for this process; only a rotated token is written back, to its file. */
function envRefreshCredential(ctx: Context, target: Target, settings: EnvRefreshSettings): ActiveCredential {
  ctx.redactor.add(settings.clientSecret);
  ctx.redactor.add(settings.refreshToken);
  const oauth = { clientId: settings.clientId, clientSecret: settings.clientSecret };
  let current = settings.refreshToken;
  let expiresAt: number | undefined;
  const refresh = async (): Promise<string> => {
    const started = ctx.clock.now();
    if (settings.refreshTokenFile) {
      const [{ refreshWithTokenFile }, { expiresAtOf }] = await Promise.all([
        import('./oauth/token-file.js'),
        import('./oauth/grants.js'),
      ]);
      const response = await refreshWithTokenFile(ctx, target.env, oauth, settings.refreshTokenFile);
      expiresAt = expiresAtOf(response, started);
      return response.access_token;
    }
    const { refreshAccessToken, expiresAtOf } = await import('./oauth/grants.js');
    const response = await refreshAccessToken(ctx.client(target.env), oauth, current as string);
    ctx.redactor.add(response.access_token);
    expiresAt = expiresAtOf(response, started);
    if (response.refresh_token && response.refresh_token !== current) {
      ctx.redactor.add(response.refresh_token);
      current = response.refresh_token;
      ctx.io.err(
        'warning: Wise issued a new refresh token, so WISE_REFRESH_TOKEN will not work again. ' +
          'Keep the token in a file named by WISE_REFRESH_TOKEN_FILE, which wise updates, or run ' +
          '`export WISE_TOKEN=$(wise auth token)` once per job (see docs/oauth.md).',
      );
    }
    return response.access_token;
  };
  let token: Promise<string> | undefined;
  return {
    source: 'env-refresh',
    kind: 'oauth',
    origin: settings.refreshTokenFile
      ? `WISE_CLIENT_ID, WISE_CLIENT_SECRET and WISE_REFRESH_TOKEN_FILE (${settings.refreshTokenFile})`
      : 'WISE_CLIENT_ID, WISE_CLIENT_SECRET and WISE_REFRESH_TOKEN',
    accessToken() {
      token ??= refresh();
      return token;
    },
    expiresAt: () => expiresAt,
    renew() {
      token = refresh();
      return token;
    },
  };
}
