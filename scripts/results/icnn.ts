/**
 * RESULTS.md section: the comparison of Zhang, Wu & Zhu, "Interpretable Convolutional Neural
 * Networks" (CVPR 2018, https://arxiv.org/abs/1710.00935), on `lucerna dataset parts` figures.
 * The same network (same initial weights, data, seed and budget) is trained twice, ordinarily and
 * as an interpretable CNN (mask + filter loss on the top conv layer), and both are measured:
 * - held-out classification accuracy (the last epoch's, on the `--val` split of the trainer);
 * - location instability of the top conv layer (`lucerna stability`, default protocol, on the conv
 *   output before the mask; the mask keeps the arg-max cell at weight 1 and only lowers the others,
 *   so the peak it reports is the same);
 * - part interpretability: the mean over the layer's filters of their best part IoU, by
 *   `lucerna dissect --categories part` (Bau et al. 2017, NetDissect-Lite semantics, top 0.5 %).
 * Rows: single-category for two classes (each vs. none) and one multi-category run. The paper's
 * claims are reported against, not asserted here: the ordering test lives in `npm test`.
 */
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runJson } from '../../src/cli/in-process.js';
import { imageFolder } from '../../src/datasets/node/image-folder.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { setDefaultRuntime } from '../../src/engine/runtime.js';
import { createModel } from '../../src/models/architectures.js';
import { graphFromBytes } from '../../src/onnx/builder.js';
import { meanActivations, noneToObjectRatio } from '../../src/training/interpretable/setup.js';

/** The experiment's settings (each has a `scripts/results-icnn.ts` flag of the same name). */
export interface IcnnSettings {
  readonly n: number;
  readonly size: number;
  readonly epochs: number;
  readonly arch: string;
  readonly width: number;
  /** The top conv layer's output tensor (conv → BN → ReLU) in the created model. */
  readonly layer: string;
  readonly weight: number;
  readonly tau: number;
  readonly lr: number;
  readonly weightDecay: number;
  readonly batch: number;
}

/** The defaults: the parts recipe of `/work/notes-s4/parts-model.md` (vgg11-bn at 1/8 width, 64 px). */
export const ICNN_DEFAULTS: IcnnSettings = {
  n: 1500,
  size: 64,
  epochs: 6,
  arch: 'vgg11-bn',
  width: 0.125,
  layer: 'Relu_33',
  weight: 1,
  tau: 0.01,
  lr: 0.003,
  weightDecay: 0.05,
  batch: 32,
};

/** What one trained net measures. */
export interface NetResult {
  readonly acc: number;
  readonly instability: number;
  readonly partIou: number;
  /** Filters with no positive peak on the class's images (left out of the instability mean). */
  readonly deadFilters: number;
  /** Mean activation of the layer on `none` images over that on object images. */
  readonly noneRatio: number;
  readonly seconds: number;
  readonly filterLoss?: number;
}

/** One row: the same net trained both ways. */
export interface IcnnRow {
  readonly name: string;
  readonly plain: NetResult;
  readonly icnn: NetResult;
}

const trainFlags = (s: IcnnSettings, dataset: string, out: string): string[] => [
  ...['--dataset', dataset, '--batch-size', String(s.batch), '--epochs', String(s.epochs), '--seed', '0'],
  ...['--optimizer', 'adamw', '--lr', String(s.lr), '--weight-decay', String(s.weightDecay), '--schedule', 'cosine', '--no-crop', '--out', out],
];

/** Mean over the filters of their best part IoU, from a dissect tally.csv. */
function meanPartIou(tally: string): number {
  const [header, ...lines] = readFileSync(tally, 'utf8').trim().split('\n');
  const iou = (header ?? '').split(',').indexOf('part-iou');
  if (iou < 0) return Number.NaN;
  const values = lines.map((l) => Number(l.split(',')[iou]));
  return values.reduce((a, v) => a + v, 0) / values.length;
}

type Measures = Pick<NetResult, 'instability' | 'partIou' | 'deadFilters' | 'noneRatio'>;

