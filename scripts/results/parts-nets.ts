/**
 * The parts data set and the networks that several RESULTS.md sections measure (the decision tree,
 * #18, and trained-vs-random stability and part interpretability, #15), made once in a work folder
 * and reused when already there:
 * - `lucerna dataset parts` (bird, fish, none; 64 px; 1,500 images);
 * - vgg11-bn at width 1/8 with the initial weights of seed 0, and the same architecture with the
 *   random weights of seed 1 (never trained);
 * - the seed-0 net trained with the recipe that generalises (AdamW, lr 0.003, weight decay 0.05,
 *   6 epochs, `--no-crop`) on index.csv's train rows (`train --dataset <parts>`, validated on its
 *   val rows);
 * - the same net trained the same way as an interpretable CNN (Zhang, Wu & Zhu, CVPR 2018,
 *   https://arxiv.org/abs/1710.00935): mask and filter loss on the top conv layer, each filter
 *   assigned to the class it fires for most (multi-category mode, the mode of a 3-class net).
 */
import { copyFile, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runJson } from '../../src/cli/in-process.js';
import { sidecarPath } from '../../src/io/sidecar.js';

/** The settings; every number of the sections that use these nets comes from here. */
export const PARTS_NETS = {
  n: 1500,
  seed: 1,
  size: 64,
  classes: 2,
  arch: 'vgg11-bn',
  width: '0.125',
  /** The top conv layer (features.25 → BN → ReLU): 64 filters of 4×4. */
  layer: 'Relu_33',
  train: ['--optimizer', 'adamw', '--lr', '0.003', '--weight-decay', '0.05', '--batch-size', '32', '--epochs', '6', '--seed', '0', '--no-crop'],
  /** Pinned to the conventions these sections were built with (before `train`'s defaults became the ICNN authors' code rules). */
  interpretable: [
    ...['--interpretable', 'Relu_33', '--interpretable-mode', 'multi', '--filter-loss-weight', '1', '--tau', '0.01'],
    ...['--mask-centre', 'argmax', '--beta-mode', 'fixed', '--filter-assign', 'once', '--filter-loss-schedule', 'constant'],
  ],
} as const;

/** Paths of the data set and the nets, and the commands that made them. */
export interface PartsNets {
  readonly parts: string;
  readonly random: string;
  readonly trained: string;
  readonly interpretable: string;
  /** Held-out accuracy (index.csv's val rows) of the last epoch, kept in `<net>.train.json`. */
  readonly accuracy: { readonly trained: number; readonly interpretable: number };
  readonly commands: readonly string[];
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Trains (unless `out` is there) and returns the last epoch's held-out accuracy, kept beside the net. */
async function trainOnce(out: string, args: string[], commands: string[]): Promise<number> {
  commands.push(`lucerna ${args.join(' ')}`);
  const kept = out.replace(/\.onnx$/, '.train.json');
  if (!(await exists(out)) || !(await exists(kept))) {
    const summary = await runJson(...args);
    const epochs = summary.epochs as { valAccuracy?: number }[] | undefined;
    await writeFile(kept, JSON.stringify({ valAccuracy: epochs?.at(-1)?.valAccuracy ?? null }));
  }
  return (JSON.parse(await readFile(kept, 'utf8')) as { valAccuracy: number | null }).valAccuracy ?? Number.NaN;
}

/**
 * Makes (or finds) the data set and the nets in `work`.
 *
 * @example
 * ```ts
 * const nets = await partsNets('/tmp/lucerna-results-parts');
 * ```
 */
export async function partsNets(work: string): Promise<PartsNets> {
  const s = PARTS_NETS;
  const parts = join(work, 'parts');
  const init = join(work, 'init.onnx');
  const random = join(work, 'random.onnx');
  const trained = join(work, 'trained.onnx');
  const interpretable = join(work, 'interpretable.onnx');
  const commands: string[] = [];
  const step = async (done: string, args: string[]): Promise<void> => {
    commands.push(`lucerna ${args.join(' ')}`);
    if (!(await exists(done))) await runJson(...args);
  };
  const n = String(s.n);
  await step(parts, ['dataset', 'parts', '--out', parts, '--n', n, '--seed', String(s.seed), '--size', String(s.size), '--classes', String(s.classes)]);
  const create = ['model', 'create', s.arch, '--classes', String(s.classes + 1), '--input', `3x${s.size}x${s.size}`, '--width', s.width];
  await step(init, [...create, '--seed', '0', '--out', init]);
  await step(random, [...create, '--seed', '1', '--out', random]);
  const plain = await trainOnce(trained, ['train', init, '--dataset', parts, ...s.train, '--out', trained], commands);
  const icnn = await trainOnce(interpretable, ['train', init, '--dataset', parts, ...s.train, ...s.interpretable, '--out', interpretable], commands);
  // The random net reads the same pixels as the trained ones (unit pixels, labels): the trained sidecar.
  await copyFile(sidecarPath(trained), sidecarPath(random));
  return {
    parts,
    random,
    trained,
    interpretable,
    accuracy: { trained: plain, interpretable: icnn },
    commands,
  };
}
