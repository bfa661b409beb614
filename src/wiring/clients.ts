/**
 * The composition root of the API clients: a WiseClient for an environment and credential, with the layers the
 * account's settings ask for (the guard, JOSE, SCA answers, mTLS). It sits above the domain folders and imports them;
 * they never import it: commands and domain code get a client from `ctx.client(...)`, which commands/registry.ts (where a
 * command's context is made) wires to
 * createClient.
 */
import { givenProfileId } from '../account/profile-id.js';
import { type Resolved, resolveApiVersion } from '../account/settings.js';
import type { ActiveCredential } from '../auth/credentials.js';
import { accountName, type Target } from '../auth/target.js';
import type { Context } from '../context.js';
import { classifyMoneyCall, nonCanonicalWriteError } from '../guard/classify.js';
import type { OnBehalfOf } from '../guard/guarded.js';
import { WiseClient } from '../http/client.js';
import { apiBaseUrl } from '../http/endpoints.js';
import type { Layer, LayerInsertion } from '../http/pipeline.js';
import type { JoseMode } from '../jose/codec.js';
import type { TlsMaterial } from '../mtls/setup.js';
import type { ConfigData, JoseKeyRecord, MtlsConfig, WiseEnv } from '../store/config.js';

/**
 * The API version for built-in paths and where it comes from: --api-version, else WISE_API_VERSION, else the
 * account's `api-version` setting (the config is read only when neither is set); undefined means the classic paths.
 */
export function apiVersion(ctx: Context, target?: { account?: string; config: ConfigData }): Resolved | undefined {
  return resolveApiVersion(ctx, () => {
    const config = target?.config ?? ctx.config.readSync();
    return { name: target?.account ?? accountName(ctx, config), config };
  });
}

/**
 * JOSE for the call: `--jose` of `wise api` (`none` turns it off), else the account's `jose` setting for the
 * account's calls; undefined means plain JSON.
 */
export function joseModeFor(
  requested: string | undefined,
  target: Pick<Target, 'account' | 'config'> | undefined,
): JoseMode | undefined {
  if (requested === 'none') return undefined;
  if (requested) return requested as JoseMode;
  return target?.config.accounts[target.account]?.settings?.jose;
}

/** The body-codec layer for JOSE, loading the JOSE code and keys only when the first request goes through it. */
function lazyJoseLayer(ctx: Context, env: WiseEnv, mode: JoseMode, keys: JoseKeyRecord[]): Layer {
  let layer: Promise<Layer> | undefined;
  return {
    name: 'body codec',
    async handle(request, next) {
      // A download streamed to a file (a statement) is not transformed: it passes as Wise sends it.
      if (request.sink) return next(request);
      layer ??= Promise.all([import('../jose/codec.js'), import('../jose/material.js')]).then(
        ([{ joseLayer }, { loadJoseMaterial }]) => {
          let material: ReturnType<typeof loadJoseMaterial> | undefined;
          return joseLayer({
            mode,
            material: () => {
              material ??= loadJoseMaterial(ctx, env, mode, keys);
              return material;
            },
            redactor: ctx.redactor,
            debug: (line) => ctx.debug(line),
            debugEnabled: ctx.debugEnabled,
          });
        },
      );
      return (await layer).handle(request, next);
    },
  };
}

/**
 * The guard layer: a money-moving call (quote, transfer, funding, batch group) is checked against the spending
 * policy and journaled; anything else passes untouched, and the guard's code loads only for the first such call.
 */
function guardLayer(ctx: Context, target: Target, client: () => WiseClient, onBehalfOf: OnBehalfOf | undefined): Layer {
  let state: import('../guard/guarded.js').GuardState | undefined;
  return {
    name: 'guard',
    async handle(request, next) {
      const base = client().baseUrl.pathname;
      const path = `/${request.url.pathname.slice(base.length)}`;
      const refused = nonCanonicalWriteError(request.method, path);
      if (refused) throw refused;
      const call = classifyMoneyCall(request.method, path);
      if (!call) return next(request);
      const { runGuarded, createGuardState } = await import('../guard/guarded.js');
      state ??= createGuardState();
      return runGuarded(
        {
          ctx,
          account: target.account,
          env: target.env,
          onBehalfOf,
          getJson: (p) => client().getJson(p),
          profileCandidates: async () => {
            const chosen = givenProfileId(ctx, target);
            if (chosen !== undefined) return [chosen];
            const { fetchProfiles } = await import('../auth/profiles.js');
            return (await fetchProfiles(client())).map((p) => p.id);
          },
        },
        state,
        call,
        request,
        next,
      );
    },
  };
}

