/**
 * `lucerna train <model.onnx> (--inputs x.npy --labels y.npy | --dataset <dir> | --dataset fashion-mnist) … --out trained.onnx`:
 * trains a classifier with the compiled one-run training step and writes a checkpoint (the same
 * ONNX graph with trained initializers, its sidecar, and the optimizer state for `--resume`).
 * Ctrl-C finishes the current step, writes the checkpoint and exits 130.
 */

import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { fashionMnist } from '../../datasets/node/fashion-mnist.js';
import { imageFolder } from '../../datasets/node/image-folder.js';
import { npyDataset } from '../../datasets/node/npy.js';
import { validationSplit } from '../../datasets/order.js';
import { type Dataset, subset } from '../../datasets/types.js';
import { nodeRuntime } from '../../engine/node.js';
import type { OptimizationLevel } from '../../engine/runtime.js';
import { LucernaError } from '../../errors.js';
import { readOptimizerState, writeCheckpoint } from '../../io/checkpoint.js';
import { readBytes } from '../../io/files.js';
import { readSidecar } from '../../io/sidecar.js';
import { graphFromBytes } from '../../onnx/builder.js';
import type { Graph } from '../../onnx/graph.js';
import { type EpochSummary, type FitResult, fit, type StepProgress } from '../../training/fit.js';
import { type InterpretableOptions, setupInterpretable } from '../../training/interpretable/setup.js';
import { softmaxCrossEntropy } from '../../training/loss.js';
import { optimizerByName } from '../../training/optimizers/index.js';
import type { Schedule } from '../../training/schedule.js';
import { Trainer } from '../../training/trainer.js';

/** Options of `lucerna train`, as commander parses them. */
export interface TrainOptions {
  readonly inputs?: string;
  readonly labels?: string;
  readonly dataset?: string;
  readonly batchSize: string;
  readonly epochs?: string;
  readonly steps?: string;
  readonly shuffle: boolean;
  readonly seed: string;
  readonly optimizer: string;
  readonly lr?: string;
  readonly momentum: string;
  readonly nesterov?: boolean;
  readonly weightDecay: string;
  readonly schedule?: string;
  readonly warmup: string;
  readonly gamma: string;
  readonly stepEpochs: string;
  readonly labelSmoothing: string;
  readonly bn: string;
  readonly freeze: string[];
  readonly val?: string;
  readonly valDir?: string;
  readonly crop: boolean;
  readonly flip: boolean;
  readonly jitter: string;
  readonly resume?: boolean;
  readonly optimization?: string;
  readonly out: string;
  readonly json?: boolean;
  readonly interpretable?: string;
  readonly interpretableMode: string;
  readonly filterLossWeight: string;
  readonly tau?: string;
  readonly beta?: string;
  readonly alpha?: string;
}

/** What a run reports (the `--json` output). */
export interface TrainSummary {
  readonly model: string;
  readonly out: string;
  readonly files: readonly string[];
  readonly steps: number;
  readonly totalSteps: number;
  readonly interrupted: boolean;
  readonly trainable: readonly string[];
  readonly frozen: readonly string[];
  readonly losses: readonly number[];
  /** With several loss terms (e.g. cross-entropy and filter losses): each term's per-step curve. */
  readonly termLosses?: Readonly<Record<string, readonly number[]>>;
  readonly epochs: readonly EpochSummary[];
  readonly seconds: number;
  /** Interpretable training: each masked layer's filter categories (class indices). */
  readonly interpretable?: Readonly<Record<string, readonly number[]>>;
}

const collect = (value: string, previous: string[]) => [...previous, value];

/**
 * Registers `train` on the program.
 *
 * @example
 * ```ts
 * registerTrain(program); // lucerna train m.onnx --inputs x.npy --labels y.npy --out trained.onnx
 * ```
 */
