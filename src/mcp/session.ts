/**
 * What every tool call of `wise mcp` starts from: the account and credential in force (read once, read again after
 * a refused credential), a client for it, and the profile. The agent's identity (its MCP client name and version)
 * goes with each call that moves money into the journal.
 */
import { chooseProfileId } from '../account/profiles.js';
import { accountClient } from '../account/session.js';
import type { ActiveCredential } from '../auth/credentials.js';
import type { Target } from '../auth/target.js';
import type { Context } from '../context.js';
import { AuthError } from '../errors.js';
import type { OnBehalfOf } from '../guard/guarded.js';
import type { WiseClient } from '../http/client.js';

export interface Account {
  target: Target;
  credential: ActiveCredential;
  /** The client for reads and for the agent's own money calls (quotes, cancellations). */
  client: WiseClient;
  /** A client whose money calls the journal records as approved by a person, and how. */
  approvedClient(approvedVia: 'elicitation' | 'terminal'): WiseClient;
  profileId(given: number | undefined): Promise<number>;
}

export class Session {
  #account: Promise<Account> | undefined;

  constructor(
    readonly ctx: Context,
    readonly agent: () => string,
  ) {}

  /** The account, resolved on the first call; a credential Wise refused is resolved again on the next call. */
  async account(): Promise<Account> {
    this.#account ??= this.#resolve();
    try {
      return await this.#account;
    } catch (error) {
      this.#account = undefined;
      throw error;
    }
  }

  /** Runs `fn` with the account; after an authentication failure the next call resolves the credential anew. */
  async with<T>(fn: (account: Account) => Promise<T>): Promise<T> {
    const account = await this.account();
    try {
      return await fn(account);
    } catch (error) {
      if (error instanceof AuthError) this.#account = undefined;
      throw error;
    }
  }

  async #resolve(): Promise<Account> {
    const { ctx } = this;
    const agentName = this.agent;
    // The agent is read as each money call goes out: the client's name is known from its first request on.
    const { target, credential, client } = await accountClient(ctx, {
      onBehalfOf: {
        get agent() {
          return agentName();
        },
      },
    });
    const clientFor = (onBehalfOf: OnBehalfOf) => ctx.client(target.env, credential, target, { onBehalfOf });
    let chosen: Promise<number> | undefined;
    return {
      target,
      credential,
      client,
      approvedClient: (approvedVia) => clientFor({ agent: agentName(), approvedVia }),
      profileId: (given) => {
        if (given !== undefined) return Promise.resolve(given);
        chosen ??= chooseProfileId(ctx, target, client).catch((error) => {
          chosen = undefined;
          throw error;
        });
        return chosen;
      },
    };
  }
}