/** The environment's client certificate, read once, on the first request. */
function lazyTls(ctx: Context, env: WiseEnv, settings: MtlsConfig): () => Promise<TlsMaterial> {
  let material: Promise<TlsMaterial> | undefined;
  return () => {
    material ??= import('../mtls/setup.js').then(({ loadTlsMaterial }) => loadTlsMaterial(ctx, env, settings));
    return material;
  };
}

/**
 * A client for the environment, authenticated with `credential` when given. With the `target` account, a personal
 * token's SCA challenges are answered with the account's SCA key (loaded only when Wise asks). The config is read
 * once here (or taken from the target) for the API version, the mTLS certificate and the JOSE keys.
 */
export function createClient(
  ctx: Context,
  env: WiseEnv,
  credential?: Pick<ActiveCredential, 'kind' | 'accessToken' | 'renew'>,
  target?: Target,
  options: {
    jose?: JoseMode | 'none';
    /** Retries after 429 and 5xx (default 3); batches allow more. */
    maxRetries?: number;
    /** Layers to insert into the stack, each after a named one (a batch adds its shared pace after retry). */
    insert?: readonly LayerInsertion[];
    /** An AI agent's call (`wise mcp`): the guard journals the agent, and for a payment how a person approved it. */
    onBehalfOf?: OnBehalfOf;
  } = {},
): WiseClient {
  const jose = joseModeFor(options.jose, target);
  const config = target?.config ?? ctx.config.readSync();
  const mtls = config.mtls?.[env];
  const personal = credential && (credential.kind === 'personal' || credential.kind === 'bearer');
  const version = apiVersion(ctx, { config, ...(target ? { account: target.account } : {}) })?.value;
  const baseUrl = apiBaseUrl(ctx, env, mtls !== undefined);
  ctx.transport.warm?.(baseUrl);
  const client: WiseClient = new WiseClient({
    baseUrl,
    transport: ctx.transport,
    redactor: ctx.redactor,
    debug: (line) => ctx.debug(line),
    debugEnabled: ctx.debugEnabled,
    clock: ctx.clock,
    ...(version ? { apiVersion: version } : {}),
    ...(options.maxRetries !== undefined ? { maxRetries: options.maxRetries, maxRetryAfterMs: 120_000 } : {}),
    ...(options.insert ? { insert: options.insert } : {}),
    ...(target ? { guard: guardLayer(ctx, target, () => client, options.onBehalfOf) } : {}),
    ...(jose ? { bodyCodec: lazyJoseLayer(ctx, env, jose, config.jose?.[env] ?? []) } : {}),
    ...(mtls ? { tls: lazyTls(ctx, env, mtls) } : {}),
    ...(credential ? { accessToken: credential.accessToken, credentialKind: credential.kind } : {}),
    ...(credential?.renew ? { renewToken: credential.renew } : {}),
    ...(personal && target
      ? {
          scaSolver: async (ott: string) => {
            const { signedApproval } = await import('../sca/keys.js');
            return signedApproval(ctx, target, ott);
          },
        }
      : {}),
    ...(credential?.kind === 'oauth' && target
      ? {
          scaSolver: async (ott: string, request: { url: URL }) => {
            const { answerChallenges } = await import('../sca/challenges.js');
            const profileId = /\/profiles\/(\d+)\//.exec(request.url.pathname)?.[1] ?? givenProfileId(ctx, target);
            return answerChallenges(ctx, target, client, ott, profileId === undefined ? undefined : String(profileId));
          },
        }
      : {}),
  });
  return client;
}
