/**
 * The markdown of the RESULTS.md interpretable-CNN section (Zhang, Wu & Zhu, "Interpretable
 * Convolutional Neural Networks", CVPR 2018, https://arxiv.org/abs/1710.00935) from measured rows;
 * the experiment itself is `scripts/results/icnn.ts`.
 */

import { maskedTensorName } from '../../src/training/interpretable/mask.js';
import type { IcnnRow, IcnnRun } from './icnn.js';
import type { InstabilityReferences } from './icnn-references.js';
import { ICNN_DEFAULTS, type IcnnSettings, icnnFigurePath, seedList } from './icnn-settings.js';

/**
 * The section's heading: the default architecture's section, or one per other architecture.
 *
 * @example
 * ```ts
 * icnnHeading({ ...ICNN_DEFAULTS, arch: 'resnet18' }); // '## Interpretable CNNs on resnet18: …'
 * ```
 */
export function icnnHeading(s: IcnnSettings): string {
  return s.arch === ICNN_DEFAULTS.arch
    ? '## Interpretable CNNs: ordinary vs interpretable, on parts figures (issue #16)'
    : `## Interpretable CNNs on ${s.arch}: ordinary vs interpretable, on parts figures (issue #16)`;
}

/**
 * Mean instability of two nets over the filters that are measured (not null) in both, and how
 * many those are: the default layer means leave out each net's own dead filters, so they may
 * average different filters.
 *
 * @example
 * ```ts
 * sharedMeans([0.1, null, 0.3], [0.2, 0.5, null]); // { a: 0.1, b: 0.2, filters: 1 }
 * ```
 */
export function sharedMeans(a: readonly (number | null)[], b: readonly (number | null)[]): { a: number; b: number; filters: number } {
  let sa = 0;
  let sb = 0;
  let filters = 0;
  a.forEach((v, i) => {
    const w = b[i];
    if (v === null || w === null || w === undefined) return;
    sa += v;
    sb += w;
    filters++;
  });
  return { a: sa / filters, b: sb / filters, filters };
}

/**
 * Per filter, the two nets compared on the filters measured in both: how many are more stable in
 * `b` (lower instability), out of how many, and the median of the per-filter ratios b/a. Filter i
 * of both nets starts from the same weights, so the pairing is by index.
 *
 * @example
 * ```ts
 * pairedFilters([0.1, 0.2, null, 0.4], [0.05, 0.3, 0.1, 0.2]); // { better: 2, filters: 3, median: 0.5 }
 * ```
 */
export function pairedFilters(a: readonly (number | null)[], b: readonly (number | null)[]): { better: number; filters: number; median: number } {
  const ratios: number[] = [];
  a.forEach((v, i) => {
    const w = b[i];
    if (v !== null && v > 0 && w !== null && w !== undefined) ratios.push(w / v);
  });
  ratios.sort((x, y) => x - y);
  const mid = ratios.length >> 1;
  const median = ratios.length === 0 ? Number.NaN : ratios.length % 2 ? (ratios[mid] as number) : ((ratios[mid - 1] as number) + (ratios[mid] as number)) / 2;
  return { better: ratios.filter((r) => r < 1).length, filters: ratios.length, median };
}

/** A row's per-filter values as the paper measures it: the own-class ones in a multi-category row. */
const paperFilters = (r: IcnnRow) => (r.plain.ownClass && r.icnn.ownClass ? [r.plain.ownClass, r.icnn.ownClass] : [r.plain.perFilter, r.icnn.perFilter]);

/**
 * Per row name, over its seeds: the values `v` (one per row, in the order of `rows`) and their
 * mean, minimum and maximum.
 *
 * @example
 * ```ts
 * overSeeds([{ name: 'a' }, { name: 'a' }], [0.7, 0.9]); // [{ name: 'a', values: [0.7, 0.9], mean: 0.8, min: 0.7, max: 0.9 }]
 * ```
 */
