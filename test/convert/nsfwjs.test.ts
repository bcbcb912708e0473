/**
 * The bundled default model: nsfwjs' MobileNetV2 converted to ONNX must give the probabilities
 * TF.js computes from the same model.json and weights (cpu backend), on real photos.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import sharp from 'sharp';
import { convertLayersModelWithSidecar } from '../../src/convert/convert.js';
import { bundledModelPath } from '../../src/convert/default-model.js';
import { convertNsfwjsMobileNetV2, defaultModelPath, loadNsfwjsMobileNetV2, NSFWJS_PREPROCESSING, nsfwjsLabels } from '../../src/convert/nsfwjs.js';
import { readSidecar } from '../../src/io/sidecar.js';
import { graphFromBytes } from '../../src/onnx/builder.js';
import { sharedDir } from '../helpers/oracle.js';
import { type Artifacts, assertAllClose, loadArtifacts, runOnnx, tfPredict } from './tfjs-harness.js';

const IMAGES = ['astronaut.png', 'chelsea.png', 'coffee.png'].map((f) => join(sharedDir, 'images', f));
const SIZE = 224;

/** Decodes and stretches each photo to 224×224 RGB, scaled to [0, 1] as nsfwjs does; one NHWC batch. */
async function photoBatch(): Promise<Float32Array> {
  const batch = new Float32Array(IMAGES.length * SIZE * SIZE * 3);
  for (const [i, path] of IMAGES.entries()) {
    const pixels = await sharp(path).removeAlpha().resize(SIZE, SIZE, { fit: 'fill' }).raw().toBuffer();
    assert.equal(pixels.length, SIZE * SIZE * 3);
    batch.set(
      Float32Array.from(pixels, (v) => v / 255),
      i * pixels.length,
    );
  }
  return batch;
}

describe('nsfwjs MobileNetV2 as the default model', () => {
  test('the converted model matches TF.js on three photos to 1e-4', async () => {
    const { modelJson, weightData } = await loadNsfwjsMobileNetV2();
    const artifacts = { modelJson, weightData } as Artifacts;
    const shape = [IMAGES.length, SIZE, SIZE, 3];
    const input = await photoBatch();
    const reference = await tfPredict(await loadArtifacts(artifacts), input, shape);
    const converted = convertLayersModelWithSidecar(modelJson, weightData, { logits: false });
    assert.deepEqual(converted.facts.input.dims, ['N', 3, SIZE, SIZE]);
    const probs = (await runOnnx(converted.onnx, input, shape)).dense_3 as Float32Array;
    assertAllClose(probs, reference, 1e-4, 'nsfwjs probabilities');
    const winners = [0, 1, 2].map((i) => probs.subarray(i * 5, i * 5 + 5).indexOf(Math.max(...probs.subarray(i * 5, i * 5 + 5))));
    assert.ok(
      winners.every((w) => w === 2),
      `ordinary photos are Neutral (class 2), got ${winners}`,
    );

    const logits = (await runOnnx(convertLayersModelWithSidecar(modelJson, weightData, { logits: true }).onnx, input, shape)).dense_3 as Float32Array;
    for (let i = 0; i < IMAGES.length; i++) {
      const row = logits.subarray(i * 5, i * 5 + 5);
      const denom = row.reduce((s, v) => s + Math.exp(v), 0);
      assertAllClose(
        Array.from(row, (v) => Math.exp(v) / denom),
        probs.subarray(i * 5, i * 5 + 5),
        1e-5,
        `softmax(logits) of image ${i}`,
      );
    }
  });

  test('the Grad-CAM layers keep their Keras names', async () => {
    const { modelJson, weightData } = await loadNsfwjsMobileNetV2();
    const graph = graphFromBytes(convertLayersModelWithSidecar(modelJson, weightData).onnx);
    const tensors = new Set(graph.tensorNames());
    for (const name of ['input_1', 'Conv1_relu', 'block_16_project_BN', 'out_relu', 'average_pooling2d_1', 'dense_3']) assert.ok(tensors.has(name), name);
    assert.equal(graph.nodes.filter((n) => n.opType === 'BatchNormalization').length, 0, 'every BN folds into its conv');
  });

  test('labels and preprocessing come from the nsfwjs package', async () => {
    assert.deepEqual(await nsfwjsLabels(), ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy']);
    const core = await readFile(join(import.meta.dirname, '../../node_modules/nsfwjs/dist/esm/core.js'), 'utf8');
    assert.match(core, /IMAGE_SIZE = 224/);
    assert.match(core, /normalizationOffset = tf\.scalar\(255\)/);
    assert.deepEqual(NSFWJS_PREPROCESSING.size, [224, 224]);
    assert.equal(NSFWJS_PREPROCESSING.normalization, 'unit');
  });

  test('the shipped asset is exactly what the converter makes from nsfwjs today', async () => {
    const shipped = new Uint8Array(await readFile(bundledModelPath()));
    const fresh = (await convertNsfwjsMobileNetV2(true)).onnx;
    const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
    assert.equal(sha(shipped), sha(fresh), 'rebuild with scripts/build-default-model.ts');
    const provenance = JSON.parse(await readFile(join(bundledModelPath(), '../PROVENANCE.json'), 'utf8')) as { sha256: string };
    assert.equal(provenance.sha256, sha(shipped));
  });

  test('defaultModelPath: the shipped logits file, and a probabilities variant derived once into the cache', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'lucerna-default-model-'));
    try {
      assert.equal(await defaultModelPath({ logits: true, cacheDir }), bundledModelPath());
      const path = await defaultModelPath({ cacheDir });
      assert.ok(path.startsWith(cacheDir) && path.endsWith('.onnx'));
      const first = await stat(path);
      assert.equal(await defaultModelPath({ cacheDir }), path);
      assert.equal((await stat(path)).mtimeMs, first.mtimeMs, 'not derived again');
      const sidecar = await readSidecar(path);
      assert.deepEqual(sidecar?.labels, ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy']);
      assert.deepEqual(sidecar?.preprocessing, { ...NSFWJS_PREPROCESSING });
      const graph = graphFromBytes(new Uint8Array(await readFile(path)));
      assert.deepEqual(
        graph.outputs.map((o) => o.name),
        ['dense_3'],
      );
      // The derived variant computes what the converter's own softmax variant computes.
      const input = await photoBatch();
      const shape = [IMAGES.length, SIZE, SIZE, 3];
      const derived = (await runOnnx(new Uint8Array(await readFile(path)), input, shape)).dense_3 as Float32Array;
      const converted = (await runOnnx((await convertNsfwjsMobileNetV2(false)).onnx, input, shape)).dense_3 as Float32Array;
      assertAllClose(derived, converted, 1e-6, 'derived vs converted probabilities');
    } finally {
      await rm(cacheDir, { recursive: true, force: true });
    }
  });
});
