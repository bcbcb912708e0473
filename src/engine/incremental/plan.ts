/**
 * Planning incremental inference for edits confined to a spatial box of the input (an occlusion
 * window): which leading ops of the graph are recomputed only over the box they change (the
 * "prefix"), how large each of those boxes gets, and the rest of the graph (the "suffix"), which
 * runs in full on the prefix's outputs with the recomputed boxes pasted into their clean values.
 *
 * A prefix op is kept while its changed box stays small: once a box covers more than
 * `maxCoverage` of its map, recomputing it in full is as cheap, and everything after it belongs to
 * the suffix.
 */
import type { Graph } from '../../onnx/graph.js';
import { DataType, type NodeProto } from '../../onnx/proto.js';
import { ancestorsOf, subgraph } from '../../onnx/suffix.js';
import { convMultiplyAdds, multiplyAdds } from '../cost.js';
import type { PreparedGraph } from '../prepare.js';
import { type LocalOp, localOp, type Range, windowInputRange, windowOutputRange } from './local-ops.js';

/** A changed box of a 4-D map: rows × columns, half-open. */
export type Box = readonly [Range, Range];

/** One prefix op, with the one-input pointwise ops that directly follow it fused in. */
export interface PrefixStep {
  readonly node: NodeProto;
  readonly op: LocalOp;
  /** Its activation inputs (prefix tensors), in input order. */
  readonly inputs: readonly string[];
  /** Pointwise ops applied in turn to the node's output (a ReLU after a convolution), over the same box. */
  readonly followers: readonly NodeProto[];
  /** The last output: the node's, or its last follower's. */
  readonly output: string;
}

/**
 * Fuses each one-input pointwise step into the step that produces its input, when nothing else
 * reads that input: one session call fewer per chunk, and the box (hence the result) is the same.
 */
function fuseFollowers(steps: readonly PrefixStep[], graph: Graph): PrefixStep[] {
  const fused: PrefixStep[] = [];
  const byOutput = new Map<string, number>();
  for (const s of steps) {
    const source = s.inputs.length === 1 ? byOutput.get(s.inputs[0] as string) : undefined;
    const head = source === undefined ? undefined : fused[source];
    if (head && s.op.kind === 'pointwise' && graph.consumers(head.output).length === 1) {
      byOutput.delete(head.output);
      fused[source as number] = { ...head, followers: [...head.followers, s.node], output: s.output };
      byOutput.set(s.output, source as number);
      continue;
    }
    byOutput.set(s.output, fused.length);
    fused.push(s);
  }
  return fused;
}

/** An incremental plan for one input shape and one set of edit boxes. */
export interface IncrementalPlan {
  /** The prepared graph the plan was made from. */
  readonly graph: Graph;
  readonly input: string;
  /** Prefix ops in a topological order. */
  readonly steps: readonly PrefixStep[];
  /** Shape [B, C, H, W] of every prefix tensor (the input included), at the plan's batch. */
  readonly shapes: ReadonlyMap<string, readonly number[]>;
  /** Fixed recomputed box size [rows, cols] of every prefix tensor: the largest change over the edits. */
  readonly sizes: ReadonlyMap<string, readonly [number, number]>;
  /** Prefix tensors the suffix reads. */
  readonly frontier: readonly string[];
  /** The rest of the graph: inputs `frontier`, outputs the requested outputs. */
  readonly suffix: Graph;
  /**
   * Per row: multiply-adds of a full forward pass and of an incremental one (prefix boxes +
   * suffix), and how many values the prefix's crops copy.
   */
  readonly cost: { readonly full: number; readonly incremental: number; readonly cropValues: number };
}

/** Options of {@link planIncremental}. */
export interface PlanOptions {
  /** Largest share of a map a recomputed box may cover (default 0.5). */
  readonly maxCoverage?: number;
}

/**
 * The changed box of every prefix tensor when the input changes over `box`.
 *
 * @example
 * ```ts
 * const boxes = changedBoxes(plan.steps, plan.shapes, plan.input, [[8, 16], [8, 16]]);
 * ```
 */
export function changedBoxes(steps: readonly PrefixStep[], shapes: ReadonlyMap<string, readonly number[]>, input: string, box: Box): Map<string, Box> {
  const boxes = new Map<string, Box>([[input, box]]);
  for (const s of steps) {
    const shape = shapes.get(s.output) as readonly number[];
    boxes.set(s.output, stepBox(s, boxes, shape));
  }
  return boxes;
}

function union(a: Range, b: Range): Range {
  if (a[0] >= a[1]) return b;
  if (b[0] >= b[1]) return a;
  return [Math.min(a[0], b[0]), Math.max(a[1], b[1])];
}

function stepBox(s: PrefixStep, boxes: ReadonlyMap<string, Box>, outShape: readonly number[]): Box {
  if (s.op.kind === 'window') {
    const inBox = boxes.get(s.inputs[0] as string) as Box;
    return [windowOutputRange(inBox[0], s.op.axes[0], outShape[2] as number), windowOutputRange(inBox[1], s.op.axes[1], outShape[3] as number)];
  }
  let rows: Range = [0, 0];
  let cols: Range = [0, 0];
  for (const i of s.inputs) {
    const b = boxes.get(i) as Box;
    rows = union(rows, b[0]);
    cols = union(cols, b[1]);
  }
  return [rows, cols];
}

