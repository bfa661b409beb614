import {
  MAX_SECRET_LENGTH,
  normalisePersonalToken,
  savePersonalToken,
  verifyPersonalToken,
} from '../../auth/personal-token.js';
import { accountStore, resolveTarget } from '../../auth/target.js';
import type { Context } from '../../context.js';
import { UsageError } from '../../errors.js';
import { printJson } from '../../util/output.js';
import type { TokenAddOptions } from '../specs.js';

export async function tokenAdd(ctx: Context, opts: TokenAddOptions): Promise<void> {
  const target = await resolveTarget(ctx);
  const { account, env } = target;
  let raw: string;
  if (opts.stdin || !ctx.io.stdinIsTTY) {
    raw = (await ctx.io.readStdin(MAX_SECRET_LENGTH + 2)).toString('utf8');
    if (!raw)
      throw new UsageError('No token on standard input.', {
        hint: 'Pipe the token in, e.g. `wise token add --stdin < token.txt`.',
      });
  } else {
    raw = await ctx.io.promptSecret(`Paste your ${env} personal API token`);
  }
  const token = normalisePersonalToken(raw);
  ctx.redactor.add(token);
  // Choose the store before calling Wise, so a misconfigured store fails before any network call.
  const store = await accountStore(ctx, target);

  const profiles = opts.verify === false ? undefined : await verifyPersonalToken(ctx, env, token);
  await savePersonalToken(ctx, target, store, token, profiles);

  if (ctx.options.json) {
    printJson(ctx, { account, env, store: store.backend, verified: opts.verify !== false, profiles: profiles ?? null });
    return;
  }
  const style = await ctx.io.style('err');
  ctx.io.err(
    `${style.green('✓')} Stored the personal token for account "${account}" (${env}) in the ${store.description}.`,
  );
  if (profiles) {
    ctx.io.err(profiles.length ? 'Profiles this token can use:' : 'Wise lists no profiles for this token.');
    for (const p of profiles) ctx.io.err(`  ${p.id}  ${p.type.padEnd(8)}  ${p.name}`);
  } else {
    ctx.io.err('Not verified with Wise (--no-verify).');
  }
}
