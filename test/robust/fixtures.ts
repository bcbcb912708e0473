/**
 * Small models for the attack tests: a linear classifier whose loss gradient is known in closed
 * form, and a tiny ReLU CNN.
 */
import { Model } from '../../src/engine/model.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { buildModel } from '../../src/onnx/builder.js';
import { normalFrom, seededRandom } from '../../src/tensor/random.js';
import type { Tensor } from '../../src/tensor/tensor.js';

/** A linear classifier: logits = W·flatten(x) + b, with W given as [classes][values]. */
export interface Linear {
  readonly w: readonly (readonly number[])[];
  readonly b: readonly number[];
  readonly shape: readonly number[];
}

/** The model of a {@link Linear} classifier: Flatten, then Gemm with W transposed. */
export async function linearModel(spec: Linear): Promise<Model> {
  const k = spec.w.length;
  const per = spec.w[0]?.length as number;
  const wt = new Float32Array(per * k);
  for (let c = 0; c < k; c++) for (let i = 0; i < per; i++) wt[i * k + c] = spec.w[c]?.[i] as number;
  const bytes = buildModel({
    inputs: [{ name: 'x', dims: ['N', ...spec.shape] }],
    outputs: ['logits'],
    build: (b) => {
      const flat = b.op('Flatten', ['x'], { axis: 1 });
      b.op('Gemm', [flat, b.constFloat(wt, [per, k], 'w'), b.constFloat(spec.b, [k], 'b')], {}, { outputs: ['logits'] });
    },
  });
  return Model.load(bytes, { runtime: nodeRuntime, name: 'linear', optimization: 'disabled' });
}

/** The logits of one sample of a linear classifier, in double precision. */
export function linearLogits(spec: Linear, x: ArrayLike<number>): number[] {
  return spec.w.map((row, c) => row.reduce((s, w, i) => s + w * (x[i] as number), spec.b[c] as number));
}

/** dCE/dx of one sample in closed form: Wᵀ(softmax(logits) − onehot(target)). */
export function linearLossGradient(spec: Linear, x: ArrayLike<number>, target: number): number[] {
  const z = linearLogits(spec, x);
  const max = Math.max(...z);
  const e = z.map((v) => Math.exp(v - max));
  const sum = e.reduce((a, v) => a + v, 0);
  const p = e.map((v, c) => v / sum - (c === target ? 1 : 0));
  const per = spec.w[0]?.length as number;
  return Array.from({ length: per }, (_, i) => spec.w.reduce((s, row, c) => s + row[i]! * p[c]!, 0));
}

/** A tiny ReLU CNN [N, 3, 8, 8] → [N, 4] with seeded weights. */
export async function tinyCnn(seed = 11): Promise<Model> {
  const normal = normalFrom(seededRandom(seed));
  const conv1 = Float32Array.from({ length: 6 * 3 * 9 }, () => normal() * 0.4);
  const conv2 = Float32Array.from({ length: 8 * 6 * 9 }, () => normal() * 0.3);
  const dense = Float32Array.from({ length: 8 * 4 }, () => normal() * 0.8);
  const bytes = buildModel({
    inputs: [{ name: 'x', dims: ['N', 3, 8, 8] }],
    outputs: ['logits'],
    build: (b) => {
      const c1 = b.op('Conv', ['x', b.weight('c1.w', conv1, [6, 3, 3, 3]), b.weight('c1.b', [0.1, -0.1, 0.05, 0, 0.2, -0.05], [6])], { pads: [1, 1, 1, 1] });
      const r1 = b.op('Relu', [c1]);
      const p1 = b.op('MaxPool', [r1], { kernel_shape: [2, 2], strides: [2, 2] });
      const c2 = b.op('Conv', [p1, b.weight('c2.w', conv2, [8, 6, 3, 3]), b.weight('c2.b', new Array(8).fill(0.02), [8])], { pads: [1, 1, 1, 1] });
      const r2 = b.op('Relu', [c2]);
      const g = b.op('GlobalAveragePool', [r2]);
      const f = b.op('Flatten', [g], { axis: 1 });
      b.op('Gemm', [f, b.weight('fc.w', dense, [8, 4]), b.weight('fc.b', [0, 0.1, -0.1, 0.05], [4])], {}, { outputs: ['logits'] });
    },
  });
  return Model.load(bytes, { runtime: nodeRuntime, name: 'tiny-cnn' });
}

/** Seeded N(0, stdev²) values of a shape. */
export function normalInput(shape: readonly number[], seed: number, stdev = 1): Tensor {
  const normal = normalFrom(seededRandom(seed));
  const n = shape.reduce((a, b) => a * b, 1);
  return { data: Float32Array.from({ length: n }, () => normal() * stdev), shape: [...shape] };
}
