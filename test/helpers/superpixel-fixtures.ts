/**
 * Fixtures shared by the LIME and KernelSHAP tests: an image with a coloured rectangle on a known
 * region and a model whose score depends only on that region.
 */
import assert from 'node:assert/strict';
import { buildModel } from '../../src/onnx/builder.js';
import { seededRandom } from '../../src/tensor/random.js';
import type { Tensor } from '../../src/tensor/tensor.js';

/** A method-specific detail of a result, failing the test when it is missing. */
export function detail<T>(r: { details?: Readonly<Record<string, unknown>> }, key: string): T {
  const v = r.details?.[key];
  assert.ok(v !== undefined, `details.${key} is missing`);
  return v as T;
}

export const H = 32;
export const W = 32;
/** The region the test model looks at: rows 8..19, columns 10..23. */
export const inRegion = (y: number, x: number) => y >= 8 && y < 20 && x >= 10 && x < 24;

/** A smooth background with a little noise and a distinctly coloured rectangle on the region. */
export function regionImage(seed: number): Tensor {
  const next = seededRandom(seed);
  const data = new Float32Array(3 * H * W);
  const colour = [0.95, 0.15, 0.1];
  const phase = 6 * next();
  for (let p = 0; p < H * W; p++) {
    const [y, x] = [Math.floor(p / W), p % W];
    const background = [
      0.15 + 0.1 * Math.sin(x / 5 + phase),
      0.45 + 0.3 * Math.sin(y / 6 + phase) * Math.cos(x / 7),
      0.5 + 0.3 * Math.cos((x + y) / 8 - phase),
    ];
    for (let c = 0; c < 3; c++) data[c * H * W + p] = inRegion(y, x) ? (colour[c] as number) : (background[c] as number) + 0.04 * (next() - 0.5);
  }
  return { data, shape: [1, 3, H, W] };
}

/** Logits [N, 2]: class 0 = (mean red value over the region)², class 1 = its negative. Nothing else matters. */
export function regionModelBytes(): Uint8Array {
  const weights = new Float32Array(3 * H * W * 2);
  const area = 12 * 14;
  for (let p = 0; p < H * W; p++) {
    if (!inRegion(Math.floor(p / W), p % W)) continue;
    weights[p * 2] = 1 / area;
    weights[p * 2 + 1] = 1 / area;
  }
  return buildModel({
    inputs: [{ name: 'x', dims: ['N', 3, H, W] }],
    outputs: ['logits'],
    build: (b) => {
      const mean = b.op('MatMul', [b.op('Flatten', ['x'], { axis: 1 }), b.weight('w', weights, [3 * H * W, 2])]);
      const square = b.op('Mul', [mean, mean]);
      b.op('Mul', [square, b.constFloat([1, -1], [1, 2])], {}, { outputs: ['logits'] });
    },
  });
}

/** Share of the positive attribution mass (channel 0) that lies inside the region. */
export function positiveMassInside(a: Tensor): number {
  let inside = 0;
  let total = 0;
  for (let p = 0; p < H * W; p++) {
    const v = Math.max(0, a.data[p] as number);
    total += v;
    if (inRegion(Math.floor(p / W), p % W)) inside += v;
  }
  return inside / total;
}
