/**
 * Network inversion (Mahendran & Vedaldi 2015): a shallow layer of the test model gives the image
 * back (PSNR ≥ 20 dB), the loss falls, and the regularisers' gradients match finite differences.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Model } from '../../src/engine/model.js';
import { isLucernaError } from '../../src/errors.js';
import { loadImageTensor } from '../../src/io/image.js';
import { hwcToChw } from '../../src/io/preprocess.js';
import { seededRandom } from '../../src/tensor/random.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { addAlphaNorm, addTotalVariation, invert, psnr } from '../../src/visualization/inversion.js';
import { DEEP_LAYER, loadEdgeModel, SHALLOW_LAYER, sharedImages } from './models.js';

/** Checks `add(x, grad)` against central differences of its value. */
function checkGradient(add: (x: Float32Array, grad: Float32Array) => number, x: Float32Array): void {
  const grad = new Float32Array(x.length);
  add(x, grad);
  const probe = seededRandom(3);
  for (let t = 0; t < 10; t++) {
    const i = Math.floor(probe() * x.length);
    const saved = x[i] as number;
    const eps = 1e-2 * Math.max(1, Math.abs(saved));
    x[i] = saved + eps;
    const up = add(x, new Float32Array(x.length));
    x[i] = saved - eps;
    const down = add(x, new Float32Array(x.length));
    x[i] = saved;
    const numeric = (up - down) / (2 * eps);
    assert.ok(Math.abs(numeric - (grad[i] as number)) <= 1e-2 * Math.abs(numeric) + 1e-6, `at ${i}: ${numeric} vs ${grad[i]}`);
  }
}

describe('network inversion', () => {
  const size = 32;
  let model: Model;
  let input: Tensor;
  let reference: Tensor;
  before(async () => {
    model = await loadEdgeModel(size);
    const loaded = await loadImageTensor(join(sharedImages, 'chelsea.png'), { size: [size, size], normalization: 'imagenet' });
    input = loaded.tensor;
    reference = { data: hwcToChw(loaded.image.rgb, size, size, 3).map((v) => v / 255), shape: [1, 3, size, size] };
  });
  after(() => model.dispose());

  it('inverting a shallow layer recovers the input with PSNR ≥ 20 dB', async () => {
    const result = await invert(model, input, SHALLOW_LAYER, { reference, steps: 200 });
    const quality = psnr(result.image.data, reference.data);
    assert.ok(quality >= 20, `PSNR ${quality.toFixed(2)} dB`);
    assert.equal(result.tvWeight, 1, "the paper's weight for the first layers");
    assert.equal(result.loss.length, 200);
    assert.ok(
      (result.codeDistance.at(-1) as number) < 0.2 * (result.codeDistance[0] as number),
      `code distance ${result.codeDistance[0]} → ${result.codeDistance.at(-1)}`,
    );
    assert.ok((result.loss.at(-1) as number) < (result.loss[0] as number));
  });

  it('a deeper layer is inverted with a stronger total variation and still fits its code', async () => {
    const result = await invert(model, input, DEEP_LAYER, { reference, steps: 100 });
    assert.equal(result.tvWeight, 10);
    assert.ok((result.codeDistance.at(-1) as number) < 0.5 * (result.codeDistance[0] as number));
    assert.ok(psnr(result.image.data, reference.data) > 10);
  });

  it('the α-norm and total-variation gradients match finite differences', () => {
    const u = seededRandom(8);
    const x = Float32Array.from({ length: 3 * 6 * 7 }, () => (u() - 0.5) * 200);
    checkGradient((v, g) => addAlphaNorm(v, 6, 8e-10, 1e-6, g), x);
    checkGradient((v, g) => addTotalVariation(v, [3, 6, 7], 2, 1, 1e-3, g), x);
    checkGradient((v, g) => addTotalVariation(v, [3, 6, 7], 1.5, 10, 1e-3, g), x);
  });

  it('PSNR is infinite for equal images and 20 dB for an error of 0.1', () => {
    assert.equal(psnr([0.5, 0.2], [0.5, 0.2]), Number.POSITIVE_INFINITY);
    assert.ok(Math.abs(psnr([0.6, 0.3], [0.5, 0.2]) - 20) < 1e-9);
  });

  it('an unknown layer and a weight are clear errors', async () => {
    await assert.rejects(invert(model, input, 'relu9'), (e: unknown) => isLucernaError(e, 'UNKNOWN_TENSOR') && /Closest names: .*"relu1"/.test(e.oneLine()));
    await assert.rejects(invert(model, input, 'conv1.weight'), (e: unknown) => isLucernaError(e, 'BAD_OPTION') && /weight of the model/.test(e.message));
  });
});
