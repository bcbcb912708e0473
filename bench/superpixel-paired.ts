/**
 * The paired fidelity check of LIME's and KernelSHAP's defaults against their earlier defaults
 * (issue #12 defect 12): on several images and seeds, each setting's superpixel weights are
 * compared with a high-sample reference of the same method (Spearman over superpixels, overlap of
 * the top 5 and top 10), and the per-(image, seed) differences get a 95 % t interval.
 *
 * The references cost no extra forward passes and share no sample with the run they judge: for
 * seed s, LIME's reference is one LIME fit over the pooled samples of the earlier default's other
 * seeds (19 × 999 independent samples + the unperturbed one: LIME itself at ≈ 19,000 samples);
 * KernelSHAP's is the mean of the other seeds' kernel regressions (earlier default) averaged with
 * the mean of the other seeds' default estimates (the walks of `DEFAULT_SHAPLEY_ESTIMATOR` at its
 * default budget), so neither estimator is judged against its own kind alone.
 */
import { DEFAULT_SHAPLEY_ESTIMATOR, defaultCoalitions, defaultShapleySamples, SHAPLEY_BUDGET_DIVISOR } from '../src/attribution/perturbation/kernel-shap.js';
import { DEFAULT_LIME_SAMPLES, DEFAULT_LIME_SAMPLING } from '../src/attribution/perturbation/lime.js';
import type { Scorer } from '../src/attribution/perturbation/scorer.js';
import { prepareSuperpixels, type SuperpixelProblem } from '../src/attribution/perturbation/superpixel-sampling.js';
import type { Model } from '../src/engine/model.js';
import type { Tensor } from '../src/tensor/tensor.js';
import {
  controlVariateEstimate,
  type LimeSamples,
  limeFit,
  limeSamples,
  pairedDifference,
  pooledLimeSamples,
  shapEstimate,
  spearman,
  topOverlap,
  walkEstimate,
} from './superpixel-fidelity.js';

/** One setting's estimate on one image and seed, with its cost. */
interface Run {
  readonly weights: Float64Array;
  readonly wall: number;
  readonly cpu: number;
}

/** The agreement of one run with its reference. */
export interface Agreement {
  readonly spearman: number;
  readonly top5: number;
  readonly top10: number;
}

/** One setting's runs over every image and seed. */
export interface SettingResult {
  readonly label: string;
  /** [image][seed] */
  readonly agreement: Agreement[][];
  readonly wall: number[];
  readonly cpu: number[];
}

/** Both settings of one method (earlier default first). */
export interface MethodPair {
  readonly method: string;
  readonly earlier: SettingResult;
  readonly current: SettingResult;
}

const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

async function timed(fn: () => Promise<Float64Array>): Promise<Run> {
  const c0 = cpuSeconds();
  const t0 = performance.now();
  const weights = await fn();
  return { weights, wall: (performance.now() - t0) / 1000, cpu: cpuSeconds() - c0 };
}

function agreement(w: Float64Array, ref: Float64Array): Agreement {
  return { spearman: spearman(w, ref), top5: topOverlap(w, ref, 5), top10: topOverlap(w, ref, 10) };
}

const mean = (v: readonly Float64Array[]) => {
  const out = new Float64Array((v[0] as Float64Array).length);
  for (const a of v) for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) + (a[i] as number) / v.length;
  return out;
};
const others = <T>(v: readonly T[], i: number) => v.filter((_, j) => j !== i);

/** Everything measured on one image (one entry per seed run so far). */
interface ImageRuns {
  readonly features: number;
  readonly limeEarlier: Run[];
  readonly limeCurrent: Run[];
  readonly shapEarlier: Run[];
  readonly shapCurrent: Run[];
  readonly limeData: LimeSamples[];
}

async function seedRuns(problem: SuperpixelProblem, runs: ImageRuns, seed: number): Promise<void> {
  const k = runs.features;
  runs.limeEarlier.push(
    await timed(async () => {
      const s = await limeSamples(problem, 1000, seed, 'independent');
      runs.limeData.push(s);
      return limeFit(s);
    }),
  );
  runs.limeCurrent.push(await timed(async () => limeFit(await limeSamples(problem, DEFAULT_LIME_SAMPLES, seed, DEFAULT_LIME_SAMPLING))));
  runs.shapEarlier.push(await timed(() => shapEstimate(problem, defaultCoalitions(k), seed, 'kernel')));
  const estimate = DEFAULT_SHAPLEY_ESTIMATOR === 'control-variate' ? controlVariateEstimate : walkEstimate;
  runs.shapCurrent.push(await timed(() => estimate(problem, defaultShapleySamples(k, DEFAULT_SHAPLEY_ESTIMATOR), seed)));
}

/** Each seed's leave-one-out references: LIME's; KernelSHAP's mixed one, and each of its halves. */
function references(runs: ImageRuns): { lime: Float64Array[]; shap: Float64Array[]; walks: Float64Array[]; regression: Float64Array[] } {
  const n = runs.limeData.length;
  const seeds = Array.from({ length: n }, (_, i) => i);
  const regression = seeds.map((i) => mean(others(runs.shapEarlier, i).map((r) => r.weights)));
  const walks = seeds.map((i) => mean(others(runs.shapCurrent, i).map((r) => r.weights)));
  return {
    lime: seeds.map((i) => limeFit(pooledLimeSamples(others(runs.limeData, i)))),
    shap: seeds.map((i) => (regression[i] as Float64Array).map((v, j) => (v + (walks[i] as Float64Array)[j]!) / 2)),
    walks,
    regression,
  };
}

