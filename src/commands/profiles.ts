import { resolveCredential } from '../auth/credentials.js';
import { fetchProfiles } from '../auth/profiles.js';
import { resolveTarget } from '../auth/target.js';
import type { Context } from '../context.js';
import { createClient } from '../http/factory.js';
import { formatTable, printJson } from '../util/output.js';

export async function profilesList(ctx: Context): Promise<void> {
  const target = await resolveTarget(ctx);
  const client = createClient(ctx, target.env, await resolveCredential(ctx, target), target);
  const profiles = await fetchProfiles(client);
  const current = target.config.accounts[target.account]?.credentials[target.env]?.profileId;
  if (ctx.options.json)
    return printJson(
      ctx,
      profiles.map((p) => ({ ...p, default: p.id === current })),
    );
  ctx.io.out(
    formatTable(
      ['ID', 'TYPE', 'NAME', ''],
      profiles.map((p) => [String(p.id), p.type, p.name, p.id === current ? '(default)' : '']),
    ),
  );
}
