import { MAX_SECRET_LENGTH, normalisePersonalToken } from '../../auth/personal-token.js';
import { fetchProfiles } from '../../auth/profiles.js';
import { accountStore, resolveTarget } from '../../auth/target.js';
import type { Context } from '../../context.js';
import { AuthError, isWiseError, UsageError } from '../../errors.js';
import { createClient } from '../../http/factory.js';
import type { ProfileSummary } from '../../store/config.js';
import { accountSecretName } from '../../store/secret-store.js';
import { printJson } from '../../util/output.js';

export interface TokenAddOptions {
  stdin?: boolean;
  verify?: boolean;
}

export async function tokenAdd(ctx: Context, opts: TokenAddOptions): Promise<void> {
  const target = await resolveTarget(ctx);
  const { account, env } = target;
  let raw: string;
  if (opts.stdin || !ctx.io.stdinIsTTY) {
    raw = (await ctx.io.readStdin(MAX_SECRET_LENGTH + 2)).toString('utf8');
    if (!raw)
      throw new UsageError('No token on standard input.', {
        hint: 'Pipe the token in, e.g. `wise token add --stdin < token.txt`.',
      });
  } else {
    raw = await ctx.io.promptSecret(`Paste your ${env} personal API token`);
  }
  const token = normalisePersonalToken(raw);
  ctx.redactor.add(token);
  // Choose the store before calling Wise, so a misconfigured store fails before any network call.
  const store = await accountStore(ctx, target);

  let profiles: ProfileSummary[] | undefined;
  if (opts.verify !== false) {
    const client = createClient(ctx, env, { kind: 'personal', accessToken: async () => token });
    const spinner = ctx.io.spinner('Checking the token with Wise');
    try {
      profiles = await fetchProfiles(client);
    } catch (error) {
      if (isWiseError(error) && error.exitCode === 4) {
        throw new AuthError(`Wise rejected this token in ${env} (401); it was not stored.`, {
          hint:
            env === 'sandbox'
              ? 'Tokens made at wise.com are production tokens: add them with --env production. Sandbox tokens come from wise-sandbox.com.'
              : 'Check that you copied the whole token. Tokens made at wise-sandbox.com need --env sandbox.',
          details: error.details,
        });
      }
      throw error;
    } finally {
      spinner.stop();
    }
  }

  await store.set(accountSecretName(account, env, 'personal-token'), token);
  await ctx.config.update((config) => {
    config.accounts[account] ??= { env, credentials: {} };
    const entry = config.accounts[account];
    entry.env = env;
    entry.store = store.backend;
    const previous = entry.credentials[env];
    const profileId =
      previous?.profileId !== undefined && (!profiles || profiles.some((p) => p.id === previous.profileId))
        ? previous.profileId
        : (profiles?.find((p) => p.type === 'PERSONAL') ?? profiles?.[0])?.id;
    entry.credentials[env] = {
      type: 'personal',
      addedAt: new Date(ctx.clock.now()).toISOString(),
      ...(profiles ? { profiles } : {}),
      ...(profileId !== undefined ? { profileId } : {}),
    };
    config.defaultAccount ??= account;
  });

  if (ctx.options.json) {
    printJson(ctx, { account, env, store: store.backend, verified: opts.verify !== false, profiles: profiles ?? null });
    return;
  }
  const style = await ctx.io.style('err');
  ctx.io.err(
    `${style.green('✓')} Stored the personal token for account "${account}" (${env}) in the ${store.description}.`,
  );
  if (profiles) {
    ctx.io.err(profiles.length ? 'Profiles this token can use:' : 'Wise lists no profiles for this token.');
    for (const p of profiles) ctx.io.err(`  ${p.id}  ${p.type.padEnd(8)}  ${p.name}`);
  } else {
    ctx.io.err('Not verified with Wise (--no-verify).');
  }
}