export function overSeeds(
  rows: readonly Pick<IcnnRow, 'name'>[],
  v: readonly number[],
): { name: string; values: number[]; mean: number; min: number; max: number }[] {
  const names = [...new Set(rows.map((r) => r.name))];
  return names.map((name) => {
    const values = v.filter((_, i) => rows[i]?.name === name);
    return { name, values, mean: values.reduce((a, x) => a + x, 0) / values.length, min: Math.min(...values), max: Math.max(...values) };
  });
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
export function icnnMarkdown(s: IcnnSettings, { rows, landmarkSpread, figure, mapSize, seeds = seedList(s), references }: IcnnRun): string {
  const several = seeds.length > 1;
  const label = (r: IcnnRow) => (several ? `${r.name}, seed ${r.seed ?? 0}` : r.name);
  const paired = rows.map((r) => pairedFilters(...(paperFilters(r) as [(number | null)[], (number | null)[]])));
  const ratios = rows.map((r) => r.icnn.instability / r.plain.instability);
  const shared = rows.map((r) => sharedMeans(r.plain.perFilter, r.icnn.perFilter));
  const sharedRatios = shared.map((m) => m.b / m.a);
  const protocolRatios = rows.map((r) => r.icnn.icnnProtocol / r.plain.icnnProtocol);
  const own = rows.map((r) => (r.plain.ownClass && r.icnn.ownClass ? sharedMeans(r.plain.ownClass, r.icnn.ownClass) : undefined));
  const ownIcnn = rows.map((r) => (r.plain.ownClassIcnn && r.icnn.ownClassIcnn ? sharedMeans(r.plain.ownClassIcnn, r.icnn.ownClassIcnn) : undefined));
  // The paper's protocol per row: a single-category filter on its class's images, a multi-category filter on its own class's.
  const paperRatios = ratios.map((v, i) => (own[i] ? (own[i]?.b ?? 0) / (own[i]?.a ?? 1) : v));
  const paperProtocolRatios = protocolRatios.map((v, i) => (ownIcnn[i] ? (ownIcnn[i]?.b ?? 0) / (ownIcnn[i]?.a ?? 1) : v));
  const counts = (c: Readonly<Record<string, number>> | undefined) =>
    c
      ? Object.entries(c)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')
      : '';
  const drops = rows.map((r) => r.plain.acc - r.icnn.acc);
  const partUp = rows.filter((r) => r.icnn.partIou > r.plain.partIou).length;
  const withP = rows.every(hasPaperPart);
  const withRf = rows.every(hasRfPart);
  const pUp = rows.filter((r) => (r.icnn.partP as number) > (r.plain.partP as number)).length;
  const rfUp = rows.filter((r) => (r.icnn.partPRf as number) > (r.plain.partPRf as number)).length;
  const rfSharedUp = rows.filter((r) => (r.icnn.partPRfShared as number) > (r.plain.partPRfShared as number)).length;
  const n = mapSize;
  const cell = s.size / n;
  const filters = rows[0]?.icnn.perFilter.length ?? 0;
  const count = (v: readonly number[]) => `${v.filter((x) => x <= 0.8).length} of ${rows.length} rows ≤ 0.8`;
  const flags = `--n ${s.n} --size ${s.size} --pretrain ${s.pretrain} --epochs ${s.epochs} --arch ${s.arch} --width ${s.width} --layer ${s.layer} --weight ${s.weight} --tau ${s.tau} --form ${s.form} --lr ${s.lr} --finetune-lr ${s.finetuneLr} --weight-decay ${s.weightDecay} --batch ${s.batch} --mask-centre ${s.maskCentre} --beta-mode ${s.betaMode} --filter-assign ${s.filterAssign} --filter-loss-schedule ${s.filterLossSchedule} --rows ${s.rows} --seeds ${seeds.join(',')}`;
  const lr = s.pretrain > 0 ? s.finetuneLr : s.lr;
  const start =
    s.pretrain > 0
      ? `Both nets of a row start from the same ordinary net, trained ${s.pretrain} epochs from the random initialisation
(\`lucerna train <model> --dataset <classes> --epochs ${s.pretrain} --lr ${s.lr}\`, the other flags as below), and are then
trained ${s.epochs} more epochs at a tenth of the rate, ordinarily and as an interpretable CNN: the paper fine-tunes an
ImageNet-trained net both ways, and this pretraining stands in for it. From the random initialisation instead
(\`--pretrain 0 --epochs 6 --lr 0.003\`) the interpretable filters all converged on one cell (\`docs/icnn.md\`).`
      : 'Both nets of a row start from the same random initialisation.';
  const form = s.form === 'approx' ? "the ICNN authors' approximate gradient (`--filter-loss approx`)" : "the paper's −MI filter loss, differentiated exactly";
  return `${icnnHeading(s)}

Zhang, Wu & Zhu (CVPR 2018, https://arxiv.org/abs/1710.00935): the same ${s.arch} at width ${s.width}
(${s.size}×${s.size} input; top conv layer \`${s.layer}\`, ${n}×${n} maps) trained twice from the same weights,
data, seed and budget: ordinary, and interpretable (mask + ${form} on \`${s.layer}\`,
weight ${s.weight}, τ ${s.tau}, β 4 ${s.betaMode === 'adaptive' ? "at the start, then per filter as the authors' code" : 'fixed'}, α n²/(1+n²);
mask centre ${s.maskCentre === 'centroid' ? "the activation-weighted centroid, as the authors' code" : "the arg-max cell, as the paper's text"}; loss weight ${s.filterLossSchedule === 'epoch' ? "divided by the epoch number, as the authors' code" : 'constant'}; multi-category filters ${s.filterAssign === 'step' ? "reassigned every step, as the authors' code" : 'assigned once'}).
The method, the mask's peak rule and the analysis below: \`docs/icnn.md\`.
Data: \`lucerna dataset parts --n ${s.n} --seed 1 --size ${s.size} --classes 2\` (bird, fish, none); single-category
rows train on {class, none}, the multi-category row on all three (filters are assigned to bird or fish only;
\`none\` images are negatives for every filter, as in the paper, whose categories are object categories).
${start}
Training: \`lucerna train <start> --dataset <classes> --batch-size ${s.batch} --epochs ${s.epochs} --seed <seed> --optimizer adamw
--lr ${lr} --weight-decay ${s.weightDecay} --schedule cosine --no-crop [--interpretable ${s.layer} --interpretable-mode single|multi
--filter-loss-weight ${s.weight} --tau ${s.tau} --filter-loss ${s.form} --mask-centre ${s.maskCentre} --beta-mode ${s.betaMode}
--filter-loss-schedule ${s.filterLossSchedule} [--filter-assign ${s.filterAssign}]]\`. Accuracy: the last epoch's, on held-out images: in single-category rows the trainer's default 10 % of the row's {class, none} folder, in the multi-category row the data set's own split (20 %, \`index.csv\`).
Seeds: ${seeds.join(', ')}; each seed is a whole replicate (the model's initial weights and \`--seed\` of the pretraining and of both trainings), on the same data.
Location instability (lower is better), of the conv output before the mask:
- default: \`lucerna stability <model> --dataset parts --layer ${s.layer} [--class <class>]\` (issue #15's protocol,
  every image where the filter fires; the layer's value is the mean over its non-null filters);
- same filters: the mean over the filters that are non-null in both nets (a dead filter — no positive peak on any image
  of the class — is null and drops out of its own net's default mean only);
- own class (multi-category row only): the ICNN authors' multi-category protocol
  (\`step_computeStability_multiClass.m\` in zqs1022/interpretableCNN): in each net, each filter is measured on the
  images of the object class where it fires most (the mean of its peak over the class's images), by the default
  protocol and by the authors' one; this is the multi-category row's value against the paper;
- authors' protocol: the same command with \`--protocol icnn\` (per landmark the filter's top 100 images, sample
  standard deviation), the protocol of the paper's own numbers.

Part interpretability, as the paper measures it (§5.2.1; \`scripts/results/icnn-parts.ts\`): each filter's maps after ReLU/mask (the masked
tensor \`${maskedTensorName(s.layer)}\` in the interpretable net, \`${s.layer}\` in the ordinary one), on its category's images
(\`lucerna dissect <model> --dataset parts --layer <tensor> --categories part --where object=<class>\`; multi-category: the object class
that activates the filter most, by its mean map sum), P_f = max over parts k of the share of the images showing k where the filter's
top-0.5 % region has IoU > 0.2 with k (\`partAssociations\`); the mean over the filters (higher is better).
The region: the paper draws a round receptive field around every activation above the threshold (its footnote 5) and gives
no radius. "Round RF" sets it to the net's empirical receptive field on \`${s.layer}\` (Zhou et al. 2015, \`empiricalRadius\`:
16 bird and fish images, a 6-px occluder at stride 2 filled with the image's mean colour, the offsets where the units' peaks
lose at least half the largest mean share, as a disc of the same area) and passes it as \`--association-radius\`; the same
with the ordinary net's radius for both nets is given beside it. "Upsampled" is NetDissect's bilinear mask instead (session 14).
The round-RF measure with each net's own radius decides the row's part claim when present (declared before it was computed).
Part IoU (NetDissect's, kept from the earlier tables): mean over the layer's filters of their best dataset-level part IoU, on the conv output
before the mask, over every part image, \`lucerna dissect <model> --dataset parts --layer ${s.layer} --categories part\` (higher is better). None/object activation: the layer's mean activation on \`none\` images over that on object
images (\`meanActivations\` in \`src/training/interpretable/setup.ts\`, 256 images spread over the set).
Filter loss: the last epoch's mean of the term, the sum over the ${filters} filters of −MI(X;T) (each ≥ −log(n²+1) = ${f(-Math.log(n * n + 1), 2)}).
Filters more stable: per filter (filter i of both nets starts from the same weights), how many of the filters measured in both
have a lower instability in the interpretable net, and the median per-filter ratio, as the paper measures the row (own class in multi).
Train s: wall-clock seconds on a shared, loaded machine (noisy)${s.pretrain > 0 ? ', the shared pretraining + each training' : ''}.
Rebuild this section alone: \`node --import tsx scripts/results-icnn.ts ${flags}\`.

| run | acc (ord.) | acc (interp.) | instability (ord.) | instability (interp.) | ratio | same filters: ord. / interp. (ratio, filters) | authors' protocol: ord. / interp. (ratio) | own class (multi): ord. / interp. (ratio, filters); authors' protocol (ratio) | filters more stable (median ratio) | dead filters (ord. / interp.) | part IoU (ord.) | part IoU (interp.) | ${withRf ? "part interpretability, paper's, round RF: own radius (ord. → interp.); ordinary's radius (interp.); radius px (ord. / interp.) | " : ''}${withP ? "part interpretability, paper's, upsampled (ord. → interp.) | " : ''}none/object activation (ord. / interp.) | filter loss (final) | train s (ord. / interp.) |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | ${withRf ? '--- | ' : ''}${withP ? '--- | ' : ''}--- | --- | --- |
${rows
  .map((r, i) => {
    const m = shared[i] as { a: number; b: number; filters: number };
    const p = paired[i] as { better: number; filters: number; median: number };
    const cells = [
      label(r),
      f(r.plain.acc),
      f(r.icnn.acc),
      f(r.plain.instability, 4),
      f(r.icnn.instability, 4),
      f(ratios[i]),
      `${f(m.a, 4)} / ${f(m.b, 4)} (${f(sharedRatios[i])}, ${m.filters})`,
      `${f(r.plain.icnnProtocol, 4)} / ${f(r.icnn.icnnProtocol, 4)} (${f(protocolRatios[i])})`,
      own[i] && ownIcnn[i]
        ? `${f(own[i]?.a, 4)} / ${f(own[i]?.b, 4)} (${f((own[i]?.b ?? 0) / (own[i]?.a ?? 1))}, ${own[i]?.filters}); ${f(ownIcnn[i]?.a, 4)} / ${f(ownIcnn[i]?.b, 4)} (${f((ownIcnn[i]?.b ?? 0) / (ownIcnn[i]?.a ?? 1))})`
        : '–',
      `${p.better} of ${p.filters} (${f(p.median)})`,
      `${r.plain.deadFilters} / ${r.icnn.deadFilters}`,
      f(r.plain.partIou, 4),
      f(r.icnn.partIou, 4),
      ...(withRf
        ? [`${f(r.plain.partPRf, 4)} → ${f(r.icnn.partPRf, 4)}; ${f(r.icnn.partPRfShared, 4)}; ${f(r.plain.rfRadius, 1)} / ${f(r.icnn.rfRadius, 1)}`]
        : []),
      ...(withP ? [`${f(r.plain.partP, 4)} → ${f(r.icnn.partP, 4)}`] : []),
      `${f(r.plain.noneRatio)} / ${f(r.icnn.noneRatio)}`,
      f(r.icnn.filterLoss),
      r.pretrainSeconds
        ? `${r.pretrainSeconds.toFixed(0)} + ${r.plain.seconds.toFixed(0)} / ${r.pretrainSeconds.toFixed(0)} + ${r.icnn.seconds.toFixed(0)}`
        : `${r.plain.seconds.toFixed(0)} / ${r.icnn.seconds.toFixed(0)}`,
    ];
    return `| ${cells.join(' | ')} |`;
  })
  .join('\n')}

${
  figure
    ? `![mean activation maps, ordinary vs interpretable](${icnnFigurePath(s)})

The single-bird row's nets: each filter's mean activation map over the bird images (before the mask), the same
filters (the first 8) in both nets, as in the paper's Figure 1. Over all ${filters} filters the mean maps peak at
${figure.peaks.plain} distinct cells in the ordinary net and ${figure.peaks.icnn} in the interpretable one (of ${n * n}).

`
    : ''
}Against the paper (instability ≤ 0.8× ordinary; part interpretability higher; accuracy drop ≤ 5 points), each row
measured as the paper measures it (single-category: the class's images; multi-category: each filter on its own class):
instability ratio ${paperRatios.map((v) => f(v)).join(', ')} (${count(paperRatios)}); by the authors' protocol ${paperProtocolRatios.map((v) => f(v)).join(', ')} (${count(paperProtocolRatios)}).
Every filter on every object image instead: ${ratios.map((v) => f(v)).join(', ')} (${count(ratios)}); over the same filters ${sharedRatios.map((v) => f(v)).join(', ')} (${count(sharedRatios)});
by the authors' protocol ${protocolRatios.map((v) => f(v)).join(', ')} (${count(protocolRatios)}).${rows
    .flatMap((r) =>
      r.icnn.ownClassCounts
        ? [` Filters per class in ${label(r)}: ordinary ${counts(r.plain.ownClassCounts)}; interpretable ${counts(r.icnn.ownClassCounts)}.`]
        : [],
    )
    .join('')}
accuracy drop ${drops.map((v) => `${(100 * v).toFixed(1)}`).join(', ')} points (${drops.filter((v) => v <= 0.05).length} of ${rows.length} rows ≤ 5);
${withRf ? `part interpretability as the paper measures it (§5.2.1) with round receptive fields higher in ${rfUp} of ${rows.length} rows (with the ordinary net's radius for both: ${rfSharedUp} of ${rows.length}); ` : ''}${withP ? `${withRf ? 'with the upsampled mask' : 'part interpretability as the paper measures it (§5.2.1)'} higher in ${pUp} of ${rows.length} rows; NetDissect's ` : ''}part IoU higher in ${partUp} of ${rows.length} rows.
${references ? referencesMarkdown(references, rows, s.size, mapSize) : ''}${several ? seedsMarkdown(rows, paperRatios, paperProtocolRatios, drops, seeds) : ''}
Reading the table.
- Resolution matters for the instability comparison. A peak is placed at the centre of its ${f(cell, 0)}-px cell, a quantisation
  error of about ${f(cell, 0)}/√12 ≈ ${f(cell / Math.sqrt(12), 1)} px per axis, ${f(cell / Math.sqrt(12) / Math.hypot(s.size, s.size))} of the diagonal here. The figures' landmarks move by
  about ${f(landmarkSpread, 1)} px here (standard deviation per axis, ${f(landmarkSpread / Math.hypot(s.size, s.size))} of the diagonal), so at 64 px (4×4 maps, quantisation 0.051 of the diagonal) a filter
  that follows a part and one that stays put measure alike: the same comparison at \`--size 64\` gave interpretable/ordinary
  ratios of 1.09–1.21 (this section at commit 7463261). With ${n}×${n} maps here the quantisation is ${f(cell / Math.sqrt(12) / (landmarkSpread || 1), 2)}× the landmarks' spread.
- Why the paper's exact loss does not, by itself, pull a filter onto one part: its normaliser Z_T = Σ_x e^{tr(x·T)} runs
  over the batch, so a map shared by every object image changes the loss only through its sum. The positive templates
  reward what tells the object images apart, a peak that moves between them, never a peak they share
  (\`test/training/icnn-gradient.test.ts\`; \`docs/icnn.md\` derives it). What it does reward strongly is firing on
  object images and not on \`none\` images (through T⁻), and the mask passes on only each map's peak neighbourhood.${
    figure
      ? figure.peaks.icnn < figure.peaks.plain
        ? `
- The interpretable filters are also more alike: in the bird row their mean maps peak at ${figure.peaks.icnn} distinct cell${figure.peaks.icnn === 1 ? '' : 's'}
  against ${figure.peaks.plain} for the ordinary filters (figure above): they converge on one region. That keeps their peaks steady relative to the
  object without each filter taking its own part, as the paper's interpretable filters do.`
        : `
- The interpretable filters are not more alike: in the bird row their mean maps peak at ${figure.peaks.icnn} distinct cells
  against ${figure.peaks.plain} for the ordinary filters (figure above).`
      : ''
  }
- ${
    rows.some((r) => r.plain.deadFilters > r.icnn.deadFilters)
      ? 'The filter loss revives filters an ordinary net leaves dead on the class; the "same filters" column compares like with like.'
      : rows.every((r) => r.plain.deadFilters === 0 && r.icnn.deadFilters === 0)
        ? 'No net has a dead filter here, so the "same filters" column equals the default one.'
        : 'The "same filters" column compares the two nets over the filters alive in both.'
  }
- What the loss always does is silence the filters on \`none\` images (the negative template explains them).
- The multi-category row's "instability" column measures every filter on every object image, birds and fish alike
  (the default protocol without \`--class\`), while the filter loss shapes each filter only on its own class's images
  (the others are its negatives). The "own class" column measures each filter where it fires most, as the authors'
  multi-category evaluation does; that is the row's value against the paper.
- Accuracy is on about ${Math.round(s.n / 15)} (single) or ${Math.round(s.n / 5)} (multi) held-out images, so differences of a few points are within noise; part IoU
  and instability are over every image of the set.
`;
}

/**
 * The over-seeds table: per row, the paper-protocol ratio, the authors'-protocol ratio and the
 * accuracy drop as mean (min–max) over the seeds, and how many seeds meet each claim.
 *
 * @example
 * ```ts
 * const md = seedsMarkdown(rows, ratios, protocolRatios, drops, [0, 1]);
 * ```
 */
export function seedsMarkdown(
  rows: readonly IcnnRow[],
  ratios: readonly number[],
  protocolRatios: readonly number[],
  drops: readonly number[],
  seeds: readonly number[],
): string {
  const r = overSeeds(rows, ratios);
  const p = overSeeds(rows, protocolRatios);
  const d = overSeeds(rows, drops);
  const iou = overSeeds(
    rows,
    rows.map((x) => (partHigher(x) ? 1 : 0)),
  );
  const part = rows.every(hasRfPart)
    ? "part interpretability (paper's, round RF) higher"
    : rows.every(hasPaperPart)
      ? "part interpretability (paper's) higher"
      : 'part IoU higher';
  const span = (m: { mean: number; min: number; max: number }, k = 1, digits = 3) =>
    `${f(k * m.mean, digits)} (${f(k * m.min, digits)}–${f(k * m.max, digits)})`;
  const lines = r.map((m, i) => {
    const q = p[i] as (typeof p)[number];
    const a = d[i] as (typeof d)[number];
    const up = iou[i] as (typeof iou)[number];
    const meets = m.values.filter((v, j) => v <= 0.8 && (a.values[j] ?? 1) <= 0.05 && (up.values[j] ?? 0) === 1).length;
    return `| ${m.name} | ${span(m)} | ${m.values.filter((v) => v <= 0.8).length} of ${m.values.length} | ${span(q)} | ${q.values.filter((v) => v <= 0.8).length} of ${q.values.length} | ${span(a, 100, 1)} | ${up.values.reduce((x, v) => x + v, 0)} of ${up.values.length} | ${m.mean <= 0.8 ? 'yes' : 'no'} | ${meets} of ${m.values.length} |`;
  });
  return `
Over the seeds (${seeds.join(', ')}): mean (min–max) of each row's values above, as the paper measures the row.

| row | instability ratio | seeds ≤ 0.8 | authors' protocol ratio | seeds ≤ 0.8 | accuracy drop, points | seeds with ${part} | mean ratio ≤ 0.8 | seeds meeting all three claims |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
${lines.join('\n')}
`;
}

/**
 * Whether a row's interpretable net has the higher part interpretability: the paper's (§5.2.1) with
 * round receptive fields of each net's own radius (`partPRf`) when both nets have it (rows run since
 * session 15), else with the upsampled mask (`partP`, session 14), else NetDissect's part IoU.
 *
 * @example
 * ```ts
 * partHigher(row); // true
 * ```
 */
export function partHigher(r: IcnnRow): boolean {
  if (hasRfPart(r)) return (r.icnn.partPRf as number) > (r.plain.partPRf as number);
  if (hasPaperPart(r)) return (r.icnn.partP as number) > (r.plain.partP as number);
  return r.icnn.partIou > r.plain.partIou;
}

/** Whether both nets of a row have the paper's part measure with round receptive fields (rows run since session 15). @example `hasRfPart(row); // true` */
export const hasRfPart = (r: IcnnRow): boolean => r.plain.partPRf !== undefined && r.icnn.partPRf !== undefined;

/** Whether both nets of a row have the paper's part measure (rows run since session 14). @example `hasPaperPart(row); // true` */
export const hasPaperPart = (r: IcnnRow): boolean => r.plain.partP !== undefined && r.icnn.partP !== undefined;

/** How many of the filters have an instability above `limit`. @example `wandering([0.1, null, 0.05], 0.07) // 1` */
export const wandering = (filters: readonly (number | null)[], limit: number): number => filters.filter((v) => v !== null && v > limit).length;

/**
 * The paragraph that reads the single-category rows against made-up filters on the same images
 * (`scripts/results/icnn-references.ts`): a filter fixed at one cell, and a perfect part tracker at
 * the map's resolution, with the value the interpretable net needs for the paper's 0.8.
 *
 * @example
 * ```ts
 * const md = referencesMarkdown({ bird: refs }, rows, 128, 8);
 * ```
 */
export function referencesMarkdown(references: Readonly<Record<string, InstabilityReferences>>, rows: readonly IcnnRow[], size: number, n: number): string {
  const lines = Object.entries(references).map(([cls, r]) => {
    const own = rows.filter((x) => x.name === `single ${cls}`);
    const nets = own.length
      ? `; the ordinary net ${own.map((x) => f(x.plain.instability, 4)).join(', ')} (0.8× of it: ${own.map((x) => f(0.8 * x.plain.instability, 4)).join(', ')}), the interpretable one ${own.map((x) => f(x.icnn.instability, 4)).join(', ')}; filters less stable than the mean fixed cell (wandering), ordinary / interpretable: ${own.map((x) => `${wandering(x.plain.perFilter, r.fixedMean)} / ${wandering(x.icnn.perFilter, r.fixedMean)}`).join(', ')}`
      : '';
    return `- ${cls}: a filter fixed at one cell ${f(r.fixedBest, 4)} (the best cell; ${f(r.fixedMean, 4)} over all cells); a perfect part tracker ${f(r.trackerLow, 4)} (${r.trackerLowName}) to ${f(r.trackerHigh, 4)} (${r.trackerHighName})${nets}.`;
  });
  return `
Reference filters (no net; \`scripts/results/icnn-references.ts\` on the same images, default protocol, ${size} px, ${n}×${n} cells, the peak at
a cell's centre): the range the metric allows here, between a filter that fires at the same cell on every image and one
that fires exactly on the cell of one landmark. A filter less stable than the mean fixed cell wanders: its peak
moves more than the object's parts do.
${lines.join('\n')}
`;
}
