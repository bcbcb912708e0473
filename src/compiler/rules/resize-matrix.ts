/**
 * Resize as per-axis interpolation matrices, computed from static shapes.
 *
 * ONNX Resize (nearest, linear, cubic) is separable: along each axis, output position o reads a
 * fixed weighted combination of input positions. Writing those weights as a matrix A (out × in)
 * per axis gives Y = A_H · X · A_Wᵀ over the spatial axes, so the gradient is exactly
 * dX = A_Hᵀ · dY · A_W. The coordinate arithmetic mirrors the ONNX spec in float32, as ONNX
 * Runtime computes it, so rounding ties land on the same pixels.
 *
 * Spec: https://onnx.ai/onnx/operators/onnx__Resize.html
 */
import { LucernaError } from '../../errors.js';

const f = Math.fround;

/** Interpolation settings shared by every axis of one Resize node. */
export interface ResizeMode {
  readonly mode: string;
  readonly coordinateTransformation: string;
  readonly nearestMode: string;
  readonly cubicCoeffA: number;
  readonly excludeOutside: boolean;
}

/** One axis of a Resize: sizes, the float32 scale, and the region of interest (tf_crop_and_resize). */
export interface ResizeAxis {
  readonly inLen: number;
  readonly outLen: number;
  readonly scale: number;
  readonly roiStart: number;
  readonly roiEnd: number;
}

/**
 * The input coordinate that output position `x` samples, per coordinate_transformation_mode.
 *
 * @example
 * ```ts
 * originalCoordinate(1, { inLen: 4, outLen: 8, scale: 2, roiStart: 0, roiEnd: 1 }, 'half_pixel'); // 0.25
 * ```
 */
export function originalCoordinate(x: number, a: ResizeAxis, transformation: string): number {
  const { scale, inLen, outLen } = a;
  switch (transformation) {
    case 'half_pixel':
      return f(f(f(x + 0.5) / scale) - 0.5);
    case 'pytorch_half_pixel':
      return outLen > 1 ? f(f(f(x + 0.5) / scale) - 0.5) : 0;
    case 'align_corners':
      return outLen === 1 ? 0 : f(f(x * (inLen - 1)) / (outLen - 1));
    case 'asymmetric':
      return f(x / scale);
    case 'tf_half_pixel_for_nn':
      return f(f(x + 0.5) / scale);
    case 'half_pixel_symmetric': {
      const adjustment = f(outLen / f(scale * inLen));
      const offset = f(f(inLen / 2) * f(1 - adjustment));
      return f(offset + (x + 0.5) / scale - 0.5);
    }
    case 'tf_crop_and_resize': {
      const { roiStart: s, roiEnd: e } = a;
      if (outLen === 1) return f(0.5 * f(s + e) * (inLen - 1));
      return f(f(s * (inLen - 1)) + f(f(f(x * f(e - s)) * (inLen - 1)) / (outLen - 1)));
    }
    default:
      throw new LucernaError('UNSUPPORTED_MODEL', `Resize has unknown coordinate_transformation_mode "${transformation}"`);
  }
}

/**
 * How close to a half a float32 coordinate must be to count as a tie. ONNX Runtime (≥ 1.30) treats
 * fractional parts within 1e-6 of 0.5 as ties, so 14.499999 (float error of an exact 14.5) still
 * rounds as a tie; measured against ORT over every size pair up to 40.
 */
const TIE_TOLERANCE = 1e-6;

/**
 * The input index nearest to coordinate `c`, per nearest_mode (before clamping).
 *
 * @example
 * ```ts
 * nearestIndex(1.5, 'round_prefer_floor'); // 1
 * ```
 */
export function nearestIndex(c: number, nearestMode: string): number {
  const below = Math.floor(c);
  switch (nearestMode) {
    case 'round_prefer_floor':
    case 'round_prefer_ceil':
      if (Math.abs(c - below - 0.5) <= TIE_TOLERANCE) return nearestMode === 'round_prefer_floor' ? below : below + 1;
      return c - below < 0.5 ? below : below + 1;
    case 'floor':
      return below;
    case 'ceil':
      return Math.ceil(c);
    default:
      throw new LucernaError('UNSUPPORTED_MODEL', `Resize has unknown nearest_mode "${nearestMode}"`);
  }
}

