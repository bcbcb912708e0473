/**
 * Infidelity (Yeh et al. 2019, "On the (in)fidelity and sensitivity of explanations",
 * https://arxiv.org/abs/1901.09392): how well the attribution Φ predicts the change of the score
 * under random perturbations I,
 *
 *   INFD(Φ, f, x) = E_I[(Iᵀ Φ − (f(x) − f(x − I)))²],
 *
 * estimated by Monte-Carlo with seeded perturbations, batched through the scorer. Lower is better;
 * for the exact gradient of a linear model it is zero.
 *
 * Perturbations: `gaussian` (I ~ N(0, σ²) per value) and `square` (a random square of the image is
 * set to a baseline value: I = x − baseline inside it, 0 elsewhere). For attributions that already
 * multiply by the input (input × gradient, integrated gradients, DeepLift), set `multiplyByInputs`:
 * Iᵀ Φ then uses I / x (0 where x = 0), as Captum's `infidelity_perturb_func_decorator(True)`.
 */
import { type PerturbationSource, scorePerturbations } from '../attribution/perturbation/runner.js';
import { upsampleBilinear } from '../attribution/upsample.js';
import { LucernaError, positiveInteger } from '../errors.js';
import { normalFrom, seededRandom } from '../tensor/random.js';
import { formatShape, sameShape, sizeOf, type Tensor } from '../tensor/tensor.js';
import { type MetricRunOptions, type ModelOrScorer, metricContext } from './context.js';
import type { MetricContext, MetricDescriptor, MetricOutcome } from './descriptor.js';

/** A perturbation family. */
export type InfidelityPerturbation =
  | { readonly kind: 'gaussian'; readonly stdev?: number }
  | { readonly kind: 'square'; readonly size?: number; readonly baseline?: number };

/** Options of {@link infidelity}. */
export interface InfidelityOptions extends MetricRunOptions {
  /** Default `{ kind: 'gaussian', stdev: 0.1 }`. Square default: a side of ⌈min(H, W) / 4⌉ px, baseline 0. */
  readonly perturbation?: InfidelityPerturbation;
  /** Perturbations per sample (default 32). */
  readonly samples?: number;
  /** Seed of the perturbations (default 0). */
  readonly seed?: number;
  /** The attribution is input-scaled: use I / x in the dot product. Default false. */
  readonly multiplyByInputs?: boolean;
  /** Rescale Iᵀ Φ by its least-squares fit β to the score changes first (Captum's `normalize`). Default false. */
  readonly normalize?: boolean;
}

/** Infidelity per sample, plus the targets. */
export interface InfidelityResult {
  readonly infidelity: number[];
  readonly targets: number[];
}

/** Writes one perturbation I for `x` into `out` with the given random stream. */
type PerturbationDraw = (x: Float32Array, out: Float32Array, uniform: () => number) => void;

function gaussianDraw(stdev: number): PerturbationDraw {
  return (_x, out, uniform) => {
    const normal = normalFrom(uniform);
    for (let i = 0; i < out.length; i++) out[i] = normal() * stdev;
  };
}

function squareDraw(shape: readonly number[], size: number, baseline: number): PerturbationDraw {
  const [channels, height, width] = shape as [number, number, number];
  const side = Math.min(size, height, width);
  return (x, out, uniform) => {
    out.fill(0);
    const top = Math.floor(uniform() * (height - side + 1));
    const left = Math.floor(uniform() * (width - side + 1));
    for (let c = 0; c < channels; c++) {
      for (let y = top; y < top + side; y++) {
        for (let i = left; i < left + side; i++) {
          const k = (c * height + y) * width + i;
          out[k] = (x[k] as number) - baseline;
        }
      }
    }
  };
}

function perturbationDraw(p: InfidelityPerturbation, sampleShape: readonly number[]): PerturbationDraw {
  const positive = (v: number, what: string) => {
    if (!(Number.isFinite(v) && v > 0)) throw new LucernaError('BAD_OPTION', `The infidelity ${what} must be a positive number, got ${v}`);
    return v;
  };
  if (p.kind === 'gaussian') return gaussianDraw(positive(p.stdev ?? 0.1, 'noise stdev'));
  if (p.kind === 'square') {
    if (sampleShape.length !== 3) throw new LucernaError('BAD_SHAPE', 'Square perturbations need image inputs [N, C, H, W]');
    const size = p.size ?? Math.ceil(Math.min(sampleShape[1] as number, sampleShape[2] as number) / 4);
    positiveInteger(size, 'The square size');
    return squareDraw(sampleShape, size, p.baseline ?? 0);
  }
  throw new LucernaError('BAD_OPTION', `Unknown infidelity perturbation "${(p as { kind: string }).kind}"`, 'Use gaussian or square');
}

/**
 * The attribution laid out like the input: as is when shapes agree, else a one-channel map
 * (a CAM) upsampled to H×W and repeated over the channels.
 *
 * @example
 * ```ts
 * const phi = attributionLikeInput(camMap, x.shape); // [N, 1, 7, 7] → [N, 3, 224, 224]
 * ```
 */
export function attributionLikeInput(attribution: Tensor, inputShape: readonly number[]): Tensor {
  if (sameShape(attribution.shape, inputShape)) return attribution;
  const [n, c, h, w] = inputShape as [number, number, number, number];
  if (attribution.shape.length !== 4 || attribution.shape[0] !== n || attribution.shape[1] !== 1) {
    throw new LucernaError('BAD_SHAPE', `The attribution has shape ${formatShape(attribution.shape)}, which does not fit the input ${formatShape(inputShape)}`);
  }
  const map = attribution.shape[2] === h && attribution.shape[3] === w ? attribution : upsampleBilinear(attribution, [h, w]);
  const out = new Float32Array(n * c * h * w);
  for (let i = 0; i < n; i++) for (let k = 0; k < c; k++) out.set(map.data.subarray(i * h * w, (i + 1) * h * w), (i * c + k) * h * w);
  return { data: out, shape: [...inputShape] };
}

