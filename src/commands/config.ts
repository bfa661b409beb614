import { SETTINGS, settingSpec } from '../account/settings.js';
import { resolveTarget } from '../auth/target.js';
import type { Context } from '../context.js';
import { WiseError } from '../errors.js';
import { printJson } from '../util/output.js';

/** `wise config get <key>`: the account's value; exit 1 when it is not set, as `git config` does (--json: null). */
export async function configGet(ctx: Context, key: string): Promise<void> {
  const spec = settingSpec(key);
  const target = await resolveTarget(ctx);
  const value = target.config.accounts[target.account]?.settings?.[spec.field];
  if (ctx.options.json) {
    printJson(ctx, { account: target.account, key, value: value ?? null });
    return;
  }
  if (value === undefined) {
    throw new WiseError(`${key} is not set for account "${target.account}".`, {
      hint: `Set it with \`wise config set ${key} <value>\`; \`wise config list\` shows every setting.`,
    });
  }
  ctx.io.out(`${value}\n`);
}

/** `wise config set <key> <value>`: checked, then saved in the account's settings (the account is made if new). */
export async function configSet(ctx: Context, key: string, value: string): Promise<void> {
  const spec = settingSpec(key);
  const parsed = spec.parse(value);
  const target = await resolveTarget(ctx);
  await ctx.config.update((config) => {
    const account = config.accounts[target.account] ?? { env: target.env, credentials: {} };
    account.settings = { ...account.settings, [spec.field]: parsed };
    config.accounts[target.account] = account;
  });
  if (ctx.options.json) printJson(ctx, { account: target.account, key, value: parsed });
  else ctx.io.err(`Set ${key} = ${parsed} for account "${target.account}".`);
}

/** `wise config unset <key>`: removes the account's value; unsetting what is not set is no error. */
export async function configUnset(ctx: Context, key: string): Promise<void> {
  const spec = settingSpec(key);
  const target = await resolveTarget(ctx);
  const removed = await ctx.config.update((config) => {
    const account = config.accounts[target.account];
    if (!account?.settings || account.settings[spec.field] === undefined) return false;
    delete account.settings[spec.field];
    if (Object.keys(account.settings).length === 0) delete account.settings;
    return true;
  });
  if (ctx.options.json) printJson(ctx, { account: target.account, key, removed });
  else
    ctx.io.err(
      removed ? `Unset ${key} for account "${target.account}".` : `${key} was not set for account "${target.account}".`,
    );
}

/** `wise config list`: every setting of the account, set or not, with what it does. */
export async function configList(ctx: Context): Promise<void> {
  const target = await resolveTarget(ctx);
  const settings = target.config.accounts[target.account]?.settings ?? {};
  if (ctx.options.json) {
    printJson(ctx, {
      account: target.account,
      settings: Object.fromEntries(SETTINGS.map((s) => [s.key, settings[s.field] ?? null])),
    });
    return;
  }
  const width = Math.max(...SETTINGS.map((s) => s.key.length));
  ctx.io.out(`Settings of account "${target.account}":\n`);
  for (const s of SETTINGS) {
    const value = settings[s.field];
    ctx.io.out(`  ${s.key.padEnd(width)}  ${value ?? '(not set)'}\n`);
    ctx.io.out(`  ${' '.repeat(width)}  ${s.describe}\n`);
  }
}
