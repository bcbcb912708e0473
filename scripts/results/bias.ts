/**
 * RESULTS.md section: bias discovery (Zhang, Wang, Zhu, "Examining CNN Representations with respect
 * to Dataset Bias", AAAI 2018, https://arxiv.org/abs/1710.10577) on networks trained with planted
 * cues against one trained on the same data without them.
 *
 * 1. Data: per model a training set `lucerna dataset parts --seed 1 [--bias rule]…` (the rules act on
 *    its train split only) and a held-out evaluation set with the same rules and another seed,
 *    half of it biased (`train` split) and half unbiased (`val` split).
 * 2. Models: one `lucerna model create` (seed 0) trained by {@link RECIPE} on each training set
 *    (same seed, same budget).
 * 3. `lucerna bias` on each evaluation set: relations mined on its unbiased half, accuracy on both.
 * 4. Scoring: every relation (an attribute value favouring one class over another) of every
 *    model is planted (the rule's value favouring the rule's class, over either other class), a
 *    side effect (the rule's value between two other classes, or against the rule's class: the
 *    rule lowers the other classes' share of the value in training, so the data carry these too)
 *    or unplanted. Precision and recall of the flags, strictly (side effects count as false flags)
 *    and per rule's attribute value.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runJson } from '../../src/cli/in-process.js';
import { parseCsv } from '../../src/datasets/broden/csv.js';
import type { BiasRelation } from '../../src/diagnosis/bias/relations.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { setDefaultRuntime } from '../../src/engine/runtime.js';
import { RUN_FROM, relativeToWork } from './shown-command.js';
import { openWorkFolder } from './work-folder.js';

/** The experiment's settings; every number in the section comes from these. */
export const RECIPE = {
  n: 1500,
  seed: 1,
  evalSeed: 2,
  size: 32,
  classes: 2,
  arch: 'vgg11-bn',
  width: '0.125',
  /** The top conv block (BN → ReLU), 64 filters of 2×2 at 32 px. */
  layer: 'Relu_33',
  threshold: 0.3,
  // The generalising recipe (test/training/parts-generalise.test.ts; RESULTS.md "Interpretable CNNs").
  train: ['--optimizer', 'adamw', '--lr', '0.003', '--weight-decay', '0.05', '--batch-size', '32', '--epochs', '6', '--seed', '0', '--no-crop'],
};

/** The trained models: a name and the rules planted in its training split. */
export const MODELS: readonly { readonly key: string; readonly name: string; readonly rules: readonly string[] }[] = [
  { key: 'clean', name: 'clean (no rule)', rules: [] },
  { key: 'background', name: 'background texture', rules: ['bird:background=plain@0.95', 'fish:background=gradient@0.95'] },
  { key: 'body-colour', name: 'body colour', rules: ['bird:body_colour=red@0.95', 'fish:body_colour=blue@0.95'] },
  { key: 'part-colours', name: 'wing and tail colours', rules: ['bird:wings_colour=yellow@0.95', 'fish:tail_colour=green@0.95'] },
];

type Kind = 'planted' | 'side effect' | 'unplanted';

/** A cue counts as learned when its in-class accuracy gap beats the clean model's by this much. */
const LEARNED = 0.1;

interface Rule {
  readonly className: string;
  readonly attribute: string;
}

const parseRule = (text: string): Rule => {
  const [className, rest] = text.split(':') as [string, string];
  return { className, attribute: rest.slice(0, rest.indexOf('@')) };
};

/**
 * Whether a relation is one a rule plants (the rule's value favouring the rule's class, over any
 * other class), a side effect of it (the same value favouring another class), or unplanted.
 *
 * @example
 * ```ts
 * relationKind({ className: 'fish', attribute: 'body_colour=red' }, ['bird:body_colour=red@0.95']); // 'side effect'
 * ```
 */
export function relationKind(r: Pick<BiasRelation, 'className' | 'attribute'>, rules: readonly string[]): Kind {
  const parsed = rules.map(parseRule);
  if (parsed.some((p) => p.className === r.className && p.attribute === r.attribute)) return 'planted';
  return parsed.some((p) => p.attribute === r.attribute) ? 'side effect' : 'unplanted';
}

interface Accuracy {
  readonly images: number;
  readonly accuracy: number | null;
}

interface ModelRun {
  readonly key: string;
  readonly name: string;
  readonly rules: readonly string[];
  readonly relations: readonly BiasRelation[];
  readonly accuracy: Record<string, Accuracy>;
  readonly noise: number;
  /** Val (unbiased) images of the evaluation set: true class, predicted class, attribute columns. */
  readonly val: readonly ValImage[];
}

