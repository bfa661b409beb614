// Makes dist/<bundle>.<build id>.cache, V8's code cache of a bundle once a typical run has compiled what it uses:
//   node scripts/train-code-cache.cjs wise.cjs <wise arguments...>   runs bin/wise with those arguments
//   node scripts/train-code-cache.cjs commands.cjs <wise arguments...>   the same, for a command of dist/commands.cjs
//   node scripts/train-code-cache.cjs jose.cjs                       signs, verifies, encrypts, decrypts with jose
// Run by the build.
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const [name, ...args] = process.argv.slice(2);
const hook = {
  name,
  // The bundles of the tool's code learn from a run of the tool; dist/jose.cjs from the calls below.
  runsTheTool: name !== 'jose.cjs',
  save(data, id) {
    if (!id) throw new Error(`dist/${name} carries no build id`);
    writeFileSync(join(root, 'dist', `${name}.${id}.cache`), data);
  },
};
globalThis[Symbol.for('wise.train-code-cache')] = hook;
process.argv = [process.argv[0], join(root, 'bin', 'wise'), ...args];
require('../bin/wise');

if (name === 'jose.cjs') {
  const jose = hook.load('jose.cjs');
  const { createPublicKey, generateKeyPairSync } = require('node:crypto');
  const run = async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const payload = new TextEncoder().encode('{"train":true}');
    const jws = await new jose.CompactSign(payload).setProtectedHeader({ alg: 'ES256', kid: 'k', url: '/x' }).sign(ec);
    jose.decodeProtectedHeader(jws);
    await jose.compactVerify(jws, createPublicKey(ec), { algorithms: ['ES256'] });
    const jwe = await new jose.CompactEncrypt(new TextEncoder().encode(jws))
      .setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM', url: '/x', cty: 'JWT' })
      .encrypt(createPublicKey(rsa));
    await jose.compactDecrypt(jwe, rsa, {
      keyManagementAlgorithms: ['RSA-OAEP-256'],
      contentEncryptionAlgorithms: ['A256GCM'],
    });
    await jose.calculateJwkThumbprint(createPublicKey(ec).export({ format: 'jwk' }));
  };
  run().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
