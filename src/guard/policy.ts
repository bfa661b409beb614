/**
 * The spending policy: `policy.json` in the config folder, or the file named by WISE_POLICY_FILE. Rules apply to an
 * account and environment (left out: every one); every field is optional, and all rules that apply are enforced
 * together. A file that exists but cannot be read as a policy is an error naming it, never "no policy".
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, PolicyError } from '../errors.js';

export interface PolicyRule {
  account?: string;
  env?: string;
  maxPerTransfer?: Record<string, number>;
  maxPerDay?: Record<string, number>;
  allowedRecipients?: number[];
  allowedTargetCurrencies?: string[];
  unattendedProduction?: boolean;
}

export interface Policy {
  path: string;
  rules: PolicyRule[];
}

export function policyPath(configDir: string, env: Readonly<Record<string, string | undefined>>): string {
  return env.WISE_POLICY_FILE || join(configDir, 'policy.json');
}

const RULE_FIELDS = new Set([
  'account',
  'env',
  'maxPerTransfer',
  'maxPerDay',
  'allowedRecipients',
  'allowedTargetCurrencies',
  'unattendedProduction',
]);

function amounts(value: unknown, where: string): Record<string, number> {
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw new Error(`${where} must map currencies to amounts`);
  const out: Record<string, number> = {};
  for (const [currency, raw] of Object.entries(value)) {
    if (!/^[A-Z]{3}$/.test(currency)) throw new Error(`${where}: "${currency}" is not a currency code`);
    const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : '';
    if (!/^\d{1,12}(\.\d{1,2})?$/.test(text))
      throw new Error(`${where}.${currency} must be an amount such as "100.00"`);
    out[currency] = Number(text);
  }
  return out;
}

/** Reads and checks a policy file; undefined when there is none (and WISE_POLICY_FILE does not name one). */
export function loadPolicy(path: string, named: boolean): Policy | undefined {
  let text: string;
  try {
    checkPolicyFile(path);
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !named) return undefined;
    throw new ConfigError(`Cannot read the spending policy ${path} (${code ?? (error as Error).message}).`, {
      hint: named ? 'WISE_POLICY_FILE names a file that must exist: fix the path, or unset it.' : undefined,
    });
  }
  try {
    return { path, rules: parsePolicy(text) };
  } catch (error) {
    throw new ConfigError(`The spending policy ${path} is not valid: ${(error as Error).message}.`, {
      hint: 'Nothing was sent. See docs/guard-rails.md for the shape of policy.json; `wise policy show` checks it.',
    });
  }
}

/**
 * A policy someone else can change is no limit: the file (through any symlink) must belong to this user (or root)
 * and be writable by no one else. Otherwise money-moving commands refuse (exit 1) naming the file and the fix.
 */
function checkPolicyFile(path: string): void {
  const stat = statSync(path); // follows a symlink: the file it leads to is what is obeyed
  const uid = process.getuid?.();
  const problem =
    uid !== undefined && stat.uid !== uid && stat.uid !== 0
      ? `belongs to another user (uid ${stat.uid})`
      : (stat.mode & 0o022) !== 0
        ? `can be changed by others (mode ${(stat.mode & 0o777).toString(8)})`
        : undefined;
  if (problem) {
    throw new ConfigError(
      `The spending policy ${path} ${problem}, so it is not obeyed: nothing that moves money runs.`,
      {
        hint: `Make it yours and writable by you alone: chown $(id -u) ${path} && chmod 600 ${path} (for a symlink, the file it points to).`,
      },
    );
  }
}

/**
 * Currencies a rule leaves open: it caps some currencies (maxPerTransfer, maxPerDay), yet a payment in another one
 * passes uncapped unless allowedTargetCurrencies excludes it. One line per such rule, for `policy show` and `doctor`.
 */