const extent = (r: Range): number => Math.max(0, r[1] - r[0]);

/**
 * The input range a step reads to compute `size` outputs from `start` along one axis: the
 * window's receptive range, or the same range for a pointwise op.
 *
 * @example
 * ```ts
 * cropRange(convStep, 4, 6, 0); // [3, 11] for a 3×3, stride-1, pad-1 convolution
 * ```
 */
export function cropRange(step: PrefixStep, start: number, size: number, axis: 0 | 1): Range {
  return step.op.kind === 'window' ? windowInputRange(start, size, step.op.axes[axis]) : [start, start + size];
}

/**
 * Plans incremental inference of `outputs` for edits confined to `boxes` (row and column ranges of
 * the input's last two dims). Returns undefined when no convolution can be recomputed locally
 * (then the whole graph should simply run).
 *
 * @example
 * ```ts
 * const prepared = await model.prepare([32, 3, 224, 224]);
 * const plan = planIncremental(prepared, ['logits'], windows, { maxCoverage: 0.5 });
 * ```
 */
export function planIncremental(
  prepared: PreparedGraph,
  outputs: readonly string[],
  boxes: readonly Box[],
  options: PlanOptions = {},
): IncrementalPlan | undefined {
  const { graph } = prepared;
  const maxCoverage = options.maxCoverage ?? 0.5;
  const input = graph.primaryInput().name;
  const batch = prepared.inputShape[0] as number;
  const shapes = new Map<string, readonly number[]>([[input, prepared.inputShape]]);
  if (prepared.inputShape.length !== 4 || boxes.length === 0) return undefined;
  const sizes = new Map<string, readonly [number, number]>();
  const maxSize = (list: readonly Box[]): [number, number] => [Math.max(...list.map((b) => extent(b[0]))), Math.max(...list.map((b) => extent(b[1])))];
  sizes.set(input, maxSize(boxes));
  // Per tensor, its changed box under each edit.
  const perEdit = new Map<string, Box[]>([[input, [...boxes]]]);
  const steps: PrefixStep[] = [];
  const graphOutputs = new Set(graph.outputs.map((o) => o.name));
  for (const node of graph.topoSorted()) {
    const output = node.output?.[0];
    const outShape = output ? prepared.shapes.get(output) : undefined;
    const names = (node.input ?? []).filter(Boolean);
    const activations = names.filter((i) => !graph.isInitializer(i));
    if (!output || !outShape || outShape.length !== 4 || outShape[0] !== batch || graphOutputs.has(output)) continue;
    if (activations.length === 0 || !activations.every((a) => perEdit.has(a))) continue;
    if (prepared.types.get(output) !== 'float32') continue;
    const op = localOp(node, graph, (t) => perEdit.has(t));
    if (!op) continue;
    if (op.kind === 'pointwise' && activations.some((a) => (shapes.get(a) as readonly number[]).slice(2).join() !== outShape.slice(2).join())) continue;
    const step: PrefixStep = { node, op, inputs: activations, followers: [], output };
    const outBoxes = boxes.map((_, e) => {
      const local = new Map(activations.map((a) => [a, (perEdit.get(a) as Box[])[e] as Box]));
      return stepBox(step, local, outShape);
    });
    const size = maxSize(outBoxes);
    if (size[0] * size[1] > maxCoverage * (outShape[2] as number) * (outShape[3] as number)) continue;
    steps.push(step);
    shapes.set(output, outShape);
    sizes.set(output, size);
    perEdit.set(output, outBoxes);
  }
  if (!steps.some((s) => s.node.opType === 'Conv')) return undefined;
  const prefix = new Set(steps.map((s) => s.node));
  const fusedSteps = fuseFollowers(steps, graph);
  const needed = ancestorsOf(graph, outputs);
  const suffixNodes = graph.topoSorted().filter((n) => !prefix.has(n) && needed.has(n));
  const produced = new Set(suffixNodes.flatMap((n) => n.output ?? []));
  const frontier = [...new Set(suffixNodes.flatMap((n) => n.input ?? []).filter((i) => i && !produced.has(i) && !graph.isInitializer(i)))];
  if (!frontier.every((f) => shapes.has(f))) return undefined;
  const info = (name: string) => ({ name, elemType: DataType.FLOAT, dims: [...(prepared.shapes.get(name) ?? shapes.get(name) ?? [])] });
  const suffix = subgraph(graph, suffixNodes, frontier.map(info), outputs.map(info));
  const prefixMacs = fusedSteps.reduce((sum, s) => {
    const [h, w] = sizes.get(s.output) as [number, number];
    return sum + convMultiplyAdds(s.node, graph, ((shapes.get(s.output) as readonly number[])[1] as number) * h * w);
  }, 0);
  const cropValues = fusedSteps.reduce((sum, s) => {
    const [h, w] = sizes.get(s.output) as [number, number];
    const area = extent(cropRange(s, 0, h, 0)) * extent(cropRange(s, 0, w, 1));
    return sum + s.inputs.reduce((t, i) => t + ((shapes.get(i) as readonly number[])[1] as number) * area, 0);
  }, 0);
  const cost = { full: multiplyAdds(prepared), incremental: prefixMacs + multiplyAdds(prepared, suffixNodes), cropValues };
  return { graph, input, steps: fusedSteps, shapes, sizes, frontier, suffix, cost };
}
