#!/usr/bin/env node
// Type-checks with tsc, then bundles src/ with esbuild into one CommonJS file, dist/wise.cjs. Start-up time is a
// feature for a tool that shell loops call thousands of times: one file loaded with require() starts ~10 ms faster
// than a graph of ES modules. Modules reached through import() stay lazy inside the bundle: a command's code runs
// only when that command does.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = spawnSync(
  process.execPath,
  [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.json'), '--noEmit'],
  { stdio: 'inherit' },
);
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

rmSync(join(root, 'dist'), { recursive: true, force: true });
const common = {
  absWorkingDir: root,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // The sources are ES modules; in the CommonJS bundle import.meta.url becomes the bundle's own URL, made when first
  // asked for (most runs never do: pathToFileURL at every start costs ~0.3 ms).
  define: { 'import.meta.url': '__wiseBundle.url' },
  banner: {
    js: "const __wiseBundle = { get url() { return (this.u ??= require('node:url').pathToFileURL(__filename).href); } };",
  },
  // Less source to parse at every start; names are kept so that --debug stack traces stay readable.
  minifyWhitespace: !process.env.WISE_BUILD_READABLE,
  minifySyntax: !process.env.WISE_BUILD_READABLE,
  logLevel: 'warning',
};

// The emulator (src/mock) is a bundle of its own, loaded only by `wise mock`: the client's bundle stays smaller,
// and the two share no code, as they must not.
const emulatorAsItsOwnBundle = {
  name: 'emulator-bundle',
  setup(b) {
    b.onResolve({ filter: /\/mock\/server\.js$/ }, (args) =>
      args.importer.includes(`${join('src', 'commands')}`) ? { path: './mock.cjs', external: true } : undefined,
    );
  },
};

// Start-up: commander loads at the top of its modules what only some runs use, and makes a default program nobody
// here uses (twice: commander and its typings package each make one). In the bundle those load or are made when first
// used: node:child_process (and with it dgram, ~1 ms), for stand-alone executable subcommands, which this tool has
// none of; the help formatter, for help and usage errors; the "did you mean" suggestions, for unknown commands and
// options. A replaced line that moved in a new version of commander fails the build.
const COMMANDER_LAZY_PARTS = [
  [
    /commander[\\/]lib[\\/]command\.js$/,
    [
      [
        "const childProcess = require('node:child_process');",
        "const childProcess = { spawn: (...a) => require('node:child_process').spawn(...a) };",
      ],
      [
        "const { Help, stripColor } = require('./help.js');",
        "let helpModule; const help = () => (helpModule ??= require('./help.js')); const Help = function Help() { return new (help().Help)(); }; const stripColor = (str) => help().stripColor(str);",
      ],
      [
        "const { suggestSimilar } = require('./suggestSimilar');",
        "const suggestSimilar = (...a) => require('./suggestSimilar').suggestSimilar(...a);",
      ],
    ],
  ],
  [
    /commander[\\/]index\.js$/,
    [
      ["const { Help } = require('./lib/help.js');\n", ''],
      [
        'exports.program = new Command();',
        "Object.defineProperty(exports, 'program', { get: () => new Command(), enumerable: true });",
      ],
      [
        'exports.Help = Help;',
        "Object.defineProperty(exports, 'Help', { get: () => require('./lib/help.js').Help, enumerable: true });",
      ],
    ],
  ],
  [
    /@commander-js[\\/]extra-typings[\\/]index\.js$/,
    [
      [
        'exports.program = new commander.Command();',
        "Object.defineProperty(exports, 'program', { get: () => new commander.Command(), enumerable: true });",
      ],
      [
        'exports.Help = commander.Help;',
        "Object.defineProperty(exports, 'Help', { get: () => commander.Help, enumerable: true });",
      ],
    ],
  ],
];
const commanderLazyParts = {
  name: 'commander-lazy-parts',
  setup(b) {
    for (const [filter, replacements] of COMMANDER_LAZY_PARTS) {
      b.onLoad({ filter }, (args) => {
        let text = readFileSync(args.path, 'utf8');
        for (const [eager, lazy] of replacements) {
          if (!text.includes(eager)) throw new Error(`${args.path}: \`${eager.trim()}\` moved; update the build`);
          text = text.replace(eager, lazy);
        }
        return { contents: text, loader: 'js' };
      });
    }
  },
};

