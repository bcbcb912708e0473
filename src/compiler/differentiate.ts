/**
 * Reverse-mode differentiation of an ONNX graph: emits one augmented graph that runs the forward
 * pass and the backward pass together.
 *
 * Seeds become extra graph inputs; gradients and requested activations become extra outputs.
 * `wrt` may name graph inputs, activations or initializers (weights, for training); an initializer
 * is a constant unless it is named there. Only nodes on a path from a `wrt` tensor to a seed get backward nodes; gradients of several
 * consumers of one tensor are summed.
 */
import { LucernaError, unknownTensorError } from '../errors.js';
import { GraphBuilder } from '../onnx/builder.js';
import type { Graph, ValueInfo } from '../onnx/graph.js';
import { DataType, type NodeProto } from '../onnx/proto.js';
import { tensorDims } from '../onnx/tensors.js';
import { firstHalfView } from './first-half.js';
import type { RuleSet, VjpContext } from './vjp.js';

/** Which tensors to read, seed and differentiate with respect to. */
export interface DifferentiationPlan {
  readonly read: readonly string[];
  readonly seeds: readonly string[];
  readonly wrt: readonly string[];
  /**
   * `input` (default): each seed is a graph input supplied at run time. `argmax`: each seed is
   * computed in the graph as the one-hot of its tensor's arg-max over the last axis, so the
   * predicted class is explained in the same run that finds it.
   */
  readonly seedMode?: 'input' | 'argmax';
  /**
   * `all` (default): the backward runs on every row of the batch. `first-half`: the forward runs
   * on every row, the seeds and the backward on the first half only; rules read the second half
   * through {@link VjpContext.reference} (DeepLift's inputs and references, see `first-half.ts`).
   */
  readonly rows?: 'all' | 'first-half';
}

/** The augmented graph and the names of its extra inputs and outputs. */
export interface DifferentiatedGraph {
  readonly graph: Graph;
  /** Seeded tensor → name of its seed input. */
  readonly seedInputs: ReadonlyMap<string, string>;
  /** `wrt` tensor → name of its gradient output. */
  readonly gradientOutputs: ReadonlyMap<string, string>;
  /** Read tensor → name of the output that exposes it. */
  readonly readOutputs: ReadonlyMap<string, string>;
  /** Number of forward nodes that got a backward rule. */
  readonly differentiatedNodes: number;
  /** Seeded tensor → the tensor that seeds it (its seed input, or the in-graph arg-max one-hot). */
  readonly seedGradients: ReadonlyMap<string, string>;
}

/**
 * Options for a further backward pass over an already augmented graph (see {@link differentiate}).
 */
export interface BranchOptions {
  /** Distinguishes this pass's gradient outputs: `grad:<tag>:<tensor>`. */
  readonly tag: string;
  /** The seeds of the earlier pass ({@link DifferentiatedGraph.seedGradients}): reused, not added again. */
  readonly seedGradients: ReadonlyMap<string, string>;
}

/** Static information about the forward graph. */
export interface ForwardInfo {
  readonly shapes: ReadonlyMap<string, readonly number[]>;
  readonly types: ReadonlyMap<string, string>;
}

export const seedInputName = (tensor: string): string => `seed:${tensor}`;
export const gradientOutputName = (tensor: string, tag?: string): string => (tag === undefined ? `grad:${tensor}` : `grad:${tag}:${tensor}`);
export const readOutputName = (tensor: string): string => `read:${tensor}`;

function isFloat(info: ForwardInfo, graph: Graph, name: string): boolean {
  if (graph.isInitializer(name)) return (graph.initializer(name).dataType ?? DataType.FLOAT) === DataType.FLOAT;
  return info.types.get(name) === 'float32';
}

/** Tensors reachable forward from `from` through float tensors. */
function forwardReach(nodes: readonly NodeProto[], from: readonly string[], info: ForwardInfo, graph: Graph): Set<string> {
  const reach = new Set(from);
  for (const n of nodes) {
    if ((n.input ?? []).some((i) => reach.has(i))) {
      for (const o of n.output ?? []) if (o && isFloat(info, graph, o)) reach.add(o);
    }
  }
  return reach;
}

