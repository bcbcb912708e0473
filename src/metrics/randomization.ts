/**
 * Model-parameter randomization test (Adebayo et al. 2018, "Sanity checks for saliency maps",
 * https://arxiv.org/abs/1810.03292). A method that explains the model should change when the
 * model's learned weights are destroyed. Weights are redrawn layer by layer from the top
 * (cascading), or one layer at a time (independent), in copies of the graph; the method is re-run
 * on each copy for the same target, and each new map is compared with the original by Spearman
 * rank correlation (of the signed map and of its magnitude) and SSIM.
 */
import { throwIfAborted } from '../attribution/rows.js';
import type { AttributionMethod, CommonOptions, TargetSpec } from '../attribution/types.js';
import { Model } from '../engine/model.js';
import { LucernaError, positiveInteger } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import type { MetricContext, MetricDescriptor, MetricOutcome, RandomizationCurves } from './descriptor.js';
import { attributionMaps, planeOf } from './maps.js';
import { type ParametrisedLayer, parametrisedLayers, randomizedCopy } from './randomize-weights.js';
import { spearman } from './spearman.js';
import { minMaxScaled, ssim } from './ssim.js';

/** Cascading (top layers cumulatively) or independent (one layer at a time). */
export type RandomizationMode = 'cascading' | 'independent';

/** Options of {@link modelRandomization}. */
export interface RandomizationOptions {
  /** The method's own options (layer, steps…); target, signal and progress are set here. */
  readonly methodOptions?: Readonly<Record<string, unknown>>;
  /** The class explained; resolved once on the original model and kept for every stage. Default: argmax. */
  readonly target?: TargetSpec;
  /** Default `cascading`. */
  readonly mode?: RandomizationMode;
  /**
   * Which stages to run. Cascading: how many top layers are randomized (1..L). Independent: which
   * layer is randomized (0-based, top first). Default: every stage.
   */
  readonly stages?: readonly number[];
  /** Seed of the redrawn weights (default 0). */
  readonly seed?: number;
  /** Reuse randomized models across calls (e.g. over a folder of images); see {@link RandomizedModels}. */
  readonly models?: RandomizedModels;
  readonly signal?: AbortSignal;
  readonly onProgress?: (done: number, total: number) => void;
}

/** One stage: what was randomized and the similarity of each sample's map to its original. */
export interface RandomizationStage {
  /** Cascading: the number of top layers randomized; independent: the index of the layer. */
  readonly stage: number;
  /** The node name of the last layer randomized at this stage (the x-axis label of the figures). */
  readonly layer: string;
  /** Spearman rank correlation of the signed maps (channels summed), per sample. */
  readonly spearman: number[];
  /** Spearman rank correlation of the magnitude maps (|·| summed over channels), per sample. */
  readonly spearmanAbs: number[];
  /** SSIM of the magnitude maps, each scaled to [0, 1], per sample. */
  readonly ssim: number[];
}

/** The result of {@link modelRandomization}. */
export interface RandomizationResult {
  readonly mode: RandomizationMode;
  readonly method: string;
  /** Every parametrised layer, top first. */
  readonly layers: readonly ParametrisedLayer[];
  readonly targets: readonly number[];
  readonly stages: readonly RandomizationStage[];
}

/**
 * The randomized copies of one model, built on demand and kept until disposed, so a folder of
 * images pays for each stage's compilation once.
 *
 * @example
 * ```ts
 * await using models = new RandomizedModels(model, 'cascading', 0);
 * await modelRandomization(model, saliency, x, { models, stages: [1, 10] });
 * ```
 */
export class RandomizedModels implements AsyncDisposable {
  /** Every parametrised layer of the source model, top first. */
  readonly layers: readonly ParametrisedLayer[];
  private readonly cache = new Map<number, Model>();