// Start-up: the sources are ES modules and use createRequire(import.meta.url) for CommonJS packages and lazily
// loaded built-ins; in the CommonJS bundle the bundle's own require does that, without loading node:module (~0.6 ms).
const requireWithoutNodeModule = {
  name: 'require-without-node-module',
  setup(b) {
    b.onResolve({ filter: /^node:module$/ }, () => ({ path: 'node:module', namespace: 'bundle-require' }));
    b.onLoad({ filter: /.*/, namespace: 'bundle-require' }, () => ({
      contents: 'export const createRequire = () => require;',
      loader: 'js',
    }));
  },
};

// JOSE: the jose package is ES modules only, and loading its module graph costs a JOSE call ~40 ms. The parts the
// client uses are bundled into dist/jose.cjs, which the client bundle loads with require() when a command first needs
// JOSE (never at start).
const JOSE_EXPORTS = [
  'CompactEncrypt',
  'CompactSign',
  'calculateJwkThumbprint',
  'compactDecrypt',
  'compactVerify',
  'decodeProtectedHeader',
  'importSPKI',
  'importPKCS8',
];
await build({
  ...common,
  stdin: { contents: `export { ${JOSE_EXPORTS.join(', ')} } from 'jose';`, resolveDir: root, loader: 'js' },
  outfile: 'dist/jose.cjs',
  banner: {},
  define: {},
});
const joseAsItsOwnBundle = {
  name: 'jose-bundle',
  setup(b) {
    b.onResolve({ filter: /^jose$/ }, () => ({ path: 'jose', namespace: 'jose-cjs' }));
    b.onLoad({ filter: /.*/, namespace: 'jose-cjs' }, () => ({
      contents: "module.exports = __wiseLoaderLoad('jose.cjs');",
      loader: 'js',
    }));
  },
};

await build({
  ...common,
  entryPoints: ['src/mock/server.ts'],
  outfile: 'dist/mock.cjs',
  external: ['jose', '@peculiar/x509', 'reflect-metadata'],
});
// The bundles are CommonJS modules that load each other with require() (each runs once, as any module). Their
// dynamic imports go through __wiseImport: an import of a module of dist/commands.cjs (see below) is answered from
// that bundle, any other by Node's import().
const COMMANDS_BUNDLE = './commands.cjs?';
const importBanner = `const __wiseLoaderLoad = (n) => require('./' + n);\nconst __wiseImport = (s) => s.startsWith('${COMMANDS_BUNDLE}') ? Promise.resolve().then(() => __wiseLoaderLoad('commands.cjs').modules(s.slice(${COMMANDS_BUNDLE.length}))) : (typeof __wiseHostImport === 'function' ? __wiseHostImport : (u) => import(u))(s.startsWith('./') ? require('node:url').pathToFileURL(require('node:path').join(__dirname, s)).href : s);`;
const banner = importBanner;
const clientPlugins = [emulatorAsItsOwnBundle, commanderLazyParts, requireWithoutNodeModule, joseAsItsOwnBundle];
// Dependencies stay in node_modules, except commander, which every run loads: bundled and minified it is a third of
// its published size (mostly JSDoc), and parse time grows with size.
const clientExternal = [
  '@napi-rs/keyring',
  '@inquirer/*',
  '@peculiar/x509',
  'reflect-metadata',
  'chalk',
  'open',
  'yocto-spinner',
  // Loaded by the commands that need them (batch payments, progress bars), never at start-up.
  'csv-parse',
  'csv-stringify',
  // The MCP server SDK and its schemas, loaded only by `wise mcp`.
  '@modelcontextprotocol/*',
  'zod',
  // jq (WebAssembly), loaded only by --jq.
  'jq-wasm',
  'cli-progress',
  // Proxy support: loaded only when a proxy variable is set.
  'proxy-from-env',
  'https-proxy-agent',
  'http-proxy-agent',
];