export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train a classifier (softmax cross-entropy) and write a checkpoint ONNX with its sidecar and optimizer state')
    .argument('<model>', 'ONNX model whose first output is the class logits [batch, classes]')
    .option('--inputs <x.npy>', 'inputs [N, …] as .npy (any numeric dtype)')
    .option('--labels <y.npy>', 'integer labels [N] as .npy')
    .option('--dataset <dir|fashion-mnist>', 'an image folder (one subfolder per class), or fashion-mnist (the Debian package dataset-fashion-mnist)')
    .option('--batch-size <n>', 'samples per step', '4')
    .option('--epochs <n>', 'passes over the training set (default 1)')
    .option('--steps <n>', 'exactly this many optimizer steps (1 = the first batch only)')
    .option('--no-shuffle', 'take the batches in file order')
    .option('--seed <n>', 'seed of shuffling and the validation split', '0')
    .option('--optimizer <name>', 'sgd, adam or adamw', 'sgd')
    .option('--lr <f>', 'learning rate (default 0.01 for sgd, 0.001 for adam and adamw)')
    .option('--momentum <f>', 'SGD momentum', '0')
    .option('--nesterov', 'Nesterov momentum (SGD)')
    .option('--weight-decay <f>', 'weight decay (L2 for sgd and adam, decoupled for adamw)', '0')
    .option('--schedule <kind>', 'learning-rate schedule: step or cosine (default: constant)')
    .option('--warmup <steps>', 'linear warm-up steps', '0')
    .option('--gamma <f>', 'step schedule: factor per decay', '0.1')
    .option('--step-epochs <n>', 'step schedule: epochs between decays', '1')
    .option('--label-smoothing <f>', 'label smoothing of the cross-entropy', '0')
    .option('--bn <mode>', 'BatchNorm: train (batch statistics, running stats updated) or frozen (running stats unchanged)', 'train')
    .option('--freeze <pattern>', 'keep parameters whose name matches this glob fixed (repeatable)', collect, [])
    .option('--val <fraction>', 'hold out this fraction for validation (default 0 with --inputs, 0.1 with --dataset)')
    .option('--val-dir <dir>', 'validation images in their own ImageFolder (instead of --val)')
    .option('--no-crop', 'image folders: no random resized crop')
    .option('--no-flip', 'image folders: no horizontal flip')
    .option('--jitter <f>', 'image folders: colour jitter strength (0 turns it off)', '0.1')
    .option('--resume', "continue from the model's optimizer state (<model>.optimizer.onnx)")
    .option('--optimization <level>', 'ONNX Runtime graph optimisation: disabled, basic, extended or all', 'all')
    .requiredOption('--out <file>', 'checkpoint to write (.onnx)')
    .option('--json', 'print the run summary as JSON')
    .option('--interpretable <tensors>', 'interpretable CNN: mask these conv outputs (comma-separated) and add the filter loss')
    .option('--interpretable-mode <mode>', 'interpretable CNN: single (object vs. none) or multi (each filter to the class it fires for most)', 'single')
    .option('--filter-loss-weight <f>', "interpretable CNN: weight of each layer's filter loss", '1')
    .option('--tau <f>', 'interpretable CNN: template scale τ of the filter loss (default 0.5/n²; the mask uses T/τ, peak 1)')
    .option('--beta <f>', 'interpretable CNN: template fall-off β (default 4)')
    .option('--alpha <f>', 'interpretable CNN: prior mass of the positive templates α (default n²/(1+n²))')
    .action(async (model: string, options: TrainOptions) => {
      const summary = await runTrain(model, options);
      process.stdout.write(options.json ? `${JSON.stringify(summary, null, 2)}\n` : `${formatSummary(summary)}\n`);
      if (summary.interrupted) {
        throw new LucernaError('INTERRUPTED', `Interrupted after step ${summary.steps} of ${summary.totalSteps}; checkpoint written to ${summary.out}`);
      }
    });
}

