/**
 * The loop every gradient attack shares: validate the options, resolve the labels, and send the
 * samples through one compiled forward+backward session in chunks of the batch size. Each chunk
 * holds its original and its current input; the attack updates the current one from the loss
 * gradient, one fused engine run per step.
 *
 * The loss is the cross-entropy of each sample, −log softmax(logits)[label]: the compiled plan
 * seeds an in-graph `log_softmax(logits)` head with −one-hot(label), so the backward pass yields
 * softmax − one-hot at the logits (PyTorch's own log-softmax backward) and dLoss/dInput at the
 * input, each sample with its own loss, in the same run as the forward pass.
 */
import { checkBatchSize, throwIfAborted } from '../attribution/rows.js';
import { checkTarget, explicitTargets, scoreOutput } from '../attribution/targets.js';
import { forEachChunk } from '../engine/batching.js';
import type { Model } from '../engine/model.js';
import { LucernaError } from '../errors.js';
import { sizeOf, type Tensor } from '../tensor/tensor.js';
import { predictRows } from './evaluate.js';
import type { AttackOptions, AttackResult, PerSample } from './types.js';

/** One chunk of samples under attack. Rows past `count` are zero padding with a zero seed. */
export interface AttackChunk {
  /** Index of the chunk's first sample. */
  readonly first: number;
  /** Real samples in the chunk. */
  readonly count: number;
  /** Values per sample. */
  readonly per: number;
  /** The clean inputs of the chunk (`batch × per` values). */
  readonly original: Float32Array;
  /** The inputs being perturbed, initially a copy of `original`. The attack writes here. */
  readonly current: Float32Array;
  /** The ε of each real sample. */
  readonly epsilon: readonly number[];
  /** +1 for untargeted attacks (raise the loss), −1 for targeted ones (lower it). */
  readonly direction: 1 | -1;
  /** The lower and upper bounds (±∞ when unbounded). */
  readonly lower: number;
  readonly upper: number;
  /** dLoss/dInput at `input` for every row, in one fused forward+backward run. */
  gradient(input: Float32Array): Promise<Float32Array>;
}

/**
 * The seeded head: the log-softmax of the logits output.
 *
 * @example
 * ```ts
 * lossHead('logits'); // 'log_softmax(logits)'
 * ```
 */
export function lossHead(output: string): string {
  return `log_softmax(${output})`;
}

/**
 * One value per sample from a number or a list, each checked to be finite and > 0.
 *
 * @example
 * ```ts
 * perSample(0.1, 2, 'epsilon'); // [0.1, 0.1]
 * ```
 */
export function perSample(value: PerSample, n: number, what: string): number[] {
  const values = typeof value === 'number' ? new Array<number>(n).fill(value) : [...value];
  if (values.length !== n)
    throw new LucernaError('BAD_OPTION', `Got ${values.length} values of ${what} for a batch of ${n}`, 'Pass one value, or one per sample');
  for (const v of values) {
    if (!(Number.isFinite(v) && v > 0)) throw new LucernaError('BAD_OPTION', `${what} must be a finite number > 0, got ${v}`);
  }
  return values;
}

/**
 * The bounds of an attack, checked: each finite when given, and lower < upper.
 *
 * @example
 * ```ts
 * checkBounds({ lower: 0, upper: 1 }); // { lower: 0, upper: 1 }
 * ```
 */
export function checkBounds(options: { readonly lower?: number; readonly upper?: number }): { lower: number; upper: number } {
  const lower = options.lower ?? -Infinity;
  const upper = options.upper ?? Infinity;
  if (Number.isNaN(lower) || Number.isNaN(upper) || lower === Infinity || upper === -Infinity) {
    throw new LucernaError('BAD_OPTION', `The bounds must be numbers, got lower ${lower} and upper ${upper}`);
  }
  if (!(lower < upper)) throw new LucernaError('BAD_OPTION', `The lower bound ${lower} must be below the upper bound ${upper}`);
  return { lower, upper };
}

function minusOneHot(targets: readonly number[], batch: number, classes: number): Tensor {
  const data = new Float32Array(batch * classes);
  targets.forEach((t, i) => {
    data[i * classes + t] = -1;
  });
  return { data, shape: [batch, classes] };
}

/**
 * Runs an attack over every sample of `x`: `body` perturbs each chunk in place, calling
 * `chunk.gradient` once per step (`runsPerChunk` steps, for progress).
 *
 * @example
 * ```ts
 * const result = await attackChunks(model, x, options, 1, async (c) => { const g = await c.gradient(c.current); ... });
 * ```
 */
export async function attackChunks(
  model: Model,
  x: Tensor,
  options: AttackOptions,
  runsPerChunk: number,
  body: (chunk: AttackChunk) => Promise<void>,
): Promise<AttackResult> {
  model.validateInput(x);
  const n = x.shape[0] as number;
  const epsilon = perSample(options.epsilon, n, 'epsilon');
  const { lower, upper } = checkBounds(options);
  const targeted = options.targeted ?? false;
  const given = explicitTargets(options.target, n);
  if (targeted && !given) throw new LucernaError('BAD_TARGET', 'A targeted attack needs a target class', 'Pass the class to reach as the target');
  const output = scoreOutput(model, options);
  const sampleShape = x.shape.slice(1);
  const per = sizeOf(sampleShape);
  const batch = Math.min(checkBatchSize(options.batchSize), Math.max(1, n));
  const shape = [batch, ...sampleShape];
  const head = lossHead(output);
  const compiled = await model.compile({ seeds: [head] }, shape);
  const classes = compiled.shapeOf(head).at(-1) as number;
  if (given) for (const t of given) checkTarget(t, classes);
  const out = new Float32Array(n * per);
  const targets: number[] = [];
  const chunks = Math.ceil(n / batch);
  await forEachChunk(n, batch, { signal: options.signal }, async (first, count) => {
    const original = new Float32Array(batch * per);
    original.set(x.data.subarray(first * per, (first + count) * per));
    const labels = given
      ? given.slice(first, first + count)
      : (await predictRows(model, { data: original, shape }, { output, batchSize: batch })).slice(0, count); // padded: one session shape
    targets.push(...labels);
    const current = original.slice();
    const seeds = { [head]: minusOneHot(labels, batch, classes) };
    let runs = 0;
    await body({
      first,
      count,
      per,
      original,
      current,
      lower,
      upper,
      epsilon: epsilon.slice(first, first + count),
      direction: targeted ? -1 : 1,
      gradient: async (input) => {
        throwIfAborted(options.signal);
        const result = await compiled.run({ input: { data: input, shape }, seeds, inputChecked: true });
        runs++;
        options.onProgress?.((first / batch) * runsPerChunk + Math.min(runs, runsPerChunk), chunks * runsPerChunk);
        return (result.gradients[model.input.name] as Tensor).data;
      },
    });
    out.set(current.subarray(0, count * per), first * per);
  });
  return { adversarial: { data: out, shape: [...x.shape] }, targets, targeted, epsilon };
}
