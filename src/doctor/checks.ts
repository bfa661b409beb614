/**
 * `wise doctor`: each check gives a verdict and, when something is wrong, the fix to run. Checks only report: they
 * change nothing (the config folder is not made private here, the keychain probe item is removed again).
 */
import { join } from 'node:path';
import { resolveCredential } from '../auth/credentials.js';
import { fetchProfiles } from '../auth/profiles.js';
import { accountStore, type Target } from '../auth/target.js';
import { type Context, storeChoice } from '../context.js';
import { isWiseError, SecretStoreError, type WiseError } from '../errors.js';
import { apiBaseUrl } from '../http/endpoints.js';
import { proxyOriginFor } from '../http/transport.js';
import { inspectPath } from '../store/private-files.js';

export type Verdict = 'pass' | 'warn' | 'fail' | 'skip';

export interface CheckRow {
  check: string;
  status: Verdict;
  detail: string;
  /** What to run or change; present when the status is not `pass`. */
  fix?: string;
}

/** Node.js: the version the tool is built and tested for. */
export function checkNode(version: string): CheckRow {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const ok = major > 20 || (major === 20 && minor >= 12);
  return ok
    ? { check: 'node', status: 'pass', detail: `Node.js ${version}` }
    : {
        check: 'node',
        status: 'fail',
        detail: `Node.js ${version} is older than 20.12`,
        fix: 'Install Node.js 20.12 or newer (https://nodejs.org, or your package manager).',
      };
}

/** The config folder and file: ours, and private. Reported with the `chmod` to run; nothing is changed. */
export function checkConfigFiles(ctx: Context): CheckRow[] {
  const rows: CheckRow[] = [];
  const dir = inspectPath(ctx.configDir);
  const file = inspectPath(join(ctx.configDir, 'config.json'));
  const where = dir.linksTo ? `${dir.path} (a link to ${dir.linksTo})` : dir.path;
  if (!dir.exists) {
    rows.push({
      check: 'config folder',
      status: 'pass',
      detail: `${dir.path} does not exist yet (made 0700 on first use)`,
    });
    return rows;
  }
  if (dir.foreign) {
    rows.push({
      check: 'config folder',
      status: 'fail',
      detail: `${where} belongs to another user`,
      fix: `Use a folder of your own: export WISE_CONFIG_DIR=~/.config/wise (or fix the owner: sudo chown -R $(id -u) ${dir.linksTo ?? dir.path}).`,
    });
  } else if (dir.kind !== 'folder') {
    rows.push({
      check: 'config folder',
      status: 'fail',
      detail: `${where} is not a folder`,
      fix: `Move ${dir.path} away.`,
    });
  } else if (dir.open) {
    rows.push({
      check: 'config folder',
      status: 'fail',
      detail: `${where} is ${dir.mode}: other users can look into it`,
      fix: `chmod 700 ${dir.linksTo ?? dir.path}`,
    });
  } else {
    rows.push({ check: 'config folder', status: 'pass', detail: `${where}, ${dir.mode}` });
  }
  if (file.exists) {
    if (file.foreign || file.kind !== 'file') {
      rows.push({
        check: 'config file',
        status: 'fail',
        detail: `${file.path} ${file.foreign ? 'belongs to another user' : 'is not a regular file'}`,
        fix: `Move it away: mv ${file.path} ${file.path}.bak`,
      });
    } else if (file.open) {
      rows.push({
        check: 'config file',
        status: 'fail',
        detail: `${file.path} is ${file.mode}: other users can read it`,
        fix: `chmod 600 ${file.path}`,
      });
    } else {
      rows.push({ check: 'config file', status: 'pass', detail: `${file.path}, ${file.mode}` });
    }
  }
  return rows;
}

const FILE_STORE_FIX =
  'Use the encrypted file store instead: export WISE_STORE=file WISE_STORE_PASSPHRASE=<a passphrase of 8 or more characters>';

