import { chooseProfileId } from '../account/profiles.js';
import { resolveCredential } from '../auth/credentials.js';
import { resolveTarget } from '../auth/target.js';
import type { Context } from '../context.js';
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

export async function balancesList(ctx: Context): Promise<void> {
  const target = await resolveTarget(ctx);
  const client = createClient(ctx, target.env, await resolveCredential(ctx, target), target);
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
