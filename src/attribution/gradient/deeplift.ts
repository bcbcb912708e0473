/**
 * DeepLift, rescale rule (Shrikumar et al. 2017, https://arxiv.org/abs/1704.02685): the difference
 * of the input from a reference times the multipliers of the network, (x − r) · m, where m is the
 * "gradient" under the compiler's `deeplift` rule set. The attributions sum to f(x) − f(r)
 * (completeness, or "summation-to-delta"); `delta` reports how far each sample is from it.
 *
 * Each engine call holds pairs: rows `[x_1..x_P, r_1..r_P]`. The forward pass runs on all of them
 * (the multipliers are differences of the two halves); the seed, the target's one-hot, and the
 * backward pass run on the input half only (see `compiler/rulesets/deeplift.ts`).
 */
import { deepliftRules } from '../../compiler/rulesets/deeplift.js';
import { forEachChunk } from '../../engine/batching.js';
import type { CompiledGradient, Model } from '../../engine/model.js';
import { isLucernaError } from '../../errors.js';
import { sizeOf, type Tensor } from '../../tensor/tensor.js';
import { type BaselineSpec, resolveBaseline } from '../baselines.js';
import { OPTIONS, withDefaults } from '../options.js';
import { checkBatchSize } from '../rows.js';
import { argmaxRows, checkTarget, explicitTargets, oneHotSeed, scoreOutput, seedTensor, targetScores } from '../targets.js';
import type { AttributionMethod, AttributionResult, CommonOptions } from '../types.js';

/**
 * Options of {@link deepLift}. `batchSize` counts engine rows as for every method; DeepLift sends
 * ⌊batchSize/2⌋ (at least one) input/reference pairs per call.
 */
export interface DeepLiftOptions extends CommonOptions {
  /** The reference input (default `'zeros'`, as Captum's default baseline). */
  readonly baseline?: BaselineSpec;
}

/** The DeepLift multipliers of each input with respect to its reference, and the reference scores. */
interface Multipliers {
  /** [N, ...]: the gradient of the input half under the deeplift rule set. */
  readonly multipliers: Tensor;
  /** The class explained for each sample: the given one, or the input row's arg-max. */
  readonly targets: number[];
  /** The explained score of each sample, and of its reference, from the same engine runs. */
  readonly inputScores: number[];
  readonly referenceScores: number[];
}

/** Copies rows `first..first+count` of `t` into `out` at row `at`. */
function copyRows(t: Tensor, first: number, count: number, out: Float32Array, at: number): void {
  const per = sizeOf(t.shape.slice(1));
  out.set(t.data.subarray(first * per, (first + count) * per), at * per);
}

/**
 * Compiles the pairs plan: the backward on the input rows only (`first-half`), or, for a graph whose
 * rows that view cannot split (a tensor whose leading dim is not the batch's), over all rows.
 */
async function compilePairs(model: Model, seed: string, argmax: boolean, inputShape: readonly number[]): Promise<CompiledGradient> {
  const plan = { seeds: [seed], rules: deepliftRules, seedMode: argmax ? ('argmax' as const) : ('input' as const) };
  try {
    return await model.compile({ ...plan, rows: 'first-half' }, inputShape);
  } catch (e) {
    if (!isLucernaError(e, 'BAD_PLAN')) throw e;
    return model.compile(plan, inputShape);
  }
}

/**
 * Runs every (input, reference) pair through the deeplift-compiled plan, `pairs` per engine call
 * (the forward sees 2·pairs rows, the backward the `pairs` input rows). Without explicit targets
 * the seed is the arg-max of the input rows' scores, found inside the same run.
 */
