/**
 * Scorers: what perturbation methods talk to. A scorer maps a batch of inputs to a batch of class
 * scores, so the same occlusion, RISE or LIME code runs on a compiled ONNX model, on any async
 * function (a black-box model), or on a remote model behind HTTP (see `http-scorer.ts`).
 */

import { validBatchSize } from '../../engine/batching.js';
import type { LocalEdit } from '../../engine/incremental/session.js';
import type { Model } from '../../engine/model.js';
import { LucernaError } from '../../errors.js';
import { padBatch, type Tensor } from '../../tensor/tensor.js';
import { softmaxRows } from '../targets.js';

/**
 * A batch-to-scores function with its preferred batch size.
 *
 * @example
 * ```ts
 * const scores = await scorer.score(batch); // [B, K]
 * ```
 */
export interface Scorer {
  /** Class scores [B, K] for a batch of inputs [B, ...sample]. */
  score(batch: Tensor, signal?: AbortSignal): Promise<Tensor>;
  /** How many inputs to send per call (perturbation runners chunk by it). */
  readonly batchSize: number;
  /** A short description for reports. */
  readonly description: string;
  /**
   * Optional fast path for rows that each differ from a known sample only inside a box (an
   * occlusion window): same result as `score`, less arithmetic. See `incremental-scorer.ts`.
   */
  scoreEdits?(batch: Tensor, edits: readonly LocalEdit[], signal?: AbortSignal): Promise<Tensor>;
}

/** Options of {@link modelScorer}. */
export interface ModelScorerOptions {
  /** Rows per engine call (default 32). */
  readonly batchSize?: number;
  /** The output holding class scores (default: the first). */
  readonly output?: string;
  /** `logit` (default) or `probability` (softmax of the output). */
  readonly score?: 'logit' | 'probability';
}

/**
 * A scorer over a loaded model. Sessions stay warm in the model's cache; a short last chunk is
 * padded to the batch size so one session serves every chunk.
 *
 * @example
 * ```ts
 * const scorer = modelScorer(model, { batchSize: 64 });
 * ```
 */
export function modelScorer(model: Model, options: ModelScorerOptions = {}): Scorer {
  const batchSize = validBatchSize(options.batchSize, 32);
  const output = options.output ?? model.outputNames[0];
  if (!output || !model.outputNames.includes(output)) {
    throw new LucernaError('UNKNOWN_TENSOR', `The model has no output "${options.output}"`, `Outputs: ${model.outputNames.join(', ')}`);
  }
  return {
    batchSize,
    description: `${model.name} (ONNX Runtime, batch ${batchSize})`,
    async score(batch: Tensor): Promise<Tensor> {
      const n = batch.shape[0] as number;
      const padded = padBatch([batch], batchSize);
      const out = (await model.run(padded))[output] as Tensor;
      const k = out.data.length / (padded.shape[0] as number);
      const data = out.data.subarray(0, n * k);
      const rows: Tensor = { data, shape: [n, ...out.shape.slice(1)] };
      return options.score === 'probability' ? { data: softmaxRows(rows), shape: rows.shape } : rows;
    },
  };
}

/**
 * A scorer over any async function from a batch to class scores: a black-box model.
 *
 * @example
 * ```ts
 * const scorer = functionScorer(async (batch) => myModel.predict(batch), { batchSize: 16 });
 * ```
 */
export function functionScorer(
  fn: (batch: Tensor, signal?: AbortSignal) => Promise<Tensor | Float32Array | number[][]>,
  options: { batchSize?: number; description?: string } = {},
): Scorer {
  const batchSize = validBatchSize(options.batchSize, 32);
  return {
    batchSize,
    description: options.description ?? 'a user function',
    async score(batch: Tensor, signal?: AbortSignal): Promise<Tensor> {
      const n = batch.shape[0] as number;
      const result = await fn(batch, signal);
      return toScoreRows(result, n);
    },
  };
}

/** Normalises a scorer result to a [n, K] tensor, checking its size and values. */
export function toScoreRows(result: Tensor | Float32Array | number[][], n: number): Tensor {
  let t: Tensor;
  if (Array.isArray(result)) {
    const k = result[0]?.length ?? 0;
    if (result.length !== n || result.some((r) => r.length !== k)) {
      throw new LucernaError('BAD_SHAPE', `The scorer returned ${result.length} rows for a batch of ${n}`);
    }
    t = { data: Float32Array.from(result.flat()), shape: [n, k] };
  } else if (result instanceof Float32Array) {
    if (result.length % n !== 0) throw new LucernaError('BAD_SHAPE', `The scorer returned ${result.length} values for a batch of ${n}`);
    t = { data: result, shape: [n, result.length / n] };
  } else {
    if ((result.shape[0] as number) !== n) throw new LucernaError('BAD_SHAPE', `The scorer returned ${result.shape[0]} rows for a batch of ${n}`);
    t = { data: result.data, shape: [n, result.data.length / n] };
  }
  for (let i = 0; i < t.data.length; i++) {
    if (!Number.isFinite(t.data[i] as number)) {
      throw new LucernaError('NON_FINITE_INPUT', `The scorer returned ${t.data[i]} for sample ${Math.floor(i / (t.shape[1] as number))}`);
    }
  }
  return t;
}
