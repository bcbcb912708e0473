/**
 * RESULTS.md section (issue #15): location instability (Zhang, Wu & Zhu, "Interpretable
 * Convolutional Neural Networks", CVPR 2018, https://arxiv.org/abs/1710.00935, Sec. 4) and part
 * interpretability (Bau et al., "Network Dissection", CVPR 2017, https://arxiv.org/abs/1704.05796:
 * the mean over units of their best part IoU) of a trained VGG-style net's top conv layer, against
 * the same architecture with random weights, on `lucerna dataset parts`. The interpretable CNN
 * trained the same way is a third row. The nets come from {@link partsNets}.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runJson } from '../../src/cli/in-process.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { setDefaultRuntime } from '../../src/engine/runtime.js';
import { PARTS_NETS, partsNets } from './parts-nets.js';
import { RUN_FROM, relativeToWork } from './shown-command.js';

const CLASSES = ['bird', 'fish'] as const;

/** What one net measures on one class's images. */
interface ClassMeasures {
  readonly instability: number;
  /** Standard error of that mean over the counted filters (their SD / √count). */
  readonly stderr: number;
  /** Filters with fewer than 2 counted images (no positive peak): left out of the mean. */
  readonly nullFilters: number;
  /** The ICNN authors' protocol (top 100 images per filter, sample SD, receptive-field centres). */
  readonly icnn: number;
  readonly partInterpretability: number;
  /** Units whose best part IoU is at least 0.04 (Bau et al.'s threshold). */
  readonly partUnits: number;
}

interface NetRow {
  readonly name: string;
  readonly accuracy: number;
  readonly classes: readonly ClassMeasures[];
}

async function measure(model: string, parts: string, work: string, cls: string): Promise<ClassMeasures> {
  const layer = PARTS_NETS.layer;
  const stabilityArgs = ['stability', model, '--dataset', parts, '--layer', layer, '--class', cls];
  const out = join(work, `dissect-${cls}-${model.replace(/\W+/g, '_')}`);
  const dissectArgs = ['dissect', model, '--dataset', parts, '--layer', layer, '--categories', 'part', '--where', `object=${cls}`, '--out', out];
  const plain = await runJson(...stabilityArgs);
  const icnn = await runJson(...stabilityArgs, '--protocol', 'icnn');
  const dissect = await runJson(...dissectArgs, '--report-units', '4');
  const summary = (dissect.layers as { partInterpretability?: number; perCategory?: Record<string, number> }[])[0];
  const counted = (plain.filters as { instability: number | null }[]).flatMap((f) => (f.instability === null ? [] : [f.instability]));
  const mean = counted.reduce((a, v) => a + v, 0) / Math.max(1, counted.length);
  const sd = Math.sqrt(counted.reduce((a, v) => a + (v - mean) ** 2, 0) / Math.max(1, counted.length - 1));
  return {
    instability: plain.instability as number,
    stderr: sd / Math.sqrt(Math.max(1, counted.length)),
    nullFilters: (plain.filters as { instability: number | null }[]).filter((f) => f.instability === null).length,
    icnn: icnn.instability as number,
    partInterpretability: summary?.partInterpretability ?? Number.NaN,
    partUnits: summary?.perCategory?.part ?? 0,
  };
}

const f = (v: number, digits = 4): string => (Number.isFinite(v) ? v.toFixed(digits) : '–');

function partUnitsNote(rows: readonly NetRow[]): string {
  const units = rows.flatMap((r) => r.classes.map((c) => c.partUnits));
  return units.every((u) => u === 0)
    ? "No unit of any net reaches Bau et al.'s 0.04 part IoU."
    : `Units reaching Bau et al.'s 0.04 part IoU: ${units.join(', ')} (rows in table order).`;
}

function icnnNote(rows: readonly NetRow[]): string {
  const [, trained, icnn] = rows;
  if (!trained || !icnn) return '';
  const less = icnn.classes.filter((c, k) => c.instability > (trained.classes[k]?.instability ?? Number.POSITIVE_INFINITY)).length;
  return `The interpretable net is less stable than the ordinary one on ${less} of ${CLASSES.length} classes (the interpretable-CNN section discusses why).`;
}

