/**
 * Network Dissection (Bau et al. 2017, "Network Dissection: Quantifying Interpretability of Deep
 * Visual Representations", https://arxiv.org/abs/1704.05796) with NetDissect-Lite's semantics
 * (https://github.com/CSAILVision/NetDissect-Lite), in two streaming passes over concept data that
 * share one forward pass for all layers per pass:
 * 1. thresholds: every unit's activations go into a mergeable store (`threshold.ts`);
 * 2. tallies: every image's labels are counted against every unit's mask (`tally.ts`).
 *
 * Nothing but the stores, the tallies and a few top images per unit is kept between batches. The
 * passes can run apart (shards: pass 1 on each slice, merge the stores, pass 2 on each slice with
 * the merged thresholds, merge the tallies): see `merge.ts`.
 */

import { throwIfAborted } from '../attribution/rows.js';
import type { BrodenMeta } from '../datasets/broden/format.js';
import type { ImageLabels } from '../datasets/broden/labels.js';
import type { Model } from '../engine/model.js';
import { isLucernaError, LucernaError, positiveInteger } from '../errors.js';
import { sizeOf, type Tensor } from '../tensor/tensor.js';
import type { ActivationCache } from './cache.js';
import { type ForwardItem, openLayerTrunk } from './forward.js';
import { lookahead } from './lookahead.js';
import { ASSOCIATION_IOU, Tally, unitMaxima } from './tally.js';
import { CompactorSketch, TopTail, tailSize, thresholdLevel, type UnitQuantiles } from './threshold.js';
import { TopImages } from './top-images.js';

/** One image of the concept data: its model input and its labels, both loaded on demand. */
export interface ConceptItem extends ForwardItem {
  labels(): Promise<ImageLabels>;
}

/** Concept data for a dissection (one shard of it, or all). */
export interface ConceptData {
  readonly meta: BrodenMeta;
  readonly items: readonly ConceptItem[];
  /** Images in the whole data set (all shards): bounds the exact threshold store. Default `items.length`. */
  readonly totalImages?: number;
}

/** Options of {@link dissect}. */
export interface DissectOptions {
  /** Layers (activation tensors or node names), dissected in one forward pass. */
  readonly layers: readonly string[];
  /** Top quantile of activations that makes a unit's mask; default 0.005. */
  readonly quantile?: number;
  /** Images per engine call; default 8. */
  readonly batchSize?: number;
  /** Given thresholds per (resolved) layer name: skip pass 1. */
  readonly thresholds?: Readonly<Record<string, ArrayLike<number>>>;
  /** Run pass 1 only (a shard's first step). */
  readonly quantilesOnly?: boolean;
  /** Values the exact threshold stores of one layer may hold; past it, a sketch. Default 2^25. */
  readonly exactBudget?: number;
  /** Level capacity of the sketch; default 8192. */
  readonly sketchCapacity?: number;
  /**
   * Where pass 1 leaves the activations for pass 2, which then skips the forward pass (and image
   * decoding); without it, pass 2 runs the model again. Used only when both passes run.
   */
  readonly cache?: ActivationCache;
  /** Bytes the cache may take (activations of all items); past it, pass 2 recomputes. Default unlimited. */
  readonly cacheLimit?: number;
  /**
   * The part association's region (the interpretable-CNN paper's part interpretability): a round
   * receptive field of this radius, in model-input pixels, around every activation above the
   * threshold (`disc-region.ts`). Default: the NetDissect mask (upsampled map above the threshold).
   */
  readonly associationRadius?: number;
  /** Top images kept per unit for the report; default 4. */
  readonly topImages?: number;
  readonly signal?: AbortSignal;
  /** Progress: the pass, images done, images in the pass. */
  readonly onProgress?: (pass: 'thresholds' | 'tally', done: number, total: number) => void;
  readonly onWarning?: (message: string) => void;
  /** Called once the top images are final, before pass 2 when pass 1 runs (per layer, in order). */
  readonly onTopImages?: (tops: readonly TopImages[]) => void;
}

