/**
 * The work of `lucerna dissect [MODEL] --dataset <broden dir> --layer <tensor>[,<tensor>...] --out <dir>`:
 * Network Dissection (Bau et al. 2017) with NetDissect-Lite's semantics on a Broden-format set.
 * Writes per layer `<layer>/tally.csv` (NetDissect-Lite's columns), plus `result.json` and
 * `report.html`. `--shard i/n` runs one slice of the index: pass 1 (thresholds) without
 * `--thresholds`, pass 2 (tallies) with the merged thresholds; `lucerna dissect merge <dirs...>`
 * merges shard folders (thresholds → a thresholds file; tallies → the final outputs). Loaded by
 * `dissect.ts` and `dissect-merge.ts` when the commands run; every file goes through `ctx.outputs`.
 */
import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { BrodenMeta } from '../../datasets/broden/format.js';
import { type BrodenDataset, openBroden } from '../../datasets/broden/node.js';
import { type ConceptItem, dissect } from '../../dissection/dissect.js';
import { layerResult, tallyCsv } from '../../dissection/output.js';
import { MASK_PALETTE, maskShades } from '../../dissection/overlay.js';
import { dissectionReportHtml, type ReportLayer, type TopImageView } from '../../dissection/report.js';
import { bestAssociations, countDetectors, iouMatrix, meanAssociation, meanBestIou, scoreUnits } from '../../dissection/score.js';
import { checkShardFile, mergeShardFiles, type ShardFile, shardFile } from '../../dissection/shard.js';
import { Tally } from '../../dissection/tally.js';
import { TopImages } from '../../dissection/top-images.js';
import { throwIfAborted } from '../../engine/batching.js';
import { LucernaError } from '../../errors.js';
import { fileActivationCache } from '../../io/activation-cache.js';
import { loadImageTensor, thumbnailJpeg } from '../../io/image.js';
import { encodePalettePng } from '../../io/png.js';
import { readError } from '../../io/read-error.js';
import type { StagedOutputs } from '../../io/write.js';
import type { CommandContext, CommandResult } from '../command.js';
import { openModel, pixelSettings } from '../model.js';
import { progressBar } from '../progress.js';
import { type WhereRows, whereRows } from './dissect-where.js';

/** Flags of `lucerna dissect`. */
export interface DissectFlags {
  readonly dataset?: string;
  readonly layer?: string;
  readonly out?: string;
  readonly quantile?: string;
  readonly categories?: string;
  /** `<category>=<label>`: only images of that object, labels only on its pixels. */
  readonly where?: string;
  /** `--association-radius <px>`: associate parts by round regions of this radius. */
  readonly associationRadius?: string;
  readonly batchSize?: string;
  readonly iouThreshold?: string;
  readonly top?: string;
  readonly reportUnits?: string;
  readonly shard?: string;
  readonly thresholds?: string;
  /** False with `--no-cache`. */
  readonly cache?: boolean;
  readonly json?: boolean;
}

/** Flags of `lucerna dissect merge`. */
export type DissectMergeFlags = Pick<DissectFlags, 'out' | 'iouThreshold' | 'reportUnits' | 'json'>;

/** Pass 1 caches activations for pass 2 when they take at most this many bytes. */
const CACHE_LIMIT = 2 ** 31;
/** Of which this many stay in memory (the rest goes to a temporary file). */
const CACHE_MEMORY = 2 ** 28;

function need(value: string | undefined, flag: string): string {
  if (value === undefined || value === '') throw new LucernaError('BAD_OPTION', `${flag} is required`, `Pass ${flag} <value>`);
  return value;
}

function numberFlag(text: string | undefined, flag: string, fallback: number, check: (v: number) => boolean, rule: string): number {
  if (text === undefined) return fallback;
  const v = Number(text);
  if (text.trim() === '' || !check(v)) throw new LucernaError('BAD_OPTION', `${flag} must be ${rule}, got "${text}"`);
  return v;
}

const positiveInt = (v: number) => Number.isInteger(v) && v >= 1;

/**
 * Parses `--shard i/n` (1 ≤ i ≤ n) into its 0-based row range over `total` rows.
 *
 * @example
 * ```ts
 * shardRange('2/3', 10); // { start: 3, end: 6 }
 * ```
 */
