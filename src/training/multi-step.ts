/**
 * Several optimizer steps in one ORT `run()`: the step graph (step-graph.ts) becomes the body of an
 * ONNX `Loop` whose loop-carried state is everything the step carries (parameters, optimizer slots,
 * running statistics, loss-term state). The K batches, one-hot labels and per-step scalars are fed
 * at once ([K, …]) and the body gathers its step's slice; the loss, the logits and each loss term
 * come back per step as scan outputs. The carried tensors cross the JavaScript binding once per run
 * instead of once per step: onnxruntime-node copies every fetched output into a fresh JS buffer, and
 * for ResNet-18 that is the weights and their momentum, 2 × 11.2 M values per step.
 *
 * Names: carried `c` is fed as `loop:c` and comes back as `loop:next:c`; the batch input, the one-hot
 * labels and scalar `s` as `loop:<name>` with a leading K axis; every per-step output `o` as `loop:o`.
 * The trip count is the K axis of the fed batches, so one session runs any K. The Loop operator:
 * https://onnx.ai/onnx/operators/onnx__Loop.html (its body reads the [K, …] feeds from the outer scope).
 */
import { emptyGraph, GraphBuilder } from '../onnx/builder.js';
import type { Graph, ValueInfo } from '../onnx/graph.js';
import { valueInfoProto } from '../onnx/graph.js';
import { DataType, onnx, type TensorProto } from '../onnx/proto.js';
import type { Carried, StepGraph } from './step-graph.js';

/** The compiled K-step graph and the names of its feeds and outputs. */
export interface MultiStepGraph {
  readonly graph: Graph;
  /** Batches [K, B, …]. */
  readonly input: string;
  /** One-hot labels [K, B, classes]. */
  readonly oneHot: string;
  /** Per-step scalar name → its [K] feed. */
  readonly scalars: Readonly<Record<string, string>>;
  /** Per-step logits [K, B, classes] and loss [K]. */
  readonly logits: string;
  readonly loss: string;
  /** Each loss term's [K] output, by term name. */
  readonly terms: Readonly<Record<string, string>>;
  /** Carried tensors: fed once, returned after the K-th step. */
  readonly carried: readonly Carried[];
}

/** The outer name of a step graph's tensor. @example `loopName('fc.weight') // 'loop:fc.weight'` */
export const loopName = (name: string): string => `loop:${name}`;

const ITER = 'loop/iter';
const COND_IN = 'loop/cond_in';
const COND_OUT = 'loop/cond_out';

function boolScalar(name: string, value: boolean): TensorProto {
  return { name, dims: [], dataType: DataType.BOOL, rawData: new Uint8Array([value ? 1 : 0]) };
}

/**
 * Wraps a step graph in a Loop that runs it once per fed batch (see the file comment).
 *
 * @example
 * ```ts
 * const multi = buildMultiStepGraph(step); // feed multi.input [K, B, 3, 64, 64]: K optimizer steps per run
 * ```
 */
export function buildMultiStepGraph(step: StepGraph): MultiStepGraph {
  const body = step.graph;
  const info = (name: string): ValueInfo => {
    const i = body.inputs.find((v) => v.name === name) ?? body.outputs.find((v) => v.name === name);
    if (!i) throw new Error(`multi-step: no value info for "${name}"`);
    return i;
  };
  const perStep = [step.input, step.oneHot, ...Object.values(step.scalars)];
  // the body reads its step's slice of each [K, …] feed from the outer scope
  const gathers = perStep.map((name) => ({
    opType: 'Gather',
    name: `loop/gather/${name}`,
    input: [loopName(name), ITER],
    output: [name],
    attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 }],
  }));
  const scanned = [step.loss, step.logits, ...Object.values(step.terms)];
  const bodyProto = {
    name: 'step',
    node: [...gathers, { opType: 'Identity', name: 'loop/cond', input: [COND_IN], output: [COND_OUT] }, ...body.nodes],
    initializer: [...body.initializers.values()],
    input: [
      { name: ITER, elemType: DataType.INT64, dims: [] },
      { name: COND_IN, elemType: DataType.BOOL, dims: [] },
      ...step.carried.map((c) => info(c.input)),
    ].map(valueInfoProto),
    output: [{ name: COND_OUT, elemType: DataType.BOOL, dims: [] }, ...step.carried.map((c) => info(c.output)), ...scanned.map(info)].map(valueInfoProto),
  };
  const g = emptyGraph(body.opset, 'multi-step');
  const b = new GraphBuilder(g, 'loop');
  for (const name of perStep) {
    const i = info(name);
    g.inputs.push({ name: loopName(name), elemType: i.elemType, dims: ['K', ...i.dims] });
  }
  for (const c of step.carried) g.inputs.push({ name: loopName(c.input), elemType: DataType.FLOAT, dims: [...c.dims] });
  g.initializers.set('loop/true', boolScalar('loop/true', true));
  const trips = b.op('Gather', [b.op('Shape', [loopName(step.input)]), b.constInt64([0], [])], { axis: 0 });
  const carriedOut = step.carried.map((c) => loopName(c.output));
  const scanOut = scanned.map(loopName);
  g.nodes.push({
    opType: 'Loop',
    name: 'loop/steps',
    input: [trips, 'loop/true', ...step.carried.map((c) => loopName(c.input))],
    output: [...carriedOut, ...scanOut],
    attribute: [{ name: 'body', type: onnx.AttributeProto.AttributeType.GRAPH, g: bodyProto }],
  });
  g.invalidate();
  g.outputs = [
    ...scanned.map((name) => ({ name: loopName(name), elemType: DataType.FLOAT, dims: ['K', ...info(name).dims] })),
    ...step.carried.map((c) => ({ name: loopName(c.output), elemType: DataType.FLOAT, dims: [...c.dims] })),
  ];
  return {
    graph: g,
    input: loopName(step.input),
    oneHot: loopName(step.oneHot),
    scalars: Object.fromEntries(Object.entries(step.scalars).map(([k, v]) => [k, loopName(v)])),
    logits: loopName(step.logits),
    loss: loopName(step.loss),
    terms: Object.fromEntries(Object.entries(step.terms).map(([k, v]) => [k, loopName(v)])),
    carried: step.carried.map((c) => ({ input: loopName(c.input), output: loopName(c.output), dims: c.dims })),
  };
}
