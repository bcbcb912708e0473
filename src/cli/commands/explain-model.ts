/**
 * The model's output as `lucerna explain` reads it: logits or probabilities, and class labels.
 * (Opening the model is `../model.ts`, shared by every command.)
 */
import { softmaxRows } from '../../attribution/targets.js';
import type { Tensor } from '../../tensor/tensor.js';

/**
 * Whether output rows already hold probabilities (each non-negative, summing to 1 within 1e-3)
 * or logits.
 *
 * @example
 * ```ts
 * outputKind({ data: Float32Array.from([0.2, 0.8]), shape: [1, 2] }); // 'probabilities'
 * ```
 */
export function outputKind(rows: Tensor): 'logits' | 'probabilities' {
  const n = rows.shape[0] ?? 1;
  const k = rows.data.length / Math.max(1, n);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let j = 0; j < k; j++) {
      const v = rows.data[i * k + j] as number;
      if (v < 0) return 'logits';
      sum += v;
    }
    if (Math.abs(sum - 1) > 1e-3) return 'logits';
  }
  return 'probabilities';
}

/**
 * Probabilities of output rows: the softmax of logits, or the rows themselves.
 *
 * @example
 * ```ts
 * probabilities(logits, 'logits'); // softmax of each row
 * ```
 */
export function probabilities(rows: Tensor, kind: 'logits' | 'probabilities'): Float32Array {
  return kind === 'logits' ? softmaxRows(rows) : Float32Array.from(rows.data);
}

/**
 * The class labels for a `classes`-way output: the sidecar's when they fit, else `class i`.
 *
 * @example
 * ```ts
 * classLabels(undefined, 3); // ['class 0', 'class 1', 'class 2']
 * ```
 */
export function classLabels(labels: readonly string[] | undefined, classes: number): string[] {
  if (labels && labels.length === classes) return [...labels];
  return Array.from({ length: classes }, (_, i) => `class ${i}`);
}