/** One layer's dissection (or the part a shard computed). */
export interface LayerDissection {
  /** Resolved tensor name. */
  readonly layer: string;
  /** `[C, h, w]`. */
  readonly shape: readonly [number, number, number];
  readonly quantile: number;
  /** The quantile level read, ⌊1000·(1 − quantile) − 1⌋ / 999. */
  readonly level: number;
  /** Per-unit stores of pass 1 (absent when thresholds were given). */
  readonly stores?: readonly UnitQuantiles[];
  readonly thresholds?: Float64Array;
  /** Bound on the rank error of the thresholds, as a fraction of the values per unit (0: exact). */
  readonly rankError?: number;
  readonly tally?: Tally;
  readonly top?: TopImages;
}

/** What {@link dissect} returns. */
export interface Dissection {
  readonly layers: readonly LayerDissection[];
  /** Images read. */
  readonly images: number;
  readonly skipped: readonly { readonly image: string; readonly reason: string }[];
  /**
   * Milliseconds: opening the layers' trunk (cutting the graph, the ONNX Runtime session), then over
   * both passes decoding images and label planes, the forward pass, thresholds and tallies (`consume`).
   */
  readonly timing: { readonly trunk: number; readonly load: number; readonly forward: number; readonly consume: number };
}

/**
 * The per-unit stores for a layer of `units` maps of `plane` values, over at most `nImages` images:
 * exact top tails while they fit in `budget` values, else sketches.
 *
 * @example
 * ```ts
 * const stores = unitStores(512, 49, 63000, thresholdLevel(0.005), 2 ** 25, 8192);
 * ```
 */
export function unitStores(units: number, plane: number, nImages: number, level: number, budget: number, capacity: number): UnitQuantiles[] {
  const keep = tailSize(level, nImages * plane);
  const exact = 2 * keep * units <= budget;
  return Array.from({ length: units }, () => (exact ? new TopTail(keep) : new CompactorSketch(capacity)));
}

/**
 * Reads each store's threshold at `level`.
 *
 * @example
 * ```ts
 * const t = thresholdsOf(stores, thresholdLevel(0.005));
 * ```
 */
export function thresholdsOf(stores: readonly UnitQuantiles[], level: number): { thresholds: Float64Array; rankError: number } {
  const thresholds = Float64Array.from(stores, (s) => s.quantile(level));
  const rankError = stores.reduce((m, s) => Math.max(m, s.n ? s.rankError / s.n : 0), 0);
  return { thresholds, rankError };
}

/** The sample shape of the first readable item (unreadable ones before it are skipped). */
async function firstSampleShape(items: readonly ConceptItem[], onSkip: (i: number, reason: string) => void): Promise<number[]> {
  for (const [i, item] of items.entries()) {
    try {
      return (await item.image()).shape.slice(1);
    } catch (e) {
      if (!isLucernaError(e, 'BAD_FILE') && !isLucernaError(e, 'FILE_NOT_FOUND')) throw e;
      onSkip(i, e.message);
    }
  }
  throw new LucernaError('BAD_FILE', `None of the ${items.length} images could be read`, 'Check the images/ folder');
}

/** Bytes of decoded model inputs {@link prefetchInputs} may hold while the session is built. */
const PREFETCH_BYTES = 64 * 2 ** 20;

/**
 * The items, the first `count` of which start loading now: building the session keeps one core
 * busy, and their decoding (on libuv's threads) takes the other instead of competing with the
 * forward pass later. Each early load is handed out once; a later call loads again.
 *
 * @example
 * ```ts
 * const inputs = prefetchInputs(items, 16);
 * ```
 */
export function prefetchInputs<T extends ForwardItem>(items: readonly T[], count: number): T[] {
  return items.map((item, i) => {
    if (i >= count) return item;
    let early: Promise<Tensor> | undefined = item.image();
    early.catch(() => undefined);
    const wrapped: T = Object.create(item);
    wrapped.image = () => {
      const p = early ?? item.image();
      early = undefined;
      return p;
    };
    return wrapped;
  });
}

