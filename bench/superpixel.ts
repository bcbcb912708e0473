/**
 * LIME and KernelSHAP at their default settings on the bundled model (issue #12 defect 12).
 * 1. Then and now: the whole default call of each, as the code was when the issue was filed and as
 *    it is now, in fresh processes on the same model file and image (`superpixel-then-now.ts`).
 * 2. The fidelity check, paired: each default against its earlier default on several images and
 *    seeds, agreement with a high-sample reference of the same method (Spearman over superpixels,
 *    top-5 and top-10 overlap) and a 95 % interval of the difference (`superpixel-paired.ts`),
 *    with the time of each setting on the same runs.
 * The issue measured 24 s (LIME) and 35 s (KernelSHAP) per image; the goal is ≥ 3× faster at
 * equal fidelity.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import '../src/node.js';
import { DEFAULT_SHAPLEY_ESTIMATOR, SHAPLEY_BUDGET_DIVISOR } from '../src/attribution/perturbation/kernel-shap.js';
import { DEFAULT_LIME_SAMPLES } from '../src/attribution/perturbation/lime.js';
import { openModel } from '../src/cli/model.js';
import { loadImageTensor } from '../src/io/image.js';
import { type Section, table } from './report.js';
import type { SectionOptions } from './sections.js';
import { type Agreement, type MethodPair, measureDifference, measureMeans, pairedFidelity, type SettingResult } from './superpixel-paired.js';
import { ISSUE12_FILED_AT, thenAndNow } from './superpixel-then-now.js';
import { median } from './timing.js';

const ISSUE_SECONDS = { lime: 24, 'kernel-shap': 35 } as const;

/**
 * The "then and now" paragraph and table (see `superpixel-then-now.ts`).
 *
 * @example
 * ```ts
 * const md = await thenNowTable(modelFile, 'coffee.png', 3);
 * ```
 */
export async function thenNowTable(model: string, image: string, calls: number): Promise<string> {
  const rows = await thenAndNow(model, image, calls);
  if (typeof rows === 'string') return `Then and now: not measured (${rows}).`;
  const body: string[][] = [];
  const labels = {
    call: { first: 'first call of a fresh process', later: `later calls (median of ${calls - 1})` },
    cli: {
      first: '`lucerna attribute`, whole process (installed build), first run',
      later: '`lucerna attribute`, whole process (installed build), second run',
    },
  };
  for (const r of rows) {
    for (const [kind, which, f, c] of [
      ['call', 'first', r.filed.first, r.current.first],
      ['call', 'later', r.filed.later, r.current.later],
      ['cli', 'first', r.cli.filed.first, r.cli.current.first],
      ['cli', 'later', r.cli.filed.later, r.cli.current.later],
    ] as const) {
      if (!f || !c) continue;
      body.push([
        `\`${r.method}\`, ${labels[kind][which]}`,
        f.wall.toFixed(2),
        f.cpu.toFixed(2),
        c.wall.toFixed(2),
        c.cpu.toFixed(2),
        `${(f.wall / c.wall).toFixed(2)}× / ${(f.cpu / c.cpu).toFixed(2)}×`,
        `${(ISSUE_SECONDS[r.method] / c.wall).toFixed(1)}×`,
      ]);
    }
  }
  return `**Then and now.** The whole call with no options (SLIC, the clean pass and the default samples; target the predicted class), as the code was when issue #12 was filed (commit ${ISSUE12_FILED_AT}: LIME 1,000 independent samples, KernelSHAP 2K + 2048 coalitions by kernel regression, ONNX Runtime's own thread default) and as it is now, each tree in a fresh process (its \`src/\` extracted by \`git archive\` beside today's \`node_modules\`, whose pinned versions it shares), on the same ONNX file (the bundled model, byte-identical to what ${ISSUE12_FILED_AT} converted from nsfwjs) and \`assets/images/coffee.png\`; ${calls} calls per process: the first (ONNX Runtime's session set-up included, as a one-off command pays it) and the median of the later ones; CPU of all threads. The \`lucerna attribute MODEL --input coffee.png --method M --out map.npy\` rows run each tree's build as its installed package runs it (\`bin/lucerna.js\` with \`LUCERNA_FROM_DIST=1\`: ${ISSUE12_FILED_AT}'s \`dist/\`, compiled here by today's pinned tsc; today's bundled CLI from \`npm run build\`; until session 12 these rows ran both trees' sources through tsx, which adds about 1 s of TypeScript transpiling to every process that no installed package pays), twice on one fresh cache folder (\`LUCERNA_CACHE_DIR\`): today's second run opens the forward session the first one stored.\n\n${table(
    [
      'call',
      `${ISSUE12_FILED_AT} wall (s)`,
      `${ISSUE12_FILED_AT} CPU (s)`,
      'now wall (s)',
      'now CPU (s)',
      'then ÷ now (wall / CPU)',
      'issue #12 figure ÷ now wall',
    ],
    body,
  )}`;
}

const fmt = (v: number, digits: number) => v.toFixed(digits);
const cell = (s: SettingResult, key: keyof Agreement, digits: number) => {
  const m = measureMeans(s, key);
  return `${fmt(m.all, digits)} (${m.perImage.map((v) => fmt(v, digits)).join(' / ')})`;
};
const interval = (pair: MethodPair, key: keyof Agreement, digits: number) => {
  const d = measureDifference(pair, key);
  const sign = (v: number) => (v >= 0 ? '+' : '') + fmt(v, digits);
  return `${sign(d.mean)} [${sign(d.low)}, ${sign(d.high)}]`;
};

