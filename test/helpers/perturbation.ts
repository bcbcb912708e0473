import assert from 'node:assert/strict';
import { isLucernaError } from '../../src/errors.js';
/**
 * Test models for perturbation methods: a class score that depends only on one known image region.
 */
import { buildModel } from '../../src/onnx/builder.js';
import type { Tensor } from '../../src/tensor/tensor.js';

/** A half-open pixel rectangle [y0, y1) × [x0, x1). */
export interface Region {
  readonly y0: number;
  readonly y1: number;
  readonly x0: number;
  readonly x1: number;
}

const inside = (r: Region, y: number, x: number): boolean => y >= r.y0 && y < r.y1 && x >= r.x0 && x < r.x1;

/**
 * A model [N, C, H, W] → logits [N, 2]: s = Σ x ⊙ 1[region] (a constant mask multiply and a
 * ReduceSum), then a Gemm to two classes, logit 0 = s − offset and logit 1 = offset − s.
 */
export function regionModel(channels: number, height: number, width: number, region: Region, offset = 0): Uint8Array {
  const mask = new Float32Array(channels * height * width);
  for (let c = 0; c < channels; c++)
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) mask[(c * height + y) * width + x] = inside(region, y, x) ? 1 : 0;
  return buildModel({
    inputs: [{ name: 'x', dims: ['N', channels, height, width] }],
    outputs: ['logits'],
    build: (b) => {
      const masked = b.op('Mul', ['x', b.constFloat(mask, [1, channels, height, width], 'region')]);
      const sum = b.op('ReduceSum', [masked, b.constInt64([1, 2, 3])], { keepdims: 1 });
      const flat = b.op('Flatten', [sum], { axis: 1 });
      b.op('Gemm', [flat, b.constFloat([1, -1], [1, 2], 'w'), b.constFloat([-offset, offset], [2], 'bias')], {}, { outputs: ['logits'] });
    },
  });
}

/** Σ over the region of the input's values, per sample (the model's s). */
export function regionSum(x: Tensor, region: Region): number {
  const [, c, h, w] = x.shape as [number, number, number, number];
  let s = 0;
  for (let k = 0; k < c; k++)
    for (let y = region.y0; y < region.y1; y++) for (let i = region.x0; i < region.x1; i++) s += x.data[(k * h + y) * w + i] as number;
  return s;
}

/** The share of an attribution's positive mass that falls inside the region (first sample, all channels). */
export function positiveShareInside(a: Tensor, region: Region): number {
  const [, c, h, w] = a.shape as [number, number, number, number];
  let inMass = 0;
  let total = 0;
  for (let k = 0; k < c; k++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const v = Math.max(0, a.data[(k * h + y) * w + x] as number);
        total += v;
        if (inside(region, y, x)) inMass += v;
      }
    }
  }
  return inMass / total;
}

/**
 * A signal and a progress callback that abort a run once `after` rows were scored, plus a check
 * that the run then rejected with ABORTED soon after.
 */
export interface AbortAfter {
  readonly signal: AbortSignal;
  readonly onProgress: (done: number) => void;
  assertAborted(run: Promise<unknown>): Promise<void>;
}

export function abortAfter(after: number): AbortAfter {
  const controller = new AbortController();
  let abortedAt = 0;
  return {
    signal: controller.signal,
    onProgress: (done: number) => {
      if (done >= after && !controller.signal.aborted) {
        controller.abort();
        abortedAt = performance.now();
      }
    },
    async assertAborted(run: Promise<unknown>): Promise<void> {
      await assert.rejects(run, (e: unknown) => isLucernaError(e, 'ABORTED'));
      assert.ok(abortedAt > 0 && performance.now() - abortedAt < 500, 'rejected quickly after the abort');
    },
  };
}
