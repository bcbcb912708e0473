/**
 * The gradient of each sample's target score with respect to the input, under a rule set:
 * the shared core of saliency, input × gradient, guided backprop and deconvnet.
 */
import type { RuleSet } from '../../compiler/vjp.js';
import type { Model } from '../../engine/model.js';
import { type Tensor, sizeOf } from '../../tensor/tensor.js';
import { runGradientRows } from '../rows.js';
import { seedTensor } from '../targets.js';
import type { CommonOptions } from '../types.js';

/**
 * dScore/dInput for every sample of `x`, batched through one compiled session.
 *
 * @example
 * ```ts
 * const g = await inputGradient(model, x, [3], { rules: 'guided' });
 * ```
 */
export async function inputGradient(model: Model, x: Tensor, targets: readonly number[], options: CommonOptions & { rules?: string | RuleSet } = {}): Promise<Tensor> {
  model.validateInput(x);
  const sampleShape = x.shape.slice(1);
  const per = sizeOf(sampleShape);
  const n = x.shape[0] as number;
  const out = new Float32Array(n * per);
  const inputName = model.input.name;
  await runGradientRows(
    model,
    sampleShape,
    { count: n, fill: (row, buf) => buf.set(x.data.subarray(row * per, (row + 1) * per)), target: (row) => targets[row] as number },
    { plan: { seeds: [seedTensor(model, options)], rules: options.rules }, seed: seedTensor(model, options), ...options },
    (first, count, result) => {
      out.set((result.gradients[inputName] as Tensor).data.subarray(0, count * per), first * per);
    },
  );
  return { data: out, shape: [...x.shape] };
}
