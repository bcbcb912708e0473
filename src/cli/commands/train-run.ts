/**
 * The work of `lucerna train [MODEL] (--inputs x.npy --labels y.npy | --dataset <dir> | --dataset fashion-mnist) … --out trained.onnx`:
 * trains a classifier with the compiled one-run training step and writes a checkpoint (the same
 * ONNX graph with trained initializers, its sidecar, and the optimizer state for `--resume`).
 * Ctrl-C finishes the current run (up to 4 steps, fit.ts), writes the checkpoint and exits 130. Loaded by `train.ts`.
 */
import cliProgress from 'cli-progress';
import type { Dataset } from '../../datasets/types.js';
import { nodeRuntime } from '../../engine/node.js';
import type { OptimizationLevel } from '../../engine/runtime.js';
import { LucernaError } from '../../errors.js';
import { checkpointFiles, readOptimizerState } from '../../io/checkpoint.js';
import { readBytes } from '../../io/files.js';
import { readSidecar } from '../../io/sidecar.js';
import { graphFromBytes } from '../../onnx/builder.js';
import type { Graph } from '../../onnx/graph.js';
import { type EpochSummary, type FitResult, fit, type StepProgress } from '../../training/fit.js';
import { type InterpretableOptions, setupInterpretable, trainedCategories } from '../../training/interpretable/setup.js';
import { softmaxCrossEntropy } from '../../training/loss.js';
import { optimizerByName } from '../../training/optimizers/index.js';
import type { Schedule } from '../../training/schedule.js';
import { Trainer } from '../../training/trainer.js';
import type { CommandContext, CommandResult } from '../command.js';
import { modelFile } from '../model.js';
import { openTrainData } from './train-data.js';
import { interpretableMaps, trainReportFile } from './train-report.js';

/** Options of `lucerna train`, with the defaults of {@link TRAIN_DEFAULTS} filled in. */
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
  /** Write the HTML training report beside the checkpoint (default true; `--no-report`). */
  readonly report: boolean;
  /** Interpretable CNN (Zhang et al. 2018): conv outputs to mask, comma-separated. */
  readonly interpretable?: string;
  readonly interpretableMode: string;
  readonly filterLossWeight: string;
  readonly filterLoss: string;
  readonly tau?: string;
  readonly beta?: string;
  readonly alpha?: string;
  readonly maskCentre: string;
  readonly betaMode: string;
  readonly filterAssign: string;
  readonly filterLossSchedule: string;
}

/** The defaults of the options that have one. @example `TRAIN_DEFAULTS.batchSize // '4'` */
export const TRAIN_DEFAULTS = {
  batchSize: '4',
  seed: '0',
  optimizer: 'sgd',
  momentum: '0',
  weightDecay: '0',
  warmup: '0',
  gamma: '0.1',
  stepEpochs: '1',
  labelSmoothing: '0',
  bn: 'train',
  jitter: '0.1',
  optimization: 'all',
  interpretableMode: 'single',
  filterLossWeight: '1',
  filterLoss: 'exact',
  maskCentre: 'centroid',
  betaMode: 'adaptive',
  filterAssign: 'step',
  filterLossSchedule: 'epoch',
} as const;

/** What a run reports (the `--json` output). */
export interface TrainSummary {
  readonly model: string;
  readonly out: string;
  readonly files: readonly string[];
  readonly steps: number;
  readonly totalSteps: number;
  /** Samples trained on and held out for validation. */
  readonly trainSamples: number;
  readonly valSamples: number;
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
function interpretableOptions(o: TrainOptions, stepsPerEpoch: number): InterpretableOptions {
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
    form: oneOf(o.filterLoss, '--filter-loss', ['exact', 'approx'] as const),
    tau: positive(o.tau, '--tau'),
    beta: positive(o.beta, '--beta'),
    alpha,
    centre: oneOf(o.maskCentre, '--mask-centre', ['centroid', 'argmax'] as const),
    betaMode: oneOf(o.betaMode, '--beta-mode', ['adaptive', 'fixed'] as const),
    reassign: oneOf(o.filterAssign, '--filter-assign', ['step', 'once', 'relative'] as const) !== 'once',
    relativeAssign: o.filterAssign === 'relative',
    weightSchedule: oneOf(o.filterLossSchedule, '--filter-loss-schedule', ['epoch', 'constant'] as const),
    stepsPerEpoch,
  };
}

function schedule(o: TrainOptions): Schedule {
  const warmupSteps = nonNegative(o.warmup, '--warmup');
  const kind = o.schedule === undefined ? 'constant' : oneOf(o.schedule, '--schedule', ['step', 'cosine'] as const);
  return { kind, warmupSteps, gamma: nonNegative(o.gamma, '--gamma'), stepEpochs: positiveInt(o.stepEpochs, '--step-epochs') };
}

