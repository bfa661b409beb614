/**
 * Every test file checks each exchange with an emulator it runs against Wise's contract: a deviation fails the test
 * during which it happened (or the file, for its hooks). The figures go to a file the global teardown sums up.
 */
import { appendFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, afterEach, expect, inject } from 'vitest';
import { observeExchanges } from '../../src/mock/server.js';
import { ContractChecker, settleExpected, type Violation } from '../helpers/contract.js';

let checker: ContractChecker | undefined;
const pending: Violation[] = [];
/** Violations nobody expected, for the run's summary. */
const found: string[] = [];
/** Violations a test sent on purpose (to see the emulator refuse them). */
let deliberate = 0;

observeExchanges((exchange) => {
  checker ??= new ContractChecker();
  pending.push(...checker.check(exchange));
});

function fail(violations: Violation[]): void {
  const lines = violations.map((v) => `${v.where} of ${v.operation} (${v.status}): ${v.message}`);
  const test = expect.getState().currentTestName ?? basename(expect.getState().testPath ?? '');
  found.push(...violations.map((v) => `${v.where} of ${v.operation}: ${v.message} [${test}]`));
  expect(lines, "exchanges with the emulator that Wise's contract does not allow").toEqual([]);
}

afterEach(() => {
  const all = pending.splice(0);
  const { unexpected, unmet } = settleExpected(all);
  deliberate += all.length - unexpected.length;
  expect(unmet.map(String), 'contract violations the test expected did not happen').toEqual([]);
  fail(unexpected);
});

afterAll(() => {
  const now = pending.splice(0);
  try {
    fail(now);
  } finally {
    record();
  }
});

function record(): void {
  const dir = inject('contractDir');
  if (dir && checker) {
    appendFileSync(
      join(dir, `${process.pid}.ndjson`),
      `${JSON.stringify({
        calls: checker.calls,
        operations: [...checker.operations],
        allowed: Object.fromEntries(checker.allowed),
        deliberate,
        violations: found,
      })}\n`,
    );
  }
}
