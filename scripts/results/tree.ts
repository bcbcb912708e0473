/**
 * RESULTS.md section: the decision tree of rationales (Zhang et al., CVPR 2019,
 * https://arxiv.org/abs/1802.00121) on a trained CNN and on the same architecture with random
 * weights, on the generated parts data set.
 *
 * 1. Data: `lucerna dataset parts`; its `index.csv` split gives a train and a held-out folder.
 * 2. Models: `lucerna model create` + `lucerna train` (the recipe in {@link RECIPE}); the random
 *    network is `model create` with another seed and no training.
 * 3. Per model: `tree build` on the class's training images, then on held-out images of every
 *    class, routed by cosine: the fidelity per depth ({@link depthFidelity}).
 * 4. Part contributions: each filter is assigned its best part by Network Dissection inside the
 *    class's objects (`dissect --categories part --where object=<class>`, Bau et al.'s IoU); a
 *    class's distinguishing parts are those no other generated class has. For the top nodes of the
 *    tree, the share of their top-3 contributing filters assigned to distinguishing parts, against
 *    the share of all filters. The paper builds its trees on an interpretable CNN (whose top
 *    filters are parts), so the interpretable net trained the same way is measured beside the
 *    ordinary one.
 */
import { mkdir, readdir, readFile, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { datasetRationales, imageSampleShape } from '../../src/cli/commands/tree-build-run.js';
import { runJson } from '../../src/cli/in-process.js';
import { openModel } from '../../src/cli/model.js';
import { imageFolder } from '../../src/datasets/node/image-folder.js';
import { FIGURE_CLASSES } from '../../src/datasets/parts/figures.js';
import { buildTree } from '../../src/disentangle/tree/build.js';
import { type DepthFidelity, depthFidelity, type FidelityImage, layerFidelity, modesFidelity, treeDepth } from '../../src/disentangle/tree/fidelity.js';
import { type PartCheck, partCheck } from '../../src/disentangle/tree/part-check.js';
import type { Rationale } from '../../src/disentangle/tree/types.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { setDefaultRuntime } from '../../src/engine/runtime.js';
import { maskedTensorName } from '../../src/training/interpretable/mask.js';
import { PARTS_NETS, partsNets } from './parts-nets.js';
import { RUN_FROM, relativeToWork } from './shown-command.js';

/** The experiment's settings (the data and nets are {@link PARTS_NETS}). */
export const RECIPE = {
  ...PARTS_NETS,
  target: 'bird',
  /** The interpretable net's masked top conv output: the x of the paper's rationales. */
  maskedLayer: maskedTensorName(PARTS_NETS.layer),
};

const DEPTHS = [0, 1, 2, 3, 4, 6, 8, 12, 16, Number.POSITIVE_INFINITY];
/** The paper's tree layers: 1 the root, 2 the modes, k the (k − 2)-th level below them. */
const LAYERS = [1, 2, 3, 4, 5, 7, Number.POSITIVE_INFINITY];

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Train/held-out ImageFolder views of the object classes (symlinks), from index.csv's split column. */
async function splitFolders(parts: string, work: string, classes: readonly string[]): Promise<{ train: string; val: string }> {
  const rows = (await readFile(join(parts, 'index.csv'), 'utf8')).trim().split('\n').slice(1);
  const split = new Map(rows.map((r) => r.split(',') as [string, string]));
  const train = join(work, 'train');
  const val = join(work, 'val');
  if (await exists(train)) return { train, val };
  for (const c of classes) {
    for (const dir of [train, val]) await mkdir(join(dir, c), { recursive: true });
    for (const f of await readdir(join(parts, 'classes', c))) {
      await symlink(join(parts, 'classes', c, f), join(split.get(f) === 'val' ? val : train, c, f));
    }
  }
  return { train, val };
}

/** Part names of the generated classes no other generated class has. */
export function distinguishingParts(target: string, classes: readonly string[]): Set<string> {
  const partsOf = (name: string): string[] =>
    FIGURE_CLASSES.find((c) => c.name === name)
      ?.build(() => 0)
      .map((p) => p.name) ?? [];
  const others = new Set(classes.filter((c) => c !== target).flatMap(partsOf));
  return new Set(partsOf(target).filter((p) => !others.has(p)));
}

/**
 * Filter → its best part by Network Dissection inside the target class's objects (the unit's
 * highest part IoU; `iou` says how good a detector it is), from `dissect`'s tally.csv.
 */
async function assignFilters(modelPath: string, parts: string, layer: string, work: string, name: string): Promise<{ part: string; iou: number }[]> {
  const out = join(work, `tree-dissect-${name.replace(/\W+/g, '-')}`);
  const args = ['dissect', modelPath, '--dataset', parts, '--layer', layer, '--categories', 'part', '--where', `object=${RECIPE.target}`, '--out', out];
  const summary = await runJson(...args, '--report-units', '4');
  const tally = (summary.layers as { tally: string }[])[0]?.tally as string;
  const [header, ...lines] = (await readFile(tally, 'utf8')).trim().split('\n');
  const columns = (header ?? '').split(',');
  const [unit, label, iou] = ['unit', 'part-label', 'part-iou'].map((c) => columns.indexOf(c)) as [number, number, number];
  const assigned: { part: string; iou: number }[] = [];
  for (const line of lines) {
    const cells = line.split(',');
    assigned[Number(cells[unit])] = { part: cells[label] ?? '', iou: Number(cells[iou]) };
  }
  return assigned;
}

interface ModelRun {
  readonly name: string;
  readonly layer: string;
  readonly valAccuracy: number;
  /** Fidelity by depth of our binary tree, on all held-out images and on the held-out positives. */
  readonly curve: ReturnType<typeof depthFidelity>;
  readonly curvePositive: ReturnType<typeof depthFidelity>;
  /** Fidelity at the paper's tree layers (root, modes, below the modes), all images and positives. */
  readonly layers: ReturnType<typeof layerFidelity>;
  readonly layersPositive: ReturnType<typeof layerFidelity>;
  /** Fidelity at the paper's decision modes, and how many there are. */
  readonly modes: ReturnType<typeof modesFidelity>;
  readonly modeCount: number;
  readonly depth: number;
  readonly nodes: number;
  readonly images: number;
  readonly seconds: number;
  readonly parts: PartCheck;
}

async function runModel(
  name: string,
  modelPath: string,
  layer: string,
  work: string,
  parts: string,
  dirs: { train: string; val: string },
  classes: string[],
): Promise<ModelRun> {
  const target = classes.indexOf(RECIPE.target);
  await using opened = await openModel(modelPath);
  const m = opened.model;
  const shape = imageSampleShape(m);
  const trainData = await imageFolder(dirs.train, { sampleShape: shape, classNames: classes });
  const trainLabels = await trainData.labels();
  const positives = [...trainLabels.keys()].filter((i) => trainLabels[i] === target);
  const t0 = performance.now();
  const train = await datasetRationales(m, trainData, positives, { layer, target, batchSize: 16 });
  const tree = buildTree(train);
  const seconds = (performance.now() - t0) / 1000;
  const valData = await imageFolder(dirs.val, { sampleShape: shape, classNames: classes });
  const valLabels = await valData.labels();
  const all = [...valLabels.keys()];
  const perClass = await Promise.all(classes.map(async (_c, k) => datasetRationales(m, valData, all, { layer, target: k, batchSize: 16 })));
  const images: FidelityImage[] = all.map((i) => ({
    rationale: perClass[target]?.[i] as Rationale,
    otherMax: Math.max(...perClass.filter((_r, k) => k !== target).map((r) => (r[i] as Rationale).score)),
    positive: valLabels[i] === target,
  }));
  const positiveImages = images.filter((im) => im.positive);
  const scoreOf = (k: number, i: number): number => perClass[k]?.[i]?.score ?? Number.NEGATIVE_INFINITY;
  const argmax = (i: number): number => classes.reduce((best, _c, k) => (scoreOf(k, i) > scoreOf(best, i) ? k : best), 0);
  const assigned = await assignFilters(modelPath, parts, layer, work, name);
  return {
    name,
    layer,
    valAccuracy: all.filter((i) => argmax(i) === valLabels[i]).length / all.length,
    curve: depthFidelity(tree, images, DEPTHS),
    curvePositive: depthFidelity(tree, positiveImages, DEPTHS),
    layers: layerFidelity(tree, images, LAYERS),
    layersPositive: layerFidelity(tree, positiveImages, LAYERS),
    modes: modesFidelity(tree, images),
    modeCount: tree.modes?.length ?? 0,
    depth: treeDepth(tree),
    nodes: tree.nodes.length,
    images: train.length,
    seconds,
    parts: partCheck(tree, train, assigned, distinguishingParts(RECIPE.target, classes)),
  };
}

const pct = (v: number): string => (Number.isNaN(v) ? '–' : `${(100 * v).toFixed(1)} %`);
const depthName = (d: number): string => (Number.isFinite(d) ? String(d) : 'leaf');
const num = (v: number | undefined): string => (v === undefined || Number.isNaN(v) ? '–' : v.toFixed(4));
const row = (label: string, p: DepthFidelity | undefined, c: DepthFidelity): string =>
  `| ${label} | ${num(p?.rangeError)} | ${num(c.rangeError)} | ${num(p?.relativeError)} | ${num(c.relativeError)} | ${pct(c.agreement)} | ${pct(c.accuracy)} | ${pct(c.cnnAccuracy)} |\n`;
const HEADER = `| error, held-out ${RECIPE.target}s | error, all held-out | relative error, ${RECIPE.target}s | relative error, all | agreement with the CNN (all) | accuracy, tree (all) | accuracy, CNN (all) |\n|---|---|---|---|---|---|---|---|\n`;

function fidelityTables(r: ModelRun): string {
  let md = `**${r.name}**, layer \`${r.layer}\` (held-out accuracy of the CNN over all 3 classes: ${pct(r.valAccuracy)}; tree: ${r.images} images, ${r.nodes} nodes, depth ${r.depth}, ${r.modeCount} mode${r.modeCount === 1 ? '' : 's'}, built in ${r.seconds.toFixed(1)} s with the rationales)\n\n`;
  md += `By the paper's layers (1: root; 2: the modes; k: k − 2 levels below the modes):\n\n| layer ${HEADER}`;
  (r.layers ?? []).forEach((c, k) => {
    md += row(depthName(c.depth), r.layersPositive?.[k], c);
  });
  md += `\nBy depth in our binary tree (the levels above the modes included):\n\n| depth ${HEADER}`;
  r.curve.forEach((c, k) => {
    md += row(depthName(c.depth), r.curvePositive[k], c);
  });
  return `${md}\n`;
}

function section(runs: readonly ModelRun[], commands: readonly string[], classes: readonly string[]): string {
  let md = `## Decision tree of rationales (#18): fidelity by layer and depth, part contributions; trained, interpretable, random\n\n`;
  md += `Zhang et al., *Interpreting CNNs via Decision Trees* (CVPR 2019). Data: \`lucerna dataset parts\` (classes ${classes.join(', ')}; ${RECIPE.size} px; ${RECIPE.n} images), its own train/held-out split. Tree of class **${RECIPE.target}**, built on the class's training images (default options: β = 1, α = 1, per-filter scale, 8 candidates), at the top conv layer: \`${RECIPE.layer}\` of the ordinary and the random net, and the masked output \`${RECIPE.maskedLayer}\` of the interpretable CNN (the paper's x). Held-out images of every class are routed by cosine and predicted by the node their path reaches at each layer (their leaf if the path is shorter).\n\n`;
  md += `The paper's tree links its root straight to the decision modes (where merging stops), each with its binary merge history below it; ours merges on up to one root and keeps the modes as a cut (docs/tree.md), so we report both the paper's layers and our depths.\n\n`;
  md += `Columns, over the held-out ${RECIPE.target} images (the images whose rationales the tree models: it is built on the class's positive images only) and over all held-out images (${classes.join(', ')}; needed for the yes/no columns), y being the ${RECIPE.target} logit:\n\n`;
  md += `- *error*: the paper's prediction error, mean |ŷ − y| / (max y − min y) over the images (the mean absolute error over the value range of the CNN's scores, as the public re-implementation of the paper computes it per tree layer; docs/tree.md);\n- *relative error*: Σ|ŷ − y| / Σ|y|;\n- *agreement*: the tree's "is it a ${RECIPE.target}" (ŷ beats every other logit) equals the CNN's;\n- *accuracy*: the tree's yes/no against the labels (the CNN's own in the last column).\n\n`;
  for (const r of runs) md += fidelityTables(r);
  md += `Reading (the paper's error by the paper's layers): ${runs.map((r) => `${r.name}: on held-out ${RECIPE.target}s it ${orderingReading(r.layersPositive)}; on all held-out images it ${orderingReading(r.layers)}`).join('. ')}. `;
  md += `The tree models the rationales of ${RECIPE.target} images; another class's image has a ${RECIPE.target} rationale unlike any training leaf, so routing it to a smaller node (whose mean rationale and bias fit fewer ${RECIPE.target} images) can predict its score worse than the broader mode above: that is where the all-images error can rise below the modes. A random network's logit barely varies, and the tree explains what variation it has much worse than a trained one.\n\n`;
  md += `**Part contributions** (a report, not a pass/fail check): how often are the top-contributing filters of a decision mode filters assigned to the class's distinguishing parts, against how often a random filter is? Each filter of the tree's layer is assigned its best part by Network Dissection inside ${RECIPE.target} figures (\`lucerna dissect <net> --dataset parts --layer <layer> --categories part --where object=${RECIPE.target}\`: the part of highest IoU, Bau et al.); ${RECIPE.target}'s distinguishing parts are those no other generated class has (${[...distinguishingParts(RECIPE.target, classes)].join(', ')}). For the nodes of the tree's top 4 levels with ≥ 5 images, their top-3 positively contributing filters (mode × the node's mean activation): the share assigned to a distinguishing part, counted per pick and over the distinct filters picked, against the share of all the layer's filters (what a random pick gives). A filter is a *detector* when its best part IoU reaches 0.04. *Top-3 share of the mode*: the top 3 filters' share of Σ|w_c·x̂_c| at a checked node, averaged (3/64 = 4.7 % when all filters contribute alike): how much there is to single out.\n\n`;
  md += `| net | nodes checked | top picks on distinguishing parts | distinct top filters on distinguishing parts | all filters on distinguishing parts | detectors: top / all | mean best part IoU: top / all | top-3 share of the mode |\n|---|---|---|---|---|---|---|---|\n`;
  for (const r of runs) {
    const p = r.parts;
    md += `| ${r.name} | ${p.nodesChecked} | ${pct(p.pickShare)} of ${p.picks} | ${pct(p.distinctShare)} of ${p.distinct} | ${pct(p.baseShare)} of 64 | ${p.topDetectors} of ${p.distinct} / ${p.detectors} of 64 | ${p.topIou.toFixed(3)} / ${p.meanIou.toFixed(3)} | ${pct(p.topMass)} |\n`;
  }
  md += `\n${partReading(runs)}\n`;
  md += `\nCommands (the script \`scripts/results/tree.ts\` runs them in-process, then builds and scores the trees; ${RUN_FROM}; rebuild this section alone with \`node --import tsx scripts/results-tree.ts [work-dir]\`):\n\n\`\`\`sh\n${commands.join('\n')}\n\`\`\`\n`;
  return md;
}

/** Whether the errors shrink from the root to the leaves for one net, layer by layer or only overall. */
function orderingReading(rows: readonly DepthFidelity[] | undefined): string {
  const e = (rows ?? []).map((c) => c.rangeError);
  const rises = e.slice(1).filter((v, k) => v > (e[k] as number) + 1e-9).length;
  const low = Math.min(...e);
  const at = depthName(rows?.[e.indexOf(low)]?.depth ?? Number.NaN);
  const root = e[0] as number;
  const leaf = e.at(-1) as number;
  const overall =
    leaf < root
      ? `falls from ${num(root)} at the root to ${num(leaf)} at the leaves`
      : `does not fall from the root (${num(root)}) to the leaves (${num(leaf)})`;
  const steps =
    rises === 0
      ? 'never rising from one layer to the next'
      : `but rises at ${rises} step${rises === 1 ? '' : 's'} on the way (lowest ${num(low)} at layer ${at})`;
  return `${overall}, ${steps}`;
}

/** The plain reading of the part check: whether each net's top filters beat the base rate. */
function partReading(runs: readonly ModelRun[]): string {
  const lines = runs.map((r) => {
    const p = r.parts;
    const verdict = p.distinctShare > p.baseShare ? 'above' : p.distinctShare < p.baseShare ? 'below' : 'at';
    return `${r.name}: ${pct(p.distinctShare)} of its distinct top filters against ${pct(p.baseShare)} of all filters (${verdict} the base rate)`;
  });
  return `Reading: ${lines.join('; ')}. With a few distinct filters per tree, a difference of one filter moves the share by several points, so only a large gap would mean anything; and the assignment is only as good as the filters are part detectors (the detector column): at a 4×4 top layer most filters' best part IoU is far below 0.04, in every net.`;
}

/**
 * Runs the experiment in `work` (reusing the data and nets found there) and returns the markdown section.
 *
 * @example
 * ```ts
 * const md = await treeSection('/tmp/lucerna-results-parts');
 * ```
 */
export async function treeSection(work = join(tmpdir(), 'lucerna-results-parts')): Promise<string> {
  setDefaultRuntime(nodeRuntime);
  await mkdir(work, { recursive: true });
  const nets = await partsNets(work);
  const commands = [...nets.commands];
  const classes = [...FIGURE_CLASSES.slice(0, RECIPE.classes).map((c) => c.name), 'none'].sort();
  const dirs = await splitFolders(nets.parts, work, classes);
  commands.push(
    `# builds on the train rows of index.csv and prints the error and relative error on its val rows at the root, the modes and the leaves (the tables' rows 1, 2, leaf)`,
    `lucerna tree build <net> --dataset ${nets.parts} --class ${RECIPE.target} --layer <layer> --out tree/ --report`,
    `lucerna dissect <net> --dataset ${nets.parts} --layer <layer> --categories part --where object=${RECIPE.target} --out dissect/`,
  );
  const runs = [
    await runModel(`trained ${RECIPE.arch}`, nets.trained, RECIPE.layer, work, nets.parts, dirs, classes),
    await runModel(`interpretable ${RECIPE.arch}`, nets.interpretable, RECIPE.maskedLayer, work, nets.parts, dirs, classes),
    await runModel(`random ${RECIPE.arch} (untrained, seed 1)`, nets.random, RECIPE.layer, work, nets.parts, dirs, classes),
  ];
  return section(
    runs,
    commands.map((c) => relativeToWork(c, work)),
    classes,
  );
}
