/**
 * Baselines (references) for path and difference methods — Integrated Gradients and DeepLift
 * explain f(x) − f(baseline), so the baseline says what "absence of the signal" means.
 *
 * A {@link BaselineSpec} is resolved against the input into a tensor of the input's shape. The
 * blur baseline follows the "blurred input" reference of Sturmfels et al. 2020,
 * https://distill.pub/2020/attribution-baselines/.
 */
import { LucernaError } from '../errors.js';
import { seededRandom } from '../tensor/random.js';
import { assertFinite, formatShape, sizeOf, type Tensor } from '../tensor/tensor.js';

/** Default standard deviation of the blur baseline, in pixels. */
export const DEFAULT_BLUR_SIGMA = 5;

/**
 * What to compare the input with.
 * - `'zeros'` (the default everywhere): an all-zero input.
 * - `{ constant: v }`: every value `v`.
 * - `'blur'` or `{ blur: { sigma } }`: a Gaussian-blurred copy of the input (sigma in pixels, default 5),
 *   blurring the last two axes (H and W of an NCHW input).
 * - `{ uniform: [lo, hi], seed }`: seeded uniform noise in [lo, hi) (seed default 0).
 * - a {@link Tensor} of one sample's shape `[1, ...]` (used for every sample) or of the whole batch's shape.
 */
export type BaselineSpec =
  | 'zeros'
  | 'blur'
  | { readonly constant: number }
  | { readonly blur: { readonly sigma?: number } }
  | { readonly uniform: readonly [number, number]; readonly seed?: number }
  | Tensor;

function isTensor(spec: BaselineSpec): spec is Tensor {
  return typeof spec === 'object' && 'data' in spec && 'shape' in spec;
}

/**
 * The baseline for input `x` as a new tensor of `x`'s shape.
 *
 * Errors: `BAD_OPTION` for an unknown spec or bad parameters, `BAD_SHAPE` for a tensor whose shape
 * is neither one sample's nor the batch's.
 *
 * @example
 * ```ts
 * const r = resolveBaseline('blur', x); // Gaussian blur, sigma 5 px
 * const noise = resolveBaseline({ uniform: [0, 1], seed: 7 }, x);
 * const mean = resolveBaseline({ constant: 0.5 }, x);
 * ```
 */
export function resolveBaseline(spec: BaselineSpec | undefined, x: Tensor): Tensor {
  const shape = [...x.shape];
  if (spec === undefined || spec === 'zeros') return { data: new Float32Array(sizeOf(shape)), shape };
  if (spec === 'blur') return gaussianBlur(x, DEFAULT_BLUR_SIGMA);
  if (typeof spec !== 'object' || spec === null) throw badSpec(spec);
  if (isTensor(spec)) return broadcastBaseline(spec, x);
  if ('constant' in spec) return { data: new Float32Array(sizeOf(shape)).fill(finiteOption(spec.constant, 'constant baseline value')), shape };
  if ('blur' in spec) return gaussianBlur(x, spec.blur?.sigma ?? DEFAULT_BLUR_SIGMA);
  if ('uniform' in spec) return uniformBaseline(shape, spec.uniform, spec.seed ?? 0);
  throw badSpec(spec);
}

function badSpec(spec: unknown): LucernaError {
  return new LucernaError(
    'BAD_OPTION',
    `Unknown baseline ${JSON.stringify(spec)}`,
    "Use 'zeros', 'blur', { constant: v }, { blur: { sigma } }, { uniform: [lo, hi], seed } or a tensor",
  );
}

function finiteOption(value: number, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new LucernaError('BAD_OPTION', `The ${what} must be a finite number, got ${value}`);
  return value;
}

