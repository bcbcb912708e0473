/**
 * What an attack achieved: the model's decision on the perturbed input, whether the attack
 * succeeded, and the cross-entropy loss of the attacked label. Forward passes only, in chunks of a
 * fixed batch size (the last one padded), so one forward session serves any number of samples.
 */
import { checkBatchSize } from '../attribution/rows.js';
import { argmaxRows, scoreOutput } from '../attribution/targets.js';
import { forEachChunk } from '../engine/batching.js';
import type { Model } from '../engine/model.js';
import { sizeOf, type Tensor } from '../tensor/tensor.js';

/** Options of {@link predictRows} and {@link attackOutcome}. */
export interface EvaluateOptions {
  /** Which model output holds the logits (default: the first). */
  readonly output?: string;
  /** Samples per forward run (default 8). */
  readonly batchSize?: number;
  readonly signal?: AbortSignal;
}

/** The outcome of an attack, per sample. */
export interface AttackOutcome {
  /** The predicted class of each perturbed sample. */
  readonly predictions: number[];
  /** Untargeted: the prediction left the label. Targeted: the prediction reached the target. */
  readonly success: boolean[];
  /** −log softmax(logits)[label] of each perturbed sample (computed in double precision). */
  readonly loss: number[];
}

/**
 * The cross-entropy −log softmax(row)[target] of one logits row, in double precision.
 *
 * @example
 * ```ts
 * logitCrossEntropy([2, 0, -1], 0); // 0.1698...
 * ```
 */
export function logitCrossEntropy(row: ArrayLike<number>, target: number): number {
  let max = -Infinity;
  for (let j = 0; j < row.length; j++) max = Math.max(max, row[j] as number);
  let sum = 0;
  for (let j = 0; j < row.length; j++) sum += Math.exp((row[j] as number) - max);
  return max + Math.log(sum) - (row[target] as number);
}

/**
 * The logits of every sample of `x`, computed in padded chunks of the batch size, handed to
 * `onRows(first, count, logits)` chunk by chunk.
 *
 * @example
 * ```ts
 * await forwardRows(model, x, {}, (first, count, logits) => { ... });
 * ```
 */
export async function forwardRows(
  model: Model,
  x: Tensor,
  options: EvaluateOptions,
  onRows: (first: number, count: number, logits: Tensor) => void,
): Promise<void> {
  const n = x.shape[0] as number;
  const output = scoreOutput(model, options);
  const per = sizeOf(x.shape.slice(1));
  const batch = Math.min(checkBatchSize(options.batchSize), Math.max(1, n));
  const buffer = new Float32Array(batch * per);
  await forEachChunk(n, batch, { signal: options.signal }, async (first, count) => {
    buffer.fill(0, count * per);
    buffer.set(x.data.subarray(first * per, (first + count) * per));
    const outputs = await model.run({ data: buffer, shape: [batch, ...x.shape.slice(1)] });
    onRows(first, count, outputs[output] as Tensor);
  });
}

/**
 * The predicted class of every sample of `x` (batched forward passes).
 *
 * @example
 * ```ts
 * const classes = await predictRows(model, x);
 * ```
 */
export async function predictRows(model: Model, x: Tensor, options: EvaluateOptions = {}): Promise<number[]> {
  const out: number[] = [];
  await forwardRows(model, x, options, (_first, count, logits) => out.push(...argmaxRows(logits).slice(0, count)));
  return out;
}

/**
 * Evaluates perturbed inputs against the labels they were attacked with.
 *
 * @example
 * ```ts
 * const attack = await pgd.perturb(model, x, { epsilon: 0.03 });
 * const { success, loss } = await attackOutcome(model, attack.adversarial, attack);
 * ```
 */
export async function attackOutcome(
  model: Model,
  adversarial: Tensor,
  labels: { readonly targets: readonly number[]; readonly targeted: boolean },
  options: EvaluateOptions = {},
): Promise<AttackOutcome> {
  const predictions: number[] = [];
  const loss: number[] = [];
  await forwardRows(model, adversarial, options, (first, count, logits) => {
    const k = logits.data.length / (logits.shape[0] as number);
    for (let r = 0; r < count; r++) {
      const row = logits.data.subarray(r * k, (r + 1) * k);
      predictions.push(argmaxRows({ data: row, shape: [1, k] })[0] as number);
      loss.push(logitCrossEntropy(row, labels.targets[first + r] as number));
    }
  });
  const success = predictions.map((p, i) => (labels.targeted ? p === labels.targets[i] : p !== labels.targets[i]));
  return { predictions, success, loss };
}
