/**
 * Opset upgrade: rewrites every node whose signature changed between the model's opset (11 or
 * newer) and the target opset, then sets the target. The compiler emits its backward nodes at
 * {@link COMPILER_OPSET}, so a model is lifted there before differentiation.
 *
 * The steps follow the ONNX operator changelog (https://github.com/onnx/onnx/blob/main/docs/Changelog.md):
 * - 12: Dropout `ratio` attribute → input (at inference: Identity)
 * - 13: Squeeze/Unsqueeze/ReduceSum `axes` and Split `split` → inputs; Softmax/LogSoftmax/Hardmax
 *   stop coercing to 2-D; Resize makes roi/scales optional and drops `tf_half_pixel_for_nn`
 * - 14: BatchNormalization training outputs change (inference nodes are unchanged)
 * - 16: RoiAlign gains `coordinate_transformation_mode` with a new default
 * - 18: the other Reduce ops' `axes` → input; Split needs `num_outputs` when `split` is not given
 *
 * Everything else in 11–18 only widened types or added optional inputs and attributes whose defaults
 * keep the old behaviour (Clip and Pad were already input-based at 11; Pad's `axes` and Resize's
 * `antialias`/`axes`/`keep_aspect_ratio_policy` at 18, Reshape's `allowzero` at 14, ScatterElements'
 * `reduction` at 16). Nodes of other domains are left alone; subgraphs (If/Loop/Scan) are upgraded too.
 */
import { LucernaError } from '../errors.js';
import { makeAttributes } from './attributes.js';
import { type Graph, MIN_OPSET } from './graph.js';
import type { GraphProto, NodeProto, TensorProto } from './proto.js';
import { int64Tensor, tensorDims } from './tensors.js';
import {
  axesToInput,
  coercedToAxis,
  dropoutToIdentity,
  inferenceBatchNorm,
  type NodeRewrite,
  type RewriteContext,
  refuseDeprecated,
  resizeTo13,
  roiAlignKeepsPixelMode,
  splitNumOutputs,
  splitToInput,
} from './upgrade-rules.js';

/**
 * The opset the compiler emits backward nodes for. Models above it keep their own.
 *
 * @example
 * ```ts
 * upgradeOpset(graph, Math.max(graph.opset, COMPILER_OPSET));
 * ```
 */
export const COMPILER_OPSET = 18;

/** The rewrites that take a model from opset `since − 1` to `since`, by op type. */
export interface UpgradeStep {
  readonly since: number;
  readonly rewrites: Readonly<Record<string, NodeRewrite>>;
}

const REDUCE_OPS_18 = ['ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceMax', 'ReduceMean', 'ReduceMin', 'ReduceProd', 'ReduceSumSquare'];

/**
 * Every signature change of the default domain between opset 11 and {@link COMPILER_OPSET}.
 *
 * @example
 * ```ts
 * UPGRADE_STEPS.find((s) => s.since === 13)?.rewrites.Unsqueeze; // axesToInput
 * ```
 */
export const UPGRADE_STEPS: readonly UpgradeStep[] = [
  { since: 12, rewrites: { Dropout: dropoutToIdentity } },
  {
    since: 13,
    rewrites: {
      Squeeze: axesToInput,
      Unsqueeze: axesToInput,
      ReduceSum: axesToInput,
      Split: splitToInput,
      Softmax: coercedToAxis,
      LogSoftmax: coercedToAxis,
      Hardmax: coercedToAxis,
      Resize: resizeTo13,
    },
  },
  { since: 14, rewrites: { BatchNormalization: inferenceBatchNorm } },
  { since: 16, rewrites: { RoiAlign: roiAlignKeepsPixelMode } },
  { since: 18, rewrites: { ...Object.fromEntries(REDUCE_OPS_18.map((op) => [op, axesToInput])), Split: splitNumOutputs } },
];

/** Ops no valid opset ≥ 11 model contains; refused with a clear message at any upgrade. */
const DEPRECATED: UpgradeStep = { since: MIN_OPSET, rewrites: { Upsample: refuseDeprecated, Scatter: refuseDeprecated } };

/**
 * Upgrades `graph` in place to `target` (no-op when it is already there or newer).
 * Every rewrite is exact: the upgraded graph computes the same values as the original.
 *
 * @example
 * ```ts
 * const graph = graphFromBytes(opset11Bytes);
 * upgradeOpset(graph); // graph.opset === 18; Unsqueeze axes are inputs now
 * ```
 */
export function upgradeOpset(graph: Graph, target: number = COMPILER_OPSET): Graph {
  if (graph.opset >= target) return graph;
  if (!Number.isInteger(target) || target > COMPILER_OPSET) {
    throw new LucernaError('BAD_OPTION', `Cannot upgrade to opset ${target}; Lucerna upgrades models up to opset ${COMPILER_OPSET}`);
  }
  const steps = [DEPRECATED, ...UPGRADE_STEPS.filter((s) => s.since > graph.opset && s.since <= target)];
  const shared = sharedState(graph);
  graph.nodes = upgradeNodes(graph.nodes, steps, mainGraphContext(graph, shared), shared);
  graph.opset = target;
  graph.invalidate();
  return graph;
}

