/**
 * RESULTS.md section: the comparison of Zhang, Wu & Zhu, "Interpretable Convolutional Neural
 * Networks" (CVPR 2018, https://arxiv.org/abs/1710.00935), on `lucerna dataset parts` figures.
 * The same network (same initial weights, data, seed and budget) is trained twice, ordinarily and
 * as an interpretable CNN (mask + filter loss on the top conv layer), and both are measured:
 * - held-out classification accuracy (the last epoch's, on the trainer's held-out images);
 * - location instability of the top conv layer (`lucerna stability`, default protocol, on the conv
 *   output before the mask; the mask keeps the arg-max cell at weight 1 and only lowers the others,
 *   so the peak it reports is the same);
 * - part interpretability as the paper measures it (§5.2.1, `icnn-parts.ts`): on the maps after
 *   ReLU/mask, the category's images, the share of images where a filter's top region has IoU > 0.2
 *   with its best part, averaged over the filters;
 * - and NetDissect's part IoU: the mean over the layer's filters of their best part IoU, by
 *   `lucerna dissect --categories part` (Bau et al. 2017, NetDissect-Lite semantics, top 0.5 %), on
 *   the conv output before the mask, over every part image.
 * Rows: single-category for two classes (each vs. none) and one multi-category run. The paper's
 * claims are reported against, not asserted here: the ordering test lives in `npm test`.
 */
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runJson } from '../../src/cli/in-process.js';
import { imageFolder } from '../../src/datasets/node/image-folder.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { prepareGraph } from '../../src/engine/prepare.js';
import { setDefaultRuntime } from '../../src/engine/runtime.js';
import { createModel } from '../../src/models/architectures.js';
import { graphFromBytes } from '../../src/onnx/builder.js';
import { assignFilters } from '../../src/training/interpretable/filter-loss.js';
import { meanActivations, noneToObjectRatio } from '../../src/training/interpretable/setup.js';
import { type MapsFigure, modelsFigure } from './icnn-figure.js';
import { icnnMarkdown } from './icnn-markdown.js';
import { empiricalRadius, paperPartInterpretability } from './icnn-parts.js';
import { folderReferences, type InstabilityReferences, landmarkSpread } from './icnn-references.js';
import { ICNN_DEFAULTS, type IcnnSettings, icnnFigurePath, seedList } from './icnn-settings.js';

/** What one trained net measures. */
export interface NetResult {
  readonly acc: number;
  readonly instability: number;
  /** Per filter, the default-protocol instability (null: dead on the class). */
  readonly perFilter: readonly (number | null)[];
  /** The layer's instability by the ICNN authors' protocol (`--protocol icnn`, top 100 images). */
  readonly icnnProtocol: number;
  readonly partIou: number;
  /** The paper's part interpretability (§5.2.1, {@link paperPartInterpretability}); absent in rows run before session 14. */
  readonly partP?: number;
  /** The net's empirical receptive field radius on the top conv layer, input pixels ({@link empiricalRadius}); from session 15. */
  readonly rfRadius?: number;
  /** The paper's part interpretability with round regions of the net's own {@link rfRadius}. */
  readonly partPRf?: number;
  /** The same with the ordinary net's radius (equal to {@link partPRf} for the ordinary net). */
  readonly partPRfShared?: number;
  /** Filters with no positive peak on the class's images (left out of the instability mean). */
  readonly deadFilters: number;
  /** Mean activation of the layer on `none` images over that on object images. */
  readonly noneRatio: number;
  readonly seconds: number;
  readonly filterLoss?: number;
  /**
   * Multi-category rows: per filter, its instability on the images of its own class, the object
   * class where its mean peak is highest in this net (the ICNN authors' multi-class protocol);
   * `ownClassIcnn` the same by `--protocol icnn`.
   */
  readonly ownClass?: readonly (number | null)[];
  readonly ownClassIcnn?: readonly (number | null)[];
  /** Multi-category rows: how many of the net's filters each object class owns by that rule. */
  readonly ownClassCounts?: Readonly<Record<string, number>>;
}

/** One row: the same net trained both ways. */
export interface IcnnRow {
  readonly name: string;
  /** The training seed of the replicate (the initial weights and the data order of every training). */
  readonly seed?: number;
  readonly plain: NetResult;
  readonly icnn: NetResult;
  /** Wall-clock seconds of the shared pretraining (0 without one). */
  readonly pretrainSeconds?: number;
}

const trainFlags = (s: IcnnSettings, dataset: string, out: string, epochs: number, lr: number, seed: number): string[] => [
  ...['--dataset', dataset, '--batch-size', String(s.batch), '--epochs', String(epochs), '--seed', String(seed)],
  ...['--optimizer', 'adamw', '--lr', String(lr), '--weight-decay', String(s.weightDecay), '--schedule', 'cosine', '--no-crop', '--out', out],
];