export function shardRange(text: string, total: number): { start: number; end: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const i = Number(m?.[1]);
  const n = Number(m?.[2]);
  if (!m || n < 1 || i < 1 || i > n) throw new LucernaError('BAD_OPTION', `--shard must be i/n with 1 ≤ i ≤ n, got "${text}"`, 'E.g. --shard 1/4');
  return { start: Math.floor(((i - 1) * total) / n), end: Math.floor((i * total) / n) };
}

async function readShard(path: string): Promise<ShardFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw readError(e, path, 'Give a folder written by `lucerna dissect --shard`');
  }
  try {
    return checkShardFile(JSON.parse(text), path);
  } catch (e) {
    if (e instanceof LucernaError) throw e;
    throw new LucernaError('BAD_FILE', `${path} is not valid JSON`);
  }
}

function conceptItems(set: BrodenDataset, rows: BrodenDataset['rows'], pixels: Parameters<typeof loadImageTensor>[1], where?: WhereRows): ConceptItem[] {
  return rows.map((row) => ({
    name: row.image,
    image: async () => (await loadImageTensor(set.imagePath(row), pixels)).tensor,
    labels: () => (where ? where.labels(row) : set.readLabels(row)),
  }));
}

/** A layer ready for the final outputs. */
interface FinalLayer {
  readonly layer: string;
  readonly shape: readonly number[];
  readonly quantile: number;
  readonly level: number;
  readonly rankError: number;
  readonly thresholds: ArrayLike<number>;
  readonly tally: Tally;
  readonly top: TopImages;
}

function layerFolder(layer: string, used: Set<string>): string {
  const base = layer.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^[_.]+|_+$/g, '') || 'layer';
  let name = base;
  for (let k = 2; used.has(name); k++) name = `${base}-${k}`;
  used.add(name);
  return name;
}

/** Report thumbnails by image name, each decoded once whatever the number of units showing it. */
type Thumbnails = Map<string, Promise<string | undefined>>;

const THUMB = 96;

function thumbnail(dataset: string, name: string, thumbs: Thumbnails): Promise<string | undefined> {
  let t = thumbs.get(name);
  if (!t) {
    t = thumbnailJpeg(join(dataset, 'images', name), THUMB, THUMB).then(
      (jpeg) => `data:image/jpeg;base64,${Buffer.from(jpeg.buffer, jpeg.byteOffset, jpeg.byteLength).toString('base64')}`,
      () => undefined,
    );
    thumbs.set(name, t);
  }
  return t;
}

/**
 * Starts the thumbnails of every unit's top images while pass 2 counts, when there are not many
 * more of them than the report can show (`shown` units per layer); the report then finds them ready.
 */
function prefetchThumbnails(dataset: string, tops: readonly TopImages[], shown: number, thumbs: Thumbnails): void {
  const names = new Set<string>();
  for (const top of tops) for (let u = 0; u < top.units; u++) for (const t of top.of(u)) names.add(t.name);
  if (names.size > 2 * shown * Math.max(1, ...tops.map((t) => t.k)) * tops.length) return;
  for (const name of names) void thumbnail(dataset, name, thumbs);
}

async function reportImages(dataset: string, layer: FinalLayer, units: readonly number[], thumbs: Thumbnails): Promise<Map<number, TopImageView[]>> {
  const [, h, w] = layer.shape as [number, number, number];
  const tops = units.map((unit) => layer.top.of(unit - 1));
  // Every thumbnail starts decoding (on libuv's threads) before the masks are drawn here.
  for (const list of tops) for (const t of list) void thumbnail(dataset, t.name, thumbs);
  const out = new Map<number, TopImageView[]>();
  for (const [k, unit] of units.entries()) {
    const list: TopImageView[] = [];
    for (const t of tops[k] ?? []) {
      const picture = await thumbnail(dataset, t.name, thumbs);
      if (!picture) continue;
      const png = encodePalettePng(maskShades(t.map, h, w, THUMB, THUMB, layer.thresholds[unit - 1] as number), THUMB, THUMB, MASK_PALETTE);
      list.push({ picture, mask: `data:image/png;base64,${Buffer.from(png.buffer, png.byteOffset, png.byteLength).toString('base64')}` });
    }
    out.set(unit, list);
  }
  return out;
}