/** Tensors from which some seed can be reached. */
function backwardReach(nodes: readonly NodeProto[], seeds: readonly string[]): Set<string> {
  const reach = new Set(seeds);
  for (let k = nodes.length - 1; k >= 0; k--) {
    const n = nodes[k] as NodeProto;
    if ((n.output ?? []).some((o) => reach.has(o))) for (const i of n.input ?? []) if (i) reach.add(i);
  }
  return reach;
}

function checkNames(graph: Graph, plan: DifferentiationPlan): void {
  const names = graph.tensorNames();
  const known = new Set(names);
  for (const t of [...plan.read, ...plan.seeds]) if (!known.has(t)) throw unknownTensorError(t, names);
  for (const t of plan.wrt) if (!known.has(t) && !graph.isInitializer(t)) throw unknownTensorError(t, [...names, ...graph.initializers.keys()]);
  if (plan.seeds.length === 0 && plan.wrt.length > 0) throw new LucernaError('BAD_PLAN', 'A gradient plan needs at least one seed tensor');
}

/**
 * Builds the forward+backward graph for `plan` under `ruleSet`.
 *
 * Given `branch`, `forward` is a graph this function already augmented, and a second backward pass
 * (its own rule set and `wrt`) is added beside the first: both share one forward pass and the
 * first pass's seeds. Only tensors of `info` (the original forward graph) are differentiated, so
 * the earlier backward nodes are left alone.
 *
 * @example
 * ```ts
 * const d = differentiate(prepared.graph, prepared, { read: [], seeds: ['logits'], wrt: ['input'] }, standardRules);
 * const both = differentiate(d.graph, prepared, { read: [], seeds: ['logits'], wrt: ['input'] }, guidedRules, { tag: 'b1', seedGradients: d.seedGradients });
 * ```
 */
