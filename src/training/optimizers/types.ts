/**
 * The optimizer contract. An optimizer is an update rule that is a pure function of
 * (parameter, gradient, state, hyper-parameters, per-step scalars), written twice over the same
 * formulas: once as plain float32 arithmetic ({@link Optimizer.update}, the reference the tests
 * check against PyTorch's numbers) and once as ONNX nodes ({@link Optimizer.emit}), so the update
 * runs inside the training step's single ORT call. Per-step values that depend on the step count
 * (learning rate, bias corrections) are graph inputs, so one compiled step serves every step.
 *
 * Modelled on `torch.optim` (https://pytorch.org/docs/stable/optim.html).
 */
import type { GraphBuilder } from '../../onnx/builder.js';

/** Hyper-parameters shared by the built-in optimizers (PyTorch's names and defaults). */
export interface OptimizerHyper {
  readonly momentum: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
}

/** PyTorch's defaults: no momentum, no decay, Adam β (0.9, 0.999), ε 1e-8. @example `{ ...DEFAULT_HYPER, momentum: 0.9 }` */
export const DEFAULT_HYPER: OptimizerHyper = { momentum: 0, nesterov: false, weightDecay: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8 };

/** Per-parameter tensors of one update: the parameter, its gradient and its state slots. */
export interface UpdateTensors<T> {
  readonly param: T;
  readonly grad: T;
  readonly state: Readonly<Record<string, T>>;
}

/** The updated parameter and state slots. */
export interface UpdateResult<T> {
  readonly param: T;
  readonly state: Readonly<Record<string, T>>;
}

/**
 * One optimizer: state slot names, the per-step scalars, the reference update and the ONNX emitter.
 *
 * @example
 * ```ts
 * const scalars = sgd.scalars(hyper, { lr: 0.05, step: 1 });
 * const next = sgd.update({ param, grad, state: { momentum_buffer } }, hyper, scalars);
 * ```
 */
export interface Optimizer {
  readonly name: string;
  /** State slots per parameter (zero-initialised), e.g. `momentum_buffer`, `exp_avg`. */
  slots(hyper: OptimizerHyper): readonly string[];
  /** Scalar inputs of step `step` (1-based) at learning rate `lr`, by name. */
  scalars(hyper: OptimizerHyper, at: { readonly lr: number; readonly step: number }): Readonly<Record<string, number>>;
  /** The reference update on float32 arrays (new arrays; the inputs are not changed). */
  update(t: UpdateTensors<Float32Array>, hyper: OptimizerHyper, scalars: Readonly<Record<string, number>>): UpdateResult<Float32Array>;
  /** The same update as ONNX nodes; `scalars` maps each scalar name to its graph input. */
  emit(b: GraphBuilder, t: UpdateTensors<string>, hyper: OptimizerHyper, scalars: Readonly<Record<string, string>>): UpdateResult<string>;
}

/** `x·a + y·c` on float32 arrays, rounding each product and sum to float32 as PyTorch's kernels do. */
export function axpby(x: Float32Array, a: number, y: Float32Array, c: number): Float32Array {
  const out = new Float32Array(x.length);
  const fa = Math.fround(a);
  const fc = Math.fround(c);
  for (let i = 0; i < x.length; i++) out[i] = Math.fround(Math.fround((x[i] as number) * fa) + Math.fround((y[i] as number) * fc));
  return out;
}
