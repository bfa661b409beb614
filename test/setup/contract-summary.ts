/** Sums up the contract check of every test file (calls, operations, allow-listed deviations) after the run. */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    contractDir: string;
  }
}

export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'wise-contract-'));
  project.provide('contractDir', dir);
  return () => {
    let calls = 0;
    const operations = new Set<string>();
    const allowed = new Map<string, number>();
    const violations = new Set<string>();
    let deliberate = 0;
    for (const file of readdirSync(dir)) {
      for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
        if (!line) continue;
        const r = JSON.parse(line) as {
          calls: number;
          operations: string[];
          allowed: Record<string, number>;
          deliberate: number;
          violations: string[];
        };
        calls += r.calls;
        deliberate += r.deliberate;
        for (const o of r.operations) operations.add(o);
        for (const [k, v] of Object.entries(r.allowed)) allowed.set(k, (allowed.get(k) ?? 0) + v);
        for (const v of r.violations) violations.add(v);
      }
    }
    rmSync(dir, { recursive: true, force: true });
    if (calls === 0) return;
    const lines = [
      `Wise's contract: ${calls} exchanges with the emulator checked, ${operations.size} operations covered, ` +
        `${violations.size} distinct violations (and ${deliberate} sent on purpose to see the emulator refuse them)`,
      `  allow-listed: ${[...allowed].map(([k, v]) => `${k} ${v}`).join(', ')}`,
      ...[...violations].map((v) => `  violation: ${v}`),
    ];
    process.stdout.write(`\n${lines.join('\n')}\n`);
  };
}
