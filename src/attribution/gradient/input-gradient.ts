/**
 * The gradient of each sample's target score with respect to the input, under a rule set:
 * the shared core of saliency, input × gradient, guided backprop and deconvnet.
 *
 * With no explicit target, the predicted class is found and explained in the same compiled run
 * (an in-graph arg-max seed), so a call costs one forward+backward pass.
 */
import type { RuleSet } from '../../compiler/vjp.js';
import type { Model } from '../../engine/model.js';
import { sizeOf, type Tensor } from '../../tensor/tensor.js';
import { type RowTargets, runGradientRows, tensorRows } from '../rows.js';
import { explicitTargets, scoreOutput, seedTensor } from '../targets.js';
import type { CommonOptions } from '../types.js';

/** Options of {@link inputGradient}. */
export type InputGradientOptions = CommonOptions & { readonly rules?: string | RuleSet };

/**
 * dScore/dInput for every sample of `x`, batched through one compiled session, with the targets
 * and scores that were explained.
 *
 * @example
 * ```ts
 * const { gradient, targets } = await inputGradient(model, x, { target: 3, rules: 'guided' });
 * ```
 */
export async function inputGradient(model: Model, x: Tensor, options: InputGradientOptions = {}): Promise<RowTargets & { gradient: Tensor }> {
  model.validateInput(x);
  const sampleShape = x.shape.slice(1);
  const per = sizeOf(sampleShape);
  const n = x.shape[0] as number;
  const out = new Float32Array(n * per);
  const inputName = model.input.name;
  const targets = explicitTargets(options.target, n);
  const seed = seedTensor(model, options);
  const resolved = await runGradientRows(
    model,
    sampleShape,
    tensorRows(x, targets),
    { ...options, plan: { seeds: [seed], rules: options.rules }, seed, output: scoreOutput(model, options), inputChecked: true },
    (first, count, result) => {
      out.set((result.gradients[inputName] as Tensor).data.subarray(0, count * per), first * per);
    },
  );
  return { ...resolved, gradient: { data: out, shape: [...x.shape] } };
}