/**
 * A radius of `radius` pixels of an input of `sample` = [C, H, W], as fractions of the height and
 * width; undefined without a radius. BAD_OPTION for a radius that is not a positive number.
 *
 * @example
 * ```ts
 * discFractions(16, [3, 128, 64]); // [0.125, 0.25]
 * ```
 */
export function discFractions(radius: number | undefined, sample: readonly number[]): [number, number] | undefined {
  if (radius === undefined) return undefined;
  if (!(Number.isFinite(radius) && radius > 0))
    throw new LucernaError('BAD_OPTION', `The association radius must be a positive number of pixels, got ${radius}`);
  const [h, w] = sample.slice(-2) as [number, number];
  return [radius / h, radius / w];
}

function positive(v: number | undefined, fallback: number, what: string): number {
  return positiveInteger(v ?? fallback, `The ${what}`);
}

/**
 * Dissects `options.layers` of `model` on `data`: thresholds (pass 1, unless given), then tallies
 * (pass 2, unless `quantilesOnly`). Unreadable images are skipped with a warning and listed.
 *
 * @example
 * ```ts
 * const result = await dissect(model, { meta, items }, { layers: ['/layer4/Relu_output_0'] });
 * const rows = scoreUnits(result.layers[0].tally!, meta);
 * ```
 */
