/**
 * Image parameterizations: how the optimised numbers become an RGB image in (0, 1). Each emits
 * ONNX nodes from its parameter input to the image, so the gradient compiler differentiates
 * through it and one engine call per step covers parameters → image → model.
 *
 * - `pixel`: one number per pixel and colour.
 * - `fourier`: the real and imaginary parts of a 2-D spectrum (the bins of a real FFT), turned into
 *   the image by the real part of an inverse DFT written as two MatMuls with constant matrices,
 *   and scaled by 1/f so that low frequencies move first (Olah et al. 2017, "Feature Visualization", section "Preconditioning and
 *   Parameterization", https://distill.pub/2017/feature-visualization/).
 * - decorrelated colour (on by default, for both): the three numbers per pixel are mixed by
 *   {@link COLOR_DECORRELATION}, a square root of the colour covariance of natural images, so
 *   that steps move along decorrelated colour directions; a sigmoid maps the result into (0, 1).
 */
import { LucernaError } from '../errors.js';
import type { GraphBuilder } from '../onnx/builder.js';
import { normalFrom } from '../tensor/random.js';

/** The spatial parameterization. */
export type SpatialParameterization = 'fourier' | 'pixel';

/** Options of {@link imageParameterization}. */
export interface ParameterizationOptions {
  /** `fourier` (default) or `pixel`. */
  readonly spatial?: SpatialParameterization;
  /** Mix colours with {@link COLOR_DECORRELATION} (default true). */
  readonly decorrelate?: boolean;
  /** Exponent of the 1/f^decay spectrum scaling of `fourier` (default 1). */
  readonly decay?: number;
  /** Standard deviation of the random initial parameters (default 0.01). */
  readonly initialStdev?: number;
}

/**
 * A square root of the 3×3 colour covariance of ImageNet images (rows: output R, G, B; columns:
 * the three decorrelated components), divided by its largest column norm. It is the estimate Olah
 * et al. published with Lucid for "Feature Visualization" (2017); an image is `sigmoid(M · p)` per
 * pixel for parameters p, so equal steps in p are equal steps in decorrelated colour.
 *
 * @example
 * ```ts
 * COLOR_DECORRELATION.length; // 9, row-major
 * ```
 */
export const COLOR_DECORRELATION: readonly number[] = (() => {
  const sqrtCovariance = [0.26, 0.09, 0.02, 0.27, 0.0, -0.05, 0.27, -0.09, 0.03];
  let maxNorm = 0;
  for (let col = 0; col < 3; col++) {
    let s = 0;
    for (let row = 0; row < 3; row++) s += (sqrtCovariance[row * 3 + col] as number) ** 2;
    maxNorm = Math.max(maxNorm, Math.sqrt(s));
  }
  return sqrtCovariance.map((v) => v / maxNorm);
})();

/**
 * Frequency of DFT bin k of a length-n signal, in cycles per sample (bins above n/2 are the
 * negative frequencies).
 *
 * @example
 * ```ts
 * binFrequency(7, 8); // 0.125
 * ```
 */
export function binFrequency(k: number, n: number): number {
  return Math.min(k, n - k) / n;
}

/**
 * The 1/f scaling of the spectrum [h, ⌊w/2⌋+1] of an h×w image:
 * `1 / (4 · √(h·w) · max(f, 1/max(h, w))^decay)` with f = √(fy² + fx²) in cycles per pixel. The
 * constant component of a square image gets 1/4, as in Lucid, so parameters of standard deviation
 * 0.01 start near grey.
 *
 * @example
 * ```ts
 * spectrumScale(64, 64)[0]; // 0.25: the constant component
 * ```
 */
export function spectrumScale(h: number, w: number, decay = 1): Float32Array {
  const wf = Math.floor(w / 2) + 1;
  const floor = 1 / Math.max(h, w);
  const out = new Float32Array(h * wf);
  for (let ky = 0; ky < h; ky++) {
    for (let kx = 0; kx < wf; kx++) {
      const f = Math.hypot(binFrequency(ky, h), kx / w);
      out[ky * wf + kx] = 1 / (4 * Math.sqrt(h * w) * Math.max(f, floor) ** decay);
    }
  }
  return out;
}

/** cos or sin of 2π·k·t/n as a matrix [rows, cols] with t on `tAxis` (0 rows, 1 columns). */
function waves(fn: (x: number) => number, n: number, bins: number, tAxis: 0 | 1, sign = 1): Float32Array {
  const rows = tAxis === 0 ? n : bins;
  const cols = tAxis === 0 ? bins : n;
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const [t, k] = tAxis === 0 ? [r, c] : [c, r];
      out[r * cols + c] = sign * fn((2 * Math.PI * k * t) / n);
    }
  }
  return out;
}

/**
 * The real part of a 2-D inverse DFT, as constant matrices: for a spectrum with real part A and
 * imaginary part B, [h, wf] each and laid side by side as P = [A | B] ([h, 2·wf]),
 * image = [Cy | −Sy] · stack(P · [[Cxᵀ, Sxᵀ], [−Sxᵀ, Cxᵀ]]), where Cy, Sy are [h, h] and Cx, Sx
 * [w, wf] cosines and sines of 2π·k·t/n: Σ A·cos(θy + θx) − B·sin(θy + θx) over the bins.
 *
 * @example
 * ```ts
 * const { columns, rows } = inverseDftMatrices(64, 64); // [2·33, 2·64] and [64, 2·64]
 * ```
 */
