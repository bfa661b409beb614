#!/usr/bin/env node
// Derives test/contract/wise-openapi.json from Wise's OpenAPI document: every operation's method, path, parameters,
// request body and response schemas, the webhook payload schemas and the component schemas they use, without the
// document's prose (descriptions, summaries, examples, code samples). The tests validate every exchange with the
// emulator against it, so they need neither the original document nor the folder it lives in.
//
//   node scripts/contract.mjs [path/to/wise-platform-openapi.yml]
//
// Re-run it when Wise publishes a new document; the provenance block records what it was made from.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = process.argv[2] ?? join(root, '..', 'shared', 'wise-openapi', 'wise-platform-openapi.yml');
const target = join(root, 'test', 'contract', 'wise-openapi.json');
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

const text = readFileSync(source, 'utf8');
const doc = parse(text, { maxAliasCount: -1 });

/** Follows a local `$ref` (`#/components/...`) to what it names. */
function deref(node) {
  let n = node;
  for (let i = 0; n && typeof n === 'object' && typeof n.$ref === 'string' && i < 20; i++) {
    if (!n.$ref.startsWith('#/components/') || n.$ref.startsWith('#/components/schemas/')) return n;
    n = n.$ref
      .slice(2)
      .split('/')
      .reduce((o, k) => o?.[k.replaceAll('~1', '/').replaceAll('~0', '~')], doc);
  }
  return n;
}

// Keywords whose value is a map from names (of properties, definitions…) to schemas: the names are data, not prose.
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']);
// Keywords whose value is data and is kept as it is.
const DATA = new Set(['enum', 'const', 'default', 'required', 'type', 'format', 'pattern', '$ref', 'discriminator']);
const PROSE = new Set(['description', 'summary', 'title', 'example', 'examples', 'externalDocs', 'xml', 'deprecated']);

/** A schema without its prose; `x-` extensions dropped too. */
function schema(node) {
  if (Array.isArray(node)) return node.map(schema);
  if (!node || typeof node !== 'object') return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    if (PROSE.has(k) || k.startsWith('x-')) continue;
    if (DATA.has(k)) out[k] = v;
    else if (SCHEMA_MAPS.has(k)) out[k] = Object.fromEntries(Object.entries(v).map(([n, s]) => [n, schema(s)]));
    else out[k] = schema(v);
  }
  return out;
}

function content(c) {
  if (!c) return undefined;
  return Object.fromEntries(Object.entries(c).map(([type, media]) => [type, { schema: schema(media.schema ?? {}) }]));
}

function parameters(list) {
  return (list ?? []).map(deref).map((p) => ({
    name: p.name,
    in: p.in,
    required: p.required === true,
    schema: schema(p.schema ?? {}),
  }));
}

function operation(op, shared) {
  const byKey = new Map();
  for (const p of [...parameters(shared), ...parameters(op.parameters)])
    byKey.set(`${p.in}:${p.name.toLowerCase()}`, p);
  const out = { operationId: op.operationId, parameters: [...byKey.values()] };
  if (op.requestBody) {
    const body = deref(op.requestBody);
    out.requestBody = { required: body.required === true, content: content(body.content) };
  }
  out.responses = Object.fromEntries(
    Object.entries(op.responses ?? {}).map(([status, r]) => {
      const res = deref(r);
      return [status, res.content ? { content: content(res.content) } : {}];
    }),
  );
  return out;
}

const paths = {};
let operations = 0;
for (const [path, item] of Object.entries(doc.paths)) {
  const ops = {};
  for (const m of METHODS) {
    if (!item[m]) continue;
    ops[m] = operation(item[m], item.parameters);
    operations++;
  }
  paths[path] = ops;
}

const webhooks = {};
for (const [event, item] of Object.entries(doc.webhooks ?? {})) {
  const op = item.post;
  if (op?.requestBody) webhooks[event] = { content: content(deref(op.requestBody).content) };
}

const out = {
  provenance: {
    source: relative(root, source).startsWith('..') ? 'wise-platform-openapi.yml' : relative(root, source),
    title: doc.info?.title,
    version: doc.info?.version,
    openapi: doc.openapi,
    sha256: createHash('sha256').update(text).digest('hex'),
    madeBy: 'node scripts/contract.mjs (descriptions, summaries, examples and code samples left out)',
  },
  paths,
  webhooks,
  // Component schemas keep their names (a schema map: a schema called `description` is not prose).
  components: {
    schemas: Object.fromEntries(Object.entries(doc.components?.schemas ?? {}).map(([n, s]) => [n, schema(s)])),
  },
};
writeFileSync(target, `${JSON.stringify(out)}\n`);
process.stdout.write(
  `${relative(root, target)}: ${Object.keys(paths).length} paths, ${operations} operations, ` +
    `${Object.keys(webhooks).length} webhooks, ${Object.keys(out.components.schemas).length} schemas\n`,
);
