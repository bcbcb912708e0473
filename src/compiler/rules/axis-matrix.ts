/**
 * Applying a constant matrix along one axis of a tensor, as MatMul nodes: the building block of
 * separable linear maps such as Resize and its adjoint.
 */
import type { GraphBuilder } from '../../onnx/builder.js';
import { at } from './static-inputs.js';

/**
 * The transpose of a row-major rows × cols matrix.
 *
 * @example
 * ```ts
 * transposeMatrix(Float64Array.from([1, 2, 3, 4, 5, 6]), 2, 3); // [1, 4, 2, 5, 3, 6]
 * ```
 */
export function transposeMatrix(m: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const t = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = m[r * cols + c] as number;
  return t;
}

/**
 * Maps axis `axis` of `x` (static dims `shape`) through a row-major matrix M of newLen × shape[axis]:
 * y[…, i, …] = Σⱼ M[i, j] · x[…, j, …]. One MatMul for the last two axes, with a transpose pair
 * around it for any other axis.
 *
 * @example
 * ```ts
 * const dX = contractAxis(b, dY, [1, 8, 32, 32], 3, aT, 16); // width 32 → 16
 * ```
 */
export function contractAxis(b: GraphBuilder, x: string, shape: readonly number[], axis: number, matrix: ArrayLike<number>, newLen: number): string {
  const rank = shape.length;
  const oldLen = at(shape, axis);
  if (axis === rank - 2) return b.op('MatMul', [b.constFloat(Float32Array.from(matrix), [newLen, oldLen], 'axis_matrix'), x]);
  const right = b.constFloat(Float32Array.from(transposeMatrix(matrix, newLen, oldLen)), [oldLen, newLen], 'axis_matrix');
  if (axis === rank - 1) return b.op('MatMul', [x, right]);
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[axis] = rank - 1;
  perm[rank - 1] = axis;
  const moved = b.op('Transpose', [x], { perm });
  return b.op('Transpose', [b.op('MatMul', [moved, right])], { perm });
}