/** Mean over the filters of their best part IoU, from a dissect tally.csv. */
function meanPartIou(tally: string): number {
  const [header, ...lines] = readFileSync(tally, 'utf8').trim().split('\n');
  const iou = (header ?? '').split(',').indexOf('part-iou');
  if (iou < 0) return Number.NaN;
  const values = lines.map((l) => Number(l.split(',')[iou]));
  return values.reduce((a, v) => a + v, 0) / values.length;
}

type Measures = Pick<NetResult, 'instability' | 'perFilter' | 'icnnProtocol' | 'partIou' | 'partP' | 'deadFilters' | 'noneRatio'> & RfMeasures;

/** The round-region part measures of one net. */
export type RfMeasures = Required<Pick<NetResult, 'rfRadius' | 'partPRf' | 'partPRfShared'>>;

/**
 * The paper's part interpretability with round receptive fields (§5.2.1, footnote 5): the radius is
 * the net's empirical receptive field on `s.layer` (before the mask); `sharedRadius`, the ordinary
 * net's, is used for {@link NetResult.partPRfShared} (the net's own radius when absent).
 *
 * @example
 * ```ts
 * const plain = await rfMeasures(ICNN_DEFAULTS, 'parts', 'parts/pair-bird', 'plain.onnx', 'work/d-plain', 'bird', false);
 * const icnn = await rfMeasures(ICNN_DEFAULTS, 'parts', 'parts/pair-bird', 'icnn.onnx', 'work/d-icnn', 'bird', true, plain.rfRadius);
 * ```
 */
export async function rfMeasures(
  s: IcnnSettings,
  parts: string,
  classes: string,
  model: string,
  out: string,
  cls: string | undefined,
  interpretable: boolean,
  sharedRadius?: number,
): Promise<RfMeasures> {
  const rfRadius = await empiricalRadius(model, s.layer, join(parts, 'classes'), s.size);
  const measured = (radius: number, suffix: string) =>
    paperPartInterpretability(model, interpretable, s.layer, parts, classes, s.size, `${out}-${suffix}`, cls, radius);
  const partPRf = await measured(rfRadius, 'rf');
  const partPRfShared = sharedRadius === undefined ? partPRf : await measured(sharedRadius, 'rf-shared');
  return { rfRadius, partPRf, partPRfShared };
}

async function measure(
  s: IcnnSettings,
  work: string,
  parts: string,
  classes: string,
  model: string,
  cls: string | undefined,
  interpretable: boolean,
  sharedRadius?: number,
): Promise<Measures> {
  const stability = await runJson('stability', model, '--dataset', parts, '--layer', s.layer, ...(cls ? ['--class', cls] : []));
  const icnn = await runJson('stability', model, '--dataset', parts, '--layer', s.layer, '--protocol', 'icnn', ...(cls ? ['--class', cls] : []));
  const out = join(work, `dissect-${model.replace(/[^a-z0-9]/gi, '_')}`);
  const dissect = await runJson('dissect', model, '--dataset', parts, '--layer', s.layer, '--categories', 'part', '--out', out, '--report-units', '4');
  const data = await imageFolder(classes, { sampleShape: [3, s.size, s.size] });
  const k = data.classNames?.length ?? 2;
  const means = await meanActivations(nodeRuntime, graphFromBytes(readFileSync(model)), [s.layer], data, k, { tensors: [s.layer], mode: 'multi' }, {});
  return {
    instability: stability.instability ?? Number.NaN,
    perFilter: (stability.filters as { instability: number | null }[]).map((f) => f.instability),
    icnnProtocol: icnn.instability ?? Number.NaN,
    partIou: meanPartIou(dissect.layers[0].tally),
    partP: await paperPartInterpretability(model, interpretable, s.layer, parts, classes, s.size, `${out}-paper`, cls),
    ...(await rfMeasures(s, parts, classes, model, out, cls, interpretable, sharedRadius)),
    deadFilters: (stability.filters as { instability: number | null }[]).filter((f) => f.instability === null).length,
    noneRatio: noneToObjectRatio(means.get(s.layer) as Float64Array, k, data.classNames?.indexOf('none') ?? k - 1),
  };
}

/** Where a row's nets go: `single-bird-s0.onnx` and its `-base`, `-plain`, `-icnn` siblings. */
export const rowModel = (work: string, name: string, seed: number): string => join(work, `${name.replace(/\W+/g, '-')}-s${seed}.onnx`);