function num(text: string, option: string, check: (v: number) => boolean, want: string): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || !check(v)) throw new LucernaError('BAD_OPTION', `${option} "${text}" is not ${want}`);
  return v;
}
const positiveInt = (t: string, o: string) => num(t, o, (v) => Number.isInteger(v) && v >= 1, 'a positive integer');
const nonNegative = (t: string, o: string) => num(t, o, (v) => v >= 0, 'a number ≥ 0');

function oneOf<T extends string>(value: string, option: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) throw new LucernaError('BAD_OPTION', `${option} "${value}" is not one of ${allowed.join(', ')}`);
  return value as T;
}

/** The training data and, for image folders, the same files without augmentation (for validation). */
async function openData(o: TrainOptions, graph: Graph, seed: number): Promise<{ train: Dataset; plain: Dataset; valDir?: Dataset }> {
  const npy = o.inputs !== undefined || o.labels !== undefined;
  if (npy && o.dataset !== undefined) throw new LucernaError('BAD_OPTION', 'Give either --inputs/--labels or --dataset, not both');
  if (npy) {
    if (!o.inputs || !o.labels) throw new LucernaError('BAD_OPTION', '--inputs and --labels go together', 'Pass both .npy files');
    const d = await npyDataset(o.inputs, o.labels);
    return { train: d, plain: d };
  }
  if (o.dataset === 'fashion-mnist') {
    const d = await fashionMnist('train');
    return { train: d, plain: d };
  }
  if (o.dataset === undefined)
    throw new LucernaError('BAD_OPTION', 'No training data', 'Pass --inputs x.npy --labels y.npy, --dataset <folder> or --dataset fashion-mnist');
  const dims = graph.primaryInput().dims.slice(1);
  if (dims.length !== 3 || dims.some((d) => typeof d !== 'number')) {
    throw new LucernaError('UNSUPPORTED_MODEL', `An image folder needs a model with a static [C, H, W] input; this one takes [${dims.join(', ')}]`);
  }
  const sampleShape = dims as [number, number, number];
  const jitter = num(o.jitter, '--jitter', (v) => v >= 0 && v < 1, 'in [0, 1)');
  const augment = { crop: o.crop, flip: o.flip, jitter };
  const train = await imageFolder(o.dataset, { sampleShape, augment, seed });
  const plain = await imageFolder(o.dataset, { sampleShape });
  const valDir = o.valDir ? await imageFolder(o.valDir, { sampleShape, classNames: train.classNames }) : undefined;
  return { train, plain, valDir };
}

function sampleShapeCheck(graph: Graph, data: Dataset): void {
  const dims = graph.primaryInput().dims.slice(1);
  const ok = dims.length === data.sampleShape.length && dims.every((d, i) => typeof d !== 'number' || d === data.sampleShape[i]);
  if (!ok) {
    throw new LucernaError(
      'BAD_SHAPE',
      `The model takes samples [${dims.join(', ')}], the data has [${data.sampleShape.join(', ')}]`,
      'Give data of the shape the model expects',
    );
  }
}

async function checkLabels(data: Dataset, classes: number): Promise<void> {
  const labels = await data.labels();
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i] as number;
    if (l < 0 || l >= classes) {
      throw new LucernaError(
        'BAD_TARGET',
        `Label ${l} of sample ${i} is out of range: the model has ${classes} classes (0 to ${classes - 1})`,
        'Check the labels file',
      );
    }
  }
}

