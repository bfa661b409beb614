import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

/** The folder import graph of src/, as `node scripts/folder-graph.mjs` prints it for anyone. */
function graph(): { edges: string[]; mutual: { pair: string }[]; cycles: string[][] } {
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts/folder-graph.mjs'), '--json'], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

const DOMAINS = [
  'account/',
  'auth/',
  'doctor/',
  'guard/',
  'jose/',
  'mtls/',
  'sca/',
  'store/',
  'webhooks/',
  'commands/',
];

describe('the house: one composition root, no import cycles between folders', () => {
  const g = graph();

  it('no two folders of src/ import each other, and no longer cycle exists (dynamic import() included)', () => {
    expect(g.mutual.map((m) => m.pair)).toEqual([]);
    expect(g.cycles).toEqual([]);
  });

  it('src/http imports no domain folder; only the wiring and the command registry build clients', () => {
    expect(g.edges.filter((e) => e.startsWith('http/ -> ') && DOMAINS.some((d) => e.endsWith(d)))).toEqual([]);
    expect(g.edges.filter((e) => e.endsWith(' -> wiring/')).sort()).toEqual(
      g.edges.filter((e) => e.endsWith(' -> wiring/') && /^commands\/ /.test(e)).sort(),
    );
    expect(g.edges).toContain('commands/ -> wiring/');
  });
});
