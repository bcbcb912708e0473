/**
 * The data of `lucerna train`: `.npy` inputs and labels, Fashion-MNIST, an image folder, or a
 * Broden-format folder with a class view (then `index.csv`'s `split` column decides training and
 * validation images), and the validation set (a seeded fraction, a folder, or that split).
 */
import { brodenClassView, splitIndices } from '../../datasets/node/broden-split.js';
import { fashionMnist } from '../../datasets/node/fashion-mnist.js';
import { imageFolder } from '../../datasets/node/image-folder.js';
import { npyDataset } from '../../datasets/node/npy.js';
import { validationSplit } from '../../datasets/order.js';
import { type Dataset, subset } from '../../datasets/types.js';
import { LucernaError } from '../../errors.js';
import type { Graph } from '../../onnx/graph.js';

/** The data flags of `lucerna train`. */
export interface TrainDataFlags {
  readonly inputs?: string;
  readonly labels?: string;
  readonly dataset?: string;
  readonly val?: string;
  readonly valDir?: string;
  readonly crop: boolean;
  readonly flip: boolean;
  readonly jitter: string;
}

/** The opened data: every sample (for checks), the training and validation sets. */
export interface TrainData {
  readonly all: Dataset;
  readonly train: Dataset;
  readonly val?: Dataset;
  /** How the validation set was chosen, for the report. */
  readonly valSource?: string;
}

function fraction(text: string, flag: string): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || v < 0 || v >= 1) throw new LucernaError('BAD_OPTION', `${flag} "${text}" is not in [0, 1)`);
  return v;
}

function imageShape(graph: Graph): [number, number, number] {
  const dims = graph.primaryInput().dims.slice(1);
  if (dims.length !== 3 || dims.some((d) => typeof d !== 'number')) {
    throw new LucernaError('UNSUPPORTED_MODEL', `An image folder needs a model with a static [C, H, W] input; this one takes [${dims.join(', ')}]`);
  }
  return dims as [number, number, number];
}

/** A Broden folder's class view, split by `index.csv` (the file decides; `--val 0` turns validation off). */
async function brodenData(o: TrainDataFlags, graph: Graph, seed: number, warn: (m: string) => void): Promise<TrainData | undefined> {
  const view = await brodenClassView(o.dataset as string);
  if (!view) return undefined;
  // The split column chooses the validation images; `--val 0` only turns validation off.
  const noVal = o.val !== undefined && fraction(o.val, '--val') === 0;
  if ((o.val !== undefined && !noVal) || o.valDir !== undefined) {
    throw new LucernaError(
      'BAD_OPTION',
      `${o.dataset} is a Broden folder: its index.csv split column chooses the validation images, so --val and --val-dir do not apply`,
      'Drop --val/--val-dir (--val 0 turns validation off), or train on a plain ImageFolder',
    );
  }
  const sampleShape = imageShape(graph);
  const augment = { crop: o.crop, flip: o.flip, jitter: fraction(o.jitter, '--jitter') };
  const all = await imageFolder(view.classes, { sampleShape, augment, seed });
  const plain = await imageFolder(view.classes, { sampleShape });
  const split = splitIndices(view, all.files);
  if (split.train.length === 0)
    throw new LucernaError('BAD_FILE', `${view.root}/index.csv has no image in the train split`, 'Its split column says train or val');
  if (split.other > 0) warn(`${split.other} images of index.csv are in neither the train nor the val split; they are left out`);
  const val = split.val.length > 0 && !noVal ? subset(plain, split.val) : undefined;
  return { all, train: subset(all, split.train), val, valSource: val ? 'index.csv split column' : undefined };
}

/**
 * Opens the training data from the command's flags and holds out the validation set.
 *
 * @example
 * ```ts
 * const { train, val } = await openTrainData({ dataset: 'data/parts', crop: true, flip: true, jitter: '0.1' }, graph, 0, ctx.warn);
 * ```
 */
export async function openTrainData(o: TrainDataFlags, graph: Graph, seed: number, warn: (m: string) => void): Promise<TrainData> {
  const npy = o.inputs !== undefined || o.labels !== undefined;
  if (npy && o.dataset !== undefined) throw new LucernaError('BAD_OPTION', 'Give either --inputs/--labels or --dataset, not both');
  let all: Dataset;
  let plain: Dataset;
  let valDir: Dataset | undefined;
  if (npy) {
    if (!o.inputs || !o.labels) throw new LucernaError('BAD_OPTION', '--inputs and --labels go together', 'Pass both .npy files');
    all = plain = await npyDataset(o.inputs, o.labels);
  } else if (o.dataset === 'fashion-mnist') {
    all = plain = await fashionMnist('train');
  } else if (o.dataset === undefined) {
    throw new LucernaError('BAD_OPTION', 'No training data', 'Pass --inputs x.npy --labels y.npy, --dataset <folder> or --dataset fashion-mnist');
  } else {
    const broden = await brodenData(o, graph, seed, warn);
    if (broden) return broden;
    const sampleShape = imageShape(graph);
    const augment = { crop: o.crop, flip: o.flip, jitter: fraction(o.jitter, '--jitter') };
    all = await imageFolder(o.dataset, { sampleShape, augment, seed });
    plain = await imageFolder(o.dataset, { sampleShape });
    valDir = o.valDir ? await imageFolder(o.valDir, { sampleShape, classNames: all.classNames }) : undefined;
  }
  if (all.size === 0) throw new LucernaError('BAD_FILE', 'The training data has no samples');
  if (valDir) return { all, train: all, val: valDir, valSource: `the folder ${o.valDir}` };
  const valFraction = o.val === undefined ? (o.dataset !== undefined ? 0.1 : 0) : fraction(o.val, '--val');
  const split = validationSplit(all.size, valFraction, seed);
  if (split.val.length === 0) return { all, train: all };
  return { all, train: subset(all, split.train), val: subset(plain, split.val), valSource: `${Math.round(valFraction * 1000) / 10}% held out (seeded)` };
}