  constructor(
    readonly source: Model,
    readonly mode: RandomizationMode,
    readonly seed: number,
  ) {
    this.layers = parametrisedLayers(source.graph);
    if (this.layers.length === 0) {
      throw new LucernaError(
        'UNSUPPORTED_MODEL',
        `${source.name} has no layers with learned weights to randomize`,
        'Conv, Gemm, MatMul or BatchNormalization with initializers',
      );
    }
  }

  /** Every valid stage number of this mode. */
  allStages(): number[] {
    const n = this.layers.length;
    return this.mode === 'cascading' ? Array.from({ length: n }, (_, i) => i + 1) : Array.from({ length: n }, (_, i) => i);
  }

  /** Checks a stage number and returns the layers it randomizes. */
  layersOf(stage: number): readonly ParametrisedLayer[] {
    const n = this.layers.length;
    const ok = this.mode === 'cascading' ? stage >= 1 && stage <= n : stage >= 0 && stage < n;
    if (!Number.isInteger(stage) || !ok) {
      const range = this.mode === 'cascading' ? `1..${n}` : `0..${n - 1}`;
      throw new LucernaError('BAD_OPTION', `Randomization stage ${stage} is out of range`, `The model has ${n} parametrised layers: use ${range}`);
    }
    return this.mode === 'cascading' ? this.layers.slice(0, stage) : [this.layers[stage] as ParametrisedLayer];
  }

  /** The model of one stage (built once). */
  model(stage: number): Model {
    let m = this.cache.get(stage);
    if (!m) {
      const graph = randomizedCopy(this.source.graph, this.layersOf(stage), this.seed);
      m = Model.fromGraph(graph, { runtime: this.source.runtime, ...this.source.options, name: `${this.source.name} (${this.mode} stage ${stage})` });
      this.cache.set(stage, m);
    }
    return m;
  }