async function measure(s: IcnnSettings, work: string, parts: string, classes: string, model: string, cls: string | undefined): Promise<Measures> {
  const stability = await runJson('stability', model, '--dataset', parts, '--layer', s.layer, ...(cls ? ['--class', cls] : []));
  const out = join(work, `dissect-${model.replace(/[^a-z0-9]/gi, '_')}`);
  const dissect = await runJson('dissect', model, '--dataset', parts, '--layer', s.layer, '--categories', 'part', '--out', out, '--report-units', '4');
  const data = await imageFolder(classes, { sampleShape: [3, s.size, s.size] });
  const k = data.classNames?.length ?? 2;
  const means = await meanActivations(nodeRuntime, graphFromBytes(readFileSync(model)), [s.layer], data, k, { tensors: [s.layer], mode: 'multi' }, {});
  return {
    instability: stability.instability ?? Number.NaN,
    partIou: meanPartIou(dissect.layers[0].tally),
    deadFilters: (stability.filters as { instability: number | null }[]).filter((f) => f.instability === null).length,
    noneRatio: noneToObjectRatio(means.get(s.layer) as Float64Array, k, data.classNames?.indexOf('none') ?? k - 1),
  };
}

async function compare(s: IcnnSettings, work: string, parts: string, name: string, classes: string, k: number, cls?: string): Promise<IcnnRow> {
  const model = join(work, `${name.replace(/\W+/g, '-')}.onnx`);
  writeFileSync(model, createModel(s.arch, { classes: k, input: [3, s.size, s.size], seed: 0, width: s.width }));
  const run = async (out: string, extra: string[]): Promise<NetResult> => {
    const summary = await runJson('train', model, ...trainFlags(s, classes, out), ...extra);
    const last = summary.epochs[summary.epochs.length - 1];
    const filterLoss = last.terms?.[`filter_loss:${s.layer}`];
    return {
      acc: last.valAccuracy,
      seconds: summary.seconds,
      ...(filterLoss === undefined ? {} : { filterLoss }),
      ...(await measure(s, work, parts, classes, out, cls)),
    };
  };
  const interpretable = [
    '--interpretable',
    s.layer,
    '--interpretable-mode',
    cls ? 'single' : 'multi',
    '--filter-loss-weight',
    String(s.weight),
    '--tau',
    String(s.tau),
  ];
  return { name, plain: await run(model.replace('.onnx', '-plain.onnx'), []), icnn: await run(model.replace('.onnx', '-icnn.onnx'), interpretable) };
}

/** A class folder holding only `cls` and `none` (symlinks into the generated data). */
function pairFolder(work: string, classes: string, cls: string): string {
  const dir = join(work, `pair-${cls}`);
  mkdirSync(dir);
  for (const c of [cls, 'none']) symlinkSync(join(classes, c), join(dir, c));
  return dir;
}

/**
 * Runs the three comparisons and returns the rows.
 *
 * @example
 * ```ts
 * const rows = await icnnRows({ ...ICNN_DEFAULTS, epochs: 2 });
 * ```
 */