interface ValImage {
  readonly className: string;
  readonly predicted: string;
  readonly attributes: Readonly<Record<string, string>>;
}

/**
 * Accuracy on the unbiased images split by a rule's cue, within the rule's class (with and without
 * the value) and within the other classes (without and with it): a network that uses the cue does
 * better where the cue agrees with the class (first of each pair) than where it conflicts.
 *
 * @example
 * ```ts
 * cueAccuracy(images, 'fish:body_colour=blue@0.95').inClass; // [{ images: 25, accuracy: 0.96 }, { images: 225, accuracy: 0.7 }]
 * ```
 */
export function cueAccuracy(images: readonly ValImage[], rule: string): { inClass: [Accuracy, Accuracy]; others: [Accuracy, Accuracy] } {
  const p = parseRule(rule);
  const [column, value] = p.attribute.split('=') as [string, string];
  const tally = (keep: (i: ValImage) => boolean): Accuracy => {
    const chosen = images.filter(keep);
    return { images: chosen.length, accuracy: chosen.length ? chosen.filter((i) => i.predicted === i.className).length / chosen.length : null };
  };
  const has = (i: ValImage) => i.attributes[column] === value;
  const mine = (i: ValImage) => i.className === p.className;
  // Other classes: each class's accuracy with and without the value, averaged with the class's
  // share of the images (classes that show the value and its absence only), so that a class that
  // never has the column (none has no body) does not pass for an effect of the cue.
  const others = [...new Set(images.map((i) => i.className))].filter((c) => c !== p.className);
  let n = 0;
  let without = 0;
  let withCue = 0;
  let nWithout = 0;
  let nWith = 0;
  for (const c of others) {
    const a = tally((i) => i.className === c && !has(i));
    const b = tally((i) => i.className === c && has(i));
    if (a.accuracy == null || b.accuracy == null) continue;
    const size = a.images + b.images;
    n += size;
    without += size * a.accuracy;
    withCue += size * b.accuracy;
    nWithout += a.images;
    nWith += b.images;
  }
  return {
    inClass: [tally((i) => mine(i) && has(i)), tally((i) => mine(i) && !has(i))],
    others: [
      { images: nWithout, accuracy: n ? without / n : null },
      { images: nWith, accuracy: n ? withCue / n : null },
    ],
  };
}

/** The val images of an evaluation set, with the predictions `lucerna bias` wrote. */
async function valImages(evalSet: string, biasOut: string): Promise<ValImage[]> {
  const attributes = new Map(parseCsv(await readFile(join(evalSet, 'attributes.csv'), 'utf8'), ['image'], 'attributes.csv').map((r) => [r.image as string, r]));
  return parseCsv(await readFile(join(biasOut, 'predictions.csv'), 'utf8'), ['image', 'split', 'class', 'predicted'], 'predictions.csv')
    .filter((r) => r.split === 'val')
    .map((r) => ({ className: r.class as string, predicted: r.predicted as string, attributes: attributes.get(r.image as string) ?? {} }));
}

const pct = (a: Accuracy | undefined): string => (a?.accuracy == null ? '–' : `${(100 * a.accuracy).toFixed(1)} %`);
const num = (v: number): string => (v >= 0 ? ` ${v.toFixed(3)}` : v.toFixed(3)).trim();
const key = (r: Pick<BiasRelation, 'className' | 'against' | 'attribute'>): string => `${r.attribute} → ${r.className} over ${r.against}`;

/** Precision and recall of the flags over every relation of the runs. */
export function scoreFlags(
  runs: readonly Pick<ModelRun, 'rules' | 'relations' | 'noise'>[],
  at: 'flag' | 'noise' = 'flag',
): {
  planted: number;
  sideEffects: number;
  unplanted: number;
  flags: Record<Kind, number>;
  /** Rules with a flagged planted relation (strict), and with any flag on their attribute value. */
  rulesFound: number;
  rulesTouched: number;
  rules: number;
} {
  const flags: Record<Kind, number> = { planted: 0, 'side effect': 0, unplanted: 0 };
  let planted = 0;
  let sideEffects = 0;
  let unplanted = 0;
  let rulesFound = 0;
  let rulesTouched = 0;
  let rules = 0;
  for (const run of runs) {
    const flagged = (r: BiasRelation): boolean => (at === 'flag' ? r.flagged : Math.abs(r.bias) >= run.noise);
    for (const r of run.relations) {
      const kind = relationKind(r, run.rules);
      if (kind === 'planted') planted++;
      else if (kind === 'side effect') sideEffects++;
      else unplanted++;
      if (flagged(r)) flags[kind]++;
    }
    for (const rule of run.rules) {
      rules++;
      const p = parseRule(rule);
      if (run.relations.some((r) => flagged(r) && r.attribute === p.attribute && r.className === p.className)) rulesFound++;
      if (run.relations.some((r) => flagged(r) && r.attribute === p.attribute)) rulesTouched++;
    }
  }
  return { planted, sideEffects, unplanted, flags, rulesFound, rulesTouched, rules };
}