  /** Releases every stage model. */
  async dispose(): Promise<void> {
    const models = [...this.cache.values()];
    this.cache.clear();
    await Promise.all(models.map((m) => m.dispose()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}

/** Signed (channel sum) and magnitude (channel |·| sum) maps of an attribution at input size. */
function signedAndMagnitude(attribution: Tensor, inputShape: readonly number[]): { signed: Tensor; magnitude: Tensor } {
  return { signed: attributionMaps(attribution, inputShape, 'sum'), magnitude: attributionMaps(attribution, inputShape, 'abs-sum') };
}

/**
 * Runs the randomization test of one method on a batch of inputs.
 *
 * @example
 * ```ts
 * const r = await modelRandomization(model, guidedBackprop, x, { stages: [1, 5, 20] });
 * r.stages.map((s) => s.spearmanAbs[0]); // stays high for guided backprop
 * ```
 */
export async function modelRandomization(
  model: Model,
  method: AttributionMethod<CommonOptions>,
  x: Tensor,
  options: RandomizationOptions = {},
): Promise<RandomizationResult> {
  const mode = options.mode ?? options.models?.mode ?? 'cascading';
  const owned = options.models ? undefined : new RandomizedModels(model, mode, options.seed ?? 0);
  const models = options.models ?? (owned as RandomizedModels);
  if (models.mode !== mode) throw new LucernaError('BAD_OPTION', `The randomized models are ${models.mode}, but mode ${mode} was asked`);
  try {
    const stages = options.stages ?? models.allStages();
    for (const s of stages) models.layersOf(s);
    const base = { ...(options.methodOptions ?? {}), signal: options.signal } as CommonOptions;
    const original = await method.attribute(model, x, { ...base, target: options.target });
    const targets = [...original.targets];
    const reference = signedAndMagnitude(original.attribution, x.shape);
    const n = x.shape[0] as number;
    const out: RandomizationStage[] = [];
    for (const [k, stage] of stages.entries()) {
      throwIfAborted(options.signal);
      const result = await method.attribute(models.model(stage), x, { ...base, target: targets });
      const maps = signedAndMagnitude(result.attribution, x.shape);
      const row: RandomizationStage = { stage, layer: lastLayerName(models.layersOf(stage)), spearman: [], spearmanAbs: [], ssim: [] };
      for (let i = 0; i < n; i++) {
        row.spearman.push(spearman(planeOf(reference.signed, i).values, planeOf(maps.signed, i).values));
        const a = planeOf(reference.magnitude, i);
        const b = planeOf(maps.magnitude, i);
        row.spearmanAbs.push(spearman(a.values, b.values));
        row.ssim.push(ssim({ ...a, values: minMaxScaled(a.values) }, { ...b, values: minMaxScaled(b.values) }));
      }
      out.push(row);
      options.onProgress?.(k + 1, stages.length);
    }
    return { mode, method: method.name, layers: models.layers, targets, stages: out };
  } finally {
    await owned?.dispose();
  }
}

function lastLayerName(layers: readonly ParametrisedLayer[]): string {
  return layers[layers.length - 1]?.node ?? '';
}

/**
 * `count` stage numbers spread evenly over the cascade (always including the first and the last),
 * for an affordable run over a deep model.
 *
 * @example
 * ```ts
 * spreadStages(55, 5); // [1, 15, 28, 42, 55]
 * ```
 */
export function spreadStages(layers: number, count: number, mode: RandomizationMode = 'cascading'): number[] {
  positiveInteger(count, 'The number of randomization stages');
  const first = mode === 'cascading' ? 1 : 0;
  const last = mode === 'cascading' ? layers : layers - 1;
  if (count === 1 || last <= first) return [last];
  const picks = Array.from({ length: count }, (_, i) => Math.round(first + ((last - first) * i) / (count - 1)));
  return [...new Set(picks)];
}

async function randomizationOutcome(c: MetricContext, mode: RandomizationMode): Promise<MetricOutcome> {
  const models = c.randomizedModels(mode);
  const stages = spreadStages(models.layers.length, c.settings.randomization.stages, mode);
  const r = await modelRandomization(c.model, c.method, c.x, { models, stages, target: c.target, methodOptions: c.methodOptions, signal: c.signal });
  const first = (v: readonly number[]) => v[0] as number;
  const curves: RandomizationCurves = {
    layers: r.stages.map((st) => st.layer),
    spearman: r.stages.map((st) => first(st.spearman)),
    spearmanAbs: r.stages.map((st) => first(st.spearmanAbs)),
    ssim: r.stages.map((st) => first(st.ssim)),
  };
  return { value: curves.spearmanAbs.reduce((p, v) => p + v, 0) / curves.spearmanAbs.length, randomization: { mode, curves } };
}

/**
 * Cascading model randomization as a metric of `lucerna evaluate` (Adebayo et al. 2018,
 * https://arxiv.org/abs/1810.03292): the mean Spearman correlation of |map| over the stages.
 *
 * @example `await randomizationMetric.evaluate(context); // { value: 0.3, randomization: { mode: 'cascading', … } }`
 */
export const randomizationMetric: MetricDescriptor<'randomization'> = {
  name: 'randomization',
  description: 'Cascading model randomization: mean Spearman of |map| over the stages (Adebayo et al. 2018)',
  needsMask: false,
  better: 'lower',
  evaluate: (c) => randomizationOutcome(c, 'cascading'),
};

/**
 * Independent layer randomization as a metric of `lucerna evaluate` (Adebayo et al. 2018).
 *
 * @example `await independentRandomizationMetric.evaluate(context); // { value: 0.2, randomization: { mode: 'independent', … } }`
 */
export const independentRandomizationMetric: MetricDescriptor<'randomization-independent'> = {
  name: 'randomization-independent',
  description: 'Independent layer randomization: mean Spearman of |map| over the layers (Adebayo et al. 2018)',
  needsMask: false,
  better: 'lower',
  evaluate: (c) => randomizationOutcome(c, 'independent'),
};
