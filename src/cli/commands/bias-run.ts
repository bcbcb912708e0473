/**
 * The work of `lucerna bias [MODEL] --dataset <dir> --attributes <attributes.csv> --layer <tensor> --out <dir>
 * [--threshold 0.3] [--filters 3] [--dissection <result.json>] [--batch-size 8] [--json]`: bias discovery (Zhang, Wang, Zhu,
 * "Examining CNN Representations with respect to Dataset Bias", AAAI 2018,
 * https://arxiv.org/abs/1710.10577) on a part data set written by `lucerna dataset parts`. The
 * images come from its ImageFolder view (`classes/<class>/<image>`, sorted class names = the
 * model's outputs, as `lucerna train --dataset` uses them); the split of each image from the
 * `split` column of `attributes.csv`. Relations are mined on the unbiased `val` split (the bias of a
 * relation is the partial correlation of class evidence and attribute given the true class; see
 * `diagnosis/bias/relations.ts`; a warning when `--threshold` is below the level chance reaches); the model's
 * accuracy is measured on both splits, and on the val images of the top flagged relation's two
 * classes where its cue agrees or conflicts with the class. For the top flagged relations, the report shows the
 * evidence filters' top patches on the val images with the cue (and their labels and IoU from
 * `--dissection`, a `result.json` of `lucerna dissect` at the same layer) and Grad-CAM on val
 * images of the relation's two classes where the cue and the class disagree. Writes `bias.json` and `report.html` into `--out` (staged,
 * renamed into place when the run succeeds), and `predictions.csv` (each image's split, class and
 * predicted class): nothing is written on error. Loaded by `bias.ts`.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseCsv } from '../../datasets/broden/csv.js';
import { attributeTable } from '../../diagnosis/bias/attributes.js';
import { discoverBias } from '../../diagnosis/bias/discover.js';
import { type BiasRelation, noiseLevel } from '../../diagnosis/bias/relations.js';
import { forEachChunk } from '../../engine/batching.js';
import type { Model } from '../../engine/model.js';
import { LucernaError } from '../../errors.js';
import { loadImageTensor } from '../../io/image.js';
import { readError } from '../../io/read-error.js';
import { biasPage, type FilterEvidence, relationKey } from '../../render/report/bias.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { CommandContext, CommandResult } from '../command.js';
import { openModel, pixelSettings } from '../model.js';
import { parseInteger, parseNumber } from '../parse.js';
import { filterEvidence, readDissectionLabels } from './bias-evidence.js';
import { biasExamples } from './bias-maps.js';

/** Flags of `lucerna bias`. */
export interface BiasFlags {
  readonly dataset: string;
  readonly attributes: string;
  readonly layer: string;
  readonly out: string;
  readonly threshold?: string;
  readonly filters?: string;
  readonly dissection?: string;
  readonly batchSize?: string;
  readonly json?: boolean;
}

/** One image of the ImageFolder view. */
export interface Item {
  readonly image: string;
  readonly path: string;
  readonly label: number;
  readonly split: string;
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw readError(e, `${what} ${path}`);
  }
}

async function listDir(dir: string, hint?: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((e) => !e.name.startsWith('.')).map((e) => (e.isDirectory() ? `${e.name}/` : e.name));
  } catch (e) {
    throw readError(e, dir, hint);
  }
}

/**
 * The images of `<dataset>/classes/` (or of `dataset` itself when it is that `classes/` view),
 * classes sorted, with their split from attributes.csv.
 */
async function readItems(dataset: string, attributes: string): Promise<{ classes: string[]; items: Item[] }> {
  const root = existsSync(join(dataset, 'classes')) ? join(dataset, 'classes') : dataset;
  const dirs = (await listDir(root, 'Pass a folder written by lucerna dataset parts')).filter((e) => e.endsWith('/')).sort();
  const classes = dirs.map((d) => d.slice(0, -1));
  const splits = new Map(parseCsv(attributes, ['image', 'split'], 'attributes.csv').map((r) => [r.image as string, r.split as string]));
  const items: Item[] = [];
  for (const [label, name] of classes.entries())
    for (const f of (await listDir(join(root, name))).filter((e) => /\.png$/i.test(e)).sort())
      items.push({ image: f, path: join(root, name, f), label, split: splits.get(f) ?? '' });
  if (items.length === 0) throw new LucernaError('BAD_FILE', `${root} holds no class folders with images`, 'Pass a folder written by lucerna dataset parts');
  return { classes, items };
}

