/**
 * Upsampling of layer maps [N, C, h, w] to an image size (H, W), exactly as PyTorch's
 * `F.interpolate` (and so Captum's `LayerAttribution.interpolate`) computes it on the CPU:
 * index arithmetic in float32, the blend in double.
 */
import { LucernaError } from '../errors.js';
import { formatShape, type Tensor } from '../tensor/tensor.js';

/** Interpolation mode: `bilinear` (align_corners=False) or `nearest` (torch's legacy nearest). */
export type UpsampleMode = 'bilinear' | 'nearest';

/** Output size (height, width). */
export type Size2D = readonly [number, number];

const f32 = Math.fround;

/** Validates the arguments; returns [planes (N·C), h, w]. */
function checkArgs(t: Tensor, size: Size2D): [number, number, number] {
  if (t.shape.length !== 4) {
    throw new LucernaError('BAD_SHAPE', `Upsampling needs a 4-D [N, C, h, w] tensor, got shape ${formatShape(t.shape)}`);
  }
  for (const d of size) {
    if (!Number.isInteger(d) || d < 1) throw new LucernaError('BAD_OPTION', `Upsampling size must be positive integers, got [${size.join(', ')}]`);
  }
  const [n, c, h, w] = t.shape as [number, number, number, number];
  if (t.data.length !== n * c * h * w)
    throw new LucernaError('BAD_SHAPE', `Tensor data has ${t.data.length} values, shape ${formatShape(t.shape)} needs ${n * c * h * w}`);
  return [n * c, h, w];
}

/** One output coordinate's two source indices and the weight of the second. */
export interface LinearTap {
  readonly i0: number;
  readonly i1: number;
  /** Weight of `i0` (float32, as torch). */
  readonly lambda0: number;
  /** Weight of `i1`. */
  readonly lambda1: number;
}

/**
 * Source taps of linear interpolation along one axis, align_corners=False:
 * src = max(0, (dst + 0.5)·in/out − 0.5), i0 = ⌊src⌋, i1 = min(i0 + 1, in − 1).
 *
 * @example
 * ```ts
 * linearTaps(2, 4).map((t) => [t.i0, t.i1, t.lambda1]); // [[0, 1, 0], [0, 1, 0.25], [0, 1, 0.75], [1, 1, 0.25]]
 * ```
 */
export function linearTaps(inSize: number, outSize: number): LinearTap[] {
  const scale = f32(inSize / outSize);
  const taps: LinearTap[] = [];
  for (let dst = 0; dst < outSize; dst++) {
    const src = Math.max(0, f32(f32(scale * f32(dst + 0.5)) - 0.5));
    const i0 = Math.floor(src);
    const lambda1 = f32(src - i0);
    taps.push({ i0, i1: Math.min(i0 + 1, inSize - 1), lambda0: f32(1 - lambda1), lambda1 });
  }
  return taps;
}

/**
 * Source index of each output coordinate under torch's `nearest` mode:
 * ⌊dst · in/out⌋ (the scale in float32, as torch), clamped to in − 1.
 *
 * @example
 * ```ts
 * nearestIndices(2, 5); // [0, 0, 0, 1, 1]
 * ```
 */
export function nearestIndices(inSize: number, outSize: number): number[] {
  const scale = f32(inSize / outSize);
  const out: number[] = [];
  for (let dst = 0; dst < outSize; dst++) {
    const src = outSize === inSize ? dst : outSize === 2 * inSize ? dst >> 1 : Math.floor(f32(dst * scale));
    out.push(Math.min(src, inSize - 1));
  }
  return out;
}

/**
 * Bilinear upsampling with align_corners=False, equal to `F.interpolate(t, size, mode='bilinear')`.
 *
 * @example
 * ```ts
 * const big = upsampleBilinear(camMap, [224, 224]); // [N, 1, 7, 7] → [N, 1, 224, 224]
 * ```
 */
export function upsampleBilinear(t: Tensor, size: Size2D): Tensor {
  const [planes, h, w] = checkArgs(t, size);
  const [outH, outW] = size;
  const rows = linearTaps(h, outH);
  const cols = linearTaps(w, outW);
  const out = new Float32Array(planes * outH * outW);
  for (let p = 0; p < planes; p++) {
    const src = t.data.subarray(p * h * w, (p + 1) * h * w);
    let k = p * outH * outW;
    for (const r of rows) {
      const top = r.i0 * w;
      const bottom = r.i1 * w;
      for (const c of cols) {
        const upper = c.lambda0 * (src[top + c.i0] as number) + c.lambda1 * (src[top + c.i1] as number);
        const lower = c.lambda0 * (src[bottom + c.i0] as number) + c.lambda1 * (src[bottom + c.i1] as number);
        out[k++] = r.lambda0 * upper + r.lambda1 * lower;
      }
    }
  }
  return { data: out, shape: [t.shape[0] as number, t.shape[1] as number, outH, outW] };
}

/**
 * Nearest-neighbour upsampling, equal to `F.interpolate(t, size, mode='nearest')`.
 *
 * @example
 * ```ts
 * const big = upsampleNearest(camMap, [64, 64]); // [N, 1, 16, 16] → [N, 1, 64, 64]
 * ```
 */
export function upsampleNearest(t: Tensor, size: Size2D): Tensor {
  const [planes, h, w] = checkArgs(t, size);
  const [outH, outW] = size;
  const rows = nearestIndices(h, outH);
  const cols = nearestIndices(w, outW);
  const out = new Float32Array(planes * outH * outW);
  let k = 0;
  for (let p = 0; p < planes; p++) {
    const base = p * h * w;
    for (const r of rows) for (const c of cols) out[k++] = t.data[base + r * w + c] as number;
  }
  return { data: out, shape: [t.shape[0] as number, t.shape[1] as number, outH, outW] };
}

/**
 * Upsamples [N, C, h, w] to (H, W) with the given mode.
 *
 * @example
 * ```ts
 * const big = upsample(camMap, [224, 224], 'bilinear');
 * ```
 */
export function upsample(t: Tensor, size: Size2D, mode: UpsampleMode): Tensor {
  if (mode === 'bilinear') return upsampleBilinear(t, size);
  if (mode === 'nearest') return upsampleNearest(t, size);
  throw new LucernaError('BAD_OPTION', `Unknown upsampling mode "${mode as string}"`, 'Use "bilinear" or "nearest"');
}
