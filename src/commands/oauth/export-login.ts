import { accountStore, resolveTarget } from '../../auth/target.js';
import type { Context } from '../../context.js';
import { AuthError, CancelledError } from '../../errors.js';
import { ACCOUNT_SECRET_KINDS, accountSecretName } from '../../store/secret-store.js';
import { printJson } from '../../util/output.js';
import type { ExportLoginOptions } from '../specs.js';

/**
 * Prints the account's stored refresh token once, to move the login to CI. Wise rotates refresh tokens, so a token
 * must have one holder: unless --keep, the login is removed from this machine after printing.
 */
export async function oauthExportLogin(ctx: Context, opts: ExportLoginOptions): Promise<void> {
  const target = await resolveTarget(ctx);
  const { account, env } = target;
  const stored = target.config.accounts[account]?.credentials[env];
  if (stored?.type !== 'oauth') {
    throw new AuthError(`Account "${account}" has no OAuth login in ${env} to export.`, {
      hint: 'Log in with `wise oauth authorize` first.',
    });
  }
  const store = await accountStore(ctx, target);
  const refreshToken = await store.get(accountSecretName(account, env, 'refresh-token'));
  if (!refreshToken) {
    throw new AuthError(`No refresh token is stored for account "${account}" in ${env}.`, {
      hint: 'Run `wise oauth authorize` to log in again.',
    });
  }
  if (ctx.io.stdinIsTTY && ctx.io.stderrIsTTY) {
    const answer = await ctx.io.select(`Print the refresh token of account "${account}" (${env})?`, [
      { name: 'No', value: 'no' },
      {
        name: opts.keep ? 'Yes, print it (the login stays here too)' : 'Yes, print it and remove the login here',
        value: 'yes',
      },
    ]);
    if (answer !== 'yes') throw new CancelledError('Nothing was printed.');
  }
  ctx.io.err(
    'warning: the refresh token below gives lasting access to this Wise account. Put it straight into a secret store ' +
      '(e.g. `gh secret set WISE_REFRESH_TOKEN`), never into a file that is committed or cached.',
  );
  if (opts.keep) {
    ctx.io.err(
      'warning: with --keep two places hold the same refresh token; when either refreshes and Wise rotates it, the other stops working.',
    );
  }
  if (ctx.options.json) printJson(ctx, { account, env, refreshToken, kept: opts.keep === true });
  else ctx.io.out(`${refreshToken}\n`);
  if (opts.keep) return;

  for (const kind of ACCOUNT_SECRET_KINDS) await store.delete(accountSecretName(account, env, kind));
  await ctx.config.update((config) => {
    const entry = config.accounts[account];
    if (!entry) return;
    delete entry.credentials[env];
    if (Object.keys(entry.credentials).length) return;
    delete config.accounts[account];
    if (config.defaultAccount === account) delete config.defaultAccount;
  });
  ctx.io.err(
    `Removed the OAuth login of account "${account}" (${env}) from this machine. ` +
      'In CI set WISE_CLIENT_ID, WISE_CLIENT_SECRET and WISE_REFRESH_TOKEN_FILE (see docs/oauth.md).',
  );
}
