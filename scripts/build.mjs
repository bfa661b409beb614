#!/usr/bin/env node
// Type-checks with tsc, then bundles src/ with esbuild into one CommonJS file, dist/wise.cjs. Start-up time is a
// feature for a tool that shell loops call thousands of times: one file loaded with require() starts ~10 ms faster
// than a graph of ES modules. Modules reached through import() stay lazy inside the bundle: a command's code runs
// only when that command does.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
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

// Start-up: commander loads node:child_process (and with it dgram) at the top of its command module, for
// stand-alone executable subcommands, which this tool has none of; it is loaded when first called instead (~1 ms).
const commanderWithoutEagerChildProcess = {
  name: 'commander-lazy-child-process',
  setup(b) {
    b.onLoad({ filter: /commander[\\/]lib[\\/]command\.js$/ }, (args) => {
      const eager = "const childProcess = require('node:child_process');";
      const text = readFileSync(args.path, 'utf8');
      if (!text.includes(eager))
        throw new Error(`${args.path}: the require of node:child_process moved; update the build`);
      const lazy = "const childProcess = { spawn: (...a) => require('node:child_process').spawn(...a) };";
      return { contents: text.replace(eager, lazy), loader: 'js' };
    });
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
await build({
  ...common,
  // bin/wise compiles the bundle with node:vm (to use a code cache), where import() needs a flag on Node 20: the
  // bundle's dynamic imports go through a function bin/wise passes in.
  banner: {
    js: `${common.banner.js}
const __wiseImport = (s) => __wiseLoaderImport(s.startsWith('./') ? require('node:url').pathToFileURL(require('node:path').join(__dirname, s)).href : s);`,
  },
  entryPoints: ['src/main.ts'],
  outfile: 'dist/wise.cjs',
  plugins: [emulatorAsItsOwnBundle, commanderWithoutEagerChildProcess, requireWithoutNodeModule, joseAsItsOwnBundle],
  // Dependencies stay in node_modules, except commander, which every run loads: bundled and minified it is a third
  // of its published size (mostly JSDoc), and parse time grows with size.
  external: [
    '@napi-rs/keyring',
    '@inquirer/*',
    '@peculiar/x509',
    'reflect-metadata',
    'chalk',
    'open',
    'yocto-spinner',
    // Loaded by the commands that need them (batch payments, progress bars), never at start-up.
    'csv-parse',
    'cli-progress',
    // Proxy support: loaded only when a proxy variable is set.
    'proxy-from-env',
    'https-proxy-agent',
    'http-proxy-agent',
  ],
});

// dist/wise.cjs and dist/jose.cjs are function expressions, which bin/wise compiles with node:vm and calls with the
// CommonJS arguments and its loader functions (wrapped here, not at every start, where the copy costs time). Every
// import("...") goes through __wiseImport (see the banner). Each ends with the id its code cache is named after.
function wrapForLoader(name, rewrite = (text) => text) {
  const path = join(root, 'dist', name);
  const text = rewrite(readFileSync(path, 'utf8'));
  if (/\bimport\(/.test(text)) throw new Error(`dist/${name}: an import() the build could not route`);
  if (/[\u0080-\uffff]/.test(text)) throw new Error(`dist/${name}: not ASCII (bin/wise reads it as latin1)`);
  writeFileSync(
    path,
    `(function (exports, require, module, __filename, __dirname, __wiseLoaderImport, __wiseLoaderLoad) {${text}\n})\n//# wise-build=${randomBytes(16).toString('hex')}\n`,
  );
}
wrapForLoader('wise.cjs', (text) => text.replace(/\bimport\((?=["'])/g, '__wiseImport('));
wrapForLoader('jose.cjs');

// The code caches: one `wise api` call against a throwaway local server, whose run leaves V8's compiled code behind;
// and one use of each JOSE operation for dist/jose.cjs.
if (!process.env.WISE_BUILD_NO_CODE_CACHE) {
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('[]'));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const config = mkdtempSync(join(tmpdir(), 'wise-build-'));
  const env = {
    PATH: process.env.PATH,
    HOME: config,
    WISE_CONFIG_DIR: config,
    WISE_API_URL: `http://127.0.0.1:${server.address().port}`,
    WISE_TOKEN: 'build-time-token',
  };
  const train = async (...args) => {
    const child = spawn(process.execPath, [join(root, 'scripts/train-code-cache.cjs'), ...args], {
      env,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const code = await new Promise((resolve) => child.on('exit', resolve));
    if (code !== 0) throw new Error(`making the code cache of ${args[0]} failed (exit ${code})`);
  };
  try {
    await train('wise.cjs', 'api', '/v2/profiles');
    await train('jose.cjs');
  } finally {
    server.close();
    rmSync(config, { recursive: true, force: true });
  }
}