/**
 * The interpretable-CNN paper's part interpretability of a layer (§5.2.1, {@link bestAssociations}):
 * its mean, the IoU threshold, and each unit's best part with its P; undefined without parts.
 */
function partAssociation(tally: Tally, meta: BrodenMeta) {
  const per = bestAssociations(tally, meta, 'part');
  const mean = meanAssociation(per);
  if (!per || mean === undefined) return undefined;
  return {
    partAssociation: mean,
    associationIou: tally.associationIou,
    ...(tally.associationDisc ? { associationDisc: tally.associationDisc } : {}),
    partAssociations: per.map((r) => ({ unit: r.unit, part: r.name, p: r.p })),
  };
}

/** Writes tally.csv per layer, result.json and report.html; returns the summary. */
async function writeOutputs(
  outputs: StagedOutputs,
  out: string,
  model: string,
  dataset: string,
  meta: BrodenMeta,
  layers: readonly FinalLayer[],
  info: {
    images: number;
    skipped: readonly { image: string; reason: string }[];
    iouThreshold: number;
    reportUnits: number;
    where?: string;
    /** `--association-radius` in pixels, when the run was given one (a merge knows only the tally's fractions). */
    associationRadius?: number;
  },
  thumbs: Thumbnails = new Map(),
) {
  const used = new Set<string>();
  const results = [];
  const summaries = [];
  const report: ReportLayer[] = [];
  for (const l of layers) {
    const iou = iouMatrix(l.tally, meta.primary);
    const rows = scoreUnits(l.tally, meta, iou);
    const counts = countDetectors(rows, meta.categories, info.iouThreshold);
    const partInterpretability = meanBestIou(rows, 'part');
    const association = partAssociation(l.tally, meta);
    const tallyPath = resolve(out, layerFolder(l.layer, used), 'tally.csv');
    await outputs.write(tallyPath, tallyCsv(rows, meta.categories));
    results.push({
      ...layerResult({ ...l, images: l.tally.images }, rows, iou, meta, counts),
      ...(partInterpretability === undefined ? {} : { partInterpretability }),
      ...(association ?? {}),
    });
    summaries.push({
      layer: l.layer,
      tally: tallyPath,
      units: rows.length,
      interpretable: counts.units,
      perCategory: counts.perCategory,
      uniqueDetectors: counts.uniqueDetectors,
      ...(partInterpretability === undefined ? {} : { partInterpretability }),
      ...(association ? { partAssociation: association.partAssociation } : {}),
    });
    const shown = rows.slice(0, info.reportUnits).map((r) => r.unit);
    report.push({
      layer: l.layer,
      counts,
      rows,
      partInterpretability,
      ...(association ? { partAssociation: association.partAssociation, associationRegion: regionText(l.tally, info.associationRadius) } : {}),
      images: await reportImages(dataset, l, shown, thumbs),
    });
  }
  const resultPath = resolve(out, 'result.json');
  const reportPath = resolve(out, 'report.html');
  await outputs.write(
    resultPath,
    `${JSON.stringify({ model, dataset, ...(info.where ? { where: info.where } : {}), images: info.images, skipped: info.skipped, layers: results }, null, 1)}\n`,
  );
  await outputs.write(reportPath, await dissectionReportHtml(model, report, { where: info.where }));
  return {
    layers: summaries,
    result: resultPath,
    report: reportPath,
    images: info.images,
    skipped: info.skipped.length,
    ...(info.where ? { where: info.where } : {}),
  };
}

/**
 * How the part association drew a unit's region, for the report.
 *
 * @example
 * ```ts
 * regionText(tally, 21.4); // 'round receptive fields of radius 21.4 px around its activations above the threshold'
 * ```
 */
export function regionText(tally: Tally, radius?: number): string {
  const disc = tally.associationDisc;
  if (!disc) return 'its upsampled mask';
  const size = radius === undefined ? `${Number(disc[0].toPrecision(3))} of the image height` : `${Number(radius.toPrecision(4))} px`;
  return `round receptive fields of radius ${size} around its activations above the threshold`;
}

