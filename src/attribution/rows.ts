/**
 * Batching for gradient methods: a method describes the rows it needs (scaled inputs for IG,
 * noisy copies for SmoothGrad, plain samples for saliency); this module sends them through one
 * compiled session in chunks of the internal batch size and hands each chunk back.
 *
 * The last chunk is padded with zero rows and zero seeds, so one compiled session (one batch
 * size) serves any number of rows, and memory stays bounded by the batch size.
 */

import { forEachChunk, throwIfAborted, validBatchSize } from '../engine/batching.js';
import type { GradientPlan, GradientResult, Model } from '../engine/model.js';
import { sizeOf, type Tensor } from '../tensor/tensor.js';
import { argmaxRows, checkTarget, oneHotSeed, targetScores } from './targets.js';

/** A lazily generated set of input rows, each with its target. */
export interface RowSource {
  /** Number of rows. */
  readonly count: number;
  /** Writes row `row` (one sample, every value: the buffer is reused) into `out`. */
  fill(row: number, out: Float32Array): void;
  /**
   * The target class of row `row`. Omit it to explain each row's predicted class: the one-hot
   * arg-max seed is then computed inside the graph, in the same run.
   */
  target?(row: number): number;
}

/** The target and the explained score of every row, read from the compiled run's outputs. */
/**
 * The row source of a batch tensor: each sample as it is, with its explicit target when given.
 * @see https://arxiv.org/abs/1802.00614 (the survey's gradient methods all start from it)
 * @example
 * ```ts
 * const source = tensorRows(x, [3, 3]); // two samples, both seeded on class 3
 * ```
 */
export function tensorRows(x: Tensor, targets: readonly number[] | undefined): RowSource {
  const per = sizeOf(x.shape.slice(1));
  return {
    count: x.shape[0] as number,
    fill: (row, buf) => buf.set(x.data.subarray(row * per, (row + 1) * per)),
    target: targets ? (row) => targets[row] as number : undefined,
  };
}

export interface RowTargets {
  readonly targets: number[];
  readonly scores: number[];
}

/** What to compile and how to batch. */
export interface RowRunOptions {
  readonly plan: GradientPlan;
  /** The seeded tensor (the score output, or `softmax(output)`). */
  readonly seed: string;
  /** The output whose rows hold the class scores (default: the model's first output). */
  readonly output?: string;
  /** True when every row comes from inputs the method already validated (skips a per-chunk NaN scan). */
  readonly inputChecked?: boolean;
  /** Rows per engine call (default 8). */
  readonly batchSize?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (done: number, total: number) => void;
}

/** Default internal batch size of gradient methods. */
export const DEFAULT_BATCH_SIZE = 8;

/** Validates a user-supplied internal batch size (default {@link DEFAULT_BATCH_SIZE}). */
export function checkBatchSize(batchSize: number | undefined): number {
  return validBatchSize(batchSize, DEFAULT_BATCH_SIZE);
}

/** Throws an ABORTED error when the signal fired (re-exported from the batching core). */
export { throwIfAborted } from '../engine/batching.js';

/**
 * Runs every row of `source` through the compiled plan, chunk by chunk, calling `onChunk` with the
 * first row index, the number of real rows, and the chunk's result (rows past `count` are padding).
 *
 * @example
 * ```ts
 * await runGradientRows(model, sampleShape, source, { plan: { seeds: ['logits'] }, seed: 'logits' }, (first, count, r) => { ... });
 * ```
 */
export async function runGradientRows(
  model: Model,
  sampleShape: readonly number[],
  source: RowSource,
  options: RowRunOptions,
  onChunk: (first: number, count: number, result: GradientResult) => void,
): Promise<RowTargets> {
  const batch = Math.min(checkBatchSize(options.batchSize), Math.max(1, source.count));
  const inputShape = [batch, ...sampleShape];
  const argmax = source.target === undefined;
  // Compiling and creating the session block the event loop for seconds on a large model: not after a Ctrl-C.
  throwIfAborted(options.signal);
  const compiled = await model.compile({ ...options.plan, seedMode: argmax ? 'argmax' : 'input' }, inputShape);
  const seedShape = compiled.shapeOf(options.seed);
  const classes = seedShape[seedShape.length - 1] as number;
  const output = options.output ?? (model.outputNames[0] as string);
  const per = sizeOf(sampleShape);
  const input = new Float32Array(batch * per);
  const all: RowTargets = { targets: [], scores: [] };
  await forEachChunk(source.count, batch, options, async (first, count) => {
    if (count < batch) input.fill(0, count * per); // zero padding rows; the others are overwritten
    const targets: number[] = [];
    for (let r = 0; r < count; r++) {
      source.fill(first + r, input.subarray(r * per, (r + 1) * per));
      if (source.target) targets.push(checkTarget(source.target(first + r), classes));
    }
    const seeds = argmax ? undefined : { [options.seed]: oneHotSeed(targets, seedShape) };
    const result = await compiled.run({ input: { data: input, shape: inputShape }, seeds, inputChecked: options.inputChecked });
    const rows = result.outputs[output] as Tensor;
    const chosen = argmax ? argmaxRows(rows).slice(0, count) : targets;
    all.targets.push(...chosen);
    all.scores.push(...targetScores(rows, chosen, options.seed.startsWith('softmax(') ? 'probability' : 'logit'));
    onChunk(first, count, result);
  });
  return all;
}
