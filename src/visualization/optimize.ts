/**
 * Adam over plain Float32Array parameters, in TypeScript: the optimiser of activation maximisation
 * and network inversion. The engine computes gradients; the update runs here, so any
 * parameterisation is optimised the same way.
 *
 * Adam: Kingma & Ba 2015, "Adam: A Method for Stochastic Optimization", https://arxiv.org/abs/1412.6980
 */
import { throwIfAborted } from '../engine/batching.js';
import { LucernaError, positiveInteger } from '../errors.js';

/** Adam's hyper-parameters. */
export interface AdamOptions {
  /** Step size (default 0.05, Lucid's default for feature visualization). */
  readonly learningRate?: number;
  /** Decay of the first moment (default 0.9). */
  readonly beta1?: number;
  /** Decay of the second moment (default 0.999). */
  readonly beta2?: number;
  /** Added to the root of the second moment (default 1e-8). */
  readonly epsilon?: number;
}

/**
 * Adam, minimising: each {@link Adam.step} moves the parameters against the gradient.
 *
 * @example
 * ```ts
 * const adam = new Adam(params.length, { learningRate: 0.05 });
 * adam.step(params, gradient); // params -= lr · m̂ / (√v̂ + ε)
 * ```
 */
export class Adam {
  private readonly first: Float64Array;
  private readonly second: Float64Array;
  private steps = 0;
  readonly learningRate: number;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;

  constructor(
    readonly size: number,
    options: AdamOptions = {},
  ) {
    this.learningRate = positive(options.learningRate ?? 0.05, 'learning rate');
    this.beta1 = unitInterval(options.beta1 ?? 0.9, 'beta1');
    this.beta2 = unitInterval(options.beta2 ?? 0.999, 'beta2');
    this.epsilon = positive(options.epsilon ?? 1e-8, 'epsilon');
    this.first = new Float64Array(size);
    this.second = new Float64Array(size);
  }

  /** Number of steps taken. */
  get stepCount(): number {
    return this.steps;
  }

  /**
   * One update of `params` in place, against `gradient` (of the loss), with an optional step size
   * for this step only (for schedules).
   *
   * @example
   * ```ts
   * adam.step(params, gradient, 0.5 * adam.learningRate);
   * ```
   */
  step(params: Float32Array, gradient: ArrayLike<number>, learningRate = this.learningRate): void {
    if (params.length !== this.size || gradient.length !== this.size) {
      throw new LucernaError('BAD_SHAPE', `Adam was made for ${this.size} parameters, got ${params.length} parameters and ${gradient.length} gradients`);
    }
    this.steps += 1;
    const { beta1: b1, beta2: b2, epsilon } = this;
    const c1 = 1 - b1 ** this.steps;
    const c2 = 1 - b2 ** this.steps;
    for (let i = 0; i < params.length; i++) {
      const g = gradient[i] as number;
      const m = b1 * (this.first[i] as number) + (1 - b1) * g;
      const v = b2 * (this.second[i] as number) + (1 - b2) * g * g;
      this.first[i] = m;
      this.second[i] = v;
      params[i] = (params[i] as number) - (learningRate * (m / c1)) / (Math.sqrt(v / c2) + epsilon);
    }
  }
}

function positive(v: number, what: string): number {
  if (!Number.isFinite(v) || v <= 0) throw new LucernaError('BAD_OPTION', `The ${what} must be a positive number, got ${v}`);
  return v;
}

function unitInterval(v: number, what: string): number {
  if (!Number.isFinite(v) || v < 0 || v >= 1) throw new LucernaError('BAD_OPTION', `Adam's ${what} must be in [0, 1), got ${v}`);
  return v;
}

/**
 * Checks a step count option.
 *
 * @example
 * ```ts
 * checkSteps(options.steps ?? 512); // 512
 * ```
 */
export function checkSteps(steps: number): number {
  positiveInteger(steps, 'The number of steps');
  return steps;
}

/**
 * Throws ABORTED when `signal` has fired: optimisation loops call it once per step. The engine's
 * {@link throwIfAborted} under the name the visualization code uses (one check, not two).
 *
 * @example
 * ```ts
 * throwIfCancelled(options.signal);
 * ```
 */
export const throwIfCancelled: (signal: AbortSignal | undefined) => void = throwIfAborted;