function finalLayers(file: ShardFile): FinalLayer[] {
  return file.layers.map((l) => {
    if (!l.tally || !l.top || !l.thresholds) throw new LucernaError('BAD_FILE', `The shard of ${l.layer} has no tally`);
    return { ...l, thresholds: l.thresholds, tally: Tally.fromState(l.tally), top: TopImages.fromState(l.top) };
  });
}

function metaOf(file: ShardFile): BrodenMeta {
  return { categories: file.meta.categories, labelNames: file.meta.labelNames, codes: {}, primary: Int32Array.from(file.meta.primary) };
}

/**
 * Runs `lucerna dissect` and returns its summary.
 *
 * @example
 * ```ts
 * const { json } = await runDissect(ctx, 'model.onnx', { dataset: 'broden', layer: 'relu4', out: 'dissect' });
 * ```
 */
export async function runDissect(ctx: CommandContext, modelPath: string | undefined, flags: DissectFlags): Promise<CommandResult> {
  const dataset = resolve(need(flags.dataset, '--dataset'));
  const layerNames = need(flags.layer, '--layer')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const out = need(flags.out, '--out');
  const quantile = numberFlag(flags.quantile, '--quantile', 0.005, (v) => v > 0 && v < 0.999, 'a number in (0, 0.999)');
  const batchSize = numberFlag(flags.batchSize, '--batch-size', 8, positiveInt, 'an integer ≥ 1');
  const iouThreshold = numberFlag(flags.iouThreshold, '--iou-threshold', 0.04, (v) => v >= 0 && v <= 1, 'a number in [0, 1]');
  const topImages = numberFlag(flags.top, '--top', 4, positiveInt, 'an integer ≥ 1');
  const reportUnits = numberFlag(flags.reportUnits, '--report-units', 64, (v) => Number.isInteger(v) && v >= 0, 'an integer ≥ 0');
  const associationRadius =
    flags.associationRadius === undefined
      ? undefined
      : numberFlag(flags.associationRadius, '--association-radius', 1, (v) => Number.isFinite(v) && v > 0, 'a number of pixels > 0');
  const given = flags.thresholds ? await readShard(flags.thresholds) : undefined;
  if (given && given.stage !== 'thresholds')
    throw new LucernaError(
      'BAD_FILE',
      `${flags.thresholds} holds tallies, not thresholds`,
      'Pass the merged thresholds (shard.json of `dissect merge` over pass-1 shards)',
    );
  const set = await openBroden(dataset, { categories: flags.categories?.split(',').map((s) => s.trim()) });
  const where = flags.where ? await whereRows(dataset, set, flags.where, ctx.signal) : undefined;
  const allRows = where?.rows ?? set.rows;
  const range = flags.shard ? shardRange(flags.shard, allRows.length) : { start: 0, end: allRows.length };
  const t0 = performance.now();
  await using opened = await openModel(modelPath);
  const modelMs = performance.now() - t0;
  const { model } = opened;
  const loaded = pixelSettings(opened, 'lucerna dissect');
  const items = conceptItems(set, allRows.slice(range.start, range.end), { inputDims: model.input.dims, ...loaded.preprocessing }, where);
  const progress = progressBar('dissect', !flags.json && ctx.io.isTTY);
  const warn = (m: string) => ctx.warn(m);
  const thresholds = given ? Object.fromEntries(given.layers.map((l) => [l.layer, l.thresholds ?? []])) : undefined;
  const cache = flags.cache !== false && !flags.shard && !given ? await fileActivationCache(undefined, { memoryBytes: CACHE_MEMORY }) : undefined;
  const thumbs: Thumbnails = new Map();
  const signal = ctx.signal;
  const result = await dissect(
    model,
    { meta: set.meta, items, totalImages: allRows.length },
    {
      cache,
      cacheLimit: CACHE_LIMIT,
      layers: layerNames,
      quantile: given?.layers[0]?.quantile ?? quantile,
      batchSize,
      thresholds,
      quantilesOnly: flags.shard !== undefined && !given,
      topImages,
      associationRadius,
      signal,
      onWarning: warn,
      onTopImages: (tops) => prefetchThumbnails(dataset, tops, reportUnits, thumbs),
      onProgress: (pass, done, total) => progress.onProgress?.((pass === 'tally' && !given ? total : 0) + done, given ? total : 2 * total),
    },
  ).finally(async () => {
    progress.stop();
    await cache?.[Symbol.asyncDispose]();
  });
  const seconds = Math.round((performance.now() - t0) / 100) / 10;
  const skippedNote = result.skipped.length ? ` (${result.skipped.length} missing images skipped)` : '';
  if (flags.shard) {
    const path = resolve(out, 'shard.json');
    const file = shardFile(result, set.meta, dataset, flags.shard);
    await ctx.outputs.write(path, JSON.stringify(file));
    return {
      json: { shard: flags.shard, stage: file.stage, path, images: result.images, skipped: result.skipped.length, seconds },
      message: `dissect: shard ${flags.shard} ${file.stage}: ${result.images} images${skippedNote} → ${path} (${seconds} s)`,
    };
  }
  const layers = result.layers.map((l) => ({
    ...l,
    rankError: l.rankError ?? 0,
    thresholds: l.thresholds as Float64Array,
    tally: l.tally as Tally,
    top: l.top as TopImages,
  }));
  // The report (thumbnails, charts) takes a while: not after a Ctrl-C.
  throwIfAborted(ctx.signal);
  const t1 = performance.now();
  const summary = await writeOutputs(
    ctx.outputs,
    out,
    basename(opened.given),
    dataset,
    set.meta,
    layers,
    {
      images: result.images,
      skipped: result.skipped,
      iouThreshold,
      reportUnits,
      where: where ? `${where.clause.category}=${where.clause.label}` : undefined,
      associationRadius,
    },
    thumbs,
  );
  const part = (l: { partInterpretability?: number; partAssociation?: number }) =>
    (l.partInterpretability === undefined ? '' : `, part interpretability ${l.partInterpretability.toFixed(4)}`) +
    (l.partAssociation === undefined ? '' : ` (the ICNN paper's ${l.partAssociation.toFixed(4)})`);
  const counts = summary.layers.map((l) => `${l.layer}: ${l.interpretable}/${l.units} interpretable${part(l)}`).join('; ');
  const whereNote = where ? ` of ${where.clause.label} (${where.excluded} others left out)` : '';
  const ms = { model: modelMs, ...result.timing, outputs: performance.now() - t1 };
  const timing = Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, Math.round(v) / 1000]));
  return { json: { ...summary, seconds, timing }, message: `dissect: ${result.images} images${whereNote}${skippedNote}; ${counts} → ${out} (${seconds} s)` };
}

