/**
 * The interpretable-CNN comparison of Zhang, Wu & Zhu (CVPR 2018, https://arxiv.org/abs/1710.00935)
 * on `lucerna dataset parts` figures: the same small-cnn (same seed, data and budget) trained
 * ordinarily and as an interpretable CNN (mask + filter loss on the top conv layer), then the
 * held-out accuracy of both and the location instability of that layer (`lucerna stability`,
 * default protocol, on the conv output before the mask: the mask keeps the arg-max cell at weight
 * 1 and only lowers the others, so the peak it reports is the same, and the receptive-field code
 * does not go through the mask's Gather). Rows: single-category for two classes (each vs. none),
 * and one multi-category run. Writes the section to `--out` (default RESULTS-icnn.md) and prints it.
 *
 * Run: `node --import tsx scripts/results-icnn.ts [--n 400] [--epochs 6] [--size 64] [--weight 1] [--tau t] [--out RESULTS-icnn.md]`.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { TrainSummary } from '../src/cli/commands/train-run.js';
import { main } from '../src/cli/main.js';
import { nodeRuntime } from '../src/engine/node.js';
import { setDefaultRuntime } from '../src/engine/runtime.js';
import { createModel } from '../src/models/architectures.js';

setDefaultRuntime(nodeRuntime);

/** Runs `lucerna <args> --json` in this process and returns the parsed JSON; throws on an error. */
async function lucerna(...args: string[]): Promise<unknown> {
  let stdout = '';
  let stderr = '';
  const io = { stdout: (t: string) => void (stdout += t), stderr: (t: string) => void (stderr += t), isTTY: false };
  const code = await main(['node', 'lucerna', ...args, '--json'], io);
  if (code !== 0) throw new Error(`lucerna ${args.join(' ')} exited ${code}: ${stderr.trim()}`);
  return JSON.parse(stdout);
}

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '400' },
    epochs: { type: 'string', default: '6' },
    size: { type: 'string', default: '64' },
    layer: { type: 'string', default: 'Relu_3' },
    weight: { type: 'string', default: '1' },
    tau: { type: 'string' },
    out: { type: 'string', default: 'RESULTS-icnn.md' },
  },
});
const size = Number(values.size);
const layer = values.layer as string;

interface Row {
  readonly name: string;
  readonly plain: { acc: number; instability: number };
  readonly icnn: { acc: number; instability: number; filterLoss: number };
}

/** `lucerna train` flags shared by both runs (the defaults otherwise: flips, jitter 0.1, BatchNorm trained). */
const base = (dataset: string, out: string): string[] => [
  ...['--dataset', dataset, '--batch-size', '16', '--epochs', values.epochs as string, '--seed', '0'],
  ...['--optimizer', 'adam', '--lr', '0.001', '--val', '0.2', '--no-crop', '--out', out],
  ...['--filter-loss-weight', values.weight as string, ...(values.tau ? ['--tau', values.tau] : [])],
];
const train = async (model: string, args: string[]) => (await lucerna('train', model, ...args)) as TrainSummary;

async function compare(work: string, name: string, parts: string, classes: string, k: number, mode: 'single' | 'multi', cls?: string): Promise<Row> {
  const model = join(work, `${name}.onnx`);
  writeFileSync(model, createModel('small-cnn', { classes: k, input: [3, size, size], seed: 0 }));
  const measure = async (out: string) =>
    ((await lucerna('stability', out, '--dataset', parts, '--layer', layer, ...(cls ? ['--class', cls] : []))) as { instability: number | null }).instability ??
    Number.NaN;
  const plainOut = join(work, `${name}-plain.onnx`);
  const plain = await train(model, base(classes, plainOut));
  const icnnOut = join(work, `${name}-icnn.onnx`);
  const icnn = await train(model, [...base(classes, icnnOut), '--interpretable', layer, '--interpretable-mode', mode]);
  const last = (s: typeof plain) => s.epochs[s.epochs.length - 1];
  return {
    name,
    plain: { acc: last(plain)?.valAccuracy ?? Number.NaN, instability: await measure(plainOut) },
    icnn: {
      acc: last(icnn)?.valAccuracy ?? Number.NaN,
      instability: await measure(icnnOut),
      filterLoss: last(icnn)?.terms?.[`filter_loss:${layer}`] ?? Number.NaN,
    },
  };
}

/** A class folder holding only `cls` and `none` (symlinks into the generated data). */
function pairFolder(work: string, classes: string, cls: string): string {
  const dir = join(work, `pair-${cls}`);
  mkdirSync(dir);
  for (const c of [cls, 'none']) symlinkSync(join(classes, c), join(dir, c));
  return dir;
}

const work = await mkdtemp(join(tmpdir(), 'lucerna-results-icnn-'));
try {
  const parts = join(work, 'parts');
  await lucerna('dataset', 'parts', '--out', parts, '--n', values.n as string, '--seed', '1', '--size', values.size as string, '--classes', '2');
  const classes = join(parts, 'classes');
  const rows: Row[] = [];
  for (const cls of ['bird', 'fish']) rows.push(await compare(work, `single ${cls}`, parts, pairFolder(work, classes, cls), 2, 'single', cls));
  rows.push(await compare(work, 'multi (bird, fish, none)', parts, classes, 3, 'multi'));
  const f = (v: number) => v.toFixed(4);
  const lines = [
    '## Interpretable CNNs (issue #16)',
    '',
    `small-cnn (${size}×${size}), ${values.n} parts images (\`lucerna dataset parts --n ${values.n} --seed 1 --size ${size} --classes 2\`), ` +
      `${values.epochs} epochs of Adam (lr 0.001, batch 16, seed 0, 20 % held out), filter loss weight ${values.weight}, τ ${values.tau ?? '0.5/n²'} on \`${layer}\`; ` +
      'location instability by `lucerna stability --layer ' +
      `${layer}\` (default protocol, before the mask). Command: \`node --import tsx scripts/results-icnn.ts --n ${values.n} --epochs ${values.epochs} --size ${size} --weight ${values.weight}${values.tau ? ` --tau ${values.tau}` : ''}\`.`,
    '',
    '| run | acc (ordinary) | acc (interpretable) | instability (ordinary) | instability (interpretable) | ratio | final filter loss |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${f(r.plain.acc)} | ${f(r.icnn.acc)} | ${f(r.plain.instability)} | ${f(r.icnn.instability)} | ${f(r.icnn.instability / r.plain.instability)} | ${f(r.icnn.filterLoss)} |`,
    ),
    '',
  ];
  writeFileSync(values.out as string, lines.join('\n'));
  process.stdout.write(lines.join('\n'));
} finally {
  await rm(work, { recursive: true, force: true });
}