/** The secret store the active account uses: on Linux the session bus, the Secret Service and its default keyring. */
export async function checkSecretStore(ctx: Context, target: Target | undefined): Promise<CheckRow[]> {
  const remembered = target?.config.accounts[target.account]?.store;
  if (storeChoice(ctx.env, remembered) === 'file') return [await checkFileStore(ctx, target)];
  const rows: CheckRow[] = [];
  if (process.platform === 'linux') {
    const address = ctx.env.DBUS_SESSION_BUS_ADDRESS;
    if (!address) {
      return [
        {
          check: 'session bus',
          status: 'fail',
          detail: 'no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set), so the OS keychain cannot be reached',
          fix: `${FILE_STORE_FIX}; or run inside a desktop session (or dbus-run-session).`,
        },
      ];
    }
    const { checkSessionBus, keychainTimeoutMs } = await import('../store/dbus-probe.js');
    const timeoutMs = keychainTimeoutMs(ctx.env);
    try {
      await checkSessionBus(address, process.getuid?.() ?? 0, timeoutMs);
      rows.push({ check: 'session bus', status: 'pass', detail: 'answers its handshake' });
    } catch (error) {
      return [
        {
          check: 'session bus',
          status: 'fail',
          detail: (error as Error).message,
          fix: `Restart the session bus; or: ${FILE_STORE_FIX}`,
        },
      ];
    }
  }
  try {
    const store = target ? await accountStore(ctx, target) : await ctx.secrets();
    // Writes, reads back and deletes a probe item: a locked default keyring answers reads with nothing.
    if ('probe' in store) await (store as { probe(): Promise<void> }).probe();
    rows.push({
      check: 'keychain',
      status: 'pass',
      detail: `${store.description}: default keyring present and unlocked`,
    });
  } catch (error) {
    rows.push({
      check: 'keychain',
      status: 'fail',
      detail: (error as Error).message,
      fix: /locked/.test((error as Error).message)
        ? `Unlock the default keyring (log in to your desktop session, or: secret-tool lookup any thing), or: ${FILE_STORE_FIX}`
        : FILE_STORE_FIX,
    });
  }
  return rows;
}

async function checkFileStore(ctx: Context, target: Target | undefined): Promise<CheckRow> {
  const path = join(ctx.configDir, 'secrets.enc');
  const exists = inspectPath(path).exists;
  if (!ctx.env.WISE_STORE_PASSPHRASE && !ctx.io.stdinIsTTY) {
    return {
      check: 'file store',
      status: 'fail',
      detail: `${path}: no passphrase (WISE_STORE_PASSPHRASE is not set and there is no terminal to ask)`,
      fix: 'export WISE_STORE_PASSPHRASE=<the passphrase>',
    };
  }
  if (!exists) return { check: 'file store', status: 'pass', detail: `${path} (created on first use)` };
  try {
    const store = target ? await accountStore(ctx, target) : await ctx.secrets('file');
    await store.get('@doctor:check');
    return { check: 'file store', status: 'pass', detail: `${path}: opens with the passphrase` };
  } catch (error) {
    return {
      check: 'file store',
      status: 'fail',
      detail: (error as Error).message,
      fix: 'Check WISE_STORE_PASSPHRASE, or restore the file from a backup.',
    };
  }
}

/** Which credential is active, and (unless offline) whether Wise accepts it. */
export async function checkCredentials(ctx: Context, target: Target, offline: boolean): Promise<CheckRow> {
  let credential: Awaited<ReturnType<typeof resolveCredential>>;
  try {
    credential = await resolveCredential(ctx, target);
  } catch (error) {
    if (!isWiseError(error)) throw error;
    return { check: 'credentials', status: 'fail', detail: error.message, fix: error.hint ?? 'Run `wise login`.' };
  }
  const origin = `${credential.kind} credentials from ${credential.origin}`;
  if (offline) return { check: 'credentials', status: 'skip', detail: `${origin}; not checked (--offline)` };
  try {
    const profiles = await fetchProfiles(ctx.client(target.env, credential));
    return {
      check: 'credentials',
      status: 'pass',
      detail: `${origin}; accepted by Wise (${profiles.length} profiles)`,
    };
  } catch (error) {
    if (!isWiseError(error)) throw error;
    return {
      check: 'credentials',
      status: 'fail',
      detail: `${origin}; ${error.details?.status === 401 ? 'rejected by Wise' : 'not checked'}: ${error.message}`,
      fix: error.hint ?? 'Run `wise login`.',
    };
  }
}

