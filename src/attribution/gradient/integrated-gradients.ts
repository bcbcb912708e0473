/**
 * Integrated Gradients (Sundararajan et al. 2017, https://arxiv.org/abs/1703.01365):
 * (x − b) · ∫₀¹ ∂f(b + α(x − b))/∂x dα, approximated by an integration rule.
 *
 * Every (sample, step) pair is one row; rows go through the engine in batches of `batchSize`, and
 * the weighted sum is accumulated chunk by chunk, so memory is bounded for any number of steps.
 */
import type { Model } from '../../engine/model.js';
import { positiveInteger } from '../../errors.js';
import { sizeOf, type Tensor } from '../../tensor/tensor.js';
import { type BaselineSpec, resolveBaseline } from '../baselines.js';
import { forwardScores } from '../forward.js';
import { type IntegrationRule, quadrature } from '../integration.js';
import { OPTIONS, withDefaults } from '../options.js';
import { runGradientRows } from '../rows.js';
import { scoreOutput, seedTensor, targetScores } from '../targets.js';
import type { AttributionMethod, AttributionResult, CommonOptions } from '../types.js';

/** Options of {@link integratedGradients}. */
export interface IntegratedGradientsOptions extends CommonOptions {
  /** Number of integration points (default 50, as Captum). */
  readonly steps?: number;
  /** Integration rule (default `gauss-legendre`, Captum's default). */
  readonly integration?: IntegrationRule;
  /** The baseline (default zeros). */
  readonly baseline?: BaselineSpec;
}

/** Σ over each sample of a batch. */
export function sumPerSample(t: Tensor): number[] {
  const n = t.shape[0] as number;
  const per = t.data.length / n;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = i * per; j < (i + 1) * per; j++) s += t.data[j] as number;
    out.push(s);
  }
  return out;
}

/**
 * Integrated Gradients' defaults, declared once: the run, the help text and the docs table read them.
 *
 * @example `IG_DEFAULTS.steps; // 50`
 */
export const IG_DEFAULTS = { steps: 50, integration: 'gauss-legendre', baseline: 'zeros' } as const;

/**
 * Integrated Gradients with Captum's integration rules, any baseline, and the convergence delta.
 *
 * @example
 * ```ts
 * const { attribution, delta } = await integratedGradients.attribute(model, x, { steps: 32, integration: 'riemann-trapezoid' });
 * ```
 */
export const integratedGradients: AttributionMethod<IntegratedGradientsOptions> = {
  name: 'integrated-gradients',
  kind: 'gradient',
  needs: { gradients: true, layer: false, baseline: true },
  options: withDefaults([OPTIONS.steps, OPTIONS.integration, OPTIONS.baseline], IG_DEFAULTS),
  display: { sign: 'all', reduction: 'sum' },
  description: 'Integrated Gradients (Sundararajan et al. 2017)',
  async attribute(model: Model, x: Tensor, options: IntegratedGradientsOptions = {}): Promise<AttributionResult> {
    const steps = options.steps ?? IG_DEFAULTS.steps;
    positiveInteger(steps, 'steps');
    const { alphas, weights } = quadrature(options.integration ?? IG_DEFAULTS.integration, steps);
    const { targets, scores } = await forwardScores(model, x, options);
    const baseline = resolveBaseline(options.baseline ?? IG_DEFAULTS.baseline, x);
    model.validateInput(baseline, 'Baseline');
    const sampleShape = x.shape.slice(1);
    const per = sizeOf(sampleShape);
    const n = x.shape[0] as number;
    const acc = new Float64Array(n * per);
    const inputName = model.input.name;
    await runGradientRows(
      model,
      sampleShape,
      {
        count: n * steps,
        fill(row, buf) {
          const offset = Math.floor(row / steps) * per;
          const a = alphas[row % steps] as number;
          // Locals, not property reads, in the loop: this runs over every value of every step.
          const xs = x.data;
          const bs = baseline.data;
          for (let k = 0; k < per; k++) {
            const b = bs[offset + k] as number;
            buf[k] = b + a * ((xs[offset + k] as number) - b);
          }
        },
        target: (row) => targets[Math.floor(row / steps)] as number,
      },
      { plan: { seeds: [seedTensor(model, options)] }, seed: seedTensor(model, options), ...options, inputChecked: true },
      (first, count, result) => {
        const g = (result.gradients[inputName] as Tensor).data;
        for (let r = 0; r < count; r++) {
          const row = first + r;
          const offset = Math.floor(row / steps) * per;
          const w = weights[row % steps] as number;
          const from = r * per;
          for (let k = 0; k < per; k++) acc[offset + k] = (acc[offset + k] as number) + w * (g[from + k] as number);
        }
      },
    );
    const attribution = new Float32Array(n * per);
    for (let k = 0; k < attribution.length; k++) attribution[k] = ((x.data[k] as number) - (baseline.data[k] as number)) * (acc[k] as number);
    const result: Tensor = { data: attribution, shape: [...x.shape] };
    const baselineOut = (await model.run(baseline))[scoreOutput(model, options)] as Tensor;
    const baselineScores = targetScores(baselineOut, targets, options.score);
    const sums = sumPerSample(result);
    const delta = sums.map((s, i) => s - ((scores[i] as number) - (baselineScores[i] as number)));
    return { attribution: result, targets, scores, delta, details: { steps, integration: options.integration ?? IG_DEFAULTS.integration } };
  },
};
