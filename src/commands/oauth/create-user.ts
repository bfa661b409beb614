import { signUpUser } from '../../auth/oauth/sign-up.js';
import { accountStore, resolveTarget } from '../../auth/target.js';
import type { Context } from '../../context.js';
import { UsageError } from '../../errors.js';
import { printJson } from '../../util/output.js';
import type { CreateUserOptions } from '../specs.js';

/** Checks the email and language, then signs the user up under an account that has no credentials yet. */
export async function oauthCreateUser(ctx: Context, opts: CreateUserOptions): Promise<void> {
  const email = opts.email.trim();
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) throw new UsageError(`"${opts.email}" is not an email address.`);
  if (!/^[a-z]{2}([-_][A-Za-z]{2})?$/.test(opts.language)) {
    throw new UsageError(`"${opts.language}" is not a language code such as en or de.`);
  }
  const target = await resolveTarget(ctx);
  if (target.config.accounts[target.account]?.credentials[target.env]) {
    throw new UsageError(`Account "${target.account}" already has credentials in ${target.env}.`, {
      hint: 'Store the new user under another name: `wise --account <name> oauth create-user ...`.',
    });
  }
  const store = await accountStore(ctx, target);
  const user = await signUpUser(ctx, target, store, email, opts.language);
  if (ctx.options.json) {
    printJson(ctx, { account: target.account, env: target.env, email, userId: user.id ?? null, store: store.backend });
    return;
  }
  const style = await ctx.io.style('err');
  ctx.io.err(
    `${style.green('✓')} Created Wise user ${email}${user.id ? ` (id ${user.id})` : ''} and stored its tokens and registration code under account "${target.account}" (${target.env}) in the ${store.description}.`,
  );
}
