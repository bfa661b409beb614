// Makes dist/wise.cjs.<build id>.cache: runs bin/wise once with the arguments given, then saves V8's code cache of the
// bundle, which by then holds the functions that run used (the start-up path of an API call). Run by the build.
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
globalThis[Symbol.for('wise.train-code-cache')] = (data, id) => {
  if (!id) throw new Error('dist/wise.cjs carries no build id');
  writeFileSync(join(root, 'dist', `wise.cjs.${id}.cache`), data);
};
process.argv = [process.argv[0], join(root, 'bin', 'wise'), ...process.argv.slice(2)];
require('../bin/wise');
