import { checkAccountName } from '../../auth/target.js';
import type { Context } from '../../context.js';
import { UsageError } from '../../errors.js';
import { printJson } from '../../util/output.js';

export async function authSwitch(ctx: Context, account: string): Promise<void> {
  checkAccountName(account);
  await ctx.config.update((config) => {
    if (!config.accounts[account]) {
      const known = Object.keys(config.accounts);
      throw new UsageError(`There is no account named "${account}".`, {
        hint: known.length ? `Known accounts: ${known.join(', ')}.` : 'Add one with `wise token add --account <name>`.',
      });
    }
    config.defaultAccount = account;
  });
  if (ctx.options.json) printJson(ctx, { defaultAccount: account });
  else ctx.io.err(`The default account is now "${account}".`);
}