// Start-up: every run reads and deserialises all of dist/wise.cjs, so it holds only what the calls a shell loop makes
// most can reach (`wise api`, `wise auth token`, --version, help): the command tree, and every module reachable from
// it but for the other commands. Those commands, and the modules only they use, go to dist/commands.cjs, which loads
// when one of them runs (2-4 ms less for every run that needs wise.cjs only). Each module is in one bundle only (checked below):
// a module of wise.cjs that commands.cjs uses is handed over by wise.cjs (`__wiseShared`), never copied.
const HOT_COMMANDS = new Set(['src/commands/api.ts', 'src/commands/auth/token.ts']);
// What those calls reach only in some runs, through import(), goes to dist/commands.cjs too and loads with it (about
// 2 ms) when a run needs it: the guard of money-moving calls (the money commands load that bundle anyway), answering
// an SCA challenge (which signs with node:crypto), the encrypted file store (a quarter of a second of scrypt), and
// --paginate and --jq. Every function a bundle holds is an object its code cache carries and every start
// deserialises, run or not: these take 41 KB off dist/wise.cjs and about 0.4 ms off `wise api` on Node 24. JOSE and
// mTLS stay, as a partner's every call may use them.
const OFF_THE_START_UP_PATH = [
  'src/guard/guarded.ts',
  'src/sca/challenges.ts',
  'src/sca/keys.ts',
  'src/store/file-store.ts',
  'src/http/paging.ts',
  'src/util/jq.ts',
];
const graph = (
  await build({
    ...common,
    entryPoints: ['src/main.ts'],
    outfile: 'dist/wise.cjs',
    write: false,
    metafile: true,
    plugins: clientPlugins,
    external: clientExternal,
  })
).metafile.inputs;
const isFile = (path) => !path.includes(':') && path !== '<stdin>';
// The commands' loaders live in the registries beside their flags (and main.ts's own few): their dynamic imports of
// command modules are the cold bundle's entries.
const REGISTRIES = ['src/cli.ts', 'src/commands/specs.ts', 'src/commands/account-specs.ts'];
const coldEntries = new Set(
  REGISTRIES.flatMap((registry) => graph[registry].imports)
    .filter((i) => i.kind === 'dynamic-import' && i.path.startsWith('src/commands/') && !HOT_COMMANDS.has(i.path))
    .map((i) => i.path),
);
for (const path of OFF_THE_START_UP_PATH) {
  if (!graph[path]) throw new Error(`${path} is not in the client's module graph: update OFF_THE_START_UP_PATH`);
  coldEntries.add(path);
}
const hot = new Set();
for (const todo = ['src/main.ts']; todo.length; ) {
  const path = todo.pop();
  if (hot.has(path) || !graph[path]) continue;
  hot.add(path);
  for (const i of graph[path].imports) if (!i.external && !coldEntries.has(i.path)) todo.push(i.path);
}
const cold = new Set(Object.keys(graph).filter((path) => !hot.has(path) && isFile(path)));
const shared = new Set();
const coldImportedByHot = new Set();
for (const [path, input] of Object.entries(graph)) {
  for (const i of input.imports) {
    if (i.external) continue;
    if (cold.has(path) && hot.has(i.path) && isFile(i.path)) shared.add(i.path);
    if (hot.has(path) && cold.has(i.path)) {
      if (i.kind !== 'dynamic-import')
        throw new Error(`${path} imports ${i.path} statically: it cannot be in dist/commands.cjs`);
      coldImportedByHot.add(i.path);
    }
  }
}
// One function, not an object of arrow functions: each function literal is one more object for V8's code cache to
// hold and for every start to deserialise.
const requireTable = (name, paths) =>
  `export function ${name}(path) { switch (path) {${[...paths]
    .sort()
    .map((p) => `case ${JSON.stringify(p)}: return require(${JSON.stringify(`./${p}`)});`)
    .join(' ')}} throw new Error('no module ' + path + ' in this bundle'); }`;
/** Resolves an import as the build would; `pick(path)` says what to do with a module at that path. */
const routeBy = (name, pick) => ({
  name,
  setup(b) {
    b.onResolve({ filter: /.*/ }, async (args) => {
      if (args.pluginData?.routed || args.kind === 'entry-point') return undefined;
      const resolved = await b.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        namespace: args.namespace,
        pluginData: { routed: true },
      });
      if (resolved.errors.length || resolved.external || resolved.namespace !== 'file') return undefined;
      return pick(relative(root, resolved.path).split(sep).join('/'), args);
    });
  },
});