/** Images decoded together: enough to keep libuv's threads busy. */
const DECODE_CHUNK = 32;

/** Decodes the images a chunk at a time, so a Ctrl-C stops the decoding at once, not after all of it. */
async function loadBatch(items: readonly Item[], preprocessing: Parameters<typeof loadImageTensor>[1], signal?: AbortSignal): Promise<Tensor> {
  const tensors: Tensor[] = [];
  await forEachChunk(items.length, DECODE_CHUNK, { signal }, async (first, count) => {
    const chunk = items.slice(first, first + count);
    tensors.push(...(await Promise.all(chunk.map(async (i) => (await loadImageTensor(i.path, preprocessing)).tensor))));
  });
  const size = tensors[0]?.data.length ?? 0;
  const data = new Float32Array(size * tensors.length);
  for (const [k, t] of tensors.entries()) data.set(t.data, k * size);
  return { data, shape: [tensors.length, ...(tensors[0]?.shape.slice(1) ?? [])] };
}

/** Predicted class of every item, a batch at a time. */
async function predict(
  model: Model,
  items: readonly Item[],
  batchSize: number,
  preprocessing: Parameters<typeof loadImageTensor>[1],
  signal?: AbortSignal,
): Promise<number[]> {
  const out: number[] = [];
  const name = model.outputNames[0] as string;
  await forEachChunk(items.length, batchSize, { signal }, async (first, count) => {
    const batch = items.slice(first, first + count);
    const logits = (await model.run(await loadBatch(batch, preprocessing, signal)))[name] as Tensor;
    const k = logits.data.length / batch.length;
    for (let n = 0; n < batch.length; n++) {
      let best = 0;
      for (let c = 1; c < k; c++) if ((logits.data[n * k + c] as number) > (logits.data[n * k + best] as number)) best = c;
      out.push(best);
    }
  });
  return out;
}

const accuracy = (pred: readonly number[], items: readonly Item[], keep: (i: number) => boolean = () => true) => {
  let n = 0;
  let right = 0;
  items.forEach((it, i) => {
    if (!keep(i)) return;
    n++;
    if (pred[i] === it.label) right++;
  });
  return { images: n, accuracy: n ? right / n : null };
};

/** Refuses an `--out` folder that holds anything (the results of another run are never mixed in). */
async function requireEmptyFolder(out: string): Promise<void> {
  const existing = await readdir(out).catch(() => null);
  if (existing && existing.length > 0) throw new LucernaError('BAD_OPTION', `--out ${out} exists and is not empty`, 'Pass a new folder');
}

function resultJson(relations: BiasRelation[], accuracyBy: Record<string, { images: number; accuracy: number | null }>, settings: Record<string, unknown>) {
  return { flagged: relations.filter((r) => r.flagged), relations, accuracy: accuracyBy, settings };
}

/** `bias.json`'s `evidence`: per shown relation, its filters' labels and top patches (no images). */
function evidenceJson(filters: ReadonlyMap<string, readonly FilterEvidence[]>) {
  return Object.fromEntries([...filters].map(([k, list]) => [k, list.map(({ montage: _, ...rest }) => rest)]));
}

/**
 * Splits the val images of a relation's two classes (`c` favoured over `o`): whether the cue
 * agrees with the class (has the cue exactly when of class `c`); images of other classes are in
 * neither part, since the relation says nothing about them.
 */
