/**
 * The training loop: epochs (or an exact number of steps) over a {@link Dataset} in seeded or file
 * order, the learning rate from a schedule, validation after each epoch, progress callbacks, and
 * cancellation that stops at the end of a step (the caller then writes a checkpoint).
 */
import { batchesOf, epochOrder } from '../datasets/order.js';
import type { Batch, Dataset } from '../datasets/types.js';
import { LucernaError } from '../errors.js';
import { learningRate, type Schedule } from './schedule.js';
import type { Trainer } from './trainer.js';

/** How long and in which order to train. */
export interface FitOptions {
  readonly batchSize: number;
  /** Epochs (default 1); ignored when `steps` is given. */
  readonly epochs?: number;
  /** Exactly this many optimizer steps (epochs repeat as needed); `1` is one step on the first batch. */
  readonly steps?: number;
  readonly shuffle?: boolean;
  readonly seed?: number;
  readonly lr: number;
  readonly schedule?: Schedule;
  readonly validation?: Dataset;
  readonly signal?: AbortSignal;
  /**
   * Optimizer steps per ORT run: consecutive batches of one size train in one run, with the same
   * result as one run each; a cancellation waits for the run. Default: adaptive
   * ({@link stepsPerRunFor}), {@link DEFAULT_STEPS_PER_RUN} in the first run.
   */
  readonly stepsPerRun?: number;
  onStep?(p: StepProgress): void;
  onEpoch?(e: EpochSummary): void;
}

/**
 * Optimizer steps in the first ORT run when `stepsPerRun` is not given; later runs take as many as
 * {@link stepsPerRunFor} allows. The parameters and optimizer state cross the JS binding once per run
 * (ResNet-18: 2 × 11.2 M values copied per crossing, about 64 ms of CPU per run on the bench machine).
 */
export const DEFAULT_STEPS_PER_RUN = 4;

/** At most this many optimizer steps per ORT run (the [K, …] batch feed and the prefetch hold K batches). */
export const MAX_STEPS_PER_RUN = 16;

/** A run should last about this long (ms): a Ctrl-C waits for the run, and must be answered within 5 s. */
export const RUN_BUDGET_MS = 2000;

/** At most this many bytes of batch input per run (K batches are read ahead and copied into one feed). */
export const RUN_INPUT_BYTES = 64 * 2 ** 20;

/**
 * How many optimizer steps the next ORT run takes, from the last run's time per step and the bytes of
 * one batch: as many as fit {@link RUN_BUDGET_MS} and {@link RUN_INPUT_BYTES}, between 1 and
 * {@link MAX_STEPS_PER_RUN}. More steps per run share the run's fixed cost (the carried state's
 * crossing of the binding) among more steps.
 *
 * @example
 * ```ts
 * stepsPerRunFor(170, 1.5e6); // 11: 11 steps of 170 ms fit 2 s
 * stepsPerRunFor(5000, 1.5e6); // 1
 * ```
 */
export function stepsPerRunFor(msPerStep: number, batchBytes: number): number {
  const byTime = Number.isFinite(msPerStep) && msPerStep > 0 ? Math.floor(RUN_BUDGET_MS / msPerStep) : 1;
  const byMemory = batchBytes > 0 ? Math.floor(RUN_INPUT_BYTES / batchBytes) : MAX_STEPS_PER_RUN;
  return Math.max(1, Math.min(MAX_STEPS_PER_RUN, byTime, byMemory));
}

/**
 * The run that starts at batch `from`: up to `perRun` consecutive batches of the same size.
 *
 * @example
 * ```ts
 * runAt([[0, 1], [2, 3], [4]], 0, 4); // [[0, 1], [2, 3]]
 * ```
 */
export function runAt<T extends readonly unknown[]>(batches: readonly T[], from: number, perRun: number): T[] {
  const run: T[] = [];
  for (let i = from; i < batches.length && run.length < Math.max(1, perRun); i++) {
    const b = batches[i] as T;
    if (run.length > 0 && b.length !== run[0]?.length) break;
    run.push(b);
  }
  return run;
}

