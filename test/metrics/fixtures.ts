/**
 * Test models and data for the metric tests: a linear model whose score is a known function of the
 * pixels, so curves, areas and infidelity can be computed by hand.
 */
import { Model } from '../../src/engine/model.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { buildModel } from '../../src/onnx/builder.js';
import { normalFrom, seededRandom } from '../../src/tensor/random.js';
import { sizeOf, type Tensor } from '../../src/tensor/tensor.js';

/**
 * A model [N, C, H, W] → [N, 2]: logit 0 = Σ w ⊙ x + bias, logit 1 = −logit 0. A Flatten and a
 * Gemm, so the gradient of logit 0 is exactly `weights` everywhere.
 */
export async function linearModel(shape: readonly [number, number, number], weights: ArrayLike<number>, bias = 0): Promise<Model> {
  const per = sizeOf(shape);
  const w = new Float32Array(per * 2);
  for (let i = 0; i < per; i++) {
    w[i * 2] = weights[i] as number;
    w[i * 2 + 1] = -(weights[i] as number);
  }
  const bytes = buildModel({
    inputs: [{ name: 'x', dims: ['N', ...shape] }],
    outputs: ['logits'],
    build: (b) => {
      const flat = b.op('Flatten', ['x'], { axis: 1 });
      b.op('Gemm', [flat, b.constFloat(w, [per, 2], 'w'), b.constFloat([bias, -bias], [2], 'b')], {}, { outputs: ['logits'] });
    },
  });
  return Model.load(bytes, { runtime: nodeRuntime, name: 'linear' });
}

/** A tiny ReLU network [N, 1, 4, 4] → [N, 2] (a 3×3 conv, ReLU, a Gemm): nonlinear, with parametrised layers. */
export function tinyConvNetBytes(seed = 3): Uint8Array {
  const normal = normalFrom(seededRandom(seed));
  const conv = Float32Array.from({ length: 2 * 9 }, () => normal() * 0.5);
  const dense = Float32Array.from({ length: 2 * 16 * 2 }, () => normal() * 0.3);
  return buildModel({
    inputs: [{ name: 'x', dims: ['N', 1, 4, 4] }],
    outputs: ['logits'],
    build: (b) => {
      const c = b.op('Conv', ['x', b.weight('conv.w', conv, [2, 1, 3, 3]), b.weight('conv.b', [0.1, -0.2], [2])], { pads: [1, 1, 1, 1] }, { name: 'conv' });
      const r = b.op('Relu', [c], {}, { name: 'relu' });
      const f = b.op('Flatten', [r], { axis: 1 });
      b.op('Gemm', [f, b.weight('dense.w', dense, [32, 2]), b.weight('dense.b', [0.05, 0.02], [2])], {}, { outputs: ['logits'], name: 'dense' });
    },
  });
}

/** Seeded N(0, 1) values of a shape. */
export function normalTensor(shape: readonly number[], seed: number): Tensor {
  const normal = normalFrom(seededRandom(seed));
  return { data: Float32Array.from({ length: sizeOf(shape) }, () => normal()), shape: [...shape] };
}

/** w ⊙ x: the exact contributions of a linear model's pixels. */
export function contributions(weights: ArrayLike<number>, x: Tensor): Tensor {
  const per = weights.length;
  return { data: x.data.map((v, i) => v * (weights[i % per] as number)), shape: [...x.shape] };
}
