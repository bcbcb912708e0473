/**
 * Batching for gradient methods: a method describes the rows it needs (scaled inputs for IG,
 * noisy copies for SmoothGrad, plain samples for saliency); this module sends them through one
 * compiled session in chunks of the internal batch size and hands each chunk back.
 *
 * The last chunk is padded with zero rows and zero seeds, so one compiled session (one batch
 * size) serves any number of rows, and memory stays bounded by the batch size.
 */
import { LucernaError } from '../errors.js';
import type { GradientPlan, GradientResult, Model } from '../engine/model.js';
import { sizeOf } from '../tensor/tensor.js';
import { oneHotSeed } from './targets.js';

/** A lazily generated set of input rows, each with its target. */
export interface RowSource {
  /** Number of rows. */
  readonly count: number;
  /** Writes row `row` (one sample) into `out`. */
  fill(row: number, out: Float32Array): void;
  /** The target class of row `row`. */
  target(row: number): number;
}

/** What to compile and how to batch. */
export interface RowRunOptions {
  readonly plan: GradientPlan;
  /** The seeded tensor (the score output, or `softmax(output)`). */
  readonly seed: string;
  /** Rows per engine call (default 16). */
  readonly batchSize?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (done: number, total: number) => void;
}

/** Default internal batch size of gradient methods. */
export const DEFAULT_BATCH_SIZE = 16;

/** Validates a user-supplied internal batch size. */
export function checkBatchSize(batchSize: number | undefined): number {
  const b = batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(b) || b < 1) throw new LucernaError('BAD_OPTION', `Batch size must be a positive integer, got ${batchSize}`);
  return b;
}

/** Throws an ABORTED error when the signal fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new LucernaError('ABORTED', 'The run was cancelled');
}

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
): Promise<void> {
  const batch = Math.min(checkBatchSize(options.batchSize), Math.max(1, source.count));
  const inputShape = [batch, ...sampleShape];
  const compiled = await model.compile(options.plan, inputShape);
  const seedShape = compiled.shapeOf(options.seed);
  const per = sizeOf(sampleShape);
  const input = new Float32Array(batch * per);
  for (let first = 0; first < source.count; first += batch) {
    throwIfAborted(options.signal);
    const count = Math.min(batch, source.count - first);
    input.fill(0);
    const targets: number[] = [];
    for (let r = 0; r < count; r++) {
      source.fill(first + r, input.subarray(r * per, (r + 1) * per));
      targets.push(source.target(first + r));
    }
    const result = await compiled.run({ input: { data: input, shape: inputShape }, seeds: { [options.seed]: oneHotSeed(targets, seedShape) } });
    onChunk(first, count, result);
    options.onProgress?.(first + count, source.count);
  }
}