export async function dissect(model: Model, data: ConceptData, options: DissectOptions): Promise<Dissection> {
  const quantile = options.quantile ?? 0.005;
  const level = thresholdLevel(quantile);
  const batchSize = positive(options.batchSize, 8, 'batch size');
  const topK = positive(options.topImages, 4, 'number of top images');
  const { items, meta } = data;
  if (items.length === 0) throw new LucernaError('BAD_FILE', 'The concept data has no images', 'Check index.csv and the shard');
  const skipped = new Map<number, string>();
  const onSkip = (i: number, reason: string) => {
    if (skipped.has(i)) return;
    skipped.set(i, reason);
    options.onWarning?.(`Skipped ${items[i]?.name}: ${reason}`);
  };
  const sample = await firstSampleShape(items, onSkip);
  const inputs = prefetchInputs(items, Math.max(2 * batchSize, Math.floor(PREFETCH_BYTES / (4 * sizeOf(sample)))));
  const opening = performance.now();
  // Opening the trunk session blocks the event loop (ORT loads synchronously): not after a Ctrl-C.
  throwIfAborted(options.signal);
  await using trunk = await openLayerTrunk(model, options.layers, sample, batchSize);
  const trunkMs = performance.now() - opening;
  const nImages = Math.max(data.totalImages ?? items.length, items.length);
  const layers = trunk.layers.map((layer, li) => {
    const [units, h, w] = trunk.shapes[li] as [number, number, number];
    const given = options.thresholds?.[layer];
    if (options.thresholds && !given)
      throw new LucernaError('BAD_FILE', `The thresholds file has no thresholds for ${layer}`, 'Merge pass-1 shards of the same layers');
    if (given && given.length !== units) throw new LucernaError('BAD_FILE', `The thresholds of ${layer} have ${given.length} units, the layer has ${units}`);
    return {
      layer,
      shape: [units, h, w] as const,
      given: given ? Float64Array.from(given) : undefined,
      stores: given ? undefined : unitStores(units, h * w, nImages, level, options.exactBudget ?? 2 ** 25, options.sketchCapacity ?? 8192),
    };
  });
  const rowSizes = layers.map((l) => l.shape[0] * l.shape[1] * l.shape[2]);
  const cacheBytes = 4 * items.length * rowSizes.reduce((a, b) => a + b, 0);
  const cache =
    layers.some((l) => l.stores) && !options.quantilesOnly && cacheBytes <= (options.cacheLimit ?? Number.POSITIVE_INFINITY) ? options.cache : undefined;
  const pass1 = layers.some((l) => l.stores);
  // Top images need no thresholds: when pass 1 runs they are picked there, so a caller can start
  // on them (the report's thumbnails) while pass 2 counts.
  const tops = options.quantilesOnly ? [] : layers.map((l) => new TopImages(l.shape[0], topK));
  const topsInPass1 = pass1 && tops.length > 0;
  const scratch = layers.map((l) => new Float32Array(l.shape[0]));
  if (pass1) {
    await trunk.run(
      inputs,
      async (indices, acts) => {
        await cache?.put(indices, acts, rowSizes);
        layers.forEach((l, li) => {
          const [units, h, w] = l.shape;
          const act = acts[li] as Float32Array;
          indices.forEach((index, b) => {
            for (let u = 0; u < units; u++) l.stores?.[u]?.add(act, (b * units + u) * h * w, (b * units + u + 1) * h * w);
            if (!topsInPass1) return;
            const maxima = unitMaxima(act, b * units * h * w, units, h * w, scratch[li]);
            tops[li]?.offer(act, b * units * h * w, h, w, index, items[index]?.name ?? '', maxima);
          });
        });
      },
      { onSkip, signal: options.signal, onItem: (d) => options.onProgress?.('thresholds', d, items.length) },
    );
    if (topsInPass1) options.onTopImages?.(tops);
  }
  const finished = layers.map((l) => {
    const read = l.stores ? thresholdsOf(l.stores, level) : undefined;
    return { ...l, thresholds: l.given ?? read?.thresholds, rankError: read?.rankError ?? 0 };
  });
  const disc = discFractions(options.associationRadius, sample);
  const tallies = options.quantilesOnly
    ? []
    : finished.map((l) => new Tally(l.shape[0], meta.labelNames.length, meta.categories.length, ASSOCIATION_IOU, disc));
  const order = items.flatMap((_, i) => (skipped.has(i) ? [] : [i]));
  const labelsAhead = lookahead(order, (i) => (items[i] as ConceptItem).labels(), 2 * batchSize);
  const count = async (indices: readonly number[], acts: readonly Float32Array[]) => {
    const t0 = performance.now();
    const all = await Promise.all(indices.map((index) => labelsAhead.get(index)));
    // Decoding label planes counts as loading, not as tallying.
    const waited = performance.now() - t0;
    trunk.timing.load += waited;
    trunk.timing.consume -= cache ? 0 : waited;
    for (const [b, index] of indices.entries()) {
      const labels = all[b] as ImageLabels;
      finished.forEach((l, li) => {
        const [units, h, w] = l.shape;
        const act = acts[li] as Float32Array;
        const maxima = unitMaxima(act, b * units * h * w, units, h * w, scratch[li]);
        tallies[li]?.addImage(act, b * units * h * w, h, w, l.thresholds as Float64Array, labels, meta.primary, maxima);
        if (!topsInPass1) tops[li]?.offer(act, b * units * h * w, h, w, index, items[index]?.name ?? '', maxima);
      });
    }
  };
  if (!options.quantilesOnly && cache) {
    let done = 0;
    for await (const batch of cache.batches()) {
      throwIfAborted(options.signal);
      const t0 = performance.now();
      const load = trunk.timing.load;
      await count(batch.indices, batch.activations);
      trunk.timing.consume += performance.now() - t0 - (trunk.timing.load - load);
      done += batch.indices.length;
      options.onProgress?.('tally', done + skipped.size, items.length);
    }
  } else if (!options.quantilesOnly) {
    await trunk.run(inputs, count, {
      skip: new Set(skipped.keys()),
      onSkip,
      signal: options.signal,
      onItem: (d) => options.onProgress?.('tally', d, items.length),
    });
  }
  const results: LayerDissection[] = finished.map((l, li) => ({
    layer: l.layer,
    shape: l.shape,
    quantile,
    level,
    stores: l.stores,
    thresholds: l.thresholds,
    rankError: l.rankError,
    tally: tallies[li],
    top: tops[li],
  }));
  const images = items.length - skipped.size;
  if (images === 0) throw new LucernaError('BAD_FILE', `None of the ${items.length} images could be read`, 'Check the images/ folder');
  const timing = { trunk: trunkMs, ...trunk.timing };
  return { layers: results, images, skipped: [...skipped].map(([i, reason]) => ({ image: items[i]?.name ?? String(i), reason })), timing };
}
