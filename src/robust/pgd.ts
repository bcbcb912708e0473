/**
 * Projected Gradient Descent (Madry et al. 2018, https://arxiv.org/abs/1706.06083), with the
 * semantics of Captum 0.8's `PGD` and `CrossEntropyLoss(reduction='none')`. Each of `steps` steps:
 *
 * 1. an FGSM sign step of `stepSize` from the current point (Captum's inner FGSM is unbounded);
 * 2. the projection of the difference from the *original* input onto the ε-ball: L∞ clamps it to
 *    [−ε, ε]; L2 rescales it by ε / (norm + 1e-7) when its norm over the sample exceeds ε
 *    (`torch.renorm`);
 * 3. the clamp to [lower, upper].
 *
 * The steps are sign steps under both norms, as in Captum. One fused forward+backward run per step.
 *
 * `randomStart` starts from a seeded uniform point of the ε-ball instead of the input, then
 * bounded: L∞ draws each element uniformly in [−ε, ε); L2 draws a direction from a standard normal
 * and a radius ε·u^(1/d) (u uniform, d the values per sample). Captum draws the same
 * distributions from PyTorch's generator, so the points themselves differ; the seed makes ours
 * reproducible and independent of the batch size.
 */
import type { Model } from '../engine/model.js';
import { LucernaError } from '../errors.js';
import { normalFrom, seededRandom } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { type AttackChunk, attackChunks, perSample } from './attack-loop.js';
import { bound, projectL2, projectLinf, signStep } from './steps.js';
import type { AttackMethod, AttackNorm, AttackOptions, AttackResult, PerSample } from './types.js';

/** Options of {@link pgd}. `epsilon` is the radius of the ball. */
export interface PgdOptions extends AttackOptions {
  /** Size of each sign step (default 2.5·ε/steps, Madry et al.'s choice). One value or one per sample. */
  readonly stepSize?: PerSample;
  /** Number of steps (default 10). */
  readonly steps?: number;
  /** The ball: `linf` (default) or `l2`. */
  readonly norm?: AttackNorm;
  /** Start from a seeded random point of the ball (default false). */
  readonly randomStart?: boolean;
  /** Seed of the random start (default 0). */
  readonly seed?: number;
}

/**
 * The default number of PGD steps.
 *
 * @example
 * ```ts
 * await pgd.perturb(model, x, { epsilon: 0.03 }); // DEFAULT_PGD_STEPS steps of 2.5·ε/DEFAULT_PGD_STEPS
 * ```
 */
export const DEFAULT_PGD_STEPS = 10;

function checkSteps(steps: number | undefined): number {
  const s = steps ?? DEFAULT_PGD_STEPS;
  if (!Number.isInteger(s) || s < 1) throw new LucernaError('BAD_OPTION', `steps must be an integer ≥ 1, got ${steps}`);
  return s;
}

function checkNorm(norm: string | undefined): AttackNorm {
  const v = norm ?? 'linf';
  if (v !== 'linf' && v !== 'l2') throw new LucernaError('BAD_OPTION', `Unknown norm "${norm}"`, 'Use linf or l2');
  return v;
}

/**
 * Moves each real row of a chunk to a uniform random point of its ε-ball around the input.
 *
 * @example
 * ```ts
 * const uniform = seededRandom(0);
 * randomStart(chunk, 'linf', uniform, normalFrom(uniform));
 * ```
 */
export function randomStart(c: AttackChunk, norm: AttackNorm, uniform: () => number, normal: () => number): void {
  for (let r = 0; r < c.count; r++) {
    const eps = c.epsilon[r] as number;
    const from = r * c.per;
    if (norm === 'linf') {
      for (let i = from; i < from + c.per; i++) c.current[i] = (c.original[i] as number) + (uniform() * 2 - 1) * eps;
      continue;
    }
    const direction = new Float64Array(c.per);
    let sq = 0;
    for (let i = 0; i < c.per; i++) {
      const z = normal();
      direction[i] = z;
      sq += z * z;
    }
    const scale = (eps * uniform() ** (1 / c.per)) / Math.max(Math.sqrt(sq), 1e-12);
    for (let i = 0; i < c.per; i++) c.current[from + i] = (c.original[from + i] as number) + (direction[i] as number) * scale;
  }
}

async function perturb(model: Model, input: Tensor, options: PgdOptions): Promise<AttackResult> {
  const steps = checkSteps(options.steps);
  const norm = checkNorm(options.norm);
  const n = input.shape[0] as number;
  const epsilon = perSample(options.epsilon, n, 'epsilon');
  const stepSize = perSample(options.stepSize ?? epsilon.map((e) => (2.5 * e) / steps), n, 'the step size');
  const uniform = seededRandom(options.seed ?? 0);
  const normal = normalFrom(uniform);
  const project = norm === 'linf' ? projectLinf : projectL2;
  return attackChunks(model, input, { ...options, epsilon }, steps, async (c) => {
    const end = c.count * c.per;
    if (options.randomStart) {
      randomStart(c, norm, uniform, normal);
      bound(c.current, 0, end, c.lower, c.upper);
    }
    for (let s = 0; s < steps; s++) {
      const g = await c.gradient(c.current);
      for (let r = 0; r < c.count; r++) {
        const [from, to] = [r * c.per, (r + 1) * c.per];
        signStep(c.current, g, from, to, stepSize[c.first + r] as number, c.direction);
        project(c.current, c.original, from, to, c.epsilon[r] as number);
      }
      bound(c.current, 0, end, c.lower, c.upper);
    }
  });
}

/**
 * PGD as an {@link AttackMethod}.
 *
 * @example
 * ```ts
 * const { adversarial } = await pgd.perturb(model, x, { epsilon: 8 / 255, stepSize: 2 / 255, steps: 10, lower: 0, upper: 1 });
 * const l2 = await pgd.perturb(model, x, { epsilon: 1, stepSize: 0.05, steps: 20, norm: 'l2' });
 * ```
 */
export const pgd: AttackMethod<PgdOptions> = {
  name: 'pgd',
  description: 'projected sign steps within an L∞ or L2 ball of radius ε (Madry et al. 2018)',
  perturb,
};
