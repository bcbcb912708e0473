/**
 * Turns a classifier into an interpretable CNN before training (Zhang, Wu & Zhu, CVPR 2018,
 * https://arxiv.org/abs/1710.00935): checks the named conv outputs, assigns every filter a
 * category, inserts the mask layers and returns the filter-loss terms to train beside the
 * cross-entropy.
 *
 * - `single`: object vs. `none`. The data must have exactly two classes, one of them named `none`;
 *   every filter belongs to the other one.
 * - `multi`: each filter belongs to the object class whose images make it fire most — the mean over
 *   the class's images of the filter's peak (the conv output, before any mask; the statistic the
 *   ICNN authors' code assigns filters by), over `assignSamples` samples spread evenly over the
 *   training data, measured on the network as it starts training. A class named `none` owns no
 *   filter: its images are negatives for every filter (the paper's categories are object categories).
 *   With `relativeAssign` each class's mean peaks are first divided by their mean over the filters.
 */
import type { Dataset } from '../../datasets/types.js';
import { type ChunkControl, forEachChunk } from '../../engine/batching.js';
import { prepareGraph } from '../../engine/prepare.js';
import { outputTensor, type Runtime, type SessionOptions } from '../../engine/runtime.js';
import { LucernaError } from '../../errors.js';
import type { Graph } from '../../onnx/graph.js';
import { DataType, encodeModel } from '../../onnx/proto.js';
import type { LossTerm } from '../loss.js';
import type { MaskCentre } from './centre.js';
import { classPeaksName } from './code-rules.js';
import { assignFilters, filterLoss, relativeToClassLevel } from './filter-loss.js';
import { checkMaskable, insertMask } from './mask.js';
import type { TemplateOptions } from './templates.js';

/** How to make the network interpretable. */
export interface InterpretableOptions extends TemplateOptions {
  /** Conv outputs to mask (usually the top conv layer, or the top two). */
  readonly tensors: readonly string[];
  readonly mode: 'single' | 'multi';
  /** Weight of each layer's filter loss (default 1). */
  readonly weight?: number;
  /** `exact` (the paper's −MI, default) or `approx` (the authors' approximate gradient). */
  readonly form?: 'exact' | 'approx';
  /** Samples read to assign filters in `multi` mode (default 256). */
  readonly assignSamples?: number;
  readonly batchSize?: number;
  /** The mask-centre rule (default `centroid`, the authors' code; `argmax` is the paper's text). */
  readonly centre?: MaskCentre;
  /** β: `adaptive` per filter as the authors' code (default), or `fixed` (the paper's constant). */
  readonly betaMode?: 'fixed' | 'adaptive';
  /** Rate of the adaptive β's pull towards its target per step (default {@link DEFAULT_BETA_RATE}). */
  readonly betaRate?: number;
  /** `multi` mode: reassign filters every step as the authors' code (default true), or once at the start. */
  readonly reassign?: boolean;
  /**
   * `multi` mode: compare each class's peaks relative to their mean over the layer's filters
   * ({@link relativeToClassLevel}; not the authors' rule, `--filter-assign relative`). Default false.
   */
  readonly relativeAssign?: boolean;
  /** The filter-loss weight: `epoch` (w/epoch, the authors' code; default) or `constant`. */
  readonly weightSchedule?: 'constant' | 'epoch';
  /** Optimizer steps per epoch, for the `epoch` schedule (default: the data size over `batchSize`). */
  readonly stepsPerEpoch?: number;
}

/**
 * The adaptive β's default rate: the authors' update of β (gradient −10⁴·(target − β), learning-rate
 * factor 0.05, divided by the batch of 32, at VGG-16's first rate 1e-4, with momentum 0.9) moves β
 * about 1.6 % of the way to its target per step.
 */
export const DEFAULT_BETA_RATE = 0.016;

/** The masked graph, the loss terms and each layer's filter categories (at the start). */
export interface InterpretableSetup {
  readonly graph: Graph;
  readonly terms: readonly LossTerm[];
  readonly categories: ReadonlyMap<string, readonly number[]>;
  /** Classes that own no filter, when filters are reassigned every step (multi mode). */
  readonly reassignExclude?: readonly number[];
  /** Whether the reassignment compares each class's peaks relative to their level ({@link InterpretableOptions.relativeAssign}). */
  readonly reassignRelative?: boolean;
}

/**
 * Each layer's filter categories after training: with reassignment, the class with the highest
 * running peak in the trainer's state ({@link classPeaksName}); otherwise the categories of the start.
 *
 * @example
 * ```ts
 * const categories = trainedCategories(setup, trainer.optimizerState().tensors);
 * ```
 */
