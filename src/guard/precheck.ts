import type { Target } from '../auth/target.js';
import type { Context } from '../context.js';
import { Journal } from './journal.js';
import {
  checkPayments,
  leftToday,
  loadPolicy,
  type PlannedPayment,
  type Policy,
  type PolicyRule,
  policyPath,
  rulesFor,
} from './policy.js';

/** The policy in force, read from policy.json or WISE_POLICY_FILE (undefined: no policy file). */
export function policyInForce(ctx: Pick<Context, 'configDir' | 'env'>): Policy | undefined {
  return loadPolicy(policyPath(ctx.configDir, ctx.env), Boolean(ctx.env.WISE_POLICY_FILE));
}

/**
 * Today under the policy, for an account: the rules in force, what the journal holds for today (payments in flight
 * included) and what the day's caps leave.
 */
export async function todayUnderPolicy(
  ctx: Context,
  target: Pick<Target, 'account' | 'env'>,
): Promise<{ rules: PolicyRule[]; spent: Map<string, number>; left: Map<string, number> }> {
  const rules = rulesFor(policyInForce(ctx), target.account, target.env);
  const spent = await new Journal(ctx.configDir, ctx.clock).spentTodaySnapshot(target.account, target.env);
  return { rules, spent, left: leftToday(rules, spent) };
}

/**
 * Checks payments before anything is sent (a whole batch before its first call), with what the journal holds for
 * today; PolicyError (exit 8) at the first violation. Each payment is checked again, under the journal's lock, as
 * it goes out.
 */
export async function precheckPayments(
  ctx: Context,
  target: Pick<Target, 'account' | 'env'>,
  payments: readonly PlannedPayment[],
  options: { attended?: boolean } = {},
): Promise<void> {
  const policy = policyInForce(ctx);
  const rules = rulesFor(policy, target.account, target.env);
  if (!rules.length) return;
  const spentToday = await new Journal(ctx.configDir, ctx.clock).spentTodaySnapshot(target.account, target.env);
  checkPayments(
    rules,
    { env: target.env, unattended: !ctx.io.stdinIsTTY && !options.attended, spentToday },
    payments,
    policy?.path,
  );
}
