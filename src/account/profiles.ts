import { fetchProfiles } from '../auth/profiles.js';
import type { Target } from '../auth/target.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import type { WiseClient } from '../http/client.js';

/** The profile a profile-scoped command acts on: --profile-id, WISE_PROFILE_ID, the stored default, or the only/personal one. */
export async function chooseProfileId(
  ctx: Context,
  target: Target,
  client: WiseClient,
  options: { quiet?: boolean } = {},
): Promise<number> {
  const raw = ctx.options.profileId ?? ctx.env.WISE_PROFILE_ID;
  if (raw !== undefined) {
    if (!/^\d+$/.test(raw)) throw new UsageError(`The profile id must be a number, not "${raw}".`);
    return Number(raw);
  }
  const stored = target.config.accounts[target.account]?.credentials[target.env]?.profileId;
  if (stored !== undefined && !ctx.env.WISE_TOKEN) return stored;
  const profiles = await fetchProfiles(client);
  const chosen = profiles.length === 1 ? profiles[0] : profiles.find((p) => p.type === 'PERSONAL');
  if (!chosen) throw new UsageError('Choose a profile with --profile-id (see `wise profiles list`).');
  if (profiles.length > 1 && !options.quiet)
    ctx.io.err(`Using profile ${chosen.id} (${chosen.type}); choose another with --profile-id.`);
  return chosen.id;
}
