/**
 * Where each filter fires, for the image patches that the tree report draws beside each node's
 * bars (Zhang et al., "Interpreting CNNs via Decision Trees", CVPR 2019,
 * https://arxiv.org/abs/1802.00121: each decision mode is shown as its parts' contributions with
 * the parts' patches). A filter's patch at a node is the square around its peak on the node's
 * image where that peak is highest. Pure: the Node side crops and encodes the pixels.
 */
import { planeArgmax } from '../../tensor/argmax.js';
import type { DecisionTree } from './types.js';

/** Per-filter peaks of one image: the row-major cell of each filter's maximum and its value. */
export interface FilterPeaks {
  readonly cell: Int32Array;
  readonly value: Float32Array;
  readonly height: number;
  readonly width: number;
}

/**
 * The peak of every filter of one [C, h, w] activation (first cell in row-major order on ties).
 *
 * @example
 * ```ts
 * filterPeaks(Float32Array.of(0, 2, 2, 1), { channels: 1, height: 2, width: 2 }); // cell [1], value [2]
 * ```
 */
export function filterPeaks(activation: ArrayLike<number>, map: { channels: number; height: number; width: number }): FilterPeaks {
  const plane = map.height * map.width;
  const cell = new Int32Array(map.channels);
  const value = new Float32Array(map.channels);
  for (let c = 0; c < map.channels; c++) {
    const m = planeArgmax(activation, c * plane, map.height, map.width);
    cell[c] = m.at;
    value[c] = m.value;
  }
  return { cell, value, height: map.height, width: map.width };
}

/** Which image and where a node's filter patch is cut: the centre is in model-input pixels. */
export interface PatchSource {
  readonly node: number;
  readonly filter: number;
  /** Index into the tree's images (the `samples` of its nodes). */
  readonly image: number;
  readonly x: number;
  readonly y: number;
}

/**
 * For each (node, filter) asked for, the node's image where the filter's peak is highest and the
 * peak's centre in an `inputSize` = [H, W] image (cell (i, j) of an h×w map stands for
 * ((j + 0.5)·W/w, (i + 0.5)·H/h)). A filter that never fires (peak ≤ 0) on the node's images has
 * no patch.
 *
 * @example
 * ```ts
 * const where = patchSources(tree, [[tree.root, 3]], peaks, [64, 64]);
 * ```
 */
export function patchSources(
  tree: DecisionTree,
  wanted: readonly (readonly [node: number, filter: number])[],
  peaks: readonly FilterPeaks[],
  inputSize: readonly [number, number],
): PatchSource[] {
  const out: PatchSource[] = [];
  for (const [node, filter] of wanted) {
    let best = -1;
    let bestValue = 0;
    for (const i of tree.nodes[node]?.samples ?? []) {
      const v = peaks[i]?.value[filter] ?? 0;
      if (v > bestValue) {
        bestValue = v;
        best = i;
      }
    }
    const p = peaks[best];
    if (!p) continue;
    const cell = p.cell[filter] as number;
    const [H, W] = inputSize;
    out.push({
      node,
      filter,
      image: best,
      x: ((cell % p.width) + 0.5) * (W / p.width),
      y: (Math.floor(cell / p.width) + 0.5) * (H / p.height),
    });
  }
  return out;
}