function cueAgrees(c: number, o: number, j: number, items: readonly Item[], indicators: readonly (readonly number[])[]) {
  const label = (i: number) => (items[i] as Item).label;
  const agrees = (i: number) => (label(i) === c) === ((indicators[i] as readonly number[])[j] === 1);
  const inPair = (i: number) => label(i) === c || label(i) === o;
  return { agrees: (i: number) => inPair(i) && agrees(i), conflicts: (i: number) => inPair(i) && !agrees(i) };
}

/**
 * `predictions.csv`: image, split, true and predicted class of every image (val first), so that
 * the accuracy can be split by any attribute afterwards.
 *
 * @example
 * ```ts
 * predictionsCsv([{ image: 'a.png', path: '', label: 0, split: 'val' }], [1], ['bird', 'fish']); // 'image,split,class,predicted\na.png,val,bird,fish\n'
 * ```
 */
export function predictionsCsv(items: readonly Item[], predicted: readonly number[], classes: readonly string[]): string {
  const rows = items.map((it, i) => `${it.image},${it.split},${classes[it.label]},${classes[predicted[i] as number]}`);
  return `image,split,class,predicted\n${rows.join('\n')}\n`;
}

/** Flagged relations shown with Grad-CAM maps, and images per relation. */
const EVIDENCE_RELATIONS = 3;
const EVIDENCE_IMAGES = 4;

/** Val indices of the relation's classes `c` (favoured) and `o` where the cue and the class disagree: alternately `c` without the cue and `o` with it. */
function disagreeing(c: number, o: number, j: number, items: readonly Item[], indicators: readonly (readonly number[])[]): number[] {
  const classOnly: number[] = [];
  const cueOnly: number[] = [];
  items.forEach((it, i) => {
    const cue = (indicators[i] as readonly number[])[j] === 1;
    if (it.label === c && !cue) classOnly.push(i);
    else if (it.label === o && cue) cueOnly.push(i);
  });
  const out: number[] = [];
  for (let k = 0; k < Math.max(classOnly.length, cueOnly.length); k++) {
    if (k < classOnly.length) out.push(classOnly[k] as number);
    if (k < cueOnly.length) out.push(cueOnly[k] as number);
  }
  return out;
}

/**
 * Runs the command and returns its summary (`json` is what `--json` prints and `bias.json` holds).
 *
 * @example
 * ```ts
 * const { json } = await runBias(ctx, 'model.onnx', { dataset: 'data/parts', attributes: 'data/parts/attributes.csv', layer: 'relu2', out: 'bias' });
 * ```
 */
