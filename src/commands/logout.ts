import { resolveTarget } from '../auth/target.js';
import type { Context } from '../context.js';
import { WISE_ENVS } from '../store/config.js';
import { ACCOUNT_SECRET_KINDS, accountSecretName, clientSecretName } from '../store/secret-store.js';
import { printJson } from '../util/output.js';

export interface LogoutOptions {
  all?: boolean;
}

/** Deletes secrets first and config entries after, so a failing secret store never leaves orphaned secrets. */
export async function logout(ctx: Context, opts: LogoutOptions): Promise<void> {
  const target = await resolveTarget(ctx);
  const accounts = opts.all ? Object.keys(target.config.accounts) : [target.account];
  if (!opts.all && !target.config.accounts[target.account]) {
    if (ctx.options.json) printJson(ctx, { removed: [] });
    else ctx.io.err(`Nothing is stored for account "${target.account}".`);
    return;
  }
  const store = await ctx.secrets();
  let deleted = 0;
  for (const account of accounts) {
    for (const env of WISE_ENVS) {
      for (const kind of ACCOUNT_SECRET_KINDS) {
        if (await store.delete(accountSecretName(account, env, kind))) deleted++;
      }
    }
  }
  if (opts.all) {
    for (const env of WISE_ENVS) if (await store.delete(clientSecretName(env))) deleted++;
    // Whatever else the store holds under the tool's name, e.g. secrets of an account whose config was lost.
    for (const name of await store.list()) if (await store.delete(name)) deleted++;
  }
  await ctx.config.update((config) => {
    if (opts.all) {
      config.accounts = {};
      config.clients = {};
      delete config.defaultAccount;
      return;
    }
    delete config.accounts[target.account];
    if (config.defaultAccount === target.account) {
      const next = Object.keys(config.accounts)[0];
      if (next) config.defaultAccount = next;
      else delete config.defaultAccount;
    }
  });
  if (ctx.options.json) {
    printJson(ctx, { removed: accounts, secretsDeleted: deleted });
    return;
  }
  const secrets = `${deleted} ${deleted === 1 ? 'secret' : 'secrets'} deleted from the ${store.description}`;
  ctx.io.err(
    opts.all
      ? `Removed every stored account (${accounts.length}) and OAuth client; ${secrets}.`
      : `Logged out of account "${target.account}"; ${secrets}.`,
  );
}