function markdown(rows: readonly NetRow[], commands: readonly string[]): string {
  const s = PARTS_NETS;
  const [random, trained] = rows;
  let md = `## Location instability and part interpretability: trained vs random (#15)\n\n`;
  md += `The top conv layer \`${s.layer}\` (64 filters, 4×4 maps) of ${s.arch} at width ${s.width} on \`lucerna dataset parts\` (${s.n} images, ${s.size} px, bird, fish, none): with random weights (\`model create --seed 1\`, never trained), trained with the recipe that generalises (AdamW, lr 0.003, weight decay 0.05, 6 epochs, \`--no-crop\`, on index.csv's train rows), and, as a third row, trained the same way as an interpretable CNN (multi-category filter loss and mask on \`${s.layer}\`, measured before the mask).\n\n`;
  md += `- *instability*: \`lucerna stability\`, the documented default protocol (docs/stability.md), over every image of the class (train and val rows); lower is more stable; ± the standard error of the mean over the counted filters; *null* filters never fire on the class and are left out of the mean;\n`;
  md += `- *ICNN protocol*: \`--protocol icnn\` (the authors' code: each filter's top 100 images, sample SD, receptive-field centres);\n`;
  md += `- *part interpretability*: \`lucerna dissect --categories part --where object=<class>\`, the mean over the 64 units of their best part IoU inside the class's objects (NetDissect-Lite, top 0.5 % activations); *part units*: units whose best part IoU ≥ 0.04.\n\n`;
  md += `| net | held-out accuracy | class | instability | null filters | instability (ICNN protocol) | part interpretability | part units |\n|---|---|---|---|---|---|---|---|\n`;
  for (const r of rows)
    r.classes.forEach((c, k) => {
      md += `| ${r.name} | ${Number.isFinite(r.accuracy) ? `${(100 * r.accuracy).toFixed(1)} %` : 'untrained'} | ${CLASSES[k]} | ${f(c.instability)} ± ${f(c.stderr)} | ${c.nullFilters} | ${f(c.icnn)} | ${f(c.partInterpretability)} | ${c.partUnits} |\n`;
    });
  if (random && trained) {
    const verdict = CLASSES.map((cls, k) => {
      const a = trained.classes[k] as ClassMeasures;
      const b = random.classes[k] as ClassMeasures;
      const stable = a.instability < b.instability ? 'more stable' : 'NOT more stable';
      const icnn = a.icnn < b.icnn ? 'more stable' : 'NOT more stable';
      const parts = a.partInterpretability > b.partInterpretability ? 'more' : 'NOT more';
      return `${cls}: the trained net is ${stable} than the random one by the default protocol (${f(a.instability)} vs ${f(b.instability)}), ${icnn} by the ICNN protocol (${f(a.icnn)} vs ${f(b.icnn)}), and ${parts} part-interpretable (${f(a.partInterpretability)} vs ${f(b.partInterpretability)})`;
    });
    md += `\nReading: ${verdict.join('; ')}. `;
  }
  const nulls = rows.map((r) => `${r.name} ${r.classes.map((c) => c.nullFilters).join(' / ')}`).join(', ');
  md += `Caveats: the null filters (bird / fish: ${nulls}) are left out of each mean, so a net with many dead filters is judged on its live ones only. A 4×4 map quantises each peak to a 16-px cell, about 0.05 of the image diagonal, which is the size of the instabilities measured (see the interpretable-CNN section), so the differences here are a fraction of one cell. ${partUnitsNote(rows)} ${icnnNote(rows)}\n\n`;
  md += `Commands (\`scripts/results/stability.ts\` runs them in-process; ${RUN_FROM}; rebuild this section alone with \`node --import tsx scripts/results-stability.ts [work-dir]\`):\n\n\`\`\`sh\n${commands.join('\n')}\n\`\`\`\n`;
  return md;
}

/**
 * Runs the experiment in `work` (reusing the nets found there) and returns the markdown section.
 *
 * @example
 * ```ts
 * const md = await stabilitySection('/tmp/lucerna-results-parts');
 * ```
 */
export async function stabilitySection(work = join(tmpdir(), 'lucerna-results-parts')): Promise<string> {
  setDefaultRuntime(nodeRuntime);
  const nets = await partsNets(work);
  const commands = [...nets.commands];
  const nan = Number.NaN;
  const specs = [
    { name: `random ${PARTS_NETS.arch} (seed 1, untrained)`, model: nets.random, accuracy: nan },
    { name: `trained ${PARTS_NETS.arch}`, model: nets.trained, accuracy: nets.accuracy.trained },
    { name: `interpretable ${PARTS_NETS.arch}`, model: nets.interpretable, accuracy: nets.accuracy.interpretable },
  ];
  const layer = PARTS_NETS.layer;
  commands.push(
    `# for <net> in ${specs.map((s) => s.model).join(' ')}, <class> in ${CLASSES.join(' ')}:`,
    `lucerna stability <net> --dataset ${nets.parts} --layer ${layer} --class <class> [--protocol icnn] --json`,
    `lucerna dissect <net> --dataset ${nets.parts} --layer ${layer} --categories part --where object=<class> --out dissect/ --json`,
  );
  const rows: NetRow[] = [];
  for (const spec of specs) {
    const classes: ClassMeasures[] = [];
    for (const cls of CLASSES) classes.push(await measure(spec.model, nets.parts, work, cls));
    rows.push({ name: spec.name, accuracy: spec.accuracy, classes });
  }
  return markdown(
    rows,
    commands.map((c) => relativeToWork(c, work)),
  );
}
