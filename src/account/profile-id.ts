import type { Target } from '../auth/target.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';

/**
 * The profile id the user gave or stored, without asking Wise: --profile-id, then WISE_PROFILE_ID, then the account's
 * stored default (not when WISE_TOKEN brings a credential the stored default may not belong to). The one place that
 * order is decided: commands, the guard's policy checks and the SCA challenge flow all read it from here.
 */
export function givenProfileId(ctx: Context, target: Target): number | undefined {
  const raw = ctx.options.profileId ?? ctx.env.WISE_PROFILE_ID;
  if (raw !== undefined) {
    if (!/^\d+$/.test(raw)) throw new UsageError(`The profile id must be a number, not "${raw}".`);
    return Number(raw);
  }
  if (ctx.env.WISE_TOKEN) return undefined;
  return target.config.accounts[target.account]?.credentials[target.env]?.profileId;
}
