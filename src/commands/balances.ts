import { resolveCredential } from '../auth/credentials.js';
import { fetchProfiles } from '../auth/profiles.js';
import type { Target } from '../auth/target.js';
import { resolveTarget } from '../auth/target.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import type { WiseClient } from '../http/client.js';
import { endpoint } from '../http/endpoints.js';
import { createClient } from '../http/factory.js';
import { formatTable, printJson } from '../util/output.js';

interface Balance {
  id: number;
  currency: string;
  type?: string;
  name?: string | null;
  amount: { value: number; currency: string };
  reservedAmount?: { value: number; currency: string };
}

/** The profile a profile-scoped command acts on: --profile-id, WISE_PROFILE_ID, the stored default, or the only/personal one. */
export async function chooseProfileId(ctx: Context, target: Target, client: WiseClient): Promise<number> {
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
  if (profiles.length > 1) ctx.io.err(`Using profile ${chosen.id} (${chosen.type}); choose another with --profile-id.`);
  return chosen.id;
}

export async function balancesList(ctx: Context): Promise<void> {
  const target = await resolveTarget(ctx);
  const client = createClient(ctx, target.env, await resolveCredential(ctx, target));
  const profileId = await chooseProfileId(ctx, target, client);
  const balances = await client.getJson<Balance[]>(endpoint('balances', client.apiVersion, profileId));
  if (ctx.options.json) return printJson(ctx, balances);
  ctx.io.out(
    formatTable(
      ['CURRENCY', 'AMOUNT', 'RESERVED', 'ID'],
      balances.map((b) => [
        b.currency,
        b.amount.value.toFixed(2),
        (b.reservedAmount?.value ?? 0).toFixed(2),
        String(b.id),
      ]),
    ),
  );
}