export async function icnnRows(s: IcnnSettings = ICNN_DEFAULTS): Promise<IcnnRow[]> {
  setDefaultRuntime(nodeRuntime);
  const work = await mkdtemp(join(tmpdir(), 'lucerna-results-icnn-'));
  try {
    const parts = join(work, 'parts');
    await runJson('dataset', 'parts', '--out', parts, '--n', String(s.n), '--seed', '1', '--size', String(s.size), '--classes', '2');
    const classes = join(parts, 'classes');
    const rows: IcnnRow[] = [];
    for (const cls of ['bird', 'fish']) rows.push(await compare(s, work, parts, `single ${cls}`, pairFolder(work, classes, cls), 2, cls));
    rows.push(await compare(s, work, parts, 'multi (bird, fish, none)', classes, 3));
    return rows;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

const f = (v: number | undefined, digits = 3) => (v === undefined || Number.isNaN(v) ? '–' : v.toFixed(digits));

/**
 * The markdown section for `rows` measured with settings `s`.
 *
 * @example
 * ```ts
 * const md = icnnMarkdown(ICNN_DEFAULTS, await icnnRows());
 * ```
 */
export function icnnMarkdown(s: IcnnSettings, rows: readonly IcnnRow[]): string {
  const ratios = rows.map((r) => r.icnn.instability / r.plain.instability);
  const drops = rows.map((r) => r.plain.acc - r.icnn.acc);
  const partUp = rows.filter((r) => r.icnn.partIou > r.plain.partIou).length;
  const flags = `--n ${s.n} --size ${s.size} --epochs ${s.epochs} --arch ${s.arch} --width ${s.width} --layer ${s.layer} --weight ${s.weight} --tau ${s.tau} --lr ${s.lr} --weight-decay ${s.weightDecay} --batch ${s.batch}`;
  return `## Interpretable CNNs: ordinary vs interpretable, on parts figures (issue #16)

Zhang, Wu & Zhu (CVPR 2018, https://arxiv.org/abs/1710.00935): the same ${s.arch} at width ${s.width}
(${s.size}×${s.size} input; top conv layer \`${s.layer}\`) trained twice from the same initial weights,
data, seed and budget: ordinary, and interpretable (mask + the paper's −MI filter loss on \`${s.layer}\`,
weight ${s.weight}, τ ${s.tau}, β 4, α n²/(1+n²)).
Data: \`lucerna dataset parts --n ${s.n} --seed 1 --size ${s.size} --classes 2\` (bird, fish, none); single-category
rows train on {class, none}, the multi-category row on all three.
Training: \`lucerna train <model> --dataset <classes> --batch-size ${s.batch} --epochs ${s.epochs} --seed 0 --optimizer adamw
--lr ${s.lr} --weight-decay ${s.weightDecay} --schedule cosine --no-crop [--interpretable ${s.layer} --interpretable-mode single|multi
--filter-loss-weight ${s.weight} --tau ${s.tau}]\`. Accuracy: the last epoch's, on the 20 % held out.
Location instability: \`lucerna stability <model> --dataset parts --layer ${s.layer} [--class <class>]\` (default
protocol, before the mask; lower is better). Part IoU: mean over the layer's filters of their best part
IoU, \`lucerna dissect <model> --dataset parts --layer ${s.layer} --categories part\` (higher is better).
Dead filters: no positive peak on any image of the class (\`null\` in \`stability\`; the layer's instability is the
mean over the others). None/object activation: the layer's mean activation on \`none\` images over that on object
images (\`meanActivations\` in \`src/training/interpretable/setup.ts\`, 256 images spread over the set).
Rebuild this section alone: \`node --import tsx scripts/results-icnn.ts ${flags}\`.

| run | acc (ord.) | acc (interp.) | instability (ord.) | instability (interp.) | ratio | dead filters (ord. / interp.) | part IoU (ord.) | part IoU (interp.) | none/object activation (ord. / interp.) | filter loss (final) | train s (ord. / interp.) |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
${rows
  .map(
    (r, i) =>
      `| ${r.name} | ${f(r.plain.acc)} | ${f(r.icnn.acc)} | ${f(r.plain.instability, 4)} | ${f(r.icnn.instability, 4)} | ${f(ratios[i])} | ${r.plain.deadFilters} / ${r.icnn.deadFilters} | ${f(r.plain.partIou, 4)} | ${f(r.icnn.partIou, 4)} | ${f(r.plain.noneRatio)} / ${f(r.icnn.noneRatio)} | ${f(r.icnn.filterLoss)} | ${r.plain.seconds.toFixed(0)} / ${r.icnn.seconds.toFixed(0)} |`,
  )
  .join('\n')}

Against the paper (instability ≤ 0.8× ordinary; part interpretability higher; accuracy drop ≤ 5 points):
instability ratio ${ratios.map((v) => f(v)).join(', ')} (${ratios.filter((v) => v <= 0.8).length} of ${rows.length} rows ≤ 0.8);
accuracy drop ${drops.map((v) => `${(100 * v).toFixed(1)}`).join(', ')} points (${drops.filter((v) => v <= 0.05).length} of ${rows.length} rows ≤ 5);
part IoU higher in ${partUp} of ${rows.length} rows.

Reading the table. The top conv maps are ${s.size / 16}×${s.size / 16} here (vgg11-bn pools four times before its top conv): a
peak's position is quantised to ${16}-px cells, a quantisation error of about 16/√12 ≈ 4.6 px, or
${(4.6 / Math.hypot(s.size, s.size)).toFixed(3)} of the image diagonal — the size of the instabilities measured, so the metric
can hardly tell a part filter from an object filter at this resolution (the paper's VGG-16 maps are 13×13 to
14×14). Ordinary nets also leave many top filters dead on the class (never a positive peak); those are
left out of their mean, while the filter loss revives every filter. What the filter loss clearly does
is make the filters silent on \`none\` images (the negative template explains them): the none/object
activation ratio is what \`test/training/icnn-ordering.test.ts\` asserts at tiny scale. Accuracy is on
200 (single) or 300 (multi) held-out images, so differences of a few points are within noise; part IoU
and instability are over every image of the set. In the multi-category row every filter goes to the
class it fires for most at the start, \`none\` included, so the filters of \`none\` fire on \`none\` images and the
none/object ratio does not fall there.
`;
}

/**
 * Runs the experiment with the defaults and returns the section (for `npm run results`).
 *
 * @example
 * ```ts
 * const md = await icnnSection();
 * ```
 */
export async function icnnSection(s: IcnnSettings = ICNN_DEFAULTS): Promise<string> {
  return icnnMarkdown(s, await icnnRows(s));
}