/** The SCA key that signs one-time tokens for a personal token: where it comes from and its size. */
export async function checkScaKey(ctx: Context, target: Target): Promise<CheckRow> {
  const { loadScaKey } = await import('../sca/keys.js');
  try {
    const key = await loadScaKey(ctx, target);
    if (!key) {
      return {
        check: 'sca key',
        status: 'skip',
        detail: 'none (needed for statements and funding with a personal token, where Wise allows them)',
      };
    }
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    const fromEnv = Boolean(ctx.env.WISE_SCA_PRIVATE_KEY);
    const made = fromEnv ? undefined : target.config.accounts[target.account]?.scaKeys?.[target.env];
    const when = made ? `, ${made.source} ${made.createdAt.slice(0, 10)}` : '';
    return {
      check: 'sca key',
      status: 'pass',
      detail: `RSA ${bits} from ${fromEnv ? 'WISE_SCA_PRIVATE_KEY' : 'the secret store'}${when}`,
    };
  } catch (error) {
    // A key that exists but cannot be read (a wrong store passphrase, no D-Bus session for the keychain) is still
    // the key uploaded to Wise: the fix is reaching it again, never replacing it.
    const fromEnv = Boolean(ctx.env.WISE_SCA_PRIVATE_KEY);
    const unreachable = error instanceof SecretStoreError;
    return {
      check: 'sca key',
      status: 'fail',
      detail: (error as Error).message,
      fix: fromEnv
        ? 'Fix WISE_SCA_PRIVATE_KEY: a PEM RSA private key (the one whose public key you uploaded to Wise).'
        : unreachable
          ? "The key is stored but cannot be read: fix the secret store (the passphrase in WISE_STORE_PASSPHRASE, or the keychain's D-Bus session; see the secret store row). Do not make a new key: the one uploaded to Wise is this one."
          : 'The stored SCA key is damaged: import the one you uploaded (`wise keys import --use sca <file>`); only if it is lost, make a new one (`wise keys generate --use sca`) and upload it.',
    };
  }
}

const EXPIRY_WARNING_DAYS = 30;

/**
 * The JOSE keys of the environment's partner client: for each use with keys, is one active, is its private half
 * in the secret store, is it registered with Wise, and does the registration end within 30 days.
 */
export async function checkJoseKeys(ctx: Context, target: Target): Promise<CheckRow[]> {
  const keys = target.config.jose?.[target.env] ?? [];
  if (!keys.length)
    return [{ check: 'jose keys', status: 'skip', detail: `none for ${target.env} (JOSE is optional)` }];
  const { privatePem } = await import('../jose/keys.js');
  const rows: CheckRow[] = [];
  for (const use of ['signing', 'encryption'] as const) {
    const ofUse = keys.filter((k) => k.use === use);
    if (!ofUse.length) continue;
    const check = `jose ${use} key`;
    const active = ofUse.find((k) => k.active);
    if (!active) {
      rows.push({
        check,
        status: 'fail',
        detail: `${ofUse.length} key(s), none active`,
        fix: 'wise keys activate <kid>',
      });
      continue;
    }
    const name = `${active.alg} ${active.kid}`;
    let present: boolean;
    try {
      present = Boolean(await privatePem(ctx, target.env, active));
    } catch (error) {
      rows.push({
        check,
        status: 'fail',
        detail: `${name}: ${(error as Error).message}`,
        fix: 'See the secret store row.',
      });
      continue;
    }
    if (!present) {
      rows.push({
        check,
        status: 'fail',
        detail: `${name}: its private half is missing from the secret store`,
        fix: `wise keys remove ${active.kid}, then wise keys generate --use ${use}`,
      });
      continue;
    }
    if (!active.registered) {
      rows.push({
        check,
        status: 'warn',
        detail: `${name}: not registered with Wise`,
        fix: `wise keys register --use ${use}`,
      });
      continue;
    }
    const till = Date.parse(`${active.registered.validTill.replace(' ', 'T')}Z`);
    const daysLeft = Math.floor((till - ctx.clock.now()) / 86_400_000);
    if (daysLeft < 0) {
      rows.push({
        check,
        status: 'fail',
        detail: `${name}: its registration ended ${active.registered.validTill} UTC`,
        fix: `wise keys generate --use ${use}, register it, activate it`,
      });
    } else if (daysLeft < EXPIRY_WARNING_DAYS) {
      rows.push({
        check,
        status: 'warn',
        detail: `${name}: registered, ends in ${daysLeft} days (${active.registered.validTill} UTC)`,
        fix: `Rotate: wise keys generate --use ${use}, wise keys register --use ${use} --kid <new>, wise keys activate <new>`,
      });
    } else {
      rows.push({
        check,
        status: 'pass',
        detail: `${name}: registered until ${active.registered.validTill} UTC (${daysLeft} days)`,
      });
    }
  }
  return rows;
}

