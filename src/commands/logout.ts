import { resolveTarget } from '../auth/target.js';
import type { Context } from '../context.js';
import { WISE_ENVS } from '../store/config.js';
import { ACCOUNT_SECRET_KINDS, accountSecretName, clientSecretName, type SecretStore } from '../store/secret-store.js';
import { printJson } from '../util/output.js';
import type { LogoutOptions } from './specs.js';

/** Deletes secrets first and config entries after, so a failing secret store never leaves orphaned secrets. */
export async function logout(ctx: Context, opts: LogoutOptions): Promise<void> {
  const target = await resolveTarget(ctx);
  const accounts = opts.all ? Object.keys(target.config.accounts) : [target.account];
  if (!opts.all && !target.config.accounts[target.account]) {
    if (ctx.options.json) printJson(ctx, { removed: [] });
    else ctx.io.err(`Nothing is stored for account "${target.account}".`);
    return;
  }
  // Every store that holds something of ours: each account and client remembers where its secrets are.
  const remembered = opts.all
    ? [
        ...Object.values(target.config.accounts).map((a) => a.store),
        ...Object.values(target.config.clients).map((c) => c?.store),
        ...Object.values(target.config.jose ?? {}).flatMap((keys) => (keys ?? []).map((k) => k.store)),
      ]
    : [target.config.accounts[target.account]?.store];
  const stores: SecretStore[] = [];
  for (const backend of new Set(remembered.length ? remembered : [undefined])) {
    const store = await ctx.secrets(backend);
    if (!stores.includes(store)) stores.push(store);
  }
  let deleted = 0;
  for (const store of stores) {
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
  }
  if (opts.all) {
    // Wise's cached public keys: no secret, but something the tool stored.
    const { unlink } = await import('node:fs/promises');
    const { join } = await import('node:path');
    await unlink(join(ctx.configDir, 'wise-public-keys.json')).catch(() => {});
  }
  await ctx.config.update((config) => {
    if (opts.all) {
      config.accounts = {};
      config.clients = {};
      delete config.jose;
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
  const where = stores.map((store) => store.description).join(' and the ');
  const secrets = `${deleted} ${deleted === 1 ? 'secret' : 'secrets'} deleted from the ${where}`;
  const removed = accounts.length === 1 ? '1 stored account' : `${accounts.length} stored accounts`;
  ctx.io.err(
    opts.all
      ? `Removed ${removed}, the OAuth clients and their JOSE keys; ${secrets}.`
      : `Logged out of account "${target.account}"; ${secrets}.`,
  );
}