function rankOf(run: ModelRun, rule: string): { rank: number; relation: BiasRelation | undefined } {
  const p = parseRule(rule);
  const i = run.relations.findIndex((r) => r.className === p.className && r.attribute === p.attribute);
  return { rank: i + 1, relation: run.relations[i] };
}

function section(runs: readonly ModelRun[], commands: readonly string[]): string {
  const total = runs[0]?.relations.length ?? 0;
  let md = `## Bias discovery (#20): models trained with planted cues against a clean one\n\n`;
  md += `Zhang, Wang, Zhu, *Examining CNN Representations with respect to Dataset Bias* (AAAI 2018). Data: \`lucerna dataset parts\` (bird, fish, none; ${RECIPE.size} px; ${RECIPE.n} training images, seed ${RECIPE.seed}); each rule \`class:attribute=value@0.95\` gives that value to 95 % of the class's **training** images (the rest draw another value), the val split stays unbiased. Every model starts from the same \`model create ${RECIPE.arch} --width ${RECIPE.width}\` (seed 0) and is trained with the same recipe and budget (${RECIPE.train.join(' ')}). \`lucerna bias\` runs on a held-out set with the same rules (seed ${RECIPE.evalSeed}, half biased \`train\` split, half unbiased \`val\` split): relations are mined on the unbiased half at \`${RECIPE.layer}\`: every attribute value × pair of classes (${total} relations per model), flagged at bias ≥ ${RECIPE.threshold}.\n\n`;
  md += `A relation is an attribute value favouring one class over another (docs/bias.md: a softmax ignores evidence added to every class alike, so only how a cue moves one class against another is defined; what an earlier version listed as a relation and its mirror, \`fish:blue\` + and \`bird:blue\` −, is one relation, *blue → fish over bird*). Its bias: the correlation, within each true class, between the evidence for the first class minus the second (gradient × activation summed over the layer's filters) and the indicator of the value (the partial correlation given the class, oriented ≥ 0; \`src/diagnosis/bias/relations.ts\`). Near 0 for a network that reads only the class; chance alone reaches about the *noise* column over all relations (5 % family-wise).\n\n`;
  md += `| model | planted rules | accuracy: biased held-out | unbiased held-out | gap | flagged | noise | first relation (bias) |\n|---|---|---|---|---|---|---|---|\n`;
  for (const r of runs) {
    const biased = r.accuracy['train (biased)'];
    const unbiased = r.accuracy['val (unbiased)'];
    const gap = biased?.accuracy != null && unbiased?.accuracy != null ? `${(100 * (biased.accuracy - unbiased.accuracy)).toFixed(1)} pt` : '–';
    const first = r.relations[0];
    const firstText = first ? `${key(first)} (${num(first.bias)}, ${relationKind(first, r.rules)})` : '–';
    md += `| ${r.name} | ${r.rules.join(', ') || '–'} | ${pct(biased)} | ${pct(unbiased)} | ${gap} | ${r.relations.filter((x) => x.flagged).length} | ${r.noise.toFixed(3)} | ${firstText} |\n`;
  }
  md += `\nEach planted rule's strongest relation (the rule's value favouring the rule's class over another; rank among the model's ${total} relations by bias):\n\n`;
  md += `| model | planted relation | rank | bias | network | ground truth | flagged | evidence filters |\n|---|---|---|---|---|---|---|---|\n`;
  for (const r of runs)
    for (const rule of r.rules) {
      const { rank, relation } = rankOf(r, rule);
      if (!relation) continue;
      md += `| ${r.name} | ${key(relation)} | ${rank} | ${num(relation.bias)} | ${num(relation.network)} | ${num(relation.groundTruth)} | ${relation.flagged ? 'yes' : 'no'} | ${relation.filters.join(', ')} |\n`;
    }
  const clean = runs.find((r) => r.rules.length === 0);
  md += `\nIs each planted cue really used? Accuracy on the unbiased held-out images, within the rule's class with the value against without it, and within the other classes without the value against with it (each class apart, then averaged with its share of the images; classes that never show the attribute are left out): the cue agrees with the class, then conflicts, the gap in brackets. The clean model on the same images is the control (the unbiased halves of all evaluation sets are the same images):\n\n`;
  md += `| planted relation | rule's class (model) | rule's class (clean) | other classes (model) | other classes (clean) | learned | flagged |\n|---|---|---|---|---|---|---|\n`;
  const pair = ([a, b]: readonly [Accuracy, Accuracy]): string =>
    a.accuracy != null && b.accuracy != null ? `${pct(a)} vs ${pct(b)} (${(100 * (a.accuracy - b.accuracy)).toFixed(1)} pt)` : '–';
  const diff = ([a, b]: readonly [Accuracy, Accuracy]): number => (a.accuracy != null && b.accuracy != null ? a.accuracy - b.accuracy : Number.NaN);
  let learned = 0;
  let learnedFlagged = 0;
  let unlearnedFlagged = 0;
  for (const r of runs)
    for (const rule of r.rules) {
      const m = cueAccuracy(r.val, rule);
      const c = clean ? cueAccuracy(clean.val, rule) : undefined;
      const used = c !== undefined && diff(m.inClass) - diff(c.inClass) >= LEARNED;
      const flag = rankOf(r, rule).relation?.flagged === true;
      if (used) learned++;
      if (used && flag) learnedFlagged++;
      if (!used && flag) unlearnedFlagged++;
      md += `| ${rule.slice(0, rule.indexOf('@'))} | ${pair(m.inClass)} | ${c ? pair(c.inClass) : '–'} | ${pair(m.others)} | ${c ? pair(c.others) : '–'} | ${used ? 'yes' : 'no'} | ${flag ? 'yes' : 'no'} |\n`;
    }
  md += `\n*Learned*: the gap within the rule's class is at least ${100 * LEARNED} pt above the clean model's (accuracy only, independent of \`lucerna bias\`). Of the ${learned} learned cues, ${learnedFlagged} are flagged (recall ${learned ? ((100 * learnedFlagged) / learned).toFixed(0) : '–'} %); ${unlearnedFlagged} cue${unlearnedFlagged === 1 ? '' : 's'} the network did not learn ${unlearnedFlagged === 1 ? 'is' : 'are'} flagged.\n`;
  md += `\nEvery flag of every model:\n\n| model | relation | bias | kind |\n|---|---|---|---|\n`;
  for (const r of runs)
    for (const x of r.relations.filter((y) => y.flagged)) md += `| ${r.name} | ${key(x)} | ${num(x.bias)} | ${relationKind(x, r.rules)} |\n`;
  const ratio = (a: number, b: number): string => (b ? `${a}/${b} = ${((100 * a) / b).toFixed(0)} %` : '–');
  const s = scoreFlags(runs);
  const flagged = s.flags.planted + s.flags['side effect'] + s.flags.unplanted;
  md += `\nOver all ${runs.length} models: ${s.rules} planted rules (${s.planted} planted relations: each rule's value favouring its class over each other class), ${s.sideEffects} side effects, ${s.unplanted} unplanted relations; ${flagged} flags (${s.flags.planted} planted, ${s.flags['side effect']} side effects, ${s.flags.unplanted} unplanted).\n\n`;
  md += `| threshold | counting | flags | precision | recall (rules found) | recall (learned rules found) |\n|---|---|---|---|---|---|\n`;
  for (const at of ['flag', 'noise'] as const) {
    const t = scoreFlags(runs, at);
    const n = t.flags.planted + t.flags['side effect'] + t.flags.unplanted;
    const name = at === 'flag' ? `${RECIPE.threshold} (the default)` : 'the chance level (noise column)';
    const learnedFound = at === 'flag' ? ratio(learnedFlagged, learned) : '–';
    md += `| ${name} | strict: a flag counts if it is a planted relation; a rule is found by a flagged planted relation | ${n} | ${ratio(t.flags.planted, n)} | ${ratio(t.rulesFound, t.rules)} | ${learnedFound} |\n`;
    md += `| ${name} | per rule's value: a flag on a rule's attribute value, any pair of classes, counts and finds the rule | ${n} | ${ratio(t.flags.planted + t.flags['side effect'], n)} | ${ratio(t.rulesTouched, t.rules)} | – |\n`;
  }
  md += `\nA side effect is the rule's attribute value favouring another class: a rule that gives 95 % of fish a blue body also makes blue bodies rare among birds in training, so *blue → none over bird* is in the biased data too.\n`;
  md += `\nCommands (the script \`scripts/results/bias.ts\` runs them in-process in its work folder, then scores \`bias.json\`; ${RUN_FROM}; a rerun reuses each step recorded in its \`steps.json\` and deletes nothing):\n\n\`\`\`sh\n${commands.join('\n')}\n\`\`\`\n`;
  return md;
}