function setting(label: string, perImage: readonly { runs: Run[]; refs: Float64Array[] }[]): SettingResult {
  return {
    label,
    agreement: perImage.map(({ runs, refs }) => runs.map((r, i) => agreement(r.weights, refs[i] as Float64Array))),
    wall: perImage.flatMap(({ runs }) => runs.map((r) => r.wall)),
    cpu: perImage.flatMap(({ runs }) => runs.map((r) => r.cpu)),
  };
}

/** Options of {@link pairedFidelity}. */
export interface PairedOptions {
  /** Score with this instead of the model (a black box). */
  readonly scorer?: Scorer;
  /** Progress lines. */
  readonly log?: (line: string) => void;
  /** Called after each round of seeds from the third on, with the result so far (a run cut short keeps its rounds). */
  readonly onRound?: (result: PairedResult) => void;
}

/** Both methods' settings, and each image's superpixel count. */
export interface PairedResult {
  readonly pairs: MethodPair[];
  readonly features: number[];
}

function summarise(all: readonly ImageRuns[]): PairedResult {
  const refs = all.map(references);
  const lime = (pick: (r: ImageRuns) => Run[]) => all.map((r, i) => ({ runs: pick(r), refs: refs[i]?.lime as Float64Array[] }));
  type ShapRef = 'shap' | 'walks' | 'regression';
  const shap = (pick: (r: ImageRuns) => Run[], ref: ShapRef = 'shap') => all.map((r, i) => ({ runs: pick(r), refs: refs[i]?.[ref] as Float64Array[] }));
  // KernelSHAP judged against each half of its reference alone: the walks are unbiased for the
  // Shapley values, the regression is not at a finite budget, so the mixed reference leans
  // towards the regression's bias; these rows show how much the verdict depends on that.
  const shapAgainst = (ref: ShapRef, what: string): MethodPair => ({
    method: `KernelSHAP against ${what}`,
    earlier: setting(
      'earlier default',
      shap((r) => r.shapEarlier, ref),
    ),
    current: setting(
      'default',
      shap((r) => r.shapCurrent, ref),
    ),
  });
  return {
    features: all.map((r) => r.features),
    pairs: [
      {
        method: 'LIME',
        earlier: setting(
          'earlier default: 1,000 independent samples',
          lime((r) => r.limeEarlier),
        ),
        current: setting(
          `default: ${DEFAULT_LIME_SAMPLES} samples, ${DEFAULT_LIME_SAMPLING} design`,
          lime((r) => r.limeCurrent),
        ),
      },
      {
        method: 'KernelSHAP',
        earlier: setting(
          'earlier default: 2K + 2048 coalitions, kernel regression',
          shap((r) => r.shapEarlier),
        ),
        current: setting(
          `default: ${DEFAULT_SHAPLEY_ESTIMATOR} estimator, antithetic walks within ⌊(2K + 2048) / ${SHAPLEY_BUDGET_DIVISOR[DEFAULT_SHAPLEY_ESTIMATOR]}⌋ scores${DEFAULT_SHAPLEY_ESTIMATOR === 'control-variate' ? ' with the connected-triple control variate' : ''}`,
          shap((r) => r.shapCurrent),
        ),
      },
      shapAgainst('walks', "the other seeds' walks alone (unbiased)"),
      shapAgainst('regression', "the other seeds' regressions alone"),
    ],
  };
}

/**
 * Runs the paired check on every image (`[1, C, H, W]` inputs of `model`, target the predicted
 * class) over `seeds` (at least 3: each seed's reference pools the others), seeds outermost;
 * returns both methods' settings and each image's superpixel count.
 *
 * @example
 * ```ts
 * const { pairs } = await pairedFidelity(model, images, [1, 2, 3]);
 * ```
 */
export async function pairedFidelity(
  model: Model | undefined,
  images: readonly Tensor[],
  seeds: readonly number[],
  options: PairedOptions = {},
): Promise<PairedResult> {
  const problems: SuperpixelProblem[] = [];
  for (const x of images) problems.push(await prepareSuperpixels(model, x, { batchSize: 32, scorer: options.scorer }, 'LIME'));
  const all: ImageRuns[] = problems.map((p) => ({
    features: p.segmentations[0]?.count as number,
    limeEarlier: [],
    limeCurrent: [],
    shapEarlier: [],
    shapCurrent: [],
    limeData: [],
  }));
  // Seeds outermost: every round adds one run per image, so a result cut short stays balanced.
  for (const [round, seed] of seeds.entries()) {
    for (const [i, problem] of problems.entries()) await seedRuns(problem, all[i] as ImageRuns, seed);
    options.log?.(`seed ${seed} done on ${images.length} images`);
    if (round >= 2 && round < seeds.length - 1) options.onRound?.(summarise(all));
  }
  return summarise(all);
}

/** Mean of one measure over every (image, seed) of a setting, and per image. @example `measureMeans(s, 'spearman')` */
export function measureMeans(s: SettingResult, key: keyof Agreement): { all: number; perImage: number[] } {
  const avg = (v: readonly number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  return { all: avg(s.agreement.flat().map((a) => a[key])), perImage: s.agreement.map((img) => avg(img.map((a) => a[key]))) };
}

/** Current minus earlier, per (image, seed), with a 95 % t interval. @example `measureDifference(pair, 'top5')` */
export function measureDifference(pair: MethodPair, key: keyof Agreement): { mean: number; low: number; high: number } {
  return pairedDifference(
    pair.earlier.agreement.flat().map((a) => a[key]),
    pair.current.agreement.flat().map((a) => a[key]),
  );
}