/**
 * Runs `lucerna dissect merge` and returns its summary.
 *
 * @example
 * ```ts
 * await runDissectMerge(ctx, ['s1', 's2'], { out: 'merged' });
 * ```
 */
export async function runDissectMerge(ctx: CommandContext, dirs: readonly string[], flags: DissectMergeFlags): Promise<CommandResult> {
  const out = need(flags.out, '--out');
  const iouThreshold = numberFlag(flags.iouThreshold, '--iou-threshold', 0.04, (v) => v >= 0 && v <= 1, 'a number in [0, 1]');
  const reportUnits = numberFlag(flags.reportUnits, '--report-units', 64, (v) => Number.isInteger(v) && v >= 0, 'an integer ≥ 0');
  const files = [];
  for (const d of dirs) files.push(await readShard(join(d, 'shard.json')));
  const merged = mergeShardFiles(files);
  if (merged.stage === 'thresholds') {
    const path = resolve(out, 'shard.json');
    await ctx.outputs.write(path, JSON.stringify(merged));
    return {
      json: { stage: merged.stage, shards: merged.shards, path },
      message: `dissect merge: thresholds of ${merged.shards.join(', ')} → ${path}; pass it as --thresholds`,
    };
  }
  const summary = await writeOutputs(ctx.outputs, out, '(merged shards)', merged.dataset, metaOf(merged), finalLayers(merged), {
    images: merged.images,
    skipped: merged.skipped,
    iouThreshold,
    reportUnits,
  });
  return { json: { ...summary, shards: merged.shards }, message: `dissect merge: ${merged.shards.length} shards, ${merged.images} images → ${out}` };
}
