/**
 * Builds the bundled default model, `assets/models/nsfw-mobilenet_v2-logits.onnx` (+ sidecar,
 * licence and provenance), from the `nsfwjs` development dependency with Lucerna's own converter.
 * The conversion is deterministic: `--check` rebuilds in memory and fails when the committed
 * asset differs (run it after a converter change, then rebuild and commit).
 *
 *   node --import tsx scripts/build-default-model.ts           # (re)write assets/models/
 *   node --import tsx scripts/build-default-model.ts --check   # exit 1 when the asset is stale
 */
import { createHash } from 'node:crypto';
import { copyFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bundledModelPath } from '../src/convert/default-model.js';
import { writeConvertedModel } from '../src/convert/node.js';
import { convertNsfwjsMobileNetV2, DEFAULT_MODEL_REVISION, nsfwjsPackageDir, nsfwjsVersion } from '../src/convert/nsfwjs.js';
import { isLucernaError } from '../src/errors.js';
import { writeFileAtomic } from '../src/io/write.js';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

try {
  const converted = await convertNsfwjsMobileNetV2(true);
  const target = bundledModelPath();
  if (process.argv.includes('--check')) {
    const shipped = new Uint8Array(await readFile(target));
    if (sha256(shipped) !== sha256(converted.onnx)) {
      console.error(`${target} differs from a fresh conversion: rebuild it with scripts/build-default-model.ts`);
      process.exitCode = 1;
    } else {
      console.log(`${target} is up to date`);
    }
  } else {
    await writeConvertedModel(converted, target);
    const dir = join(target, '..');
    await copyFile(join(await nsfwjsPackageDir(), 'LICENSE'), join(dir, 'LICENSE-nsfwjs.txt'));
    const provenance = {
      file: target.slice(dir.length + 1),
      sha256: sha256(converted.onnx),
      bytes: converted.onnx.length,
      source: { package: 'nsfwjs', version: await nsfwjsVersion(), path: 'dist/models/mobilenet_v2/', license: 'MIT (LICENSE-nsfwjs.txt)' },
      converter: { script: 'scripts/build-default-model.ts', revision: DEFAULT_MODEL_REVISION, logits: true },
    };
    await writeFileAtomic(join(dir, 'PROVENANCE.json'), `${JSON.stringify(provenance, null, 2)}\n`);
    console.log(target);
  }
} catch (e) {
  console.error(isLucernaError(e) ? e.oneLine() : e);
  process.exitCode = 1;
}
