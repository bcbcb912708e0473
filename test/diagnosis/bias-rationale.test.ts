import assert from 'node:assert/strict';
import { it } from 'node:test';
import { filterRationale } from '../../src/diagnosis/bias/rationale.js';
import { Model } from '../../src/engine/model.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { isLucernaError } from '../../src/errors.js';
import { buildModel } from '../../src/onnx/builder.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { rng, uniform } from '../helpers/gradcheck.js';

// Conv → Relu ("features", [N, 3, 4, 4]) → GlobalAveragePool → Flatten → Gemm (3 classes).
const W = Array.from(uniform(9, rng(7)));
const bytes = buildModel({
  inputs: [{ name: 'input', dims: [2, 2, 4, 4] }],
  outputs: ['logits'],
  build: (b) => {
    const relu = b.op(
      'Relu',
      [b.op('Conv', ['input', b.weight('k', uniform(54, rng(4)), [3, 2, 3, 3])], { pads: [1, 1, 1, 1] })],
      {},
      { outputs: ['features'] },
    );
    const flat = b.op('Flatten', [b.op('GlobalAveragePool', [relu])], { axis: 1 });
    b.op('Gemm', [flat, b.weight('w', Float32Array.from(W), [3, 3])], { transB: 1 }, { outputs: ['logits'] });
  },
});

it('filterRationale: on a GAP + linear head it is W[c,k] · mean activation (hand-derived)', async () => {
  await using model = await Model.load(bytes, { runtime: nodeRuntime });
  const x: Tensor = { data: uniform(64, rng(9)), shape: [2, 2, 4, 4] };
  const { activations, rationale } = await filterRationale(model, x, 'features', 3, { batchSize: 1 });
  // Independent check: with a linear head and no bias, Σ_k rationale = the logit (completeness).
  const logits = (await model.run(x)).logits as Tensor;
  for (let c = 0; c < 3; c++)
    for (let n = 0; n < 2; n++) {
      const sum = (rationale[c]?.[n] ?? []).reduce((s, v) => s + v, 0);
      assert.ok(Math.abs(sum - (logits.data[n * 3 + c] as number)) < 1e-5, `logit c${c} n${n}`);
    }
  assert.equal(activations.length, 2);
  for (let c = 0; c < 3; c++)
    for (let n = 0; n < 2; n++)
      for (let k = 0; k < 3; k++) {
        const expected = (W[c * 3 + k] as number) * ((activations[n]?.[k] as number) / 16);
        assert.ok(Math.abs((rationale[c]?.[n]?.[k] as number) - expected) < 1e-5, `c${c} n${n} k${k}`);
      }
  assert.ok(activations.flat().some((v) => v > 0));
});

it('filterRationale refuses a layer that is not 4-D', async () => {
  await using model = await Model.load(bytes, { runtime: nodeRuntime });
  const x: Tensor = { data: uniform(64, rng(9)), shape: [2, 2, 4, 4] };
  await assert.rejects(filterRationale(model, x, 'logits', 3), (e: unknown) => {
    assert.ok(isLucernaError(e, 'BAD_SHAPE'));
    assert.match(e.oneLine(), /rank 2.*bias discovery needs a 4-D/);
    return true;
  });
});