/** Wise's own JOSE keys this tool trusts for the environment's API host (kept on first use), by fingerprint. */
export async function checkWiseKeys(ctx: Context, target: Target): Promise<CheckRow> {
  const { trustedWiseKeysFor } = await import('../jose/wise-keys.js');
  const kept = trustedWiseKeysFor(ctx, target.env);
  if (!kept.length)
    return { check: "wise's keys", status: 'skip', detail: `none kept for ${target.env} yet (kept on first use)` };
  return {
    check: "wise's keys",
    status: 'pass',
    detail: kept
      .map((k) => `${k.scope} ${k.algorithm} ${k.fingerprint}${k.since ? ` since ${k.since.slice(0, 10)}` : ''}`)
      .join('; '),
  };
}

/** The client certificate (mTLS): found, matches its key, days left, and (unless offline) the handshake. */
export async function checkMtls(ctx: Context, target: Target, offline: boolean): Promise<CheckRow[]> {
  const settings = target.config.mtls?.[target.env];
  if (!settings) return [{ check: 'mtls', status: 'skip', detail: `no client certificate set up for ${target.env}` }];
  const { checkPair, EXPIRY_WARNING_DAYS, loadTlsMaterial } = await import('../mtls/setup.js');
  let facts: ReturnType<typeof checkPair>;
  try {
    const material = await loadTlsMaterial(ctx, target.env, settings);
    facts = checkPair(material.cert, material.key, settings.cert, settings.key ?? 'the stored key', ctx.clock.now());
  } catch (error) {
    if (!isWiseError(error)) throw error;
    return [
      {
        check: 'mtls certificate',
        status: 'fail',
        detail: error.message,
        fix: error.hint ?? 'wise mtls setup --cert <file> --key <file>',
      },
    ];
  }
  const rows: CheckRow[] = [
    facts.daysLeft < EXPIRY_WARNING_DAYS
      ? {
          check: 'mtls certificate',
          status: 'warn',
          detail: `${facts.subject}: matches its key, expires in ${facts.daysLeft} days`,
          fix: 'Make a CSR (wise mtls csr), get a new certificate from Wise, then wise mtls setup',
        }
      : {
          check: 'mtls certificate',
          status: 'pass',
          detail: `${facts.subject}: matches its key, ${facts.daysLeft} days left`,
        },
  ];
  if (offline) {
    rows.push({ check: 'mtls handshake', status: 'skip', detail: 'not checked (--offline)' });
    return rows;
  }
  const client = ctx.client(target.env, undefined, target);
  try {
    const response = await client.send({ method: 'GET', path: '/' });
    rows.push({
      check: 'mtls handshake',
      status: 'pass',
      detail: `${client.baseUrl.origin} accepted it (HTTP ${response.status})`,
    });
  } catch (error) {
    if (!isWiseError(error)) throw error;
    rows.push({ check: 'mtls handshake', status: 'fail', detail: error.message, fix: error.hint ?? 'wise mtls check' });
  }
  return rows;
}

const MAX_SKEW_MS = 60_000;