/** Progress after one step. */
export interface StepProgress {
  readonly step: number;
  readonly totalSteps: number;
  readonly epoch: number;
  readonly loss: number;
  readonly accuracy: number;
  readonly lr: number;
  readonly ms: number;
}

/** One epoch's (or a partial last epoch's) averages. */
export interface EpochSummary {
  readonly epoch: number;
  readonly loss: number;
  readonly accuracy: number;
  /** With several loss terms: each term's mean over the epoch's steps, by term name. */
  readonly terms?: Readonly<Record<string, number>>;
  readonly valLoss?: number;
  readonly valAccuracy?: number;
}

/** What a run did. */
export interface FitResult {
  readonly steps: number;
  readonly epochs: readonly EpochSummary[];
  readonly losses: readonly number[];
  /** The training accuracy of every step's batch. */
  readonly accuracies: readonly number[];
  /** With several loss terms: each term's value at every step, by term name. */
  readonly termLosses?: Readonly<Record<string, readonly number[]>>;
  /** The last validation's confusion matrix: `[true class][predicted class]` counts. */
  readonly confusion?: readonly (readonly number[])[];
  /** True when the signal stopped the run (at the end of a step). */
  readonly interrupted: boolean;
}

/**
 * Mean cross-entropy and correct count of logits [B, K] against labels (validation, in JS).
 *
 * @example
 * ```ts
 * crossEntropyOf(new Float32Array([0, 0]), 2, [1]); // { loss: 0.693…, correct: 1 }
 * ```
 */
export function crossEntropyOf(logits: Float32Array, classes: number, labels: ArrayLike<number>): { loss: number; correct: number } {
  let loss = 0;
  let correct = 0;
  for (let n = 0; n < labels.length; n++) {
    const row = logits.subarray(n * classes, (n + 1) * classes);
    let max = -Infinity;
    let best = 0;
    for (let k = 0; k < classes; k++) if ((row[k] as number) > max) [max, best] = [row[k] as number, k];
    let sum = 0;
    for (let k = 0; k < classes; k++) sum += Math.exp((row[k] as number) - max);
    loss += Math.log(sum) + max - (row[labels[n] as number] as number);
    if (best === labels[n]) correct++;
  }
  return { loss: loss / Math.max(1, labels.length), correct };
}

/**
 * Adds the arg-max predictions of logits [B, K] to a confusion matrix `[true][predicted]` (K × K).
 *
 * @example
 * ```ts
 * const m = [[0, 0], [0, 0]];
 * addToConfusion(m, new Float32Array([2, 1, 0, 3]), [0, 0]); // m = [[1, 1], [0, 0]]
 * ```
 */
export function addToConfusion(matrix: number[][], logits: Float32Array, labels: ArrayLike<number>): void {
  const classes = matrix.length;
  for (let n = 0; n < labels.length; n++) {
    let best = 0;
    for (let k = 1; k < classes; k++) if ((logits[n * classes + k] as number) > (logits[n * classes + best] as number)) best = k;
    const row = matrix[labels[n] as number];
    if (row) row[best] = (row[best] as number) + 1;
  }
}

async function validate(trainer: Trainer, data: Dataset, batchSize: number): Promise<{ loss: number; accuracy: number; confusion: number[][] }> {
  let loss = 0;
  let correct = 0;
  let confusion: number[][] = [];
  for (const indices of batchesOf(epochOrder(data.size, { shuffle: false, seed: 0, epoch: 0 }), batchSize)) {
    const batch = await data.read(indices, 0);
    const logits = await trainer.predict(batch.x);
    const classes = logits.shape[1] as number;
    if (confusion.length !== classes) confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
    const r = crossEntropyOf(logits.data, classes, batch.labels);
    addToConfusion(confusion, logits.data, batch.labels);
    loss += r.loss * indices.length;
    correct += r.correct;
  }
  return { loss: loss / data.size, accuracy: correct / data.size, confusion };
}

/**
 * Trains `trainer` on `data`. The next run's batches are read while the current run trains (a
 * prefetch of one run), so data loading overlaps compute without holding more than two runs' batches.
 *
 * @example
 * ```ts
 * const result = await fit(trainer, data, { batchSize: 32, epochs: 5, lr: 0.05, shuffle: true, seed: 0 });
 * ```
 */
