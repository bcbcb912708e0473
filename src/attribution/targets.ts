/**
 * Targets: which class each sample is explained for, and the seed that selects its score.
 */

import type { Model } from '../engine/model.js';
import { LucernaError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import type { ScoreOptions, TargetSpec } from './types.js';

/** The index of the largest value in each row of a [N, K] tensor. */
export function argmaxRows(scores: Tensor): number[] {
  const [n, k] = rowsAndClasses(scores);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if ((scores.data[i * k + j] as number) > (scores.data[i * k + best] as number)) best = j;
    out.push(best);
  }
  return out;
}

/**
 * The `k` best classes of each row, best first.
 *
 * @example
 * ```ts
 * topK(logits, 3); // [[281, 285, 282]]
 * ```
 */
export function topK(scores: Tensor, k: number): number[][] {
  const [n, classes] = rowsAndClasses(scores);
  const out: number[][] = [];
  for (let i = 0; i < n; i++) {
    const row = Array.from(scores.data.subarray(i * classes, (i + 1) * classes));
    out.push(
      row
        .map((v, j) => [v, j] as const)
        .sort((a, b) => b[0] - a[0])
        .slice(0, k)
        .map(([, j]) => j),
    );
  }
  return out;
}

function rowsAndClasses(scores: Tensor): [number, number] {
  const n = scores.shape[0] ?? 1;
  return [n, scores.data.length / Math.max(1, n)];
}

/**
 * Resolves a target spec to one class index per sample, checking the range.
 *
 * @example
 * ```ts
 * resolveTargets('argmax', logits); // [9]
 * resolveTargets(3, logits); // [3]
 * ```
 */
export function resolveTargets(spec: TargetSpec | undefined, scores: Tensor): number[] {
  const [n, classes] = rowsAndClasses(scores);
  let targets: number[];
  if (spec === undefined || spec === 'argmax') targets = argmaxRows(scores);
  else if (typeof spec === 'number') targets = new Array(n).fill(spec);
  else {
    checkTargetCount(spec, n);
    targets = [...spec];
  }
  for (const t of targets) checkTarget(t, classes);
  return targets;
}

/**
 * Checks that a per-sample target list has one entry per sample (a single target or `argmax`
 * passes), else a one-line `BAD_TARGET` error.
 *
 * @see https://arxiv.org/abs/1802.00614 (every map explains one target class)
 * @example
 * ```ts
 * checkTargetCount([3, 5], 2); // passes
 * ```
 */
export function checkTargetCount(spec: TargetSpec | undefined, n: number): void {
  if (Array.isArray(spec) && spec.length !== n)
    throw new LucernaError('BAD_TARGET', `Got ${spec.length} targets for a batch of ${n}`, 'Pass one target per sample, or a single target');
}

/**
 * The one target validator: `t` as a class index of a model with `classes` classes, else a
 * one-line `BAD_TARGET` error.
 *
 * @see https://arxiv.org/abs/1802.00614 (every map explains one target class)
 * @example
 * ```ts
 * checkTarget(281, 1000); // 281
 * ```
 */
export function checkTarget(t: number, classes: number): number {
  if (!Number.isInteger(t) || t < 0 || t >= classes) {
    throw new LucernaError('BAD_TARGET', `Target ${t} is out of range: the model has ${classes} classes (0 to ${classes - 1})`);
  }
  return t;
}

/** The output tensor the methods read scores from. */
export function scoreOutput(model: Model, options: ScoreOptions): string {
  const name = options.output ?? model.outputNames[0];
  if (!name || !model.outputNames.includes(name)) {
    throw new LucernaError('UNKNOWN_TENSOR', `The model has no output "${options.output}"`, `Outputs: ${model.outputNames.join(', ')}`);
  }
  return name;
}

/** The tensor to seed: the output itself, or `softmax(output)` for probabilities. */
export function seedTensor(model: Model, options: ScoreOptions): string {
  const out = scoreOutput(model, options);
  return options.score === 'probability' ? `softmax(${out})` : out;
}

/** Softmax of each row. */
export function softmaxRows(scores: Tensor): Float32Array {
  const [n, k] = rowsAndClasses(scores);
  const out = new Float32Array(scores.data.length);
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let j = 0; j < k; j++) max = Math.max(max, scores.data[i * k + j] as number);
    let sum = 0;
    for (let j = 0; j < k; j++) sum += out[i * k + j] = Math.exp((scores.data[i * k + j] as number) - max);
    for (let j = 0; j < k; j++) out[i * k + j] = (out[i * k + j] as number) / sum;
  }
  return out;
}

/** The explained score of each row: the logit or the probability of its target. */
export function targetScores(outputRows: Tensor, targets: readonly number[], score: ScoreOptions['score']): number[] {
  const [, k] = rowsAndClasses(outputRows);
  const values = score === 'probability' ? softmaxRows(outputRows) : outputRows.data;
  return targets.map((t, i) => values[i * k + t] as number);
}

/** A one-hot seed [rows, ...outShape] selecting each row's target (rows past `targets` stay zero). */
export function oneHotSeed(targets: readonly number[], shape: readonly number[]): Tensor {
  const rows = shape[0] as number;
  const per = shape.slice(1).reduce((a, b) => a * b, 1);
  const data = new Float32Array(rows * per);
  targets.forEach((t, i) => {
    if (i < rows) data[i * per + t] = 1;
  });
  return { data, shape: [...shape] };
}

/**
 * The explicit target of each of `n` samples, or undefined when the spec asks for the predicted
 * class (then the arg-max is found inside the compiled graph, with no extra forward pass).
 *
 * @example
 * ```ts
 * explicitTargets(3, 2); // [3, 3]
 * explicitTargets('argmax', 2); // undefined
 * ```
 */
export function explicitTargets(spec: TargetSpec | undefined, n: number): number[] | undefined {
  if (spec === undefined || spec === 'argmax') return undefined;
  if (typeof spec === 'number') return new Array(n).fill(spec);
  if (spec.length !== n)
    throw new LucernaError('BAD_TARGET', `Got ${spec.length} targets for a batch of ${n}`, 'Pass one target per sample, or a single target');
  return [...spec];
}
