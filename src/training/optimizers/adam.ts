/**
 * Adam (Kingma & Ba 2015, https://arxiv.org/abs/1412.6980) and AdamW (Loshchilov & Hutter 2019,
 * https://arxiv.org/abs/1711.05101) exactly as `torch.optim.Adam`/`AdamW` 1.13 compute them:
 * m ← β1·m + (1 − β1)·g; v ← β2·v + (1 − β2)·g²; denom = √v / √(1 − β2^t) + ε;
 * p ← p − (lr / (1 − β1^t)) · m / denom. Adam's weight decay adds wd·p to g first; AdamW instead
 * decays p ← p·(1 − lr·wd) before the step. The bias corrections are per-step scalar inputs.
 */
import { axpby, type Optimizer, type OptimizerHyper } from './types.js';

function adamScalars(h: OptimizerHyper, at: { readonly lr: number; readonly step: number }): Record<string, number> {
  const bc1 = 1 - h.beta1 ** at.step;
  const bc2 = 1 - h.beta2 ** at.step;
  return { lr: at.lr, step_size: at.lr / bc1, bc2_sqrt: Math.sqrt(bc2), decay: 1 - at.lr * h.weightDecay };
}

function makeAdam(decoupled: boolean): Optimizer {
  return {
    name: decoupled ? 'adamw' : 'adam',
    slots: () => ['exp_avg', 'exp_avg_sq'],
    scalars: adamScalars,
    update({ param, grad, state }, h, s) {
      const p0 = decoupled && h.weightDecay !== 0 ? axpby(param, s.decay as number, param, 0) : param;
      const g = !decoupled && h.weightDecay !== 0 ? axpby(grad, 1, param, h.weightDecay) : grad;
      const m = axpby(state.exp_avg as Float32Array, h.beta1, g, 1 - h.beta1);
      const g2 = new Float32Array(g.length);
      for (let i = 0; i < g.length; i++) g2[i] = Math.fround((g[i] as number) * (g[i] as number));
      const v = axpby(state.exp_avg_sq as Float32Array, h.beta2, g2, 1 - h.beta2);
      const out = new Float32Array(param.length);
      const bc2 = Math.fround(s.bc2_sqrt as number);
      const stepSize = Math.fround(s.step_size as number);
      const eps = Math.fround(h.eps);
      for (let i = 0; i < out.length; i++) {
        const denom = Math.fround(Math.fround(Math.fround(Math.sqrt(v[i] as number)) / bc2) + eps);
        out[i] = Math.fround((p0[i] as number) - Math.fround(stepSize * Math.fround((m[i] as number) / denom)));
      }
      return { param: out, state: { exp_avg: m, exp_avg_sq: v } };
    },
    emit(b, { param, grad, state }, h, s) {
      const scaled = (x: string, f: number) => b.op('Mul', [x, b.scalar(f)]);
      const p0 = decoupled && h.weightDecay !== 0 ? b.op('Mul', [param, s.decay as string]) : param;
      const g = !decoupled && h.weightDecay !== 0 ? b.op('Add', [grad, scaled(param, h.weightDecay)]) : grad;
      const m = b.op('Add', [scaled(state.exp_avg as string, h.beta1), scaled(g, 1 - h.beta1)]);
      const v = b.op('Add', [scaled(state.exp_avg_sq as string, h.beta2), scaled(b.op('Mul', [g, g]), 1 - h.beta2)]);
      const denom = b.op('Add', [b.op('Div', [b.op('Sqrt', [v]), s.bc2_sqrt as string]), b.scalar(h.eps)]);
      const next = b.op('Sub', [p0, b.op('Mul', [b.op('Div', [m, denom]), s.step_size as string])]);
      return { param: next, state: { exp_avg: m, exp_avg_sq: v } };
    },
  };
}

/**
 * Adam with L2 weight decay added to the gradient.
 *
 * @example
 * ```ts
 * const scalars = adam.scalars(hyper, { lr: 1e-3, step: 1 });
 * ```
 */
export const adam: Optimizer = makeAdam(false);

/**
 * AdamW: decoupled weight decay p ← p·(1 − lr·wd) before the Adam step.
 *
 * @example
 * ```ts
 * const scalars = adamw.scalars({ ...DEFAULT_HYPER, weightDecay: 0.01 }, { lr: 1e-3, step: 1 });
 * ```
 */
export const adamw: Optimizer = makeAdam(true);
