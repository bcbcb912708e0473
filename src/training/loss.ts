/**
 * Loss terms of the training graph. A term appends nodes that compute one scalar from the forward
 * graph's tensors and the step's feeds; the step minimises the sum of its terms. Later terms (the
 * interpretable-CNN filter loss) read feature maps through the same context.
 */
import type { GraphBuilder } from '../onnx/builder.js';

/** What a loss term can see while it emits its nodes. */
export interface LossContext {
  readonly b: GraphBuilder;
  /** The classifier output [B, K]. */
  readonly logits: string;
  readonly batch: number;
  readonly classes: number;
  /** The graph input holding the one-hot labels [B, K] (float32). */
  readonly oneHot: string;
  /** Static dims of any forward tensor. */
  shape(tensor: string): readonly number[];
  /**
   * Declares training state that the step reads and returns updated (not a parameter: no gradient
   * reaches it): an initializer of the model of that name (saved with the checkpoint), or else a
   * new input of `dims` that starts at zeros. Returns the tensor to read. (The training step
   * provides it; a context built by hand for one term may leave it out.)
   */
  state?(name: string, dims: readonly number[]): string;
  /** Sets the state's value after the step (default: unchanged). */
  update?(name: string, next: string): void;
}

/**
 * One term of the training loss.
 *
 * @example
 * ```ts
 * const terms: LossTerm[] = [softmaxCrossEntropy({ labelSmoothing: 0.1 })];
 * ```
 */
export interface LossTerm {
  readonly name: string;
  /** Emits the term; returns the name of its scalar (rank-0) tensor. */
  emit(ctx: LossContext): string;
}

/**
 * Softmax cross-entropy on logits, mean over the batch, with label smoothing as PyTorch's
 * `cross_entropy(label_smoothing=ε)`: the target is q = (1 − ε)·onehot + ε/K and the loss
 * −(1/B) Σ_n Σ_k q_nk · log softmax(z_n)_k (Szegedy et al. 2016, https://arxiv.org/abs/1512.00567).
 *
 * @example
 * ```ts
 * const term = softmaxCrossEntropy({ labelSmoothing: 0 });
 * ```
 */
export function softmaxCrossEntropy(options: { readonly labelSmoothing?: number } = {}): LossTerm {
  const eps = options.labelSmoothing ?? 0;
  return {
    name: 'cross_entropy',
    emit({ b, logits, batch, classes, oneHot }) {
      const target = eps === 0 ? oneHot : b.op('Add', [b.op('Mul', [oneHot, b.scalar(1 - eps)]), b.scalar(eps / classes)]);
      const logProb = b.op('LogSoftmax', [logits], { axis: -1 });
      const total = b.op('ReduceSum', [b.op('Mul', [target, logProb])], { keepdims: 0 });
      return b.op('Mul', [total, b.scalar(-1 / batch)]);
    },
  };
}

/**
 * The one-hot rows [B, K] of integer labels (the feed of {@link LossContext.oneHot}).
 *
 * @example
 * ```ts
 * oneHotRows([2, 0], 3); // Float32Array [0, 0, 1, 1, 0, 0]
 * ```
 */
export function oneHotRows(labels: ArrayLike<number>, classes: number): Float32Array {
  const out = new Float32Array(labels.length * classes);
  for (let i = 0; i < labels.length; i++) out[i * classes + (labels[i] as number)] = 1;
  return out;
}
