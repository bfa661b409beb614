import type { Balance } from '../account/money.js';
import { chooseProfileId } from '../account/profiles.js';
import { accountClient } from '../account/session.js';
import { fetchProfiles } from '../auth/profiles.js';
import type { Context } from '../context.js';
import { endpoint } from '../http/endpoints.js';
import { formatTable, printJson } from '../util/output.js';
import type { BalancesListOptions } from './account-specs.js';

export async function balancesList(ctx: Context, opts: BalancesListOptions): Promise<void> {
  const { target, client } = await accountClient(ctx);
  const profiles = opts.allProfiles
    ? await fetchProfiles(client)
    : [{ id: await chooseProfileId(ctx, target, client), type: '', name: '' }];
  const rows: (Balance & { profileId: number })[] = [];
  for (const profile of profiles) {
    const balances = await client.getJson<Balance[]>(endpoint('allBalances', client.apiVersion, profile.id));
    for (const b of balances) rows.push({ ...b, profileId: profile.id });
  }
  if (ctx.options.json) return printJson(ctx, opts.allProfiles ? rows : rows.map(({ profileId: _, ...b }) => b));
  const jar = (b: Balance) => (b.type === 'SAVINGS' ? `jar${b.name ? `: ${b.name}` : ''}` : '');
  ctx.io.out(
    formatTable(
      [...(opts.allProfiles ? ['PROFILE'] : []), 'CURRENCY', 'AMOUNT', 'RESERVED', 'ID', ''],
      rows.map((b) => [
        ...(opts.allProfiles ? [String(b.profileId)] : []),
        b.currency,
        b.amount.value.toFixed(2),
        (b.reservedAmount?.value ?? 0).toFixed(2),
        String(b.id),
        jar(b),
      ]),
    ),
  );
}