export function trainedCategories(setup: InterpretableSetup, state: ReadonlyMap<string, Float32Array>): Map<string, readonly number[]> {
  const out = new Map(setup.categories);
  for (const [t, cats] of setup.categories) {
    const peaks = state.get(classPeaksName(t));
    if (!setup.reassignExclude || !peaks) continue;
    const classes = peaks.length / cats.length;
    out.set(t, assignFilters(setup.reassignRelative ? relativeToClassLevel(peaks, classes) : peaks, classes, cats.length, setup.reassignExclude));
  }
  return out;
}

/**
 * The class every filter belongs to in single-category mode (the one that is not `none`).
 *
 * @example
 * ```ts
 * objectClass(['bird', 'none']); // 0
 * ```
 */
export function objectClass(classNames: readonly string[] | undefined): number {
  const none = classNames?.indexOf('none') ?? -1;
  if (!classNames || none < 0) {
    throw new LucernaError(
      'BAD_TARGET',
      `Single-category interpretable training needs negative images in a class named "none"; the data has ${classNames ? classNames.join(', ') : 'no class names'}`,
      'Add a none/ folder of images without the object, or use --interpretable-mode multi',
    );
  }
  if (classNames.length !== 2) {
    throw new LucernaError(
      'BAD_TARGET',
      `Single-category interpretable training is object vs. none; the data has ${classNames.length} classes (${classNames.join(', ')})`,
      'Use --interpretable-mode multi',
    );
  }
  return none === 0 ? 1 : 0;
}

/**
 * Mean activation [K, C] (class-major) of each tensor's filters over each class's images (with
 * `reduce` `peak`: the mean over the class's images of each map's maximum), read
 * from `o.assignSamples` (default 256) samples spread evenly over `data` (an image folder lists
 * its samples class by class), in whole batches of `o.batchSize` (default 16) on the batching
 * core (`control`: cancellation and progress); a class with no sample there keeps zeros.
 * Multi-category mode assigns filters from it; it also measures how silent an interpretable net's
 * filters are on `none` images ({@link noneToObjectRatio}).
 *
 * @example
 * ```ts
 * const means = await meanActivations(nodeRuntime, graph, ['Relu_33'], data, 2, { tensors: ['Relu_33'], mode: 'single' }, {});
 * means.get('Relu_33'); // Float64Array [2 × 64]
 * ```
 */
export async function meanActivations(
  runtime: Runtime,
  graph: Graph,
  tensors: readonly string[],
  data: Dataset,
  classes: number,
  o: InterpretableOptions,
  session: SessionOptions,
  reduce: 'mean' | 'peak' = 'mean',
  control: ChunkControl = {},
): Promise<Map<string, Float64Array>> {
  const batch = Math.max(1, Math.min(o.batchSize ?? 16, data.size));
  const prepared = await prepareGraph(runtime, graph, [batch, ...data.sampleShape], session);
  const g = prepared.graph.clone();
  g.outputs = tensors.map((t) => ({ name: t, elemType: DataType.FLOAT, dims: [...(prepared.shapes.get(t) ?? [])] }));
  const sums = new Map(tensors.map((t) => [t, new Float64Array(classes * ((prepared.shapes.get(t) ?? [])[1] ?? 0))]));
  const counts = new Float64Array(classes);
  const s = await runtime.createSession(encodeModel(g.toModel()), session);
  try {
    const total = Math.min(data.size, o.assignSamples ?? 256);
    // Whole batches only (the session has one batch size): a short tail is left out, and a set
    // smaller than one batch is read once, wrapping around.
    const rows = batch * Math.max(1, Math.floor(total / batch));
    await forEachChunk(rows, batch, control, async (start) => {
      // Spread over the whole set: an image folder lists its samples class by class, so the first
      // `total` alone could all be of one class.
      const indices = Array.from({ length: batch }, (_, i) => Math.floor((((start + i) % total) * data.size) / total));
      const { x, labels } = await data.read(indices, 0);
      const out = await s.run({ [prepared.graph.primaryInput().name]: x }, tensors);
      for (const t of tensors) {
        const y = outputTensor(out[t], t);
        const [, filters = 0, h = 1, w = 1] = y.shape;
        const acc = sums.get(t) as Float64Array;
        for (let n = 0; n < batch; n++) {
          for (let c = 0; c < filters; c++) {
            let m = 0;
            let top = Number.NEGATIVE_INFINITY;
            for (let i = 0; i < h * w; i++) {
              const v = y.data[(n * filters + c) * h * w + i] as number;
              m += v;
              if (v > top) top = v;
            }
            const at = (labels[n] as number) * filters + c;
            acc[at] = (acc[at] as number) + (reduce === 'peak' ? top : m / (h * w));
          }
        }
      }
      for (const l of labels) counts[l] = (counts[l] as number) + 1;
    });
  } finally {
    await s.dispose();
  }
  for (const acc of sums.values()) {
    const filters = acc.length / classes;
    for (let k = 0; k < classes; k++)
      for (let c = 0; c < filters; c++) acc[k * filters + c] = (acc[k * filters + c] as number) / Math.max(1, counts[k] as number);
  }
  return sums;
}