export function inverseDftMatrices(h: number, w: number): { columns: Float32Array; rows: Float32Array } {
  const wf = Math.floor(w / 2) + 1;
  const cxT = waves(Math.cos, w, wf, 1);
  const sxT = waves(Math.sin, w, wf, 1);
  // columns [2wf, 2w]: [[CxT, SxT], [-SxT, CxT]]
  const columns = new Float32Array(2 * wf * 2 * w);
  for (let r = 0; r < wf; r++) {
    for (let c = 0; c < w; c++) {
      const cos = cxT[r * w + c] as number;
      const sin = sxT[r * w + c] as number;
      columns[r * 2 * w + c] = cos;
      columns[r * 2 * w + w + c] = sin;
      columns[(wf + r) * 2 * w + c] = -sin;
      columns[(wf + r) * 2 * w + w + c] = cos;
    }
  }
  const cy = waves(Math.cos, h, h, 0);
  const sy = waves(Math.sin, h, h, 0, -1);
  const rows = new Float32Array(h * 2 * h);
  for (let r = 0; r < h; r++) {
    rows.set(cy.subarray(r * h, (r + 1) * h), r * 2 * h);
    rows.set(sy.subarray(r * h, (r + 1) * h), r * 2 * h + h);
  }
  return { columns, rows };
}

/** A parameterization of a batch of RGB images. */
export interface ImageParameterization {
  /** Readable form, e.g. `fourier, decorrelated`. */
  readonly description: string;
  /** Shape of the parameter tensor. */
  readonly shape: readonly [number, number, number, number];
  /** Shape of the image it makes, [N, 3, H, W]. */
  readonly imageShape: readonly [number, number, number, number];
  /** Random initial parameters. */
  initial(uniform: () => number): Float32Array;
  /** Emits parameters → RGB image in (0, 1), [N, 3, H, W]; returns the image tensor name. */
  emit(b: GraphBuilder, parameters: string): string;
}

function fourierNodes(b: GraphBuilder, parameters: string, h: number, w: number, decay: number): string {
  const wf = Math.floor(w / 2) + 1;
  const { columns, rows } = inverseDftMatrices(h, w);
  const scale = spectrumScale(h, w, decay);
  // the same scale for the real and the imaginary half of each row
  const both = new Float32Array(h * 2 * wf);
  for (let r = 0; r < h; r++) {
    const row = scale.subarray(r * wf, (r + 1) * wf);
    both.set(row, r * 2 * wf);
    both.set(row, r * 2 * wf + wf);
  }
  const scaled = b.op('Mul', [parameters, b.constFloat(both, [1, 1, h, 2 * wf], 'spectrum_scale')]);
  const mixed = b.op('MatMul', [scaled, b.constFloat(columns, [2 * wf, 2 * w], 'idft_columns')]);
  const halves = ['real', 'imaginary'].map((_, i) => b.op('Slice', [mixed, b.constInt64([i * w]), b.constInt64([(i + 1) * w]), b.constInt64([3])]));
  const stacked = b.op('Concat', halves, { axis: 2 });
  return b.op('MatMul', [b.constFloat(rows, [h, 2 * h], 'idft_rows'), stacked]);
}

/**
 * A parameterization of `batch` RGB images of `size` [height, width].
 *
 * @example
 * ```ts
 * const p = imageParameterization(1, [224, 224], { spatial: 'fourier' });
 * const image = p.emit(builder, 'params'); // sigmoid(M · fourier(params)), [1, 3, 224, 224]
 * ```
 */
export function imageParameterization(batch: number, [h, w]: readonly [number, number], options: ParameterizationOptions = {}): ImageParameterization {
  const spatial = options.spatial ?? 'fourier';
  if (spatial !== 'fourier' && spatial !== 'pixel') throw new LucernaError('BAD_OPTION', `Unknown parameterization "${spatial}"`, 'Use fourier or pixel');
  const decorrelate = options.decorrelate ?? true;
  const decay = options.decay ?? 1;
  const stdev = options.initialStdev ?? 0.01;
  if (![batch, h, w].every((v) => Number.isInteger(v) && v >= 1)) throw new LucernaError('BAD_OPTION', `Bad image batch or size: ${batch} × ${h}×${w}`);
  const imageShape = [batch, 3, h, w] as const;
  const shape = spatial === 'fourier' ? ([batch, 3, h, 2 * (Math.floor(w / 2) + 1)] as const) : imageShape;
  return {
    description: `${spatial}${decorrelate ? ', decorrelated colour' : ''}`,
    shape,
    imageShape,
    initial(uniform) {
      const normal = normalFrom(uniform);
      return Float32Array.from({ length: shape[0] * shape[1] * shape[2] * shape[3] }, () => normal() * stdev);
    },
    emit(b, parameters) {
      let x = spatial === 'fourier' ? fourierNodes(b, parameters, h, w, decay) : parameters;
      if (decorrelate) x = b.op('Conv', [x, b.constFloat(COLOR_DECORRELATION, [3, 3, 1, 1], 'color_decorrelation')]);
      return b.op('Sigmoid', [x]);
    },
  };
}
