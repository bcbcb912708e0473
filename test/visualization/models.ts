/**
 * Small test models for the visualization tests, built with the graph builder.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Model } from '../../src/engine/model.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { buildModel } from '../../src/onnx/builder.js';
import { normalFrom, seededRandom } from '../../src/tensor/random.js';

/** Sobel kernel for horizontal intensity changes: it fires on vertical edges. */
export const SOBEL_X = [-1, 0, 1, -2, 0, 2, -1, 0, 1];

/** Sobel kernel for vertical intensity changes: it fires on horizontal edges. */
export const SOBEL_Y = [-1, -2, -1, 0, 0, 0, 1, 2, 1];

/** The channel of `relu1` that detects vertical edges. */
export const EDGE_CHANNEL = 0;
/** The channel of `relu1` that detects horizontal edges. */
export const HORIZONTAL_EDGE_CHANNEL = 1;
export const SHALLOW_LAYER = 'relu1';
export const DEEP_LAYER = 'relu2';

function randomWeights(count: number, seed: number, stdev: number): number[] {
  const normal = normalFrom(seededRandom(seed));
  return Array.from({ length: count }, () => normal() * stdev);
}

/**
 * A small CNN on [N, 3, H, W]: conv1 (3×3, pad 1, 16 filters) → relu1 → conv2 (3×3, stride 2,
 * pad 1, 8 filters) → relu2 → global average pool → dense → logits [N, 4].
 * conv1's filter 0 is a fixed vertical-edge detector (Sobel x on the sum of the colours, divided
 * by 3), filter 1 the horizontal-edge one (Sobel y); filters 2–7 are random and filters 8–15 are the negatives of 0–7, so relu1 keeps the
 * whole linear response (relu(a) − relu(−a) = a) and is invertible.
 */
export function edgeModelBytes(size = 32): Uint8Array {
  const half = randomWeights(8 * 27, 11, 0.4);
  for (let c = 0; c < 3; c++) {
    for (let k = 0; k < 9; k++) {
      half[c * 9 + k] = (SOBEL_X[k] as number) / 3;
      half[27 + c * 9 + k] = (SOBEL_Y[k] as number) / 3;
    }
  }
  const conv1 = [...half, ...half.map((v) => -v)];
  return buildModel({
    inputs: [{ name: 'x', dims: ['N', 3, size, size] }],
    outputs: ['logits'],
    build: (b) => {
      const c1 = b.op('Conv', ['x', b.weight('conv1.weight', conv1, [16, 3, 3, 3])], { pads: [1, 1, 1, 1] }, { outputs: ['conv1'] });
      b.op('Relu', [c1], {}, { outputs: [SHALLOW_LAYER] });
      const c2 = b.op(
        'Conv',
        [SHALLOW_LAYER, b.weight('conv2.weight', randomWeights(8 * 16 * 9, 12, 0.2), [8, 16, 3, 3])],
        { pads: [1, 1, 1, 1], strides: [2, 2] },
        { outputs: ['conv2'] },
      );
      b.op('Relu', [c2], {}, { outputs: [DEEP_LAYER] });
      const pooled = b.op('GlobalAveragePool', [DEEP_LAYER]);
      const flat = b.op('Flatten', [pooled]);
      b.op(
        'Gemm',
        [flat, b.weight('fc.weight', randomWeights(4 * 8, 13, 0.5), [4, 8]), b.weight('fc.bias', [0, 0, 0, 0], [4])],
        { transB: 1 },
        { outputs: ['logits'] },
      );
    },
  });
}

/** The edge model, loaded. */
export function loadEdgeModel(size = 32): Promise<Model> {
  return Model.load(edgeModelBytes(size), { runtime: nodeRuntime, name: 'edge-model' });
}

export const sharedModels = resolve(import.meta.dirname, '../../../shared/models');
export const sharedImages = resolve(import.meta.dirname, '../../../shared/images');

/** A shared benchmark model (random torchvision weights), loaded. */
export function loadSharedModel(file: string): Promise<Model> {
  return Model.load(new Uint8Array(readFileSync(resolve(sharedModels, file))), { runtime: nodeRuntime, name: file });
}

/**
 * Mean squared horizontal and vertical differences of a planar [N, 3, H, W] image batch (all
 * images and colours): the horizontal-gradient and vertical-gradient energies.
 */
export function gradientEnergies(data: Float32Array, shape: readonly number[]): { horizontal: number; vertical: number } {
  const [n, c, h, w] = shape as [number, number, number, number];
  let horizontal = 0;
  let vertical = 0;
  for (let p = 0; p < n * c; p++) {
    const base = p * h * w;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const v = data[base + y * w + x] as number;
        if (x + 1 < w) horizontal += ((data[base + y * w + x + 1] as number) - v) ** 2;
        if (y + 1 < h) vertical += ((data[base + (y + 1) * w + x] as number) - v) ** 2;
      }
    }
  }
  return { horizontal, vertical };
}

/** A model that does not take images: features [N, 10] → Gemm → ReLU (`relu1`) → Gemm → logits [N, 3]. */
export function tabularModelBytes(): Uint8Array {
  return buildModel({
    inputs: [{ name: 'features', dims: ['N', 10] }],
    outputs: ['logits'],
    build: (b) => {
      const h = b.op('Gemm', ['features', b.weight('w1', randomWeights(80, 21, 0.3), [10, 8])], {}, { outputs: ['hidden'] });
      b.op('Relu', [h], {}, { outputs: ['relu1'] });
      b.op('Gemm', ['relu1', b.weight('w2', randomWeights(24, 22, 0.3), [8, 3])], {}, { outputs: ['logits'] });
    },
  });
}