/**
 * The paired fidelity table: each setting's time and agreement, and each method's difference.
 *
 * @example
 * ```ts
 * const md = pairedTable((await pairedFidelity(model, images, seeds)).pairs);
 * ```
 */
export function pairedTable(pairs: readonly MethodPair[]): string {
  const rows: string[][] = [];
  for (const pair of pairs) {
    const base = { wall: median(pair.earlier.wall), cpu: median(pair.earlier.cpu) };
    for (const s of [pair.earlier, pair.current]) {
      const wall = median(s.wall);
      const cpu = median(s.cpu);
      rows.push([
        `${pair.method}, ${s.label}`,
        fmt(wall, 2),
        fmt(cpu, 2),
        cell(s, 'spearman', 3),
        cell(s, 'top5', 2),
        cell(s, 'top10', 2),
        `${fmt(base.wall / wall, 2)}× / ${fmt(base.cpu / cpu, 2)}×`,
      ]);
    }
    rows.push([
      `${pair.method}: default − earlier default, mean [95 % interval]`,
      '',
      '',
      interval(pair, 'spearman', 3),
      interval(pair, 'top5', 2),
      interval(pair, 'top10', 2),
      '',
    ]);
  }
  return table(
    [
      'setting',
      'wall per image (s)',
      'CPU (s)',
      'Spearman with reference: mean (per image)',
      'top-5 overlap',
      'top-10 overlap',
      'earlier default ÷ this (wall / CPU)',
    ],
    rows,
  );
}

/**
 * The section; `override` sets the seeds and calls (a shorter run by hand; the bench passes none).
 *
 * @example
 * ```ts
 * const { body } = await benchSuperpixel({ reps: 1, quick: false }, { seeds: 8, calls: 2 });
 * ```
 */
export async function benchSuperpixel(o: SectionOptions, override: { seeds?: number; calls?: number } = {}): Promise<Section> {
  const asset = (name: string) => fileURLToPath(new URL(`../assets/images/${name}`, import.meta.url));
  const shared = fileURLToPath(new URL('../../shared/images/chelsea.png', import.meta.url));
  const imageFiles = [asset('coffee.png'), asset('astronaut.png'), ...(existsSync(shared) ? [shared] : [])];
  const names = ['coffee.png', 'astronaut.png', '../shared/images/chelsea.png'].slice(0, imageFiles.length);
  await using opened = await openModel('bundled');
  const { model } = opened;
  const images = [];
  for (const f of imageFiles) images.push((await loadImageTensor(f, { ...opened.preprocessing, inputDims: model.input.dims })).tensor);
  const seeds = Array.from({ length: override.seeds ?? (o.quick ? 3 : 20) }, (_, i) => i + 1);
  const { pairs, features } = await pairedFidelity(model, images, seeds, { log: (s) => console.error(`superpixel: ${s}`) });
  const thenNow = await thenNowTable(opened.file as string, imageFiles[0] as string, override.calls ?? (o.quick ? 1 : 3));
  const body = `Bundled MobileNetV2 (224 px), scorer batch 32, default threads.\n\n${thenNow}\n\n**The fidelity check, paired.** Images ${names.map((n, i) => `\`${n}\` (${features[i]} SLIC superpixels)`).join(', ')}; target the predicted class; seeds ${seeds[0]}–${seeds.at(-1)} per image (${seeds.length * images.length} pairs). Each setting's superpixel weights are compared with a reference of the same method that shares no sample with the run: for LIME, one LIME fit over the pooled samples of the earlier default's other seeds (${seeds.length - 1} × 999 independent samples + the unperturbed one); for KernelSHAP, the mean of the other seeds' kernel regressions (earlier default) averaged with the mean of the other seeds' default estimates (antithetic walks, ${DEFAULT_SHAPLEY_ESTIMATOR === 'control-variate' ? 'with the connected-triple control variate' : 'plain'}), so neither estimator is judged against its own kind alone; two more KernelSHAP rows judge both settings against each half alone (the walks are unbiased for the Shapley values, the regression is not at a finite budget, so the mixed reference leans towards the regression). Agreement is the Spearman correlation over superpixels and the overlap of the top 5 and top 10; the interval is Student's t over the ${seeds.length * images.length} per-(image, seed) differences (the two settings draw independently, so a pair shares its image and reference, not its samples). Times are per run of the setting's sampling, scoring and fit on a prepared superpixel problem (no SLIC, no clean pass), medians over all runs.\n\n${pairedTable(pairs)}\n\nIssue #12 measured 24 s (LIME) and 35 s (KernelSHAP) per image; the goal is ≥ 3× faster without losing fidelity: a default's agreement should not be below its earlier default's (an interval of the difference that lies below 0 is a loss). LIME's default (${DEFAULT_LIME_SAMPLES} balanced samples) was chosen on \`coffee.png\` with seeds 101–108 (\`scripts/fidelity-superpixel.ts\`), not on the seeds reported here; KernelSHAP's default (${DEFAULT_SHAPLEY_ESTIMATOR}, ⌊(2K + 2048) / ${SHAPLEY_BUDGET_DIVISOR[DEFAULT_SHAPLEY_ESTIMATOR]}⌋ scores) on \`camera.png\`, \`horse.png\` and \`rocket.jpg\` with seeds 101–112 (\`scripts/select-budget.ts\`).`;
  return { title: 'LIME and KernelSHAP at their defaults (bundled model)', body };
}