/** The interpretable-CNN options (`--interpretable` and its companions). */
function interpretableOptions(o: TrainOptions): InterpretableOptions {
  const tensors = (o.interpretable ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  const positive = (t: string | undefined, name: string) => (t === undefined ? undefined : num(t, name, (v) => v > 0, 'a positive number'));
  const alpha = o.alpha === undefined ? undefined : num(o.alpha, '--alpha', (v) => v > 0 && v < 1, 'in (0, 1)');
  return {
    tensors,
    mode: oneOf(o.interpretableMode, '--interpretable-mode', ['single', 'multi'] as const),
    weight: nonNegative(o.filterLossWeight, '--filter-loss-weight'),
    tau: positive(o.tau, '--tau'),
    beta: positive(o.beta, '--beta'),
    alpha,
  };
}

function schedule(o: TrainOptions): Schedule {
  const warmupSteps = nonNegative(o.warmup, '--warmup');
  const kind = o.schedule === undefined ? 'constant' : oneOf(o.schedule, '--schedule', ['step', 'cosine'] as const);
  return { kind, warmupSteps, gamma: nonNegative(o.gamma, '--gamma'), stepEpochs: positiveInt(o.stepEpochs, '--step-epochs') };
}

/** A progress bar on stderr with the loss, the accuracy and the time per step (TTY only). */
function stepBar(enabled: boolean): { onStep?: (p: StepProgress) => void; stop(): void } {
  if (!enabled || !process.stderr.isTTY) return { stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    {
      format: 'train [{bar}] {value}/{total} | epoch {epoch} | loss {loss} | acc {acc} | {ms} ms/step',
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    onStep(p) {
      const payload = { epoch: p.epoch + 1, loss: p.loss.toFixed(4), acc: p.accuracy.toFixed(3), ms: p.ms.toFixed(0) };
      if (!started) {
        bar.start(p.totalSteps, 0, payload);
        started = true;
      }
      bar.update(p.step, payload);
    },
    stop: () => started && bar.stop(),
  };
}

/**
 * Runs one training from CLI options and writes the checkpoint (also when interrupted).
 *
 * @example
 * ```ts
 * const summary = await runTrain('m.onnx', { inputs: 'x.npy', labels: 'y.npy', out: 't.onnx', ...defaults });
 * ```
 */
export async function runTrain(modelPath: string, o: TrainOptions): Promise<TrainSummary> {
  const started = performance.now();
  const batchSize = positiveInt(o.batchSize, '--batch-size');
  if (o.epochs !== undefined && o.steps !== undefined) throw new LucernaError('BAD_OPTION', 'Give --epochs or --steps, not both');
  const epochs = o.epochs === undefined ? 1 : positiveInt(o.epochs, '--epochs');
  const steps = o.steps === undefined ? undefined : positiveInt(o.steps, '--steps');
  const optimizer = optimizerByName(o.optimizer);
  const lr = o.lr === undefined ? (optimizer.name === 'sgd' ? 0.01 : 0.001) : num(o.lr, '--lr', (v) => v > 0, 'a positive number');
  const bn = oneOf(o.bn, '--bn', ['train', 'frozen'] as const);
  const optimization = oneOf(o.optimization ?? 'all', '--optimization', ['disabled', 'basic', 'extended', 'all'] as const) as OptimizationLevel;
  const seed = num(o.seed, '--seed', Number.isInteger, 'an integer');
  const hyper = {
    momentum: nonNegative(o.momentum, '--momentum'),
    nesterov: o.nesterov === true,
    weightDecay: nonNegative(o.weightDecay, '--weight-decay'),
  };
  if (hyper.nesterov && (optimizer.name !== 'sgd' || hyper.momentum === 0))
    throw new LucernaError('BAD_OPTION', '--nesterov needs --optimizer sgd and a --momentum above 0');
  const smoothing = num(o.labelSmoothing, '--label-smoothing', (v) => v >= 0 && v < 1, 'in [0, 1)');
  const sched = schedule(o);
  const valFraction = o.val === undefined ? (o.dataset !== undefined ? 0.1 : 0) : num(o.val, '--val', (v) => v >= 0 && v < 1, 'a fraction in [0, 1)');

  const graph = graphFromBytes(await readBytes(modelPath, 'the model'), modelPath);
  const data = await openData(o, graph, seed);
  const all = data.train;
  if (all.size === 0) throw new LucernaError('BAD_FILE', 'The training data has no samples');
  sampleShapeCheck(graph, all);
  const split = validationSplit(all.size, data.valDir ? 0 : valFraction, seed);
  const train = split.val.length > 0 ? subset(all, split.train) : all;
  const val = data.valDir ?? (split.val.length > 0 ? subset(data.plain, split.val) : undefined);
  const resume = o.resume ? await readOptimizerState(modelPath) : undefined;
  if (resume && resume.meta.optimizer !== optimizer.name) {
    throw new LucernaError(
      'BAD_OPTION',
      `The optimizer state is for ${resume.meta.optimizer}, not ${optimizer.name}`,
      `Pass --optimizer ${resume.meta.optimizer}`,
    );
  }
  const interp = o.interpretable ? await setupInterpretable(nodeRuntime, graph, all, interpretableOptions(o), { optimization }) : undefined;
  const source = interp?.graph ?? graph;
  await using trainer = await Trainer.create(
    source,
    all.sampleShape,
    {
      runtime: nodeRuntime,
      optimizer,
      hyper,
      bn,
      freeze: o.freeze,
      loss: [softmaxCrossEntropy({ labelSmoothing: smoothing }), ...(interp?.terms ?? [])],
      session: { optimization },
    },
    resume?.state,
  );
  const classes = await trainer.classes(Math.min(batchSize, train.size));
  await checkLabels(all, classes);
  if (all.classNames && all.classNames.length !== classes) {
    throw new LucernaError(
      'BAD_TARGET',
      `The data has ${all.classNames.length} classes, the model ${classes}`,
      `Create the model with --classes ${all.classNames.length}`,
    );
  }

  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  const bar = stepBar(!o.json);
  let result: FitResult;
  try {
    result = await fit(trainer, train, {
      batchSize,
      epochs,
      steps,
      shuffle: o.shuffle,
      seed,
      lr,
      schedule: sched,
      validation: val,
      signal: controller.signal,
      onStep: bar.onStep,
    });
  } finally {
    bar.stop();
    process.removeListener('SIGINT', onSigint);
  }
  const sidecar = (await readSidecar(modelPath)) ?? {};
  const files = await writeCheckpoint(o.out, {
    source,
    values: trainer.values(),
    sidecar: all.classNames ? { ...sidecar, labels: all.classNames } : Object.keys(sidecar).length > 0 ? sidecar : undefined,
    optimizer: {
      state: trainer.optimizerState(),
      shapes: trainer.carriedShapes(),
      meta: { optimizer: optimizer.name, step: trainer.steps, hyper: trainer.hyper, lr, schedule: sched, bn },
    },
  });
  const totalSteps = steps ?? Math.ceil(train.size / batchSize) * epochs;
  return {
    model: modelPath,
    out: o.out,
    files,
    steps: result.steps,
    totalSteps,
    interrupted: result.interrupted,
    trainable: trainer.trainable,
    frozen: trainer.frozen,
    losses: result.losses,
    ...(result.termLosses ? { termLosses: result.termLosses } : {}),
    epochs: result.epochs,
    seconds: (performance.now() - started) / 1000,
    ...(interp ? { interpretable: Object.fromEntries(interp.categories) } : {}),
  };
}

function formatSummary(s: TrainSummary): string {
  const lines = s.epochs.map((e) => {
    const val = e.valLoss === undefined ? '' : `  val loss ${e.valLoss.toFixed(4)}  val acc ${(e.valAccuracy ?? 0).toFixed(4)}`;
    const terms = Object.entries(e.terms ?? {})
      .map(([name, v]) => `  ${name} ${v.toFixed(4)}`)
      .join('');
    return `epoch ${e.epoch + 1}: loss ${e.loss.toFixed(4)}${terms}  acc ${e.accuracy.toFixed(4)}${val}`;
  });
  lines.push(`${s.steps} steps in ${s.seconds.toFixed(1)} s; ${s.trainable.length} trainable tensors${s.frozen.length ? `, ${s.frozen.length} frozen` : ''}`);
  lines.push(`wrote ${s.files.join(', ')}`);
  return lines.join('\n');
}
