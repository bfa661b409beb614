import { fetchProfiles } from '../auth/profiles.js';
import type { Target } from '../auth/target.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import type { WiseClient } from '../http/client.js';
import { givenProfileId } from './profile-id.js';

/** The profile a profile-scoped command acts on: --profile-id, WISE_PROFILE_ID, the stored default, or the only/personal one. */
export async function chooseProfileId(
  ctx: Context,
  target: Target,
  client: WiseClient,
  options: { quiet?: boolean } = {},
): Promise<number> {
  const given = givenProfileId(ctx, target);
  if (given !== undefined) return given;
  const profiles = await fetchProfiles(client);
  const chosen = profiles.length === 1 ? profiles[0] : profiles.find((p) => p.type === 'PERSONAL');
  if (!chosen) throw new UsageError('Choose a profile with --profile-id (see `wise profiles list`).');
  if (profiles.length > 1 && !options.quiet)
    ctx.io.err(`Using profile ${chosen.id} (${chosen.type}); choose another with --profile-id.`);
  return chosen.id;
}
