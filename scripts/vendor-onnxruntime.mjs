#!/usr/bin/env node
/**
 * Copies onnxruntime-node's runtime files (dist/ and the prebuilt CPU binaries in bin/, for every
 * platform it ships) into vendor/onnxruntime-node/, run by `npm pack` (prepack). A packed Lucerna
 * loads that copy, so installing it never runs onnxruntime-node's install script, whose default on
 * Linux x64 downloads the CUDA provider from a NuGet feed (it fails offline, and CPU users never
 * need it). Files are copied unchanged; the package's MIT licence travels in its package.json and
 * README. `onnxruntime-common`, which dist/ requires, is one of Lucerna's dependencies.
 *
 * One file is left out: on macOS the package ships the runtime twice, as `libonnxruntime.1.dylib`
 * and a byte-identical `libonnxruntime.1.<minor>.<patch>.dylib` (npm tarballs cannot hold symlinks).
 * The binding links `@rpath/libonnxruntime.1.dylib` and that is the library's install name, so the
 * versioned copy is never loaded; dropping it saves 43 MiB of the packed install. A versioned copy
 * that differs from the short-named one is kept.
 *
 *   node scripts/vendor-onnxruntime.mjs          # (re)write vendor/onnxruntime-node
 *   node scripts/vendor-onnxruntime.mjs --clean  # remove it (postpack), so a checkout uses node_modules
 */
import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
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
  const dropped = await dropVersionedDuplicates(join(target, 'bin'));
  for (const file of dropped) console.log(`left out ${file} (a byte-identical copy of the library the binding loads)`);
  // The manifest without its scripts: the copy is a plain folder npm never treats as a package.
  const { scripts: _scripts, devDependencies: _dev, ...manifest } = pkg;
  await writeFile(join(target, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  console.log(`vendored onnxruntime-node ${pkg.version} into ${target}`);
}

/**
 * Removes every `libonnxruntime.<major>.<minor>.<patch>.dylib` under `dir` whose bytes equal the
 * `libonnxruntime.<major>.dylib` beside it, and returns the removed paths.
 */
async function dropVersionedDuplicates(dir) {
  const removed = [];
  for (const entry of await readdir(dir, { recursive: true })) {
    const match = /^(.*\/)?libonnxruntime\.(\d+)\.\d+\.\d+\.dylib$/.exec(entry);
    if (!match) continue;
    const versioned = join(dir, entry);
    const short = join(dir, match[1] ?? '', `libonnxruntime.${match[2]}.dylib`);
    const [a, b] = await Promise.all([readFile(versioned), readFile(short).catch(() => null)]);
    if (b && a.equals(b)) {
      await rm(versioned);
      removed.push(versioned);
    }
  }
  return removed;
}
