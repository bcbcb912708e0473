/**
 * A robustness study over a stream of samples: for each sample, whether the attack succeeds at
 * each ε of a list (the success-rate curve), the minimal ε on a grid
 * ({@link minimalPerturbation}), and the evidence before and after: Grad-CAM (Selvaraju et al.
 * 2017, https://arxiv.org/abs/1610.02391) of the clean prediction on the clean input and of the
 * adversarial prediction on the adversarial input. Samples are processed one at a time and
 * yielded, so a folder never sits in memory.
 */
import { gradCam } from '../attribution/cam/grad-cam.js';
import type { Model } from '../engine/model.js';
import { LucernaError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { attackOutcome, predictRows } from './evaluate.js';
import { minimalPerturbation } from './min-perturbation.js';
import type { AttackMethod, AttackOptions } from './types.js';

/** One sample of the study's input. */
export interface RobustnessSample {
  readonly name: string;
  /** One sample, [1, ...]. */
  readonly tensor: Tensor;
}

/** Options of {@link robustnessStudy}. */
export type RobustnessOptions<O extends AttackOptions> = Omit<O, 'epsilon' | 'target' | 'targeted'> & {
  readonly attack: AttackMethod<O>;
  /** The ε values of the success-rate curve, increasing. */
  readonly epsilons: readonly number[];
  /** The grid of the minimal-ε search: [0, max) in steps of `step`. */
  readonly search: { readonly max: number; readonly step: number };
  /** The Grad-CAM layer (default: the last 4-D activation before pooling). */
  readonly layer?: string;
};

/** What the study found for one sample. */
export interface RobustnessResult {
  readonly name: string;
  /** The clean input. */
  readonly input: Tensor;
  /** The clean prediction (the attacked label). */
  readonly label: number;
  /** Whether the attack succeeded at each ε of the list. */
  readonly success: boolean[];
  /** The smallest ε of the grid that changed the decision, or null. */
  readonly minimalEpsilon: number | null;
  /** The adversarial input shown: at the minimal ε, or at the largest ε of the list when none. */
  readonly adversarial: Tensor;
  /** The ε of `adversarial`. */
  readonly shownEpsilon: number;
  /** The prediction on `adversarial`. */
  readonly adversarialPrediction: number;
  /** Grad-CAM [1, 1, H, W] (ReLU, bilinear to the input) of the clean prediction on the clean input. */
  readonly camBefore: Tensor;
  /** Grad-CAM of the adversarial prediction on the adversarial input. */
  readonly camAfter: Tensor;
}

function checkEpsilons(epsilons: readonly number[]): void {
  if (epsilons.length === 0 || epsilons.some((e, i) => !(Number.isFinite(e) && e > 0) || (i > 0 && !(e > (epsilons[i - 1] as number))))) {
    throw new LucernaError('BAD_OPTION', `The ε list must be increasing numbers > 0, got ${epsilons.join(', ')}`);
  }
}

/**
 * Runs the study sample by sample, yielding each result as soon as it is known.
 *
 * @example
 * ```ts
 * for await (const r of robustnessStudy(model, samples, { attack: pgd, epsilons: [0.01, 0.03], search: { max: 0.1, step: 0.002 } })) {
 *   console.log(r.name, r.minimalEpsilon);
 * }
 * ```
 */
export async function* robustnessStudy<O extends AttackOptions>(
  model: Model,
  samples: AsyncIterable<RobustnessSample> | Iterable<RobustnessSample>,
  options: RobustnessOptions<O>,
): AsyncGenerator<RobustnessResult> {
  checkEpsilons(options.epsilons);
  const { attack, epsilons, search, layer, ...attackOptions } = options;
  for await (const sample of samples) {
    const x = sample.tensor;
    if (x.shape[0] !== 1) throw new LucernaError('BAD_SHAPE', `Each sample must have a batch of 1, got ${x.shape[0]} in ${sample.name}`);
    const [label] = (await predictRows(model, x, options)) as [number];
    // Every ε of the curve in one batched attack: the sample repeated, one ε per row.
    const repeated: Tensor = { data: new Float32Array(x.data.length * epsilons.length), shape: [epsilons.length, ...x.shape.slice(1)] };
    for (let k = 0; k < epsilons.length; k++) repeated.data.set(x.data, k * x.data.length);
    const curve = await attack.perturb(model, repeated, { ...(attackOptions as unknown as O), epsilon: epsilons, target: label });
    const outcome = await attackOutcome(model, curve.adversarial, curve, options);
    const minimal = await minimalPerturbation(model, x, { ...(attackOptions as unknown as O), attack, target: label, max: search.max, step: search.step });
    const found = minimal.epsilon[0] ?? null;
    const last = epsilons.length - 1;
    const adversarial = found !== null ? minimal.adversarial : { data: curve.adversarial.data.slice(last * x.data.length), shape: [...x.shape] };
    const adversarialPrediction = found !== null ? (minimal.predictions[0] as number) : (outcome.predictions[last] as number);
    const cam = (input: Tensor, target: number) => gradCam.attribute(model, input, { target, layer, relu: true, upsample: 'bilinear' });
    yield {
      name: sample.name,
      input: x,
      label,
      success: outcome.success,
      minimalEpsilon: found,
      adversarial,
      shownEpsilon: found ?? (epsilons[last] as number),
      adversarialPrediction,
      camBefore: (await cam(x, label)).attribution,
      camAfter: (await cam(adversarial, adversarialPrediction)).attribution,
    };
  }
}

/**
 * The fraction of samples where the attack succeeded, at each ε of the list.
 *
 * @example
 * ```ts
 * successRates([{ success: [false, true] }, { success: [true, true] }]); // [0.5, 1]
 * ```
 */
export function successRates(results: readonly { readonly success: readonly boolean[] }[]): number[] {
  const n = results.length;
  const k = results[0]?.success.length ?? 0;
  return Array.from({ length: k }, (_, i) => (n === 0 ? 0 : results.filter((r) => r.success[i]).length / n));
}
