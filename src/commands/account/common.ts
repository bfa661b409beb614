import { environmentLabel } from '../../account/validate.js';
import type { Target } from '../../auth/target.js';
import type { Context } from '../../context.js';
import { CancelledError, UsageError } from '../../errors.js';

/**
 * Money moves only with consent: `--yes`, or a yes at the terminal. Checked before any call, so that a script
 * without a terminal and without `--yes` sends nothing at all.
 */
export function checkConsentPossible(ctx: Context, yes: boolean | undefined, what: string): void {
  if (yes || ctx.io.stdinIsTTY) return;
  throw new UsageError(
    `${what} moves money and needs a confirmation, but there is no terminal to ask; nothing was sent.`,
    {
      hint: 'Check it with --dry-run, then run it again with --yes.',
    },
  );
}

/** Shows what is about to happen (the environment named plainly) and asks; a no is exit 130 with nothing sent. */
export async function confirmMoney(
  ctx: Context,
  target: Target,
  yes: boolean | undefined,
  lines: string[],
): Promise<void> {
  const where = environmentLabel(target.env);
  if (yes) {
    if (target.env === 'production') ctx.io.err(`Environment: ${where}.`);
    return;
  }
  ctx.io.err([...lines, `Environment: ${where}`].join('\n'));
  if (!(await ctx.io.confirm('Go ahead?'))) throw new CancelledError('Cancelled; nothing was paid.');
}