/** Connectivity and TLS to the environment's API host (through the proxy, if one is set), and the clock's skew. */
export async function checkConnectivity(ctx: Context, target: Target): Promise<CheckRow[]> {
  const base = apiBaseUrl(ctx, target.env);
  const proxy = proxyNote(ctx, base);
  const started = ctx.clock.now();
  let date: string | undefined;
  try {
    const response = await ctx.client(target.env).send({ method: 'GET', path: '/' });
    date = response.headers.date;
  } catch (error) {
    const e = error as WiseError;
    return [
      {
        check: 'connectivity',
        status: 'fail',
        detail: `${base.origin}${proxy}: ${e.message}`,
        fix: proxy
          ? 'Check the proxy (HTTPS_PROXY / HTTP_PROXY), or list the API host in NO_PROXY to reach it directly.'
          : 'Check your network; behind a proxy set HTTPS_PROXY (and NO_PROXY); for the emulator pass --api-url.',
      },
      { check: 'clock', status: 'skip', detail: 'needs an answer from the API host' },
    ];
  }
  const rtt = ctx.clock.now() - started;
  const rows: CheckRow[] = [
    {
      check: 'connectivity',
      status: 'pass',
      detail: `${base.origin}${proxy}: answered in ${rtt} ms${base.protocol === 'https:' ? ', TLS certificate trusted' : ''}`,
    },
  ];
  const server = date ? Date.parse(date) : Number.NaN;
  if (Number.isNaN(server)) {
    rows.push({
      check: 'clock',
      status: 'warn',
      detail: 'the API host sent no Date header to compare with',
      fix: 'None needed.',
    });
    return rows;
  }
  // The Date header has one-second resolution and was stamped during the round trip.
  const skew = server - (started + rtt / 2);
  const seconds = Math.round(skew / 1000);
  const text = `${Math.abs(seconds)} s ${seconds >= 0 ? 'behind' : 'ahead of'} the API host`;
  rows.push(
    Math.abs(skew) > MAX_SKEW_MS
      ? {
          check: 'clock',
          status: 'fail',
          detail: `this machine's clock is ${text}; tokens, signatures and expiry times depend on it`,
          fix: "Synchronise the clock: sudo timedatectl set-ntp true (or your system's NTP client).",
        }
      : { check: 'clock', status: 'pass', detail: `within ${Math.max(1, Math.abs(seconds))} s of the API host` },
  );
  return rows;
}

function proxyNote(ctx: Context, base: URL): string {
  const proxy = proxyOriginFor(base, ctx.env);
  return proxy ? ` through the proxy ${proxy}` : '';
}

/** The spending policy: none (fine), valid (with its rules for the account), or broken (payments refuse to run). */
export async function checkPolicy(ctx: Context, target: Target | undefined): Promise<CheckRow> {
  const [{ policyPath, rulesFor, uncappedWarnings }, { policyInForce }] = await Promise.all([
    import('../guard/policy.js'),
    import('../guard/precheck.js'),
  ]);
  const path = policyPath(ctx.configDir, ctx.env);
  try {
    const policy = policyInForce(ctx);
    if (!policy) return { check: 'policy', status: 'pass', detail: `no spending policy (${path} does not exist)` };
    const applying = target ? rulesFor(policy, target.account, target.env) : policy.rules;
    const rules = applying.length;
    const detail = `${path}: valid, ${rules} rule${rules === 1 ? '' : 's'} for this account`;
    const open = uncappedWarnings(policy.rules);
    if (open.length) {
      return {
        check: 'policy',
        status: 'warn',
        detail: `${detail}; ${open.join(' ')}`,
        fix: 'Cap every currency you pay in, or list the ones allowed in allowedTargetCurrencies.',
      };
    }
    return { check: 'policy', status: 'pass', detail };
  } catch (error) {
    return {
      check: 'policy',
      status: 'fail',
      detail: (error as Error).message,
      fix: `Fix ${path} (see docs/guard-rails.md); until then every payment is refused.`,
    };
  }
}

/** The money journal's hash chain. */
export async function checkJournal(ctx: Context): Promise<CheckRow> {
  const [{ readFile }, { join }, { verifyJournal }] = await Promise.all([
    import('node:fs/promises'),
    import('node:path'),
    import('../guard/journal.js'),
  ]);
  const path = join(ctx.configDir, 'journal.jsonl');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return { check: 'journal', status: 'pass', detail: 'no journal yet (no money-moving call was made here)' };
  }
  const verdict = verifyJournal(text);
  return verdict.ok
    ? { check: 'journal', status: 'pass', detail: `${path}: ${verdict.lines} lines, chain intact` }
    : {
        check: 'journal',
        status: 'fail',
        detail: `${path} is broken at line ${verdict.line}: ${verdict.reason}`,
        fix: 'wise journal verify; compare with a copy you trust',
      };
}
