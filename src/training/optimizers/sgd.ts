/**
 * SGD with momentum, Nesterov momentum and L2 weight decay, as `torch.optim.SGD`
 * (https://pytorch.org/docs/stable/generated/torch.optim.SGD.html), dampening 0:
 * g ← g + wd·p; b ← μ·b + g (b = g at the first step, the same as a zero-initialised b);
 * d = g + μ·b with Nesterov, else b; p ← p − lr·d. Without momentum d = g.
 * Nesterov momentum follows Sutskever et al. 2013 (http://proceedings.mlr.press/v28/sutskever13.html).
 */
import { axpby, type Optimizer, type OptimizerHyper, type UpdateResult } from './types.js';

const slots = (h: OptimizerHyper) => (h.momentum !== 0 ? ['momentum_buffer'] : []);

/**
 * The SGD optimizer.
 *
 * @example
 * ```ts
 * const { param } = sgd.update({ param: p, grad: g, state: {} }, { ...DEFAULT_HYPER }, { lr: 0.1 });
 * ```
 */
export const sgd: Optimizer = {
  name: 'sgd',
  slots,
  scalars: (_h, at) => ({ lr: at.lr }),
  update({ param, grad, state }, h, s): UpdateResult<Float32Array> {
    const g = h.weightDecay !== 0 ? axpby(grad, 1, param, h.weightDecay) : grad;
    if (h.momentum === 0) return { param: axpby(param, 1, g, -(s.lr as number)), state: {} };
    const buf = axpby(state.momentum_buffer as Float32Array, h.momentum, g, 1);
    const d = h.nesterov ? axpby(g, 1, buf, h.momentum) : buf;
    return { param: axpby(param, 1, d, -(s.lr as number)), state: { momentum_buffer: buf } };
  },
  emit(b, { param, grad, state }, h, s): UpdateResult<string> {
    const scaled = (x: string, f: number) => b.op('Mul', [x, b.scalar(f)]);
    const g = h.weightDecay !== 0 ? b.op('Add', [grad, scaled(param, h.weightDecay)]) : grad;
    const step = (d: string) => b.op('Sub', [param, b.op('Mul', [d, s.lr as string])]);
    if (h.momentum === 0) return { param: step(g), state: {} };
    const buf = b.op('Add', [scaled(state.momentum_buffer as string, h.momentum), g]);
    const d = h.nesterov ? b.op('Add', [g, scaled(buf, h.momentum)]) : buf;
    return { param: step(d), state: { momentum_buffer: buf } };
  },
};