/** One step of the experiment: its name in `steps.json`, the command and the path it writes. */
export interface BiasStep {
  readonly name: string;
  readonly args: readonly string[];
  readonly output: string;
}

/**
 * The experiment's commands in the work folder `work`, in order: the initial net, then per model
 * (`MODELS`) its training set, evaluation set, training and `lucerna bias` run.
 *
 * @example
 * ```ts
 * biasSteps('/tmp/w')[0]; // { name: 'create', args: ['model', 'create', 'vgg11-bn', …], output: '/tmp/w/init.onnx' }
 * ```
 */
export function biasSteps(work: string): BiasStep[] {
  const init = join(work, 'init.onnx');
  const shape = `3x${RECIPE.size}x${RECIPE.size}`;
  const steps: BiasStep[] = [
    {
      name: 'create',
      args: ['model', 'create', RECIPE.arch, '--classes', String(RECIPE.classes + 1), '--input', shape, '--width', RECIPE.width, '--seed', '0', '--out', init],
      output: init,
    },
  ];
  for (const m of MODELS) {
    const dir = join(work, m.key);
    const common = ['--size', String(RECIPE.size), '--classes', String(RECIPE.classes), ...m.rules.flatMap((r) => ['--bias', r])];
    const trainSet = join(dir, 'train-set');
    const evalSet = join(dir, 'eval-set');
    const model = join(dir, 'model.onnx');
    const out = join(dir, 'bias');
    steps.push(
      {
        name: `${m.key}/train-set`,
        args: ['dataset', 'parts', '--out', trainSet, '--n', String(RECIPE.n), '--seed', String(RECIPE.seed), ...common],
        output: trainSet,
      },
      {
        name: `${m.key}/eval-set`,
        args: ['dataset', 'parts', '--out', evalSet, '--n', String(RECIPE.n), '--seed', String(RECIPE.evalSeed), '--val-fraction', '0.5', ...common],
        output: evalSet,
      },
      { name: `${m.key}/train`, args: ['train', init, '--dataset', trainSet, ...RECIPE.train, '--out', model], output: model },
      {
        name: `${m.key}/bias`,
        args: ['bias', model, '--dataset', evalSet, '--attributes', join(evalSet, 'attributes.csv'), '--layer', RECIPE.layer, '--out', out],
        output: out,
      },
    );
  }
  return steps;
}