export async function runBias(ctx: CommandContext, modelPath: string | undefined, flags: BiasFlags): Promise<CommandResult> {
  const threshold = parseNumber(flags.threshold, '--threshold', 0) ?? 0.3;
  if (threshold > 1) throw new LucernaError('BAD_OPTION', `--threshold must be at most 1 (a bias is a partial correlation), got "${flags.threshold}"`);
  const filtersPerAttribute = parseInteger(flags.filters, '--filters', 1) ?? 3;
  const batchSize = parseInteger(flags.batchSize, '--batch-size', 1) ?? 8;
  await requireEmptyFolder(flags.out);
  const text = await readText(flags.attributes, 'the attributes file');
  const { classes, items } = await readItems(flags.dataset, text);
  const table = attributeTable(
    text,
    items.map((i) => i.image),
  );
  const val = items.filter((i) => i.split === 'val');
  const train = items.filter((i) => i.split === 'train');
  if (val.length === 0)
    throw new LucernaError('BAD_FILE', 'attributes.csv marks no image as split "val"', 'Bias discovery mines relations on the unbiased val split');
  const valIndicators = items.flatMap((it, n) => (it.split === 'val' ? [table.indicators[n] as number[]] : []));
  const t0 = performance.now();
  await using opened = await openModel(modelPath);
  const { model } = opened;
  const loaded = pixelSettings(opened, 'lucerna bias');
  const labels = flags.dissection ? await readDissectionLabels(flags.dissection, flags.layer, model) : undefined;
  const preprocessing = { ...loaded.preprocessing, resize: 'stretch' as const, inputDims: model.input.dims };
  const x = await loadBatch(val, preprocessing, ctx.signal);
  const relations = await discoverBias(
    model,
    x,
    flags.layer,
    { classes, labels: val.map((i) => i.label), attributes: table.names, indicators: valIndicators },
    { threshold, filtersPerAttribute, batchSize, signal: ctx.signal },
  );
  const noise = noiseLevel(val.length, relations.length);
  if (threshold < noise)
    ctx.warn(
      `--threshold ${threshold} is below the ${noise.toFixed(3)} that chance alone reaches on ${val.length} val images over ${relations.length} relations: flags may be noise`,
    );
  const valPred = await predict(model, val, batchSize, preprocessing, ctx.signal);
  const trainPred = await predict(model, train, batchSize, preprocessing, ctx.signal);
  const accuracyBy: Record<string, { images: number; accuracy: number | null }> = {
    'train (biased)': accuracy(trainPred, train),
    'val (unbiased)': accuracy(valPred, val),
  };
  const top = relations.find((r) => r.flagged);
  if (top) {
    const split = cueAgrees(classes.indexOf(top.className), classes.indexOf(top.against), table.names.indexOf(top.attribute), val, valIndicators);
    const pair = `${top.className} and ${top.against}, ${top.attribute}`;
    accuracyBy[`val ${pair}: cue agrees`] = accuracy(valPred, val, split.agrees);
    accuracyBy[`val ${pair}: cue conflicts`] = accuracy(valPred, val, split.conflicts);
  }
  const settings = {
    model: opened.given,
    dataset: flags.dataset,
    attributes: flags.attributes,
    layer: flags.layer,
    threshold,
    'noise level (5 % family-wise)': Math.round(noise * 1000) / 1000,
    filtersPerAttribute,
    ...(flags.dissection ? { dissection: flags.dissection } : {}),
    classes: classes.join(', '),
    'reference images (val)': val.length,
  };
  const json = resultJson(relations, accuracyBy, settings);
  const examples = new Map<string, Awaited<ReturnType<typeof biasExamples>>>();
  const filters = new Map<string, FilterEvidence[]>();
  for (const r of json.flagged.slice(0, EVIDENCE_RELATIONS)) {
    const c = classes.indexOf(r.className);
    const j = table.names.indexOf(r.attribute);
    const withCue = val.filter((_, i) => (valIndicators[i] as number[])[j] === 1);
    const evidence = { model, layer: flags.layer, preprocessing, labels, batchSize, signal: ctx.signal };
    filters.set(relationKey(r), await filterEvidence(r.filters, withCue, evidence));
    const chosen = disagreeing(c, classes.indexOf(r.against), j, val, valIndicators).slice(0, EVIDENCE_IMAGES);
    const shown = await biasExamples(
      chosen.map((i) => val[i] as Item),
      chosen.map((i) => valPred[i] as number),
      chosen.map((i) => (valIndicators[i] as number[])[j] === 1),
      { model, layer: flags.layer, classes, preprocessing, target: c, signal: ctx.signal },
      EVIDENCE_IMAGES,
    );
    examples.set(relationKey(r), shown);
  }
  const full = { ...json, evidence: evidenceJson(filters) };
  await ctx.outputs.write(join(flags.out, 'bias.json'), `${JSON.stringify(full, null, 2)}\n`);
  await ctx.outputs.write(join(flags.out, 'predictions.csv'), predictionsCsv([...val, ...train], [...valPred, ...trainPred], classes));
  await ctx.outputs.write(join(flags.out, 'report.html'), biasPage({ relations, accuracy: accuracyBy, examples, filters, labels, threshold, settings }));
  const seconds = (performance.now() - t0) / 1000;
  const first = top ? `; first: ${top.attribute} favours ${top.className} over ${top.against} (bias ${top.bias.toFixed(3)})` : '';
  return {
    json: full,
    message: `bias: ${json.flagged.length} of ${relations.length} relations flagged at ${threshold}${first} → ${flags.out} (${seconds.toFixed(1)} s)`,
  };
}
