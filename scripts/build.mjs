#!/usr/bin/env node
// Type-checks with tsc, then bundles src/ with esbuild into one CommonJS file, dist/wise.cjs. Start-up time is a
// feature for a tool that shell loops call thousands of times: one file loaded with require() starts ~10 ms faster
// than a graph of ES modules. Modules reached through import() stay lazy inside the bundle: a command's code runs
// only when that command does.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
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
  // The sources are ES modules; in the CommonJS bundle import.meta.url becomes the bundle's own URL.
  define: { 'import.meta.url': '__wiseBundleUrl' },
  banner: { js: "const __wiseBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
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

await build({ ...common, entryPoints: ['src/mock/server.ts'], outfile: 'dist/mock.cjs', external: ['jose'] });
await build({
  ...common,
  entryPoints: ['src/main.ts'],
  outfile: 'dist/wise.cjs',
  plugins: [emulatorAsItsOwnBundle],
  // Dependencies stay in node_modules, except commander, which every run loads: bundled and minified it is a third
  // of its published size (mostly JSDoc), and parse time grows with size.
  external: [
    '@napi-rs/keyring',
    '@inquirer/*',
    '@peculiar/x509',
    'chalk',
    'jose',
    'open',
    'yocto-spinner',
    // Proxy support: loaded only when a proxy variable is set.
    'proxy-from-env',
    'https-proxy-agent',
    'http-proxy-agent',
  ],
});