export async function fit(trainer: Trainer, data: Dataset, options: FitOptions): Promise<FitResult> {
  if (data.size === 0) throw new LucernaError('BAD_OPTION', 'The training set is empty');
  const perEpoch = Math.ceil(data.size / options.batchSize);
  const totalSteps = options.steps ?? perEpoch * (options.epochs ?? 1);
  const schedule = options.schedule ?? { kind: 'constant' };
  const startStep = trainer.steps;
  const epochs: EpochSummary[] = [];
  const losses: number[] = [];
  const accuracies: number[] = [];
  let confusion: number[][] | undefined;
  const termLosses: Record<string, number[]> = {};
  let step = 0;
  let interrupted = false;
  let perRun = options.stepsPerRun ?? DEFAULT_STEPS_PER_RUN;
  for (let epoch = 0; step < totalSteps && !interrupted; epoch++) {
    const order = epochOrder(data.size, { shuffle: options.shuffle ?? true, seed: options.seed ?? 0, epoch });
    const batches = batchesOf(order, options.batchSize).slice(0, totalSteps - step);
    let sumLoss = 0;
    let correct = 0;
    let seen = 0;
    const termSums: Record<string, number> = {};
    // Runs of up to `perRun` batches of one size train in one ORT run (Trainer.stepMany). The next
    // run is read while this one trains, so its length follows the run before this one's time.
    // A prefetched read that fails while a step fails must not become an unhandled rejection.
    const prefetch = (group: readonly (readonly number[])[]): Promise<Batch[]> => {
      const p = Promise.all(group.map((indices) => data.read(indices, epoch)));
      p.catch(() => undefined);
      return p;
    };
    let at = 0;
    let group = runAt(batches, at, perRun);
    let next = prefetch(group);
    while (group.length > 0) {
      const read = await next;
      at += group.length;
      group = runAt(batches, at, perRun);
      next = prefetch(group);
      const run = read.map((batch, i) => ({
        x: batch.x,
        labels: batch.labels,
        lr: learningRate(schedule, options.lr, { step: startStep + step + i, stepsPerEpoch: perEpoch, totalSteps: startStep + totalSteps }),
      }));
      const started = performance.now();
      const results = await trainer.stepMany(run);
      const ms = (performance.now() - started) / results.length;
      if (options.stepsPerRun === undefined) perRun = stepsPerRunFor(ms, read[0]?.x.data.byteLength ?? 0);
      for (const [i, r] of results.entries()) {
        step++;
        losses.push(r.loss);
        accuracies.push(r.correct / Math.max(1, r.count));
        for (const [name, v] of Object.entries(r.terms)) {
          (termLosses[name] ??= []).push(v);
          termSums[name] = (termSums[name] ?? 0) + v * r.count;
        }
        sumLoss += r.loss * r.count;
        correct += r.correct;
        seen += r.count;
        options.onStep?.({ step, totalSteps, epoch, loss: r.loss, accuracy: r.correct / r.count, lr: run[i]?.lr as number, ms });
      }
      if (options.signal?.aborted) {
        interrupted = true;
        break;
      }
    }
    const several = Object.keys(termSums).length > 1;
    const terms = Object.fromEntries(Object.entries(termSums).map(([name, v]) => [name, v / Math.max(1, seen)]));
    const summary: EpochSummary = { epoch, loss: sumLoss / Math.max(1, seen), accuracy: correct / Math.max(1, seen), ...(several ? { terms } : {}) };
    const val = options.validation && options.validation.size > 0 && !interrupted ? await validate(trainer, options.validation, options.batchSize) : undefined;
    if (val) confusion = val.confusion;
    const full = val ? { ...summary, valLoss: val.loss, valAccuracy: val.accuracy } : summary;
    epochs.push(full);
    options.onEpoch?.(full);
  }
  const several = Object.keys(termLosses).length > 1;
  return { steps: step, epochs, losses, accuracies, ...(several ? { termLosses } : {}), ...(confusion ? { confusion } : {}), interrupted };
}
