import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { parseEnv } from '../http/endpoints.js';
import type { ConfigData, WiseEnv } from '../store/config.js';
import type { SecretStore } from '../store/secret-store.js';

export const DEFAULT_ACCOUNT = 'default';
const ACCOUNT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function checkAccountName(name: string): string {
  if (!ACCOUNT_NAME.test(name)) {
    throw new UsageError(`"${name}" is not a valid account name.`, {
      hint: 'Use letters, digits, ".", "_" and "-" (at most 64 characters), starting with a letter or digit.',
    });
  }
  return name;
}

/** The account and environment a command acts on, after flags, environment variables and config. */
export interface Target {
  account: string;
  env: WiseEnv;
  config: ConfigData;
}

/** The secret store that holds the account's secrets: the one it was stored in, unless WISE_STORE says otherwise. */
export function accountStore(ctx: Context, target: Pick<Target, 'account' | 'config'>): Promise<SecretStore> {
  return ctx.secrets(target.config.accounts[target.account]?.store);
}

/** The account a command acts on: --account, else WISE_ACCOUNT, else the default account, else `default`. */
export function accountName(ctx: Pick<Context, 'options' | 'env'>, config: ConfigData): string {
  return checkAccountName(ctx.options.account ?? ctx.env.WISE_ACCOUNT ?? config.defaultAccount ?? DEFAULT_ACCOUNT);
}

export async function resolveTarget(ctx: Context): Promise<Target> {
  const config = await ctx.config.read();
  const account = accountName(ctx, config);
  const rawEnv = ctx.options.env ?? ctx.env.WISE_ENV;
  const env = rawEnv
    ? parseEnv(rawEnv, ctx.options.env ? '--env' : 'WISE_ENV')
    : (config.accounts[account]?.env ?? 'sandbox');
  return { account, env, config };
}
