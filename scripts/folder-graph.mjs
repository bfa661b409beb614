#!/usr/bin/env node
// The import graph of src/ by folder (static imports, `import type` aside, and dynamic import() alike): which folder
// imports which, the pairs of folders that import each other, and any longer cycle. A file directly in src/ (main.ts,
// context.ts, errors.ts, version.ts) is a node of its own.
//
//   node scripts/folder-graph.mjs           the edges and the mutual pairs
//   node scripts/folder-graph.mjs --json    the same as JSON (for the test that keeps the graph acyclic)
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');

function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}
const folderOf = (file) => {
  const rel = relative(src, file).split(sep);
  return rel.length === 1 ? rel[0] : `${rel[0]}/`;
};

const edges = new Map();
for (const file of files(src)) {
  const text = readFileSync(file, 'utf8');
  const specs = [
    ...[...text.matchAll(/^\s*import\s+(?!type\b)[^'"]*?from\s+['"](\.[^'"]+)['"]/gm)].map((m) => m[1]),
    ...[...text.matchAll(/^\s*export\s+(?!type\b)[^'"]*?from\s+['"](\.[^'"]+)['"]/gm)].map((m) => m[1]),
    ...[...text.matchAll(/import\(\s*['"](\.[^'"]+)['"]\s*\)/g)].map((m) => m[1]),
  ];
  for (const spec of specs) {
    const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
    if (!target.startsWith(src)) continue;
    const [from, to] = [folderOf(file), folderOf(target)];
    if (from === to) continue;
    const key = `${from} -> ${to}`;
    if (!edges.has(key)) edges.set(key, []);
    edges.get(key).push(`${relative(root, file)} -> ${relative(root, target)}`);
  }
}
const mutual = [...edges.keys()]
  .map((k) => k.split(' -> '))
  .filter(([a, b]) => a < b && edges.has(`${b} -> ${a}`))
  .map(([a, b]) => ({
    pair: `${a} <-> ${b}`,
    [`${a} -> ${b}`]: edges.get(`${a} -> ${b}`),
    [`${b} -> ${a}`]: edges.get(`${b} -> ${a}`),
  }));
// Cycles of any length: the strongly connected components with more than one node (Tarjan).
const next = new Map();
for (const k of edges.keys()) {
  const [a, b] = k.split(' -> ');
  if (!next.has(a)) next.set(a, []);
  next.get(a).push(b);
}
const cycles = [];
{
  let index = 0;
  const idx = new Map();
  const low = new Map();
  const stack = [];
  const on = new Set();
  const visit = (v) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of next.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const component = [];
      let w;
      do {
        w = stack.pop();
        on.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) cycles.push(component.sort());
    }
  };
  for (const v of next.keys()) if (!idx.has(v)) visit(v);
}
if (process.argv.includes('--json')) {
  process.stdout.write(`${JSON.stringify({ edges: [...edges.keys()].sort(), mutual, cycles }, null, 2)}\n`);
} else {
  for (const k of [...edges.keys()].sort()) console.log(k);
  console.log(`\n${mutual.length} pairs of folders import each other${mutual.length ? ':' : '.'}`);
  for (const m of mutual) {
    console.log(`  ${m.pair}`);
    for (const [k, v] of Object.entries(m))
      if (k !== 'pair')
        console.log(`    ${k}: ${v.slice(0, 3).join('; ')}${v.length > 3 ? ` (+${v.length - 3})` : ''}`);
  }
}