/**
 * How much a layer's filters fire on `none` images relative to object images: the mean over the
 * filters of their mean activation on `none` images divided by the same on the other classes' images
 * (means [K, C] from {@link meanActivations}). The single-category filter loss explains `none`
 * images by the negative template T⁻ = −τ, so an interpretable net's top filters should be far
 * more silent there than an ordinary net's (Zhang, Wu & Zhu 2018, https://arxiv.org/abs/1710.00935).
 *
 * @example
 * ```ts
 * noneToObjectRatio(new Float64Array([2, 4, 0.5, 1]), 2, 1); // (0.75) / (3) = 0.25
 * ```
 */
export function noneToObjectRatio(means: ArrayLike<number>, classes: number, none: number): number {
  const filters = means.length / classes;
  let object = 0;
  let background = 0;
  for (let k = 0; k < classes; k++) {
    let sum = 0;
    for (let c = 0; c < filters; c++) sum += means[k * filters + c] as number;
    if (k === none) background = sum / filters;
    else object += sum / filters / (classes - 1);
  }
  return background / object;
}

/**
 * Masks `graph` (a copy) and builds the filter-loss terms.
 *
 * @example
 * ```ts
 * const { graph: masked, terms } = await setupInterpretable(nodeRuntime, graph, data, { tensors: ['features.relu5'], mode: 'single' });
 * ```
 */
export async function setupInterpretable(
  runtime: Runtime,
  source: Graph,
  data: Dataset,
  o: InterpretableOptions,
  session: SessionOptions = {},
): Promise<InterpretableSetup> {
  if (o.tensors.length === 0) throw new LucernaError('BAD_OPTION', '--interpretable names no tensor', 'Name the top conv layer output');
  const classes = data.classNames?.length ?? 0;
  const single = o.mode === 'single' ? objectClass(data.classNames) : -1;
  const graph = source.clone();
  const probe = await prepareGraph(runtime, graph, [1, ...data.sampleShape], session);
  const dims = new Map(o.tensors.map((t) => [t, probe.shapes.get(t) ?? []]));
  for (const t of o.tensors) checkMaskable(graph, t, dims.get(t) as readonly number[]);
  const means =
    single < 0
      ? await meanActivations(runtime, graph, o.tensors, data, Math.max(classes, 1 + Math.max(...(await data.labels()))), o, session, 'peak')
      : undefined;
  const none = data.classNames?.indexOf('none') ?? -1;
  const exclude = none >= 0 && classes > 1 ? [none] : [];
  const categories = new Map<string, readonly number[]>();
  const terms: LossTerm[] = [];
  const centre = o.centre ?? 'centroid';
  const adaptive = (o.betaMode ?? 'adaptive') === 'adaptive';
  const stepsPerEpoch = o.stepsPerEpoch ?? Math.ceil(data.size / Math.max(1, o.batchSize ?? 16));
  for (const t of o.tensors) {
    const filters = (dims.get(t) as readonly number[])[1] as number;
    const mean = means?.get(t);
    const classCount = mean ? mean.length / filters : 0;
    const stat = mean && o.relativeAssign ? relativeToClassLevel(mean, classCount) : mean;
    const cats = stat ? assignFilters(stat, classCount, filters, exclude) : Array<number>(filters).fill(single);
    categories.set(t, cats);
    terms.push(
      filterLoss({
        tensor: t,
        categories: cats,
        weight: o.weight,
        form: o.form,
        tau: o.tau,
        beta: o.beta,
        alpha: o.alpha,
        centre,
        ...(adaptive ? { betaRate: o.betaRate ?? DEFAULT_BETA_RATE } : {}),
        ...(single < 0 && o.reassign !== false ? { reassign: { exclude, relative: o.relativeAssign === true } } : {}),
        ...((o.weightSchedule ?? 'epoch') === 'epoch' ? { stepsPerEpoch } : {}),
      }),
    );
  }
  for (const t of o.tensors) insertMask(graph, t, dims.get(t) as readonly number[], { ...o, centre, adaptiveBeta: adaptive });
  const reassigned = single < 0 && o.reassign !== false;
  return { graph, terms, categories, ...(reassigned ? { reassignExclude: exclude, reassignRelative: o.relativeAssign === true } : {}) };
}
