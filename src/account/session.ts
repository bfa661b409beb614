/**
 * What a command or an agent's tool call starts from: the account, the credential in force, its client and the
 * profile; and, before money moves, whether funding can work at all.
 */
import { type ActiveCredential, resolveCredential } from '../auth/credentials.js';
import { resolveTarget, type Target } from '../auth/target.js';
import type { Context } from '../context.js';
import { ApiError, ScaRequiredError } from '../errors.js';
import type { WiseClient } from '../http/client.js';
import { chooseProfileId } from './profiles.js';

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
  const { psd2Country } = await import('./psd2.js');
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
  const { loadScaKey } = await import('../sca/keys.js');
  if (await loadScaKey(ctx, target)) return;
  throw new ScaRequiredError(
    'Funding a transfer with a personal token needs an SCA key (Wise asks for a signed one-time token), and none is stored; nothing was sent.',
    {
      hint: 'Make one with `wise keys generate --use sca`, upload its public key in Wise (Settings > API tokens), then pay again.',
    },
  );
}
