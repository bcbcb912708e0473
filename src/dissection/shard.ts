/**
 * Shard files of a dissection split across processes or machines (`--shard i/n`), and their merge.
 * A shard runs pass 1 (stage `thresholds`: the per-unit stores) or, given the merged thresholds,
 * pass 2 (stage `tally`: tallies and top images). Stores, tallies and top images are additive, so
 * merging the shards of a stage gives what one run over the whole index gives.
 */
import type { BrodenMeta } from '../datasets/broden/format.js';
import { LucernaError } from '../errors.js';
import type { Dissection } from './dissect.js';
import { Tally, type TallyState } from './tally.js';
import { type QuantileState, quantilesFromState } from './threshold.js';
import { TopImages, type TopImagesState } from './top-images.js';

/** The format tag of shard files. */
export const SHARD_FORMAT = 'lucerna-dissect-shard';

/** One layer of a shard file. */
export interface ShardLayer {
  readonly layer: string;
  readonly shape: readonly [number, number, number];
  readonly quantile: number;
  readonly level: number;
  readonly stores?: readonly QuantileState[];
  readonly thresholds?: readonly number[];
  readonly rankError: number;
  readonly tally?: TallyState;
  readonly top?: TopImagesState;
}

/** A shard file (`shard.json`). */
export interface ShardFile {
  readonly format: typeof SHARD_FORMAT;
  readonly version: 1;
  readonly stage: 'thresholds' | 'tally';
  /** The data set folder, for the report's images. */
  readonly dataset: string;
  readonly meta: { readonly categories: readonly string[]; readonly labelNames: readonly string[]; readonly primary: readonly number[] };
  /** Shards folded in, as `i/n` strings. */
  readonly shards: readonly string[];
  readonly images: number;
  readonly skipped: readonly { readonly image: string; readonly reason: string }[];
  readonly layers: readonly ShardLayer[];
}

/**
 * The shard file of a (partial) dissection.
 *
 * @example
 * ```ts
 * const file = shardFile(result, meta, 'data/broden', '1/2');
 * ```
 */
export function shardFile(d: Dissection, meta: BrodenMeta, dataset: string, shard: string): ShardFile {
  const tally = d.layers.some((l) => l.tally);
  return {
    format: SHARD_FORMAT,
    version: 1,
    stage: tally ? 'tally' : 'thresholds',
    dataset,
    meta: { categories: meta.categories, labelNames: meta.labelNames, primary: Array.from(meta.primary) },
    shards: [shard],
    images: d.images,
    skipped: d.skipped,
    layers: d.layers.map((l) => ({
      layer: l.layer,
      shape: l.shape,
      quantile: l.quantile,
      level: l.level,
      stores: tally ? undefined : l.stores?.map((s) => s.state()),
      thresholds: l.thresholds ? Array.from(l.thresholds) : undefined,
      rankError: l.rankError ?? 0,
      tally: l.tally?.state(),
      top: l.top?.state(),
    })),
  };
}

/**
 * Checks that a parsed JSON value is a shard file.
 *
 * @example
 * ```ts
 * const file = checkShardFile(JSON.parse(text), 'shard1/shard.json');
 * ```
 */
export function checkShardFile(value: unknown, what: string): ShardFile {
  const v = value as Partial<ShardFile> | null;
  if (!v || v.format !== SHARD_FORMAT || v.version !== 1 || !Array.isArray(v.layers))
    throw new LucernaError('BAD_FILE', `${what} is not a dissection shard file`, 'Give the folders written by `lucerna dissect --shard i/n`');
  return v as ShardFile;
}

function sameLayers(a: ShardFile, b: ShardFile): boolean {
  return a.layers.length === b.layers.length && a.layers.every((l, i) => l.layer === b.layers[i]?.layer && l.quantile === b.layers[i]?.quantile);
}

function mergeLayer(a: ShardLayer, b: ShardLayer, stage: ShardFile['stage']): ShardLayer {
  if (stage === 'thresholds') {
    const stores = (a.stores ?? []).map((s, u) => {
      const merged = quantilesFromState(s);
      merged.merge(quantilesFromState((b.stores ?? [])[u] as QuantileState));
      return merged;
    });
    if (stores.length !== (b.stores ?? []).length) throw new LucernaError('BAD_FILE', `Shards disagree on the units of ${a.layer}`);
    const thresholds = stores.map((s) => s.quantile(a.level));
    const rankError = stores.reduce((m, s) => Math.max(m, s.n ? s.rankError / s.n : 0), 0);
    return { ...a, stores: stores.map((s) => s.state()), thresholds, rankError };
  }
  if (!a.tally || !b.tally || !a.top || !b.top) throw new LucernaError('BAD_FILE', `A tally shard of ${a.layer} has no tally`);
  if (JSON.stringify(a.thresholds) !== JSON.stringify(b.thresholds))
    throw new LucernaError('BAD_FILE', `Tally shards of ${a.layer} used different thresholds`, 'Run every tally shard with the same --thresholds file');
  const tally = Tally.fromState(a.tally);
  tally.merge(Tally.fromState(b.tally));
  const top = TopImages.fromState(a.top);
  top.merge(TopImages.fromState(b.top));
  return { ...a, tally: tally.state(), top: top.state() };
}

/**
 * Merges shard files of one stage, layers and vocabulary. Errors: BAD_FILE when they do not fit
 * together (different stages, layers, label sets or thresholds, or a shard given twice).
 *
 * @example
 * ```ts
 * const merged = mergeShardFiles([one, two]);
 * ```
 */
export function mergeShardFiles(files: readonly ShardFile[]): ShardFile {
  const [first, ...rest] = files;
  if (!first) throw new LucernaError('BAD_OPTION', 'Give at least one shard folder to merge');
  let merged = first;
  for (const f of rest) {
    if (f.stage !== merged.stage) throw new LucernaError('BAD_FILE', `Cannot merge a ${f.stage} shard with a ${merged.stage} shard`);
    if (!sameLayers(f, merged) || JSON.stringify(f.meta) !== JSON.stringify(merged.meta))
      throw new LucernaError('BAD_FILE', 'The shards dissect different layers, quantiles or label sets');
    const twice = f.shards.find((s) => merged.shards.includes(s));
    if (twice) throw new LucernaError('BAD_FILE', `Shard ${twice} is given twice`);
    merged = {
      ...merged,
      shards: [...merged.shards, ...f.shards],
      images: merged.images + f.images,
      skipped: [...merged.skipped, ...f.skipped],
      layers: merged.layers.map((l, i) => mergeLayer(l, f.layers[i] as ShardLayer, merged.stage)),
    };
  }
  if (merged.stage === 'thresholds' && rest.length === 0) {
    return { ...merged, layers: merged.layers.map((l) => ({ ...l, thresholds: (l.stores ?? []).map((s) => quantilesFromState(s).quantile(l.level)) })) };
  }
  return merged;
}
