import { resolveCredential } from '../auth/credentials.js';
import { fetchProfiles } from '../auth/profiles.js';
import { resolveTarget } from '../auth/target.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { formatTable, printJson } from '../util/output.js';

export async function profilesList(ctx: Context): Promise<void> {
  const target = await resolveTarget(ctx);
  const client = ctx.client(target.env, await resolveCredential(ctx, target), target);
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

/** Stores the profile as the account's default for the environment, once Wise confirms it is one of its profiles. */
export async function profilesUse(ctx: Context, rawId: string): Promise<void> {
  if (!/^\d+$/.test(rawId)) throw new UsageError(`The profile id must be a number, not "${rawId}".`);
  const id = Number(rawId);
  const target = await resolveTarget(ctx);
  if (ctx.env.WISE_TOKEN || !target.config.accounts[target.account]?.credentials[target.env]) {
    throw new UsageError(
      ctx.env.WISE_TOKEN
        ? 'WISE_TOKEN is set: a default profile belongs to a stored login, and this token is not stored.'
        : `Account "${target.account}" has no stored login in ${target.env} to give a default profile.`,
      { hint: 'Use --profile-id or WISE_PROFILE_ID for this shell, or store a login first (`wise login`).' },
    );
  }
  const client = ctx.client(target.env, await resolveCredential(ctx, target), target);
  const profiles = await fetchProfiles(client);
  const chosen = profiles.find((p) => p.id === id);
  if (!chosen) {
    throw new UsageError(
      `Profile ${id} is not one of this login's profiles (${profiles.map((p) => p.id).join(', ')}).`,
      {
        hint: 'See `wise profiles list`.',
      },
    );
  }
  await ctx.config.update((config) => {
    const credentials = config.accounts[target.account]?.credentials[target.env];
    if (credentials) {
      credentials.profileId = id;
      credentials.profiles = profiles;
    }
  });
  if (ctx.options.json) return printJson(ctx, { account: target.account, env: target.env, profileId: id });
  ctx.io.err(
    `Profile ${id} (${chosen.type}, ${chosen.name}) is now the default of account "${target.account}" in ${target.env}.`,
  );
}
