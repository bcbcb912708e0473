/**
 * Where the mask of an interpretable CNN (Zhang, Wu & Zhu, CVPR 2018,
 * https://arxiv.org/abs/1710.00935) is centred on each feature map, as ONNX ops.
 *
 * - `centroid` (default, the ICNN authors' MatConvNet code, `getMu.m` with `IsUseMax = false`): the
 *   activation-weighted mean position of the map, each coordinate rounded half up, in 1-based cells
 *   and at least 1: μ_i = max(⌊Σ i·x / max(Σ x, 1e-9) + ½⌋, 1). An all-zero map is centred on the first cell.
 * - `argmax` (the paper's text): the arg-max cell, the first in row-major order on ties.
 *
 * Both also give the map's spread about that centre, √(Σ ((i − μ_i)² + (j − μ_j)²)·x / max(Σ x, 1e-9))
 * in cells (`sqrtvar` of `getMu.m`), which the authors' code uses to adapt each filter's β.
 * The weights are max(x, 0): the authors mask a ReLU output, where that is x itself.
 */
import type { GraphBuilder } from '../../onnx/builder.js';
import { DataType } from '../../onnx/proto.js';

/** The mask-centre rule. */
export type MaskCentre = 'centroid' | 'argmax';

/** The centre cell (int64, row-major index i·n + j) and, when asked for, the spread in cells, each [B, C]. */
export interface CentreTensors {
  readonly cell: string;
  readonly spread?: string;
}

/**
 * 1-based row and column numbers of the n² cells in row-major order.
 *
 * @example
 * ```ts
 * cellCoordinates(2); // { rows: [1, 1, 2, 2], cols: [1, 2, 1, 2] }
 * ```
 */
export function cellCoordinates(n: number): { rows: number[]; cols: number[] } {
  const cells = Array.from({ length: n * n }, (_, c) => c);
  return { rows: cells.map((c) => Math.floor(c / n) + 1), cols: cells.map((c) => (c % n) + 1) };
}

/**
 * Emits the centre (and with `withSpread` the spread) of the maps `flat` [B, C, n²] (see the module comment).
 *
 * @example
 * ```ts
 * const { cell, spread } = emitCentre(b, 'relu5/flat', 7, 'centroid', true);
 * ```
 */
export function emitCentre(b: GraphBuilder, flat: string, n: number, rule: MaskCentre, withSpread = false): CentreTensors {
  const { rows, cols } = cellCoordinates(n);
  const rowC = b.constFloat(rows, [n * n], 'rows');
  const colC = b.constFloat(cols, [n * n], 'cols');
  const x = b.op('Relu', [flat]);
  const last = b.constInt64([2]);
  const sum = (t: string) => b.op('ReduceSum', [t, last], { keepdims: 1 });
  const mass = b.op('Max', [sum(x), b.scalar(1e-9)]); // [B, C, 1]
  let mi: string;
  let mj: string;
  let cell: string;
  if (rule === 'centroid') {
    const rounded = (coord: string) =>
      b.op('Max', [b.op('Floor', [b.op('Add', [b.op('Div', [sum(b.op('Mul', [x, coord])), mass]), b.scalar(0.5)])]), b.scalar(1)]);
    mi = rounded(rowC);
    mj = rounded(colC);
    const index = b.op('Add', [b.op('Mul', [b.op('Sub', [mi, b.scalar(1)]), b.scalar(n)]), b.op('Sub', [mj, b.scalar(1)])]);
    cell = b.op('Cast', [b.op('Squeeze', [index, last])], { to: DataType.INT64 });
  } else {
    cell = b.op('ArgMax', [flat], { axis: 2, keepdims: 0, select_last_index: 0 });
    const at = b.op('Unsqueeze', [b.op('Cast', [cell], { to: DataType.FLOAT }), last]);
    mi = b.op('Add', [b.op('Floor', [b.op('Div', [at, b.scalar(n)])]), b.scalar(1)]);
    mj = b.op('Add', [b.op('Sub', [at, b.op('Mul', [b.op('Sub', [mi, b.scalar(1)]), b.scalar(n)])]), b.scalar(1)]);
  }
  if (!withSpread) return { cell };
  const square = (t: string) => b.op('Mul', [t, t]);
  const d2 = b.op('Add', [square(b.op('Sub', [rowC, mi])), square(b.op('Sub', [colC, mj]))]);
  const spread = b.op('Sqrt', [b.op('Div', [b.op('ReduceSum', [b.op('Mul', [x, d2]), last], { keepdims: 0 }), b.op('Squeeze', [mass, last])])]);
  return { cell, spread };
}