export function differentiate(forward: Graph, info: ForwardInfo, plan: DifferentiationPlan, ruleSet: RuleSet, branch?: BranchOptions): DifferentiatedGraph {
  checkNames(forward, plan);
  const graph = forward.clone();
  const nodes = graph.topoSorted();
  const fwd = forwardReach(nodes, plan.wrt, info, graph);
  const bwd = backwardReach(nodes, plan.seeds);
  // Initializers are constants unless the plan names them (parameter gradients for training).
  const wrtSet = new Set(plan.wrt);
  const active = (t: string) => t !== '' && fwd.has(t) && bwd.has(t) && (wrtSet.has(t) || !graph.isInitializer(t)) && isFloat(info, graph, t);
  const b = new GraphBuilder(graph, 'lucerna');
  const shapeOf = (t: string): readonly number[] => {
    const s = info.shapes.get(t);
    if (s) return s;
    if (graph.isInitializer(t)) return tensorDims(graph.initializer(t));
    throw new LucernaError('BAD_PLAN', `The shape of tensor "${t}" is unknown`);
  };
  const view = plan.rows === 'first-half' ? firstHalfView(graph, b, nodes, info.shapes, shapeOf(graph.inputs[0]?.name ?? '')[0] ?? 0) : undefined;
  /** The shape a rule sees (B rows for batch tensors under a first-half view). */
  const ruleShape = (t: string): readonly number[] => (view ? view.shape(t, shapeOf(view.origin(t))) : shapeOf(t));
  const seen = (t: string): string => (view ? view.inputRows(t) : t);

  const contributions = new Map<string, string[]>();
  const addGrad = (t: string, g: string) => {
    const list = contributions.get(t);
    if (list) list.push(g);
    else contributions.set(t, [g]);
  };
  const gradOf = (t: string): string | undefined => {
    const list = contributions.get(t);
    if (!list || list.length === 0) return undefined;
    if (list.length > 1) {
      const summed = b.op('Sum', list);
      contributions.set(t, [summed]);
      return summed;
    }
    return list[0];
  };

  const seedInputs = new Map<string, string>();
  const seedGradients = new Map<string, string>();
  for (const s of plan.seeds) {
    let seed = branch?.seedGradients.get(s);
    if (seed === undefined && plan.seedMode === 'argmax') seed = argmaxOneHot(b, seen(s), ruleShape(s));
    if (seed === undefined) {
      seed = seedInputName(s);
      graph.inputs.push({ name: seed, elemType: DataType.FLOAT, dims: [...ruleShape(s)] });
    }
    if (plan.seedMode !== 'argmax') seedInputs.set(s, seed);
    seedGradients.set(s, seed);
    addGrad(s, seed);
  }

  let differentiatedNodes = 0;
  for (let k = nodes.length - 1; k >= 0; k--) {
    const node = nodes[k] as NodeProto;
    const outs = node.output ?? [];
    const ins = node.input ?? [];
    if (!outs.some((o) => bwd.has(o) && fwd.has(o))) continue;
    if (!ins.some((i) => active(i))) continue;
    const gradOuts = outs.map((o) => (o ? gradOf(o) : undefined));
    if (gradOuts.every((g) => g === undefined)) continue;
    const rule = ruleSet.rules[node.opType ?? ''];
    if (!rule) throw noRuleError(node, ruleSet);
    const ctx: VjpContext = {
      node,
      b,
      graph,
      opset: graph.opset,
      input: (i) => seen(ins[i] ?? ''),
      output: (i) => seen(outs[i] ?? ''),
      shape: ruleShape,
      reference: view?.reference,
      gradOutput: (i) => gradOuts[i],
      needsGrad: (i) => ins[i] !== undefined && active(ins[i] as string),
    };
    const grads = rule(ctx);
    differentiatedNodes++;
    ins.forEach((input, i) => {
      const g = grads[i];
      if (g && active(input)) addGrad(input, g);
    });
  }

  const gradientOutputs = new Map<string, string>();
  const newOutputs: ValueInfo[] = [];
  for (const w of plan.wrt) {
    const g = gradOf(w);
    if (!g) {
      throw new LucernaError(
        'BAD_PLAN',
        `No seed tensor (${plan.seeds.join(', ')}) depends on "${w}", so its gradient would be zero`,
        'Seed a tensor computed after it',
      );
    }
    const name = gradientOutputName(w, branch?.tag);
    b.op('Identity', [g], {}, { outputs: [name] });
    gradientOutputs.set(w, name);
    newOutputs.push({ name, elemType: DataType.FLOAT, dims: [...ruleShape(w)] });
  }
  const readOutputs = new Map<string, string>();
  for (const r of plan.read) {
    const name = readOutputName(r);
    b.op('Identity', [r], {}, { outputs: [name] });
    readOutputs.set(r, name);
    newOutputs.push({ name, elemType: DataType.FLOAT, dims: [...shapeOf(r)] });
  }
  graph.outputs = [...graph.outputs, ...newOutputs];
  view?.prune();
  return { graph, seedInputs, gradientOutputs, readOutputs, differentiatedNodes, seedGradients };
}

/** One-hot of the arg-max over the last axis of `tensor`: an in-graph seed for the predicted class. */
function argmaxOneHot(b: GraphBuilder, tensor: string, shape: readonly number[]): string {
  const classes = shape[shape.length - 1] as number;
  const index = b.op('ArgMax', [tensor], { axis: -1, keepdims: 0 });
  return b.op('OneHot', [index, b.constInt64([classes], []), b.constFloat([0, 1], [2], 'onehot_values')], { axis: -1 });
}

function noRuleError(node: NodeProto, ruleSet: RuleSet): LucernaError {
  const supported = Object.keys(ruleSet.rules).sort().join(', ');
  return new LucernaError(
    'NO_GRADIENT_RULE',
    `No gradient rule for op ${node.opType} (node "${node.name}") in the ${ruleSet.name} rule set`,
    `Supported ops: ${supported}`,
  );
}
