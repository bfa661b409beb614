import { chooseProfileId } from '../../account/profiles.js';
import { type ActiveCredential, resolveCredential } from '../../auth/credentials.js';
import { resolveTarget, type Target } from '../../auth/target.js';
import type { Context } from '../../context.js';
import { ApiError, CancelledError, ScaRequiredError, UsageError } from '../../errors.js';
import type { WiseClient } from '../../http/client.js';

/** The account, the credential in force and its client. */
export async function accountClient(
  ctx: Context,
  options: Parameters<Context['client']>[3] = {},
): Promise<{ target: Target; credential: ActiveCredential; client: WiseClient }> {
  const target = await resolveTarget(ctx);
  const credential = await resolveCredential(ctx, target);
  return { target, credential, client: ctx.client(target.env, credential, target, options) };
}

/** The account, its client and the profile a profile-scoped command acts on. */
export async function profileClient(
  ctx: Context,
  options: Parameters<Context['client']>[3] = {},
): Promise<{ target: Target; credential: ActiveCredential; client: WiseClient; profileId: number }> {
  const { target, credential, client } = await accountClient(ctx, options);
  return { target, credential, client, profileId: await chooseProfileId(ctx, target, client) };
}

/**
 * Before a quote or a transfer is made: funding from the balance with a personal token is refused by Wise for
 * customers in the EU and UK (PSD2), and elsewhere needs the SCA key that signs Wise's one-time token. Either way
 * the payment would stop after the transfer exists (each retry leaving one more unfunded transfer), so it stops
 * here, having created nothing, with the step to take.
 */
export async function checkFundingPossible(
  ctx: Context,
  target: Target,
  credential: ActiveCredential,
  client: WiseClient,
): Promise<void> {
  if (credential.kind !== 'personal') return;
  const { psd2Country } = await import('../../account/psd2.js');
  const country = await psd2Country(client);
  if (country) {
    throw new ApiError(
      `Wise does not let personal API tokens of EU and UK accounts fund transfers (PSD2), and this account is in ${country}; nothing was created.`,
      {
        hint: 'Log in with OAuth (`wise oauth authorize`) to fund from the API, or create the transfer and fund it in the Wise app (`wise batch pay --fund none`).',
        details: { reason: 'psd2', country },
      },
    );
  }
  const { loadScaKey } = await import('../../sca/keys.js');
  if (await loadScaKey(ctx, target)) return;
  throw new ScaRequiredError(
    'Funding a transfer with a personal token needs an SCA key (Wise asks for a signed one-time token), and none is stored; nothing was sent.',
    {
      hint: 'Make one with `wise keys generate --use sca`, upload its public key in Wise (Settings > API tokens), then pay again.',
    },
  );
}

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
  const where = target.env === 'production' ? 'PRODUCTION: this moves real money' : 'sandbox (test money)';
  if (yes) {
    if (target.env === 'production') ctx.io.err(`Environment: ${where}.`);
    return;
  }
  ctx.io.err([...lines, `Environment: ${where}`].join('\n'));
  if (!(await ctx.io.confirm('Go ahead?'))) throw new CancelledError('Cancelled; nothing was paid.');
}