/** A progress bar on stderr with the loss, the accuracy and the time per step (TTY only). */
function stepBar(enabled: boolean): { onStep?: (p: StepProgress) => void; stop(): void } {
  if (!enabled) return { stop: () => undefined };
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
 * Runs one training from CLI options and stages the checkpoint (also when interrupted).
 *
 * @example
 * ```ts
 * const { json } = await runTrain(ctx, 'm.onnx', { inputs: 'x.npy', labels: 'y.npy', out: 't.onnx' });
 * ```
 */
export async function runTrain(
  ctx: CommandContext,
  given: string | undefined,
  flags: Partial<TrainOptions> & { readonly out: string },
): Promise<CommandResult> {
  const defined = Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined));
  const o: TrainOptions = { ...TRAIN_DEFAULTS, freeze: [], shuffle: true, crop: true, flip: true, report: true, ...defined, out: flags.out };
  const started = performance.now();
  const modelPath = await modelFile(given);
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

  const graph = graphFromBytes(await readBytes(modelPath, 'the model'), modelPath);
  const data = await openTrainData(o, graph, seed, (m) => ctx.warn(m));
  const { all, train, val } = data;
  sampleShapeCheck(graph, all);
  const resume = o.resume ? await readOptimizerState(modelPath) : undefined;
  if (resume && resume.meta.optimizer !== optimizer.name) {
    throw new LucernaError(
      'BAD_OPTION',
      `The optimizer state is for ${resume.meta.optimizer}, not ${optimizer.name}`,
      `Pass --optimizer ${resume.meta.optimizer}`,
    );
  }
  const interp = o.interpretable
    ? await setupInterpretable(nodeRuntime, graph, all, interpretableOptions(o, Math.ceil(train.size / batchSize)), { optimization })
    : undefined;
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
      seed,
      loss: [softmaxCrossEntropy({ labelSmoothing: smoothing }), ...(interp?.terms ?? [])],
      session: { optimization },
    },
    resume?.state,
  );
  const classes = await trainer.classes(Math.min(batchSize, train.size));
  // A folder's classes are checked first: its labels are folder positions, not a labels file.
  if (all.classNames && all.classNames.length !== classes) {
    throw new LucernaError(
      'BAD_TARGET',
      `The data has ${all.classNames.length} classes, the model ${classes}`,
      `Create the model with --classes ${all.classNames.length}`,
    );
  }
  await checkLabels(all, classes);

  const bar = stepBar(!o.json && ctx.io.isTTY);
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
      signal: ctx.signal,
      onStep: bar.onStep,
    });
  } finally {
    bar.stop();
  }
  const read = (await readSidecar(modelPath)) ?? {};
  // Image folders, Broden sets and Fashion-MNIST are read as pixels / 255: the trained model expects unit pixels.
  const sidecar = o.dataset ? { ...read, preprocessing: { ...read.preprocessing, normalization: 'unit' as const } } : read;
  const categories = interp ? trainedCategories(interp, trainer.optimizerState().tensors) : undefined;
  const files = checkpointFiles(o.out, {
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
  if (o.report) {
    const settings = {
      optimizer: optimizer.name,
      lr,
      ...hyper,
      schedule: sched,
      batchSize,
      epochs: steps === undefined ? epochs : undefined,
      steps,
      seed,
      bn,
      labelSmoothing: smoothing,
      freeze: o.freeze,
      shuffle: o.shuffle,
      trainable: trainer.trainable.length,
      frozen: trainer.frozen.length,
    };
    const report = trainReportFile(o.out, {
      model: modelPath,
      data: o.dataset ?? `${o.inputs} ${o.labels}`,
      train,
      val,
      valSource: data.valSource,
      result,
      totalSteps,
      seconds: (performance.now() - started) / 1000,
      classNames: all.classNames,
      settings,
      filterMaps: categories ? await interpretableMaps(files.at(-1)?.[1] as Uint8Array, categories, all, { optimization }, ctx.signal) : undefined,
    });
    files.push(report);
  }
  for (const [path, data] of files) await ctx.outputs.write(path, data);
  const summary: TrainSummary = {
    model: given ?? 'bundled',
    out: o.out,
    files: files.map(([path]) => path),
    steps: result.steps,
    totalSteps,
    trainSamples: train.size,
    valSamples: val?.size ?? 0,
    interrupted: result.interrupted || ctx.signal.aborted,
    trainable: trainer.trainable,
    frozen: trainer.frozen,
    losses: result.losses,
    ...(result.termLosses ? { termLosses: result.termLosses } : {}),
    epochs: result.epochs,
    seconds: (performance.now() - started) / 1000,
    ...(categories ? { interpretable: Object.fromEntries(categories) } : {}),
  };
  return {
    json: summary,
    message: formatSummary(summary),
    // A Ctrl-C while the report's filter maps were read also keeps the checkpoint (the report has no maps).
    interrupted: summary.interrupted ? `stopped after step ${summary.steps} of ${totalSteps}; checkpoint written to ${o.out}` : undefined,
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