/** Iᵀ Φ, with I / x for input-scaled attributions. */
function dot(perturbation: Float32Array, phi: Float32Array, x: Float32Array, byInputs: boolean): number {
  let s = 0;
  for (let i = 0; i < perturbation.length; i++) {
    const xi = x[i] as number;
    const weight = byInputs ? (xi === 0 ? 0 : (perturbation[i] as number) / xi) : (perturbation[i] as number);
    s += weight * (phi[i] as number);
  }
  return s;
}

function meanSquaredError(predicted: Float64Array, actual: Float64Array, normalize: boolean): number {
  let beta = 1;
  if (normalize) {
    let pa = 0;
    let pp = 0;
    for (let j = 0; j < predicted.length; j++) {
      pa += (predicted[j] as number) * (actual[j] as number);
      pp += (predicted[j] as number) ** 2;
    }
    beta = pp > 0 ? pa / pp : 0;
  }
  let sum = 0;
  for (let j = 0; j < predicted.length; j++) sum += (beta * (predicted[j] as number) - (actual[j] as number)) ** 2;
  return sum / predicted.length;
}

/**
 * Infidelity of an attribution for every sample of `x`.
 *
 * @example
 * ```ts
 * const { infidelity } = await infidelity(model, x, gradient, { perturbation: { kind: 'square', size: 16 }, samples: 64, seed: 1 });
 * ```
 */
export async function infidelity(source: ModelOrScorer, x: Tensor, attribution: Tensor, options: InfidelityOptions = {}): Promise<InfidelityResult> {
  const samples = options.samples ?? 32;
  positiveInteger(samples, 'The number of infidelity samples');
  const phi = attributionLikeInput(attribution, x.shape);
  const sampleShape = x.shape.slice(1);
  const draw = perturbationDraw(options.perturbation ?? { kind: 'gaussian' }, sampleShape);
  const context = await metricContext(source, x, options);
  const n = x.shape[0] as number;
  const per = sizeOf(sampleShape);
  const seed = options.seed ?? 0;
  const predicted = new Float64Array(n * samples);
  const scratch = new Float32Array(per);
  const perturbed: PerturbationSource = {
    count: n * samples,
    target: (index) => context.targets[Math.floor(index / samples)] as number,
    fill(index, out) {
      const i = Math.floor(index / samples);
      const xi = x.data.subarray(i * per, (i + 1) * per);
      draw(xi, scratch, seededRandom((seed * 0x9e3779b1 + index) >>> 0));
      predicted[index] = dot(scratch, phi.data.subarray(i * per, (i + 1) * per), xi, options.multiplyByInputs ?? false);
      for (let k = 0; k < per; k++) out[k] = (xi[k] as number) - (scratch[k] as number);
    },
  };
  const actual = new Float64Array(n * samples);
  await scorePerturbations(
    context.scorer,
    sampleShape,
    perturbed,
    (first, scores) => {
      for (let r = 0; r < scores.length; r++) {
        const i = Math.floor((first + r) / samples);
        actual[first + r] = (context.scores[i] as number) - (scores[r] as number);
      }
    },
    options,
  );
  const result = Array.from({ length: n }, (_, i) =>
    meanSquaredError(predicted.subarray(i * samples, (i + 1) * samples), actual.subarray(i * samples, (i + 1) * samples), options.normalize ?? false),
  );
  return { infidelity: result, targets: context.targets };
}

async function infidelityOutcome(c: MetricContext, perturbation: InfidelityOptions['perturbation']): Promise<MetricOutcome> {
  const s = c.settings.infidelity;
  const r = await infidelity(c.model, c.x, c.attribution, {
    target: c.target,
    batchSize: c.settings.batchSize,
    signal: c.signal,
    perturbation,
    samples: s.samples,
    seed: s.seed,
    normalize: s.normalize,
    multiplyByInputs: c.inputScaled,
  });
  return { value: r.infidelity[0] as number };
}

/**
 * Infidelity under Gaussian noise as a metric of `lucerna evaluate` (Yeh et al. 2019, https://arxiv.org/abs/1901.09392).
 *
 * @example `await infidelityGaussianMetric.evaluate(context); // { value: 0.01 }`
 */
export const infidelityGaussianMetric: MetricDescriptor<'infidelity-gaussian'> = {
  name: 'infidelity-gaussian',
  description: 'Infidelity under Gaussian noise, attribution scale fitted (Yeh et al. 2019)',
  needsMask: false,
  better: 'lower',
  evaluate: (c) => infidelityOutcome(c, { kind: 'gaussian', stdev: c.settings.infidelity.stdev }),
};

/**
 * Infidelity under square removal as a metric of `lucerna evaluate` (Yeh et al. 2019).
 *
 * @example `await infidelitySquareMetric.evaluate(context); // { value: 0.02 }`
 */
export const infidelitySquareMetric: MetricDescriptor<'infidelity-square'> = {
  name: 'infidelity-square',
  description: 'Infidelity under square removal, attribution scale fitted (Yeh et al. 2019)',
  needsMask: false,
  better: 'lower',
  evaluate: (c) => infidelityOutcome(c, { kind: 'square', size: c.settings.infidelity.squareSize }),
};