async function deepliftMultipliers(
  model: Model,
  x: Tensor,
  reference: Tensor,
  given: readonly number[] | undefined,
  options: DeepLiftOptions,
): Promise<Multipliers> {
  const n = x.shape[0] as number;
  const sampleShape = x.shape.slice(1);
  const per = sizeOf(sampleShape);
  const pairs = Math.min(n, Math.max(1, Math.floor(checkBatchSize(options.batchSize) / 2)));
  const inputShape = [2 * pairs, ...sampleShape];
  const seed = seedTensor(model, options);
  const output = scoreOutput(model, options);
  const compiled = await compilePairs(model, seed, given === undefined, inputShape);
  const seedShape = compiled.shapeOf(seed);
  if (given) for (const t of given) checkTarget(t, seedShape[seedShape.length - 1] as number);
  const batch = new Float32Array(2 * pairs * per);
  const multipliers = new Float32Array(n * per);
  const targets: number[] = [];
  const inputScores: number[] = [];
  const referenceScores: number[] = [];
  await forEachChunk(n, pairs, options, async (first, count) => {
    batch.fill(0);
    copyRows(x, first, count, batch, 0);
    copyRows(reference, first, count, batch, pairs);
    const seeds = given ? { [seed]: oneHotSeed(given.slice(first, first + count), seedShape) } : undefined;
    const result = await compiled.run({ input: { data: batch, shape: inputShape }, seeds });
    multipliers.set((result.gradients[model.input.name] as Tensor).data.subarray(0, count * per), first * per);
    const scores = result.outputs[output] as Tensor;
    const classes = scores.data.length / (2 * pairs);
    const rows = (start: number): Tensor => ({ data: scores.data.subarray(start * classes, (start + count) * classes), shape: [count, classes] });
    const chunkTargets = given ? given.slice(first, first + count) : argmaxRows(rows(0));
    targets.push(...chunkTargets);
    inputScores.push(...targetScores(rows(0), chunkTargets, options.score));
    referenceScores.push(...targetScores(rows(pairs), chunkTargets, options.score));
  });
  return { multipliers: { data: multipliers, shape: [...x.shape] }, targets, inputScores, referenceScores };
}

/**
 * DeepLift with the rescale rule for every supported non-linearity (ReLU family, Clip/ReLU6,
 * sigmoid/tanh, hard sigmoid/swish, softmax, max pooling, products of activations).
 *
 * Unlike Captum 0.8, ReLU6 (Clip) and max pooling after a ReLU get their rescale rules, so
 * completeness holds on MobileNets and on ReLU→MaxPool stems.
 *
 * @example
 * ```ts
 * const { attribution, delta } = await deepLift.attribute(model, x, { target: 3, baseline: 'blur' });
 * ```
 */
export const deepLift: AttributionMethod<DeepLiftOptions> = {
  name: 'deeplift',
  kind: 'gradient',
  needs: { gradients: true, layer: false, baseline: true },
  options: withDefaults([OPTIONS.baseline], { baseline: 'zeros' }),
  display: { sign: 'all', reduction: 'sum' },
  description: 'DeepLift with the rescale rule (Shrikumar et al. 2017)',
  async attribute(model: Model, x: Tensor, options: DeepLiftOptions = {}): Promise<AttributionResult> {
    model.validateInput(x);
    // No forward pass of its own: the input half of the DeepLift run scores the targets, and the
    // predicted class is its arg-max, found and seeded inside the same run.
    const given = explicitTargets(options.target, x.shape[0] as number);
    const reference = resolveBaseline(options.baseline, x);
    model.validateInput(reference, 'Baseline');
    const m = await deepliftMultipliers(model, x, reference, given, options);
    const { targets, inputScores: scores } = m;
    const per = sizeOf(x.shape.slice(1));
    const attribution = m.multipliers;
    const delta: number[] = [];
    for (let i = 0; i < targets.length; i++) {
      let sum = 0;
      for (let k = i * per; k < (i + 1) * per; k++) {
        const a = (attribution.data[k] as number) * ((x.data[k] as number) - (reference.data[k] as number));
        attribution.data[k] = a;
        sum += a;
      }
      delta.push(sum - ((m.inputScores[i] as number) - (m.referenceScores[i] as number)));
    }
    return { attribution, targets, scores, delta, details: { referenceScores: m.referenceScores } };
  },
};