interface BiasJson {
  readonly relations: BiasRelation[];
  readonly accuracy: Record<string, Accuracy>;
  readonly settings: Record<string, number>;
}

/**
 * Runs the experiment in the work folder `work` (`scripts/results/work-folder.ts`: a rerun reuses
 * every step recorded in its `steps.json` whose command is unchanged and whose outputs are still
 * there; a folder of someone else's files is refused with one line, and nothing is deleted) and
 * returns the section.
 *
 * @example
 * ```ts
 * const md = await biasSection('/tmp/lucerna-results-bias');
 * ```
 */
export async function biasSection(work = join(tmpdir(), 'lucerna-results-bias')): Promise<string> {
  setDefaultRuntime(nodeRuntime);
  const folder = await openWorkFolder(work);
  const results = new Map<string, unknown>();
  for (const s of biasSteps(work)) {
    await mkdir(dirname(s.output), { recursive: true });
    results.set(s.name, await folder.step(s.name, s.args, [s.output], () => runJson(...s.args)));
  }
  const runs: ModelRun[] = [];
  for (const m of MODELS) {
    const json = results.get(`${m.key}/bias`) as BiasJson;
    const dir = join(work, m.key);
    runs.push({
      ...m,
      relations: json.relations,
      accuracy: json.accuracy,
      noise: json.settings['noise level (5 % family-wise)'] ?? Number.NaN,
      val: await valImages(join(dir, 'eval-set'), join(dir, 'bias')),
    });
  }
  return section(
    runs,
    biasSteps(work).map((s) => relativeToWork(`lucerna ${s.args.join(' ')}`, work)),
  );
}
