/**
 * Dropout in training mode (Srivastava et al. 2014, https://jmlr.org/papers/v15/srivastava14a.html),
 * with PyTorch's semantics (`torch.nn.Dropout`, inverted dropout): during a training step each
 * element is zeroed with probability p and the kept ones are scaled by 1/(1 − p); at inference the
 * node is the identity, so the checkpoint (written from the source graph) keeps it in inference form.
 * Each Dropout node of the step graph gets ONNX's `training_mode` input set to true, a mask output
 * (which the compiler's Dropout rule uses for the gradient: dX = dY·mask/(1 − p)) and a seed derived
 * from the run's seed, so a run is repeatable. The masks are ONNX Runtime's (Philox), not PyTorch's
 * random stream.
 */
import { LucernaError } from '../errors.js';
import { makeAttribute } from '../onnx/attributes.js';
import type { GraphBuilder } from '../onnx/builder.js';
import type { Graph } from '../onnx/graph.js';
import { DataType, type NodeProto } from '../onnx/proto.js';
import { readFloats, typedTensor } from '../onnx/tensors.js';

/** The drop probability of one Dropout node (opset ≥ 12: a constant `ratio` input, default 0.5). */
function ratioOf(graph: Graph, node: NodeProto): number {
  const ratio = node.input?.[1] ?? '';
  if (!ratio) return 0.5;
  if (!graph.isInitializer(ratio))
    throw new LucernaError('UNSUPPORTED_MODEL', `Dropout node "${node.name}" computes its ratio in the graph; training needs a constant ratio`);
  return readFloats(graph.initializer(ratio))[0] ?? 0.5;
}

/**
 * Switches every Dropout node of `graph` to training mode (replacing the nodes by copies, in place);
 * returns how many there were. Node k gets the seed `seed + k`.
 *
 * @example
 * ```ts
 * const n = rewriteDropoutForTraining(graph, b, 0); // 2 on a VGG classifier with two Dropouts
 * ```
 */
export function rewriteDropoutForTraining(graph: Graph, b: GraphBuilder, seed: number): number {
  const targets = graph.nodes.filter((n) => n.opType === 'Dropout');
  targets.forEach((node, k) => {
    const p = ratioOf(graph, node);
    if (!(p >= 0 && p < 1)) throw new LucernaError('UNSUPPORTED_MODEL', `Dropout node "${node.name}" has ratio ${p}; it must be in [0, 1)`);
    const ratio = b.scalar(p, 'dropout_ratio');
    const training = b.unique('dropout_training');
    graph.initializers.set(training, typedTensor(training, DataType.BOOL, [1], []));
    const mask = node.output?.[1] || b.unique('dropout_mask');
    const trained: NodeProto = {
      ...node,
      input: [node.input?.[0] ?? '', ratio, training],
      output: [node.output?.[0] ?? '', mask],
      attribute: [...(node.attribute ?? []).filter((a) => a.name !== 'seed'), makeAttribute('seed', seed + k)],
    };
    graph.nodes = graph.nodes.map((n) => (n === node ? trained : n));
  });
  graph.invalidate();
  return targets.length;
}