/** Keys' cubic convolution weights of the four neighbours floor(c) − 1 … floor(c) + 2, for t = c − floor(c). */
function cubicWeights(t: number, a: number): number[] {
  const w = (d: number) => {
    const x = Math.abs(d);
    if (x <= 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
    if (x < 2) return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
    return 0;
  };
  return [w(t + 1), w(t), w(1 - t), w(2 - t)].map(f);
}

const clampIndex = (i: number, len: number) => Math.min(Math.max(i, 0), len - 1);

/** Adds the interpolation weights of one output row (coordinate `c`) into `row`. */
function fillRow(row: Float64Array, c: number, len: number, m: ResizeMode): void {
  if (m.mode === 'nearest') {
    row[clampIndex(nearestIndex(c, m.nearestMode), len)] = 1;
  } else if (m.mode === 'linear') {
    const x = f(Math.min(Math.max(c, 0), len - 1));
    const lo = Math.min(Math.trunc(x), len - 1);
    const hi = Math.min(lo + 1, len - 1);
    if (lo === hi) row[lo] = (row[lo] as number) + 1;
    else {
      row[lo] = (row[lo] as number) + f(Math.abs(x - hi));
      row[hi] = (row[hi] as number) + f(Math.abs(x - lo));
    }
  } else if (m.mode === 'cubic') {
    const base = Math.floor(c);
    const weights = cubicWeights(f(c - base), m.cubicCoeffA);
    const inside = (i: number) => !m.excludeOutside || (i >= 0 && i < len);
    const total = weights.reduce((s, w, k) => s + (inside(base - 1 + k) ? w : 0), 0);
    weights.forEach((w, k) => {
      const i = base - 1 + k;
      if (inside(i)) row[clampIndex(i, len)] = (row[clampIndex(i, len)] as number) + w / total;
    });
  } else {
    throw new LucernaError('UNSUPPORTED_MODEL', `Resize has unknown mode "${m.mode}"`);
  }
}

/**
 * The interpolation matrix of one axis, row-major out × in: Y[o] = Σᵢ A[o, i] · X[i]. Rows that
 * tf_crop_and_resize fills with extrapolation_value are zero (they do not depend on X). An axis
 * with scale 1 is the identity, as in ONNX Runtime.
 *
 * @example
 * ```ts
 * const a = resizeAxisMatrix({ inLen: 2, outLen: 4, scale: 2, roiStart: 0, roiEnd: 1 }, mode); // 4 × 2
 * ```
 */
export function resizeAxisMatrix(a: ResizeAxis, m: ResizeMode): Float64Array {
  const { inLen, outLen } = a;
  const matrix = new Float64Array(outLen * inLen);
  const extrapolates = m.coordinateTransformation === 'tf_crop_and_resize';
  for (let o = 0; o < outLen; o++) {
    const c = a.scale === 1 ? o : originalCoordinate(o, a, m.coordinateTransformation);
    if (extrapolates && a.scale !== 1 && (c < 0 || c > inLen - 1)) continue;
    fillRow(matrix.subarray(o * inLen, (o + 1) * inLen), c, inLen, m);
  }
  return matrix;
}

/**
 * The replication factor k when the matrix maps output o to input ⌊o / k⌋ (nearest upsampling by
 * an integer factor, the common ×2 case), else undefined. Such axes back-propagate by a sum over
 * blocks instead of a matrix product.
 *
 * @example
 * ```ts
 * blockFactor(resizeAxisMatrix({ inLen: 3, outLen: 6, scale: 2, roiStart: 0, roiEnd: 1 }, nearest), 3, 6); // 2
 * ```
 */
export function blockFactor(matrix: Float64Array, inLen: number, outLen: number): number | undefined {
  if (outLen % inLen !== 0) return undefined;
  const k = outLen / inLen;
  for (let o = 0; o < outLen; o++) {
    for (let i = 0; i < inLen; i++) if (matrix[o * inLen + i] !== (i === Math.floor(o / k) ? 1 : 0)) return undefined;
  }
  return k;
}

/** True when the matrix is the identity (square with ones on the diagonal only). */
export function isIdentity(matrix: Float64Array, inLen: number, outLen: number): boolean {
  return inLen === outLen && blockFactor(matrix, inLen, outLen) === 1;
}