const clientBuild = await build({
  ...common,
  banner: {
    js: `${common.banner.js}\n${importBanner}\nconst __wiseExport = (ns, names, bindings) => { for (const name of names.split(',')) Object.defineProperty(ns, name, { get: () => bindings()[name], enumerable: true }); };`,
  },
  stdin: {
    contents: `${requireTable('__wiseShared', shared)}\nimport './src/main.ts';`,
    resolveDir: root,
    loader: 'js',
  },
  outfile: 'dist/wise.cjs',
  metafile: true,
  plugins: [
    ...clientPlugins,
    routeBy('commands-bundle', (path, args) =>
      cold.has(path) && args.kind === 'dynamic-import'
        ? { path: `${COMMANDS_BUNDLE}${path}`, external: true }
        : undefined,
    ),
  ],
  external: clientExternal,
});
const commandsBuild = await build({
  ...common,
  banner: {
    js: `${common.banner.js}\n${importBanner}\nconst __wiseShared = (p) => __wiseLoaderLoad('wise.cjs').__wiseShared(p);`,
  },
  stdin: { contents: requireTable('modules', coldImportedByHot), resolveDir: root, loader: 'js' },
  outfile: 'dist/commands.cjs',
  metafile: true,
  plugins: [
    emulatorAsItsOwnBundle,
    requireWithoutNodeModule,
    joseAsItsOwnBundle,
    routeBy('from-the-client-bundle', (path) => (hot.has(path) ? { path, namespace: 'wise-shared' } : undefined)),
    {
      name: 'wise-shared',
      setup(b) {
        b.onLoad({ filter: /.*/, namespace: 'wise-shared' }, (args) => ({
          contents: `module.exports = __wiseShared(${JSON.stringify(args.path)});`,
          loader: 'js',
        }));
      },
    },
  ],
  external: clientExternal,
});
const inputsOf = (result) => new Set(Object.values(result.metafile.outputs).flatMap((o) => Object.keys(o.inputs)));
const inClient = inputsOf(clientBuild);
for (const path of inputsOf(commandsBuild)) {
  if (isFile(path) && inClient.has(path)) throw new Error(`${path} is in both dist/wise.cjs and dist/commands.cjs`);
}

// Every import("...") of dist/wise.cjs and dist/commands.cjs goes through __wiseImport (see the banner): an import
// of a module of dist/commands.cjs is answered from that bundle, any other by Node: through bin/wise's import
// (__wiseHostImport) when bin/wise compiled the bundle with node:vm, where import() itself needs a flag on Node 20.
function routeImports(name) {
  const path = join(root, 'dist', name);
  const text = readFileSync(path, 'utf8').replace(/\bimport\((?=["'])/g, '__wiseImport(');
  if (/\bimport\(/.test(text.replace(banner, ''))) {
    throw new Error(`dist/${name}: an import() the build could not route`);
  }
  writeFileSync(path, text);
}
routeImports('wise.cjs');
routeImports('commands.cjs');

/**
 * A module's namespace object (for import() and for commands.cjs) is made by esbuild with one getter function per
 * export, `__export(ns, { a: () => a, ... })`, at the bundle's top level: hundreds of function literals that every
 * start deserialises from the code cache and makes closures of, though a run reads a few of them. Here each module's
 * getters share one function literal (`__wiseExport`, in the banner), which reads the module's bindings when a
 * getter is called: the same live bindings.
 */
function oneExportFunctionPerModule(text) {
  const rewritten = text.replace(/__export\((\w+),\s*\{([^{}]*)\}\)/g, (_, target, list) => {
    const entries = list
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean)
      .map((entry) => {
        const parsed = /^([\w$]+):\s*\(\)\s*=>\s*([\w$]+)$/.exec(entry);
        if (!parsed) throw new Error(`dist/wise.cjs: an export the build cannot read: ${entry}`);
        return { name: parsed[1], binding: parsed[2] };
      });
    const names = JSON.stringify(entries.map((e) => e.name).join(','));
    const bindings = entries.map((e) => (e.name === e.binding ? e.name : `${e.name}:${e.binding}`)).join(',');
    return `__wiseExport(${target},${names},()=>({${bindings}}))`;
  });
  if (/\b__export\(\w+,/.test(rewritten.replace(/\s+/g, '')))
    throw new Error('dist/wise.cjs: an __export the build could not rewrite');
  return rewritten;
}

// bin/wise keeps a V8 code cache of dist/wise.cjs per build: the build's id is the hash of the bundle, on its last line.
{
  const path = join(root, 'dist', 'wise.cjs');
  const text = oneExportFunctionPerModule(readFileSync(path, 'utf8'));
  // bin/wise reads the bundle as latin1, which needs no decoding: esbuild escapes non-ASCII characters by default
  // (and control characters in strings), and must have.
  if (/[^\t\n\r\x20-\x7e]/.test(text))
    throw new Error('dist/wise.cjs holds a character outside printable ASCII: bin/wise reads it as latin1');
  const id = createHash('sha256').update(text).digest('hex').slice(0, 16);
  writeFileSync(path, `${text.endsWith('\n') ? text : `${text}\n`}//# wise-build=${id}\n`);
}
