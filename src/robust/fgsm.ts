/**
 * The Fast Gradient Sign Method (Goodfellow, Shlens & Szegedy 2015, https://arxiv.org/abs/1412.6572),
 * with the semantics of Captum 0.8's `FGSM` and `CrossEntropyLoss(reduction='none')`:
 *
 *   x′ = clamp(x + s·ε·sign(∇ₓ loss), lower, upper)
 *
 * where s = +1 for an untargeted attack (raise the loss of the label) and −1 for a targeted one
 * (lower the loss of the target class). Elements whose gradient is at most 1e-6 in magnitude take
 * no step, but are still clamped. One fused forward+backward run per batch.
 */
import type { Model } from '../engine/model.js';
import type { Tensor } from '../tensor/tensor.js';
import { attackChunks } from './attack-loop.js';
import { bound, signStep } from './steps.js';
import type { AttackMethod, AttackOptions, AttackResult } from './types.js';

/** Options of {@link fgsm}: the common ones; `epsilon` is the step. */
export type FgsmOptions = AttackOptions;

async function perturb(model: Model, input: Tensor, options: FgsmOptions): Promise<AttackResult> {
  return attackChunks(model, input, options, 1, async (c) => {
    const g = await c.gradient(c.current);
    for (let r = 0; r < c.count; r++) {
      signStep(c.current, g, r * c.per, (r + 1) * c.per, c.epsilon[r] as number, c.direction);
    }
    bound(c.current, 0, c.count * c.per, c.lower, c.upper);
  });
}

/**
 * FGSM as an {@link AttackMethod}.
 *
 * @example
 * ```ts
 * const { adversarial, targets } = await fgsm.perturb(model, x, { epsilon: 0.03, lower: 0, upper: 1 });
 * const toCat = await fgsm.perturb(model, x, { epsilon: 0.03, target: 281, targeted: true });
 * ```
 */
export const fgsm: AttackMethod<FgsmOptions> = {
  name: 'fgsm',
  description: 'one sign step of size ε along the loss gradient (Goodfellow et al. 2015)',
  perturb,
};