/** A user tensor of one sample's shape (repeated over the batch) or of the batch's shape, copied. */
function broadcastBaseline(b: Tensor, x: Tensor): Tensor {
  const per = sizeOf(x.shape.slice(1));
  const n = x.shape[0] as number;
  const sameRest = b.shape.length === x.shape.length && b.shape.slice(1).every((d, i) => d === x.shape[i + 1]);
  if (!sameRest || (b.shape[0] !== 1 && b.shape[0] !== n) || b.data.length !== sizeOf(b.shape)) {
    const one = formatShape([1, ...x.shape.slice(1)]);
    throw new LucernaError(
      'BAD_SHAPE',
      `The baseline has shape ${formatShape(b.shape)} but the input is ${formatShape(x.shape)}`,
      `Pass a baseline of shape ${one} (one sample) or ${formatShape(x.shape)}`,
    );
  }
  assertFinite(b, 'Baseline');
  const data = new Float32Array(n * per);
  if (b.shape[0] === n) data.set(b.data);
  else for (let i = 0; i < n; i++) data.set(b.data, i * per);
  return { data, shape: [...x.shape] };
}

function uniformBaseline(shape: number[], range: readonly [number, number], seed: number): Tensor {
  const lo = finiteOption(range?.[0] as number, 'uniform baseline low bound');
  const hi = finiteOption(range?.[1] as number, 'uniform baseline high bound');
  if (lo > hi) throw new LucernaError('BAD_OPTION', `The uniform baseline range [${lo}, ${hi}] is empty`, 'Pass [lo, hi] with lo ≤ hi');
  const next = seededRandom(seed);
  const data = new Float32Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = lo + (hi - lo) * next();
  return { data, shape };
}

/**
 * Normalised 1-D Gaussian weights over offsets −radius..radius, radius = ⌈3σ⌉.
 *
 * @example
 * ```ts
 * gaussianKernel(1); // 7 weights summing to 1, peak in the middle
 * ```
 */
export function gaussianKernel(sigma: number): Float64Array {
  const radius = Math.ceil(3 * sigma);
  const k = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) sum += k[i + radius] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < k.length; i++) k[i] = (k[i] as number) / sum;
  return k;
}

/** Convolves `count` lines of `length` values (spaced `stride` apart, starting at `starts[j]`) with `k`, clamping at the edges. */
function blurLines(src: Float32Array, dst: Float32Array, k: Float64Array, length: number, stride: number, starts: readonly number[]): void {
  const radius = (k.length - 1) / 2;
  for (const start of starts) {
    for (let i = 0; i < length; i++) {
      let acc = 0;
      for (let t = -radius; t <= radius; t++) {
        const j = Math.min(length - 1, Math.max(0, i + t));
        acc += (k[t + radius] as number) * (src[start + j * stride] as number);
      }
      dst[start + i * stride] = acc;
    }
  }
}

/**
 * A Gaussian-blurred copy of `x` over its last two axes (separable, edges replicated).
 * Sigma 0 returns a copy.
 *
 * @example
 * ```ts
 * const blurred = gaussianBlur(x, 5); // x is [N, C, H, W]
 * ```
 */
export function gaussianBlur(x: Tensor, sigma: number): Tensor {
  if (!Number.isFinite(sigma) || sigma < 0) throw new LucernaError('BAD_OPTION', `The blur sigma must be a finite number ≥ 0, got ${sigma}`);
  if (x.shape.length < 3) {
    throw new LucernaError(
      'BAD_SHAPE',
      `The blur baseline needs an image batch [N, C, H, W], got ${formatShape(x.shape)}`,
      "Use 'zeros' or a constant baseline",
    );
  }
  const h = x.shape[x.shape.length - 2] as number;
  const w = x.shape[x.shape.length - 1] as number;
  const planes = sizeOf(x.shape) / (h * w);
  const out = new Float32Array(x.data);
  if (sigma === 0) return { data: out, shape: [...x.shape] };
  const k = gaussianKernel(sigma);
  const tmp = new Float32Array(x.data.length);
  const rowStarts: number[] = [];
  const colStarts: number[] = [];
  for (let p = 0; p < planes; p++) {
    for (let r = 0; r < h; r++) rowStarts.push(p * h * w + r * w);
    for (let c = 0; c < w; c++) colStarts.push(p * h * w + c);
  }
  blurLines(x.data, tmp, k, w, 1, rowStarts);
  blurLines(tmp, out, k, h, w, colStarts);
  return { data: out, shape: [...x.shape] };
}
