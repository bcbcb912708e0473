import assert from 'node:assert/strict';
import { it } from 'node:test';
import { discoverBias } from '../../src/diagnosis/bias/discover.js';
import { Model } from '../../src/engine/model.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { buildModel } from '../../src/onnx/builder.js';
import type { Tensor } from '../../src/tensor/tensor.js';

// Input channel 0 carries the background cue (stripes), channel 1 the object (bird). A 1×1 conv
// copies them to filters 0 and 1 ("features"); a GAP + linear head scores bird and cat. The
// biased head also adds the stripes filter to the bird score: the shortcut a biased set teaches.
function model(biased: boolean): Uint8Array {
  const head = [biased ? 1 : 0, 2, 0, -2]; // [bird: stripes, object; cat: stripes, object]
  return buildModel({
    inputs: [{ name: 'input', dims: [8, 2, 3, 3] }],
    outputs: ['logits'],
    build: (b) => {
      const relu = b.op('Relu', [b.op('Conv', ['input', b.weight('k', Float32Array.from([1, 0, 0, 1]), [2, 2, 1, 1])])], {}, { outputs: ['features'] });
      const flat = b.op('Flatten', [b.op('GlobalAveragePool', [relu])], { axis: 1 });
      b.op('Gemm', [flat, b.weight('w', Float32Array.from(head), [2, 2])], { transB: 1 }, { outputs: ['logits'] });
    },
  });
}

// An unbiased reference: 4 birds and 4 cats, half of each with stripes.
const labels = [0, 0, 0, 0, 1, 1, 1, 1];
const stripes = [1, 1, 0, 0, 1, 1, 0, 0];
const x: Tensor = {
  data: Float32Array.from(labels.flatMap((y, n) => [...new Array<number>(9).fill(stripes[n] as number), ...new Array<number>(9).fill(y === 0 ? 1 : 0)])),
  shape: [8, 2, 3, 3],
};
const reference = {
  classes: ['bird', 'cat'],
  labels,
  attributes: ['background=stripes', 'background=plain'],
  indicators: stripes.map((s) => [s, 1 - s]),
};

it('discoverBias ranks the planted bird–stripes relation first on the biased model', async () => {
  await using m = await Model.load(model(true), { runtime: nodeRuntime });
  const relations = await discoverBias(m, x, 'features', reference, { filtersPerAttribute: 1, threshold: 0.3, batchSize: 3 });
  const top = relations[0];
  assert.equal(top?.className, 'bird');
  assert.equal(top?.attribute, 'background=stripes');
  assert.deepEqual(top?.filters, [0]);
  assert.ok(top?.flagged && Math.abs(top.groundTruth) < 1e-12 && Math.abs(top.bias) > 0.99);
  assert.deepEqual(
    relations
      .filter((r) => r.flagged)
      .map((r) => `${r.className}:${r.attribute}`)
      .sort(),
    // `background=plain` is exactly 1 − `background=stripes` here: the same finding, listed once.
    ['bird:background=stripes'],
  );
});

it('discoverBias flags nothing on the clean model at the same threshold', async () => {
  await using m = await Model.load(model(false), { runtime: nodeRuntime });
  const relations = await discoverBias(m, x, 'features', reference, { filtersPerAttribute: 1, threshold: 0.3 });
  assert.equal(relations.filter((r) => r.flagged).length, 0);
});
