/**
 * The shared interface of the adversarial attacks (Captum's `captum.robust`): one verb,
 * `perturb(model, input, options)`, returning the perturbed input and the labels it was computed for.
 *
 * Loss: the cross-entropy of the logits, one value per sample (PyTorch's
 * `CrossEntropyLoss(reduction='none')`), so each sample moves along its own loss gradient.
 */
import type { TargetSpec } from '../attribution/types.js';
import type { Model } from '../engine/model.js';
import type { Tensor } from '../tensor/tensor.js';

/** The norm of the ε-ball a PGD attack projects onto. */
export type AttackNorm = 'linf' | 'l2';

/** A number for every sample, or one number per sample. */
export type PerSample = number | readonly number[];

/** Options every attack accepts. */
export interface AttackOptions {
  /**
   * The label of each sample. Untargeted attacks raise its loss (default: the predicted class of
   * the clean input); targeted attacks lower it (then it is required).
   */
  readonly target?: TargetSpec;
  /** Targeted attack: step down the loss of `target` instead of up (default false). */
  readonly targeted?: boolean;
  /** The size of the perturbation: the FGSM step, or the PGD radius. One value, or one per sample. */
  readonly epsilon: PerSample;
  /** Lower bound of every input value (default −∞: unbounded). */
  readonly lower?: number;
  /** Upper bound of every input value (default +∞: unbounded). */
  readonly upper?: number;
  /** Which model output holds the logits (default: the first). */
  readonly output?: string;
  /** Samples per engine call (default 8). */
  readonly batchSize?: number;
  /** Cancels a long run. */
  readonly signal?: AbortSignal;
  /** Called with (done, total) engine runs. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** What an attack returns. */
export interface AttackResult {
  /** The perturbed input, the shape of the input. */
  readonly adversarial: Tensor;
  /** The label each sample was attacked with. */
  readonly targets: readonly number[];
  /** True for a targeted attack. */
  readonly targeted: boolean;
  /** The ε each sample was attacked with. */
  readonly epsilon: readonly number[];
}

/**
 * One attack method.
 *
 * @example
 * ```ts
 * const { adversarial } = await fgsm.perturb(model, x, { epsilon: 0.03 });
 * ```
 */
export interface AttackMethod<O extends AttackOptions = AttackOptions> {
  /** The CLI name, e.g. `pgd`. */
  readonly name: string;
  /** One-line description with the paper. */
  readonly description: string;
  perturb(model: Model, input: Tensor, options: O): Promise<AttackResult>;
}