async function compare(s: IcnnSettings, work: string, parts: string, name: string, classes: string, k: number, seed: number, cls?: string): Promise<IcnnRow> {
  const model = rowModel(work, name, seed);
  writeFileSync(model, createModel(s.arch, { classes: k, input: [3, s.size, s.size], seed, width: s.width }));
  // Both nets start from the same weights: the random initialisation, or an ordinary pretraining of it.
  const start = s.pretrain > 0 ? model.replace('.onnx', '-base.onnx') : model;
  const pretrainSeconds = s.pretrain > 0 ? (await runJson('train', model, ...trainFlags(s, classes, start, s.pretrain, s.lr, seed))).seconds : 0;
  const lr = s.pretrain > 0 ? s.finetuneLr : s.lr;
  const run = async (out: string, extra: string[], interpretable: boolean, sharedRadius?: number): Promise<NetResult> => {
    const summary = await runJson('train', start, ...trainFlags(s, classes, out, s.epochs, lr, seed), ...extra);
    const last = summary.epochs[summary.epochs.length - 1];
    const filterLoss = last.terms?.[`filter_loss:${s.layer}`];
    return {
      acc: last.valAccuracy,
      seconds: summary.seconds,
      ...(filterLoss === undefined ? {} : { filterLoss }),
      ...(await measure(s, work, parts, classes, out, cls, interpretable, sharedRadius)),
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
    '--filter-loss',
    s.form,
    ...['--mask-centre', s.maskCentre, '--beta-mode', s.betaMode, '--filter-loss-schedule', s.filterLossSchedule],
    ...(cls ? [] : ['--filter-assign', s.filterAssign]),
  ];
  const plainOut = model.replace('.onnx', '-plain.onnx');
  const icnnOut = model.replace('.onnx', '-icnn.onnx');
  const plain = await run(plainOut, [], false);
  const icnn = await run(icnnOut, interpretable, true, plain.rfRadius);
  if (cls) return { name, seed, plain, icnn, pretrainSeconds };
  return {
    name,
    seed,
    pretrainSeconds,
    plain: { ...plain, ...(await ownClassInstability(s, parts, classes, plainOut)) },
    icnn: { ...icnn, ...(await ownClassInstability(s, parts, classes, icnnOut)) },
  };
}

/**
 * Per filter, its value in the per-class table of the class it is assigned to (null where that
 * class has no table, or the filter is null there).
 *
 * @example
 * ```ts
 * pickOwnClass([0, 1, 0], new Map([[0, [0.1, 0.2, null]], [1, [0.3, 0.4, 0.5]]])); // [0.1, 0.4, null]
 * ```
 */
export function pickOwnClass(categories: readonly number[], perClass: ReadonlyMap<number, readonly (number | null)[]>): (number | null)[] {
  return categories.map((k, f) => perClass.get(k)?.[f] ?? null);
}

/**
 * The ICNN authors' multi-category stability protocol (`step_computeStability_multiClass.m` in
 * zqs1022/interpretableCNN): each filter is measured on the images of the object class where it
 * fires most in this net (the mean over the class's images of its peak), by both protocols.
 *
 * @example
 * ```ts
 * const own = await ownClassInstability(ICNN_DEFAULTS, 'parts', 'parts/classes', 'icnn.onnx');
 * ```
 */
export async function ownClassInstability(
  s: IcnnSettings,
  parts: string,
  classes: string,
  model: string,
): Promise<Pick<NetResult, 'ownClass' | 'ownClassIcnn' | 'ownClassCounts'>> {
  const data = await imageFolder(classes, { sampleShape: [3, s.size, s.size] });
  const names = data.classNames ?? [];
  const peaks = (
    await meanActivations(
      nodeRuntime,
      graphFromBytes(readFileSync(model)),
      [s.layer],
      data,
      names.length,
      { tensors: [s.layer], mode: 'multi', assignSamples: 512 },
      {},
      'peak',
    )
  ).get(s.layer) as Float64Array;
  const filters = peaks.length / names.length;
  const categories = assignFilters(peaks, names.length, filters, [names.indexOf('none')]);
  const byDefault = new Map<number, (number | null)[]>();
  const byIcnn = new Map<number, (number | null)[]>();
  const counts: Record<string, number> = {};
  for (const k of new Set(categories)) {
    const name = names[k] as string;
    counts[name] = categories.filter((c) => c === k).length;
    for (const [table, extra] of [
      [byDefault, []],
      [byIcnn, ['--protocol', 'icnn']],
    ] as const) {
      const r = await runJson('stability', model, '--dataset', parts, '--layer', s.layer, '--class', name, ...extra);
      table.set(
        k,
        (r.filters as { instability: number | null }[]).map((f) => f.instability),
      );
    }
  }
  return { ownClass: pickOwnClass(categories, byDefault), ownClassIcnn: pickOwnClass(categories, byIcnn), ownClassCounts: counts };
}

/** A class folder holding only `cls` and `none` (symlinks into the generated data). */
function pairFolder(work: string, classes: string, cls: string): string {
  const dir = join(work, `pair-${cls}`);
  mkdirSync(dir);
  for (const c of [cls, 'none']) symlinkSync(join(classes, c), join(dir, c));
  return dir;
}

/** The rows, the data's landmark spread ({@link landmarkSpread}) and the bird row's map figure (SVG). */
export interface IcnnRun {
  readonly rows: readonly IcnnRow[];
  readonly landmarkSpread: number;
  readonly figure?: MapsFigure;
  /** The side n of the masked layer's n×n maps. */
  readonly mapSize: number;
  /** The seeds whose rows are in `rows` (all of `--seeds`, or those finished so far). */
  readonly seeds?: readonly number[];
  /** Per object class, the instability of made-up fixed and part-tracking filters on its images. */
  readonly references?: Readonly<Record<string, InstabilityReferences>>;
}

/**
 * Runs the comparisons, seed after seed (each seed every row), and returns the rows; `onSeed`
 * receives the run so far after each seed, so a long run leaves its finished seeds behind.
 *
 * @example
 * ```ts
 * const { rows } = await icnnRows({ ...ICNN_DEFAULTS, seeds: '0' });
 * ```
 */
export async function icnnRows(s: IcnnSettings = ICNN_DEFAULTS, onSeed?: (run: IcnnRun) => Promise<void>): Promise<IcnnRun> {
  setDefaultRuntime(nodeRuntime);
  const seeds = seedList(s);
  const work = await mkdtemp(join(tmpdir(), 'lucerna-results-icnn-'));
  try {
    const parts = join(work, 'parts');
    await runJson('dataset', 'parts', '--out', parts, '--n', String(s.n), '--seed', '1', '--size', String(s.size), '--classes', '2');
    const classes = join(parts, 'classes');
    const wanted = s.rows.split(',').map((r) => r.trim());
    const singles = ['bird', 'fish'].filter((c) => wanted.includes(c));
    const pairs = new Map(singles.map((c) => [c, pairFolder(work, classes, c)]));
    const probe = await prepareGraph(nodeRuntime, graphFromBytes(createModel(s.arch, { classes: 2, input: [3, s.size, s.size], seed: 0, width: s.width })), [
      1,
      3,
      s.size,
      s.size,
    ]);
    const mapSize = (probe.shapes.get(s.layer) ?? [])[2] ?? Number.NaN;
    const spread = landmarkSpread(readFileSync(join(parts, 'landmarks.csv'), 'utf8'));
    const references = Object.fromEntries(['bird', 'fish'].map((c) => [c, folderReferences(parts, c, s.size, mapSize)]));
    const rows: IcnnRow[] = [];
    let figure: MapsFigure | undefined;
    for (const seed of seeds) {
      for (const cls of singles) rows.push(await compare(s, work, parts, `single ${cls}`, pairs.get(cls) as string, 2, seed, cls));
      if (seed === seeds[0] && pairs.has('bird')) {
        const model = rowModel(work, 'single bird', seed);
        figure = await modelsFigure(
          model.replace('.onnx', '-plain.onnx'),
          model.replace('.onnx', '-icnn.onnx'),
          pairs.get('bird') as string,
          s.layer,
          s.size,
          'bird',
        );
      }
      if (wanted.includes('multi')) rows.push(await compare(s, work, parts, 'multi (bird, fish, none)', classes, 3, seed));
      await onSeed?.({ rows: [...rows], landmarkSpread: spread, figure, mapSize, seeds: seeds.slice(0, seeds.indexOf(seed) + 1), references });
    }
    return { rows, landmarkSpread: spread, figure, mapSize, seeds, references };
  } finally {
    // LUCERNA_RESULTS_KEEP=1 keeps the data and every row's nets, to measure them again later.
    if (process.env.LUCERNA_RESULTS_KEEP === '1') process.stderr.write(`kept the work folder ${work}\n`);
    else await rm(work, { recursive: true, force: true });
  }
}

/**
 * Runs the experiment with the defaults and returns the section (for `npm run results`);
 * `onSeed` receives the section so far after each seed.
 *
 * @example
 * ```ts
 * const md = await icnnSection();
 * ```
 */
export async function icnnSection(s: IcnnSettings = ICNN_DEFAULTS, onSeed?: (section: string) => Promise<void>): Promise<string> {
  const write = async (run: IcnnRun) => {
    if (run.figure) {
      await mkdir('docs/results', { recursive: true });
      await writeFile(icnnFigurePath(s), run.figure.svg);
    }
    return icnnMarkdown(s, run);
  };
  return write(await icnnRows(s, onSeed && (async (run) => onSeed(await write(run)))));
}
