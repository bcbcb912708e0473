#!/usr/bin/env node
/**
 * Copies onnxruntime-node's runtime files (dist/ and the prebuilt CPU binaries in bin/, for every
 * platform it ships) into vendor/onnxruntime-node/, run by `npm pack` (prepack). A packed Lucerna
 * loads that copy, so installing it never runs onnxruntime-node's install script, whose default on
 * Linux x64 downloads the CUDA provider from a NuGet feed (it fails offline, and CPU users never
 * need it). Files are copied unchanged; the package's MIT licence travels in its package.json and
 * README. `onnxruntime-common`, which dist/ requires, is one of Lucerna's dependencies.
 *
 *   node scripts/vendor-onnxruntime.mjs          # (re)write vendor/onnxruntime-node
 *   node scripts/vendor-onnxruntime.mjs --clean  # remove it (postpack), so a checkout uses node_modules
 */
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, 'vendor', 'onnxruntime-node');
await rm(join(root, 'vendor'), { recursive: true, force: true });
if (!process.argv.includes('--clean')) {
  const require = createRequire(join(root, 'package.json'));
  const source = dirname(require.resolve('onnxruntime-node/package.json'));
  const pkg = JSON.parse(await readFile(join(source, 'package.json'), 'utf8'));
  const own = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
  const common = own.dependencies?.['onnxruntime-common'];
  if (common !== pkg.version) {
    throw new Error(`onnxruntime-common ${common} in package.json must equal the vendored onnxruntime-node ${pkg.version}`);
  }
  await mkdir(target, { recursive: true });
  for (const part of ['dist', 'bin', 'README.md']) {
    await cp(join(source, part), join(target, part), { recursive: true, filter: (f) => !f.endsWith('.map') && !f.endsWith('.d.ts') });
  }
  // The manifest without its scripts: the copy is a plain folder npm never treats as a package.
  const { scripts: _scripts, devDependencies: _dev, ...manifest } = pkg;
  await writeFile(join(target, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  console.log(`vendored onnxruntime-node ${pkg.version} into ${target}`);
}