export function uncappedWarnings(rules: readonly PolicyRule[]): string[] {
  const out: string[] = [];
  for (const [i, rule] of rules.entries()) {
    const capped = new Set([...Object.keys(rule.maxPerTransfer ?? {}), ...Object.keys(rule.maxPerDay ?? {})]);
    if (!capped.size) continue;
    const name = `rule ${i + 1}`;
    if (!rule.allowedTargetCurrencies) {
      out.push(
        `${name} caps ${[...capped].join(', ')} only: a payment in any other currency passes uncapped (cap it, or list allowedTargetCurrencies).`,
      );
      continue;
    }
    const open = rule.allowedTargetCurrencies.filter(
      (c) => rule.maxPerTransfer?.[c] === undefined && rule.maxPerDay?.[c] === undefined,
    );
    if (open.length)
      out.push(`${name} allows ${open.join(', ')} with no cap (add them to maxPerTransfer or maxPerDay).`);
  }
  return out;
}

export function parsePolicy(text: string): PolicyRule[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new Error(`not JSON (${(error as Error).message})`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new Error('it must be a JSON object');
  const { version, rules } = doc as { version?: unknown; rules?: unknown };
  if (version !== 1) throw new Error(`"version" must be 1, not ${JSON.stringify(version)}`);
  if (!Array.isArray(rules)) throw new Error('"rules" must be a list');
  return rules.map((raw, i) => {
    const where = `rules[${i}]`;
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new Error(`${where} must be an object`);
    const r = raw as Record<string, unknown>;
    for (const key of Object.keys(r)) if (!RULE_FIELDS.has(key)) throw new Error(`${where}: unknown field "${key}"`);
    const rule: PolicyRule = {};
    if (r.account !== undefined) {
      if (typeof r.account !== 'string' || !r.account) throw new Error(`${where}.account must be an account name`);
      rule.account = r.account;
    }
    if (r.env !== undefined) {
      if (r.env !== 'sandbox' && r.env !== 'production')
        throw new Error(`${where}.env must be "sandbox" or "production"`);
      rule.env = r.env;
    }
    if (r.maxPerTransfer !== undefined) rule.maxPerTransfer = amounts(r.maxPerTransfer, `${where}.maxPerTransfer`);
    if (r.maxPerDay !== undefined) rule.maxPerDay = amounts(r.maxPerDay, `${where}.maxPerDay`);
    if (r.allowedRecipients !== undefined) {
      if (!Array.isArray(r.allowedRecipients) || !r.allowedRecipients.every((x) => Number.isInteger(x) && x > 0)) {
        throw new Error(`${where}.allowedRecipients must be a list of recipient ids`);
      }
      rule.allowedRecipients = r.allowedRecipients as number[];
    }
    if (r.allowedTargetCurrencies !== undefined) {
      const list = r.allowedTargetCurrencies;
      if (!Array.isArray(list) || !list.every((c) => typeof c === 'string' && /^[A-Z]{3}$/.test(c))) {
        throw new Error(`${where}.allowedTargetCurrencies must be a list of currency codes`);
      }
      rule.allowedTargetCurrencies = list as string[];
    }
    if (r.unattendedProduction !== undefined) {
      if (typeof r.unattendedProduction !== 'boolean')
        throw new Error(`${where}.unattendedProduction must be true or false`);
      rule.unattendedProduction = r.unattendedProduction;
    }
    return rule;
  });
}

/** The rules that apply to an account in an environment. */
export function rulesFor(policy: Policy | undefined, account: string, env: string): PolicyRule[] {
  return (policy?.rules ?? []).filter((r) => (r.account ?? account) === account && (r.env ?? env) === env);
}

/** What the day's caps leave, per capped currency: the smallest cap less what is paid or in flight today. */
export function leftToday(rules: readonly PolicyRule[], spent: ReadonlyMap<string, number>): Map<string, number> {
  const left = new Map<string, number>();
  for (const r of rules) {
    for (const [c, cap] of Object.entries(r.maxPerDay ?? {})) {
      const rest = Math.max(0, cap - (spent.get(c) ?? 0));
      left.set(c, Math.min(left.get(c) ?? Number.POSITIVE_INFINITY, rest));
    }
  }
  return left;
}

/** A payment about to be made, in the currency it names. */
export interface PlannedPayment {
  amount: number;
  currency: string;
  recipientId?: number;
  /** Where it comes from, for the message: `line 12`, `--amount`. */
  label?: string;
}

export interface Situation {
  env: string;
  /** No terminal: nobody can confirm (`--yes`, or a script). */
  unattended: boolean;
  /** What the day already holds per currency (UTC), from the journal, payments in flight included. */
  spentToday: Map<string, number>;
}

const money = (v: number) => v.toFixed(2);

/** For a call that pays without a new amount (funding a batch): only whether a person must confirm it. */
export function checkAttended(rules: readonly PolicyRule[], situation: Situation, file?: string): void {
  if (situation.env === 'production' && situation.unattended && rules.some((r) => r.unattendedProduction === false)) {
    throw new PolicyError(
      'Refused by policy: unattendedProduction is false, so production payments need a person at a terminal to confirm them. Nothing was sent.',
      { hint: `The rules are in ${file ?? 'the policy file'}; \`wise policy show\` lists those in force.` },
    );
  }
}

/**
 * Checks payments in order against the rules, as if made one after the other (a batch's later rows see the earlier
 * ones in the day's total); throws PolicyError naming the rule and the figures at the first violation.
 */
export function checkPayments(
  rules: readonly PolicyRule[],
  situation: Situation,
  payments: readonly PlannedPayment[],
  file?: string,
): void {
  if (!rules.length) return;
  const day = new Map(situation.spentToday);
  const refuse = (p: PlannedPayment, what: string) =>
    new PolicyError(`Refused by policy${p.label ? ` (${p.label})` : ''}: ${what}. Nothing was sent.`, {
      hint: `The rules are in ${file ?? 'the policy file'}; \`wise policy show\` lists those in force.`,
      details: {
        amount: p.amount,
        currency: p.currency,
        ...(p.recipientId !== undefined ? { recipientId: p.recipientId } : {}),
      },
    });
  for (const p of payments) {
    for (const rule of rules) {
      if (situation.env === 'production' && situation.unattended && rule.unattendedProduction === false) {
        throw refuse(
          p,
          'unattendedProduction is false, so production payments need a person at a terminal to confirm them',
        );
      }
      if (rule.allowedTargetCurrencies && !rule.allowedTargetCurrencies.includes(p.currency)) {
        throw refuse(p, `allowedTargetCurrencies is ${rule.allowedTargetCurrencies.join(', ')}, not ${p.currency}`);
      }
      if (rule.allowedRecipients) {
        if (p.recipientId === undefined) throw refuse(p, 'allowedRecipients is set and the recipient is not known');
        if (!rule.allowedRecipients.includes(p.recipientId)) {
          throw refuse(
            p,
            `recipient ${p.recipientId} is not in allowedRecipients (${rule.allowedRecipients.join(', ')})`,
          );
        }
      }
      const cap = rule.maxPerTransfer?.[p.currency];
      if (cap !== undefined && p.amount > cap) {
        throw refuse(
          p,
          `maxPerTransfer ${p.currency} is ${money(cap)}, and this payment is ${money(p.amount)} ${p.currency}`,
        );
      }
      const dayCap = rule.maxPerDay?.[p.currency];
      const before = day.get(p.currency) ?? 0;
      if (dayCap !== undefined && before + p.amount > dayCap + 1e-9) {
        throw refuse(
          p,
          `maxPerDay ${p.currency} is ${money(dayCap)}; ${money(before)} ${p.currency} is already paid or in flight today (UTC), and ${money(p.amount)} more would make ${money(before + p.amount)}`,
        );
      }
    }
    day.set(p.currency, Math.round(((day.get(p.currency) ?? 0) + p.amount) * 100) / 100);
  }
}
