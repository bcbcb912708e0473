import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeRationales, reduceRationale } from '../../../src/disentangle/tree/rationale.js';
import { Model } from '../../../src/engine/model.js';
import { nodeRuntime } from '../../../src/engine/node.js';
import { isLucernaError } from '../../../src/errors.js';
import { buildModel } from '../../../src/onnx/builder.js';
import { rng, uniform } from '../../helpers/gradcheck.js';

const bias = Float32Array.of(0.3, -0.7, 0.25);

/** conv(2→3, 3×3) → ReLU ("features") → Flatten → Gemm(+bias) → logits [1, 3]. */
export function tinyCnn(): Uint8Array {
  return buildModel({
    inputs: [{ name: 'input', dims: [1, 2, 4, 4] }],
    outputs: ['logits'],
    build: (b) => {
      const relu = b.op(
        'Relu',
        [b.op('Conv', ['input', b.weight('k', uniform(54, rng(1)), [3, 2, 3, 3])], { pads: [1, 1, 1, 1] })],
        {},
        { outputs: ['features'] },
      );
      const flat = b.op('Flatten', [relu], { axis: 1 });
      b.op('Gemm', [flat, b.weight('w', uniform(144, rng(2)), [3, 48]), b.weight('b', bias, [3])], { transB: 1 }, { outputs: ['logits'] });
    },
  });
}

describe('rationales', () => {
  it('reduces g∘x per filter by hand', () => {
    // filter 0: x = [1, 3], g = [2, 4] → x̂ = 4, Σgx = 14, ĝ = 3.5; filter 1: x = 0 → ĝ = mean g = 0.5.
    const r = reduceRationale([1, 3, 0, 0], [2, 4, 1, 0], 2, 2, 9);
    assert.deepEqual([...r.features], [4, 0]);
    assert.deepEqual([...r.gradient], [3.5, 0.5]);
    assert.equal(r.score, 9);
  });

  it('Σ_c ĝ_c·x̂_c + the head bias is the logit, the same for every batch size', async () => {
    await using model = await Model.load(tinyCnn(), { runtime: nodeRuntime });
    const data = uniform(5 * 32, rng(11));
    const source = { count: 5, fill: (row: number, out: Float32Array) => out.set(data.subarray(row * 32, (row + 1) * 32)) };
    const one = await computeRationales(model, [2, 4, 4], source, { layer: 'features', target: 1, batchSize: 1 });
    const three = await computeRationales(model, [2, 4, 4], source, { layer: 'features', target: 1, batchSize: 3 });
    assert.equal(one.length, 5);
    for (let i = 0; i < 5; i++) {
      const r = one[i];
      const s = three[i];
      assert.ok(r && s);
      const sum = r.gradient.reduce((acc, g, c) => acc + g * (r.features[c] as number), 0);
      assert.ok(Math.abs(sum + (bias[1] as number) - r.score) < 1e-4, `row ${i}: ${sum} + b vs ${r.score}`);
      assert.ok(Math.abs(r.score - s.score) < 1e-5);
      for (let c = 0; c < 3; c++) assert.ok(Math.abs((r.gradient[c] as number) - (s.gradient[c] as number)) < 1e-5);
    }
  });

  it('refuses a model without the named layer in one line', async () => {
    await using model = await Model.load(tinyCnn(), { runtime: nodeRuntime });
    const source = { count: 1, fill: (_row: number, out: Float32Array) => out.fill(0.5) };
    await assert.rejects(computeRationales(model, [2, 4, 4], source, { layer: 'featurez', target: 0 }), (e: unknown) => {
      assert.ok(isLucernaError(e, 'UNKNOWN_TENSOR') || isLucernaError(e, 'BAD_SHAPE'), String(e));
      assert.match(e.oneLine(), /featurez/);
      assert.doesNotMatch(e.oneLine(), /\n/);
      return true;
    });
  });
});
