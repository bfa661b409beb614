import { resolveTarget, type Target } from '../auth/target.js';
import type { Context } from '../context.js';
import {
  type CheckRow,
  checkConfigFiles,
  checkConnectivity,
  checkCredentials,
  checkJoseKeys,
  checkJournal,
  checkMtls,
  checkNode,
  checkPolicy,
  checkScaKey,
  checkSecretStore,
  checkWiseKeys,
} from '../doctor/checks.js';
import { isWiseError, WiseError } from '../errors.js';
import { printJson } from '../util/output.js';
import type { DoctorOptions } from './specs.js';

/** Runs every check, prints a row each (or one JSON document), and exits 1 when any failed. */
export async function doctor(ctx: Context, opts: DoctorOptions): Promise<void> {
  // Report the config folder as found: nothing is repaired while the doctor looks.
  ctx.config.repair = false;
  const rows: CheckRow[] = [checkNode(process.versions.node), ...checkConfigFiles(ctx)];
  let target: Target | undefined;
  try {
    target = await resolveTarget(ctx);
  } catch (error) {
    if (!isWiseError(error)) throw error;
    rows.push({ check: 'config', status: 'fail', detail: error.message, fix: error.hint ?? 'Repair the config file.' });
  }
  rows.push(...(await checkSecretStore(ctx, target)));
  if (target) {
    rows.push(await checkCredentials(ctx, target, opts.offline === true));
    rows.push(await checkScaKey(ctx, target));
    rows.push(...(await checkJoseKeys(ctx, target)));
    rows.push(await checkWiseKeys(ctx, target));
    rows.push(...(await checkMtls(ctx, target, opts.offline === true)));
    rows.push(await checkPolicy(ctx, target));
    rows.push(await checkJournal(ctx));
    if (opts.offline) rows.push({ check: 'connectivity', status: 'skip', detail: 'not checked (--offline)' });
    else rows.push(...(await checkConnectivity(ctx, target)));
  }
  const failed = rows.filter((row) => row.status === 'fail').length;
  if (ctx.options.json) {
    printJson(ctx, { ok: failed === 0, checks: rows });
  } else {
    const style = await ctx.io.style('out');
    const mark = { pass: style.green('✓'), warn: style.yellow('!'), fail: style.red('✗'), skip: style.dim('-') };
    const width = Math.max(...rows.map((row) => row.check.length));
    const lines = rows.map((row) => {
      const line = `${mark[row.status]} ${row.check.padEnd(width)}  ${row.detail}`;
      return row.fix && row.status !== 'pass' && row.status !== 'skip'
        ? `${line}\n  ${' '.repeat(width)}  fix: ${row.fix}`
        : line;
    });
    ctx.io.out(`${lines.join('\n')}\n`);
  }
  if (failed) {
    throw new DoctorFailed(`${failed} ${failed === 1 ? 'check' : 'checks'} failed; each names its fix above.`);
  }
}

/** Exit 1: the rows already said what is wrong. */
class DoctorFailed extends WiseError {
  override readonly code = 'doctor_failed';
}
