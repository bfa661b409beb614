import { authorizeWithBrowser } from '../auth/oauth/authorize.js';
import { checkRedirectUri } from '../auth/oauth/client-config.js';
import { resolveTarget } from '../auth/target.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { oauthSetup } from './oauth/setup.js';
import { tokenAdd } from './token/add.js';

const DEFAULT_REDIRECT_URI = 'http://127.0.0.1:8765/callback';

/** Interactive login on a terminal: choose a personal token or OAuth, then run that flow. */
export async function login(ctx: Context): Promise<void> {
  if (!ctx.io.stdinIsTTY || !ctx.io.stderrIsTTY) {
    throw new UsageError('`wise login` is interactive and needs a terminal.', {
      hint:
        'Without a terminal use `wise token add --stdin` for a personal token, or ' +
        '`wise oauth setup --client-id <id> --redirect-uri <url> --client-secret-stdin` then `wise oauth authorize` for OAuth.',
    });
  }
  const target = await resolveTarget(ctx);
  const method = await ctx.io.select(`How do you want to log in to Wise (${target.env})?`, [
    {
      name: 'Personal API token',
      value: 'personal',
      description: `For your own account: paste a token made at ${target.env === 'sandbox' ? 'wise-sandbox.com' : 'wise.com'} > Integrations and Tools > API tokens.`,
    },
    {
      name: 'OAuth (partner application)',
      value: 'oauth',
      description: 'For partners: approve access in the browser with your client id and secret.',
    },
  ]);
  if (method === 'personal') {
    await tokenAdd(ctx, { verify: true });
    return;
  }
  if (!target.config.clients[target.env]) {
    ctx.io.err(`No OAuth client is set up for ${target.env} yet.`);
    const clientId = await ctx.io.input('Client id (from Wise)');
    const redirectUri = await ctx.io.input('Redirect URI registered with Wise', {
      default: DEFAULT_REDIRECT_URI,
      validate: (value) => {
        try {
          checkRedirectUri(value);
          return true;
        } catch (error) {
          return (error as Error).message;
        }
      },
    });
    await oauthSetup(ctx, { clientId, redirectUri, verify: true });
  }
  const result = await authorizeWithBrowser(ctx, await resolveTarget(ctx), { timeoutMs: 300_000 });
  const style = await ctx.io.style('err');
  ctx.io.err(
    `${style.green('✓')} Logged in account "${target.account}" (${target.env}) with OAuth${result.profileId ? `, default profile ${result.profileId}` : ''}.`,
  );
}