/** What every level of the model shares: used names, read tensors, constant lookup. */
interface SharedState {
  readonly unique: (hint: string) => string;
  readonly isUsed: (tensor: string) => boolean;
  readonly isEmptyConstant: (tensor: string) => boolean;
}

function isDefaultDomain(node: NodeProto): boolean {
  return !node.domain || node.domain === 'ai.onnx';
}

/** Applies the steps in order to a node list, subgraphs first. */
function upgradeNodes(nodes: readonly NodeProto[], steps: readonly UpgradeStep[], cx: RewriteContext, shared: SharedState): NodeProto[] {
  let out = nodes.map((n) => upgradeSubgraphs(n, steps, shared));
  for (const step of steps) {
    out = out.flatMap((n) => {
      const rewrite = isDefaultDomain(n) ? step.rewrites[n.opType ?? ''] : undefined;
      return rewrite ? rewrite(n, cx) : [n];
    });
  }
  return out;
}

/** Upgrades the bodies of If/Loop/Scan nodes; their new constants become Constant nodes. */
function upgradeSubgraphs(node: NodeProto, steps: readonly UpgradeStep[], shared: SharedState): NodeProto {
  if (!node.attribute?.some((a) => a.g || a.graphs?.length)) return node;
  const upgrade = (g: GraphProto): GraphProto => {
    const constants: NodeProto[] = [];
    const nodes = upgradeNodes(g.node ?? [], steps, subgraphContext(shared, constants), shared);
    return { ...g, node: [...constants, ...nodes] };
  };
  const attribute = node.attribute.map((a) => {
    if (a.g) return { ...a, g: upgrade(a.g) };
    if (a.graphs?.length) return { ...a, graphs: a.graphs.map(upgrade) };
    return a;
  });
  return { ...node, attribute };
}

function numel(t: TensorProto): number {
  return tensorDims(t).reduce((a, b) => a * b, 1);
}

/** Walks every node at every depth. */
function forEachNode(nodes: readonly NodeProto[], visit: (n: NodeProto) => void): void {
  for (const n of nodes) {
    visit(n);
    for (const a of n.attribute ?? []) {
      if (a.g) forEachNode(a.g.node ?? [], visit);
      for (const g of a.graphs ?? []) forEachNode(g.node ?? [], visit);
    }
  }
}

function sharedState(graph: Graph): SharedState {
  const names = new Set<string>([...graph.initializers.keys(), ...graph.inputs.map((i) => i.name), ...graph.outputs.map((o) => o.name)]);
  const read = new Set<string>(graph.outputs.map((o) => o.name));
  const constants = new Map<string, TensorProto>(graph.initializers);
  forEachNode(graph.nodes, (n) => {
    for (const x of [n.name ?? '', ...(n.input ?? []), ...(n.output ?? [])]) if (x) names.add(x);
    for (const i of n.input ?? []) if (i) read.add(i);
    const value = n.opType === 'Constant' ? n.attribute?.find((a) => a.name === 'value')?.t : undefined;
    if (value && n.output?.[0]) constants.set(n.output[0], value);
  });
  let counter = 0;
  return {
    unique(hint) {
      let name = hint;
      while (names.has(name)) name = `${hint}_${++counter}`;
      names.add(name);
      return name;
    },
    isUsed: (tensor) => read.has(tensor),
    isEmptyConstant(tensor) {
      const t = constants.get(tensor);
      return t !== undefined && numel(t) === 0;
    },
  };
}

/** Ops whose output is always rank 2. */
const RANK_2_OPS = new Set(['Gemm', 'Flatten']);

function mainGraphContext(graph: Graph, shared: SharedState): RewriteContext {
  const producers = new Map<string, string>();
  for (const n of graph.nodes) for (const o of n.output ?? []) if (o) producers.set(o, n.opType ?? '');
  return {
    ...shared,
    int64(values, hint) {
      const name = shared.unique(hint);
      graph.initializers.set(name, int64Tensor(name, values));
      return name;
    },
    rankOf(tensor) {
      const input = graph.inputs.find((i) => i.name === tensor);
      if (input) return input.dims.length;
      const init = graph.initializers.get(tensor);
      if (init) return tensorDims(init).length;
      return RANK_2_OPS.has(producers.get(tensor) ?? '') ? 2 : undefined;
    },
  };
}

function subgraphContext(shared: SharedState, constants: NodeProto[]): RewriteContext {
  const constant = (hint: string, tensor: (name: string) => TensorProto): string => {
    const name = shared.unique(hint);
    constants.push({
      name: shared.unique(`${hint}/Constant`),
      opType: 'Constant',
      domain: '',
      input: [],
      output: [name],
      attribute: makeAttributes({ value: { tensor: tensor(name) } }),
    });
    return name;
  };
  return {
    ...shared,
    int64: (values, hint) => constant(hint, (name) => int64Tensor(name, values)),
    rankOf: () => undefined,
  };
}
