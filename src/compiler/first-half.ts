/**
 * A backward pass over the first half of the batch only. DeepLift (Shrikumar et al. 2017,
 * https://arxiv.org/abs/1704.02685) runs each input and its reference in one batch, rows
 * `[x_1..x_B, r_1..r_B]`: the forward pass needs both halves (the multipliers are differences of
 * the two), but only the input rows are seeded, so a backward over the reference rows would be
 * thrown away. Under this view the rules see every forward tensor that carries batch rows as its
 * first B rows (a Slice, made when a rule asks for it), with shapes of B rows, and a rule that
 * needs the second half asks for it through {@link FirstHalfView.reference}.
 *
 * This holds when every row of the forward graph is computed from its own row alone, the layout
 * DeepLift already assumes; a tensor whose leading dimension is not the batch's is refused.
 */
import { LucernaError } from '../errors.js';
import type { GraphBuilder } from '../onnx/builder.js';
import type { Graph } from '../onnx/graph.js';
import type { NodeProto } from '../onnx/proto.js';

/** How a rule sees the forward tensors when the backward runs on the first half of the rows. */
export interface FirstHalfView {
  /** B, the number of rows the backward runs on (half the batch). */
  readonly rows: number;
  /** The first B rows of a forward tensor that carries batch rows; other tensors (weights, constants) unchanged. */
  inputRows(tensor: string): string;
  /** The last B rows (the references) of a forward tensor, or undefined when it carries no batch rows. */
  reference(tensor: string): string | undefined;
  /** The forward tensor a name from {@link inputRows} was sliced from (else the name itself). */
  origin(tensor: string): string;
  /** The shape a rule sees: B leading rows for a tensor that carries batch rows. */
  shape(tensor: string, full: readonly number[]): readonly number[];
  /** Removes the slices that no backward node reads. */
  prune(): void;
}

/** Every tensor computed from a graph input (batch rows), of any element type. */
function batchTensors(nodes: readonly NodeProto[], inputs: readonly string[]): Set<string> {
  const reach = new Set(inputs);
  for (const n of nodes) {
    if ((n.input ?? []).some((i) => reach.has(i))) for (const o of n.output ?? []) if (o) reach.add(o);
  }
  return reach;
}

/**
 * A first-half view of `graph`, whose batch has `total` rows (even). `shapes` holds the forward
 * shapes at the full batch.
 *
 * @example
 * ```ts
 * const view = firstHalfView(graph, b, graph.topoSorted(), info.shapes, 2);
 * view.inputRows('/relu/Relu_output_0'); // a Slice of row 0
 * ```
 */
export function firstHalfView(
  graph: Graph,
  b: GraphBuilder,
  nodes: readonly NodeProto[],
  shapes: ReadonlyMap<string, readonly number[]>,
  total: number,
): FirstHalfView {
  if (total < 2 || total % 2 !== 0) {
    throw new LucernaError('BAD_PLAN', `A backward over the first half of the batch needs an even batch, got ${total} row(s)`);
  }
  const rows = total / 2;
  const batch = batchTensors(
    nodes,
    graph.inputs.map((i) => i.name),
  );
  const origins = new Map<string, string>();
  const firsts = new Map<string, string>();
  const seconds = new Map<string, string>();
  const made = new Set<NodeProto>();
  const axis = b.constInt64([0]);
  const bounds = [b.constInt64([0]), b.constInt64([rows]), b.constInt64([total])] as const;

  const check = (tensor: string): void => {
    const s = shapes.get(tensor);
    if (!s || s[0] !== total) {
      throw new LucernaError(
        'BAD_PLAN',
        `The backward cannot run on the input rows alone: "${tensor}" has shape [${s?.join(', ') ?? '?'}], not ${total} leading rows`,
        'Compile the plan over all rows',
      );
    }
  };
  const slice = (tensor: string, from: 0 | 1, cache: Map<string, string>): string => {
    let name = cache.get(tensor);
    if (name === undefined) {
      check(tensor);
      name = b.op('Slice', [tensor, bounds[from], bounds[from + 1] as string, axis]);
      made.add(b.emitted[b.emitted.length - 1] as NodeProto);
      cache.set(tensor, name);
      origins.set(name, tensor);
    }
    return name;
  };
  const origin = (tensor: string): string => origins.get(tensor) ?? tensor;

  return {
    rows,
    inputRows: (tensor) => (tensor !== '' && batch.has(tensor) ? slice(tensor, 0, firsts) : tensor),
    reference: (tensor) => {
      const t = origin(tensor);
      return t !== '' && batch.has(t) ? slice(t, 1, seconds) : undefined;
    },
    origin,
    shape: (tensor, full) => {
      const t = origin(tensor);
      if (!batch.has(t)) return full;
      check(t);
      return [rows, ...full.slice(1)];
    },
    prune: () => {
      const read = new Set<string>(graph.outputs.map((o) => o.name));
      for (const n of graph.nodes) if (!made.has(n)) for (const i of n.input ?? []) read.add(i);
      const unused = new Set([...made].filter((n) => !read.has(n.output?.[0] ?? '')));
      if (unused.size === 0) return;
      graph.nodes = graph.nodes.filter((n) => !unused.has(n));
      graph.invalidate();
    },
  };
}
