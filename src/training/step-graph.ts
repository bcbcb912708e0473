/**
 * The training step as one ONNX graph: forward (BatchNorm in train or frozen mode), the loss terms,
 * the backward pass from our compiler, and the optimizer update — so one `run()` is one step.
 * Parameters, optimizer state and running statistics are graph inputs, and their next values are
 * graph outputs that the next step feeds straight back.
 *
 * Names: parameter `p` is fed as `p` and comes back as `next:p`; its optimizer slot `s` is fed as
 * `s:p` and comes back as `next:s:p`; running statistics as parameters. The one-hot labels are
 * `labels_onehot`, the per-step scalars `opt:<name>`; the outputs start with the logits and `loss`.
 */
import { differentiate, seedInputName } from '../compiler/differentiate.js';
import { convRuleWith } from '../compiler/rules/conv.js';
import { GEMM_INPUT_GRAD_POSITIONS } from '../compiler/rules/conv-gemm.js';
import { standardRules } from '../compiler/rulesets/index.js';
import { extendRuleSet, type RuleSet } from '../compiler/vjp.js';
import type { PreparedGraph } from '../engine/prepare.js';
import { probeGraph } from '../engine/probe.js';
import type { Runtime, SessionOptions } from '../engine/runtime.js';
import { LucernaError } from '../errors.js';
import { GraphBuilder } from '../onnx/builder.js';
import type { Graph, ValueInfo } from '../onnx/graph.js';
import { DataType } from '../onnx/proto.js';
import { floatTensor } from '../onnx/tensors.js';
import { sameShape } from '../tensor/tensor.js';
import { rewriteBatchNormForTraining } from './batchnorm.js';
import { rewriteDropoutForTraining } from './dropout.js';
import { fuseMomentumIntoGemm } from './fuse-momentum.js';
import { lowerWideConvs, TRAINING_GEMM_POSITIONS } from './gemm-convs.js';
import type { LossContext, LossTerm } from './loss.js';
import type { Optimizer, OptimizerHyper } from './optimizers/types.js';
import { splitFilterHeavyConvs } from './split-convs.js';

/** BatchNorm during training: batch statistics (and running updates), or the running ones, unchanged. */
export type BatchNormMode = 'train' | 'frozen';

/** What to compile into one step. */
export interface StepGraphOptions {
  readonly trainable: readonly string[];
  readonly optimizer: Optimizer;
  readonly hyper: OptimizerHyper;
  readonly bn: BatchNormMode;
  readonly loss: readonly LossTerm[];
  /** Seed of the Dropout masks (node k gets seed + k; default 0). */
  readonly seed?: number;
  /**
   * Run wide convs with few output positions (at most TRAINING_GEMM_POSITIONS per image) as Gemms
   * over the batch, forward pass and input gradient (gemm-convs.ts; default true). False keeps ORT's
   * Conv forward and the compiler's default input-gradient forms.
   */
  readonly gemmConvs?: boolean;
  /** Fold momentum updates into the Gemm that computes their gradient (fuse-momentum.ts; default true). */
  readonly fuseMomentum?: boolean;
  /**
   * Run dense convs with more filters than output positions per image (up to twice as many) as two
   * Convs over halves of the filters, forward pass and gradients (split-convs.ts). Default: when the
   * session runs more than one intra-op thread (or the count is unknown); with one thread the
   * halves cost about 4 % more per ResNet-18 step; with two they are neutral on free cores and save
   * time when other work takes the second core at times (BENCHMARKS.md, "Training step", session 12).
   */
  readonly splitConvs?: boolean;
  /**
   * Build the im2col of large conv weight gradients (ResNet-18's layer1 at 64 px, batch 32) by one
   * Gather and multiply it in one Gemm (conv-gemm.ts, `gatheredColumns`), instead of per-tap
   * slices and products. Default: as `splitConvs`; with two threads ≈ 2.5 % less per ResNet-18 step,
   * with one ≈ 4 % more (BENCHMARKS.md, "Training step", session 13).
   */
  readonly gatherColumns?: boolean;
}

/** A tensor fed in and returned updated. */
export interface Carried {
  readonly input: string;
  readonly output: string;
  /** The shape the graph feeds and returns it in. */
  readonly dims: readonly number[];
  /**
   * Its own shape (a parameter's, for an optimizer slot: what the optimizer-state file records),
   * when the graph carries it in another one with the same values in the same order (a momentum
   * buffer folded into a Gemm: fuse-momentum.ts).
   */
  readonly stored?: readonly number[];
}

/** The compiled step graph and the names of its feeds and outputs. */
export interface StepGraph {
  readonly graph: Graph;
  readonly input: string;
  readonly oneHot: string;
  readonly logits: string;
  readonly loss: string;
  /** Each loss term's scalar output, by term name (the total `loss` is their sum). */
  readonly terms: Readonly<Record<string, string>>;
  /** Per-step scalar name → its graph input. */
  readonly scalars: Readonly<Record<string, string>>;
  /** Parameters, optimizer slots (`slot:param`) and running statistics, by their feed name. */
  readonly carried: readonly Carried[];
}

/**
 * The standard rules with the training step's Conv rule: wide convs' input gradients as Gemms at
 * the step's threshold (gemm-convs.ts) unless `gemmConvs` is false, filter-heavy ones as filter
 * halves (split-convs.ts) unless `splitConvs` is false, large weight gradients over one gathered
 * im2col unless `gatherColumns` is false.
 */
function trainingRules(options: Pick<StepGraphOptions, 'gemmConvs' | 'splitConvs' | 'gatherColumns'>): RuleSet {
  const gemm = options.gemmConvs !== false;
  const split = options.splitConvs !== false;
  const gather = options.gatherColumns !== false;
  if (!gemm && !split && !gather) return standardRules;
  const conv = convRuleWith(gemm ? TRAINING_GEMM_POSITIONS : GEMM_INPUT_GRAD_POSITIONS, split, gather);
  const name = `training${gemm ? '' : '-no-gemm'}${split ? '' : '-no-split'}${gather ? '' : '-no-gather'}`;
  return extendRuleSet(standardRules, name, { Conv: conv });
}

/** The output that returns a carried tensor's next value. @example `nextName('fc.weight') // 'next:fc.weight'` */
export const nextName = (name: string): string => `next:${name}`;
/** The feed of one optimizer slot of one parameter. @example `slotName('exp_avg', 'fc.weight') // 'exp_avg:fc.weight'` */
export const slotName = (slot: string, param: string): string => `${slot}:${param}`;
/** The one-hot labels input [B, K]. @example `feeds[ONE_HOT] = { data: oneHotRows(labels, k), shape: [b, k] }` */
export const ONE_HOT = 'labels_onehot';
/** The scalar loss output. @example `out[LOSS].data[0]` */
export const LOSS = 'loss';

function promote(graph: Graph, name: string): ValueInfo {
  const dims = graph.initializerDims(name);
  graph.initializers.delete(name);
  const info: ValueInfo = { name, elemType: DataType.FLOAT, dims };
  graph.inputs.push(info);
  return info;
}

function logitsOf(graph: Graph, shape: (t: string) => readonly number[]): { name: string; batch: number; classes: number } {
  const name = graph.outputs[0]?.name ?? '';
  const dims = shape(name);
  if (dims.length !== 2) {
    throw new LucernaError(
      'UNSUPPORTED_MODEL',
      `The model's first output "${name}" has shape [${dims.join(', ')}]; training needs class logits [batch, classes]`,
    );
  }
  return { name, batch: dims[0] as number, classes: dims[1] as number };
}

/** Renames a node-produced tensor everywhere it appears (its producer and every consumer). */
function renameTensor(graph: Graph, from: string, to: string): void {
  const swap = (names: readonly string[] | null | undefined) => (names ?? []).map((t) => (t === from ? to : t));
  // copies, not edits: a cloned graph shares its node objects with the graph it came from
  graph.nodes = graph.nodes.map((n) => (n.output?.includes(from) || n.input?.includes(from) ? { ...n, input: swap(n.input), output: swap(n.output) } : n));
  graph.invalidate();
}

/**
 * Builds the step graph of a prepared (static-shaped) model.
 *
 * @example
 * ```ts
 * const step = await buildStepGraph(nodeRuntime, prepared, { trainable, optimizer: sgd, hyper, bn: 'train', loss: [softmaxCrossEntropy()] });
 * ```
 */
export async function buildStepGraph(runtime: Runtime, prepared: PreparedGraph, options: StepGraphOptions, session: SessionOptions = {}): Promise<StepGraph> {
  const g = prepared.graph.clone();
  const threads = session.threads ?? runtime.defaultThreads;
  const threaded = threads === undefined || threads > 1;
  const convs = { gemmConvs: options.gemmConvs, splitConvs: options.splitConvs ?? threaded, gatherColumns: options.gatherColumns ?? threaded };
  const shapeOf = (t: string): readonly number[] => prepared.shapes.get(t) ?? g.initializerDims(t);
  const input = g.primaryInput().name;
  const logits = logitsOf(g, shapeOf);
  const fb = new GraphBuilder(g, 'train');
  const running = options.bn === 'train' ? rewriteBatchNormForTraining(g, fb, shapeOf) : [];
  rewriteDropoutForTraining(g, fb, options.seed ?? 0);
  for (const p of options.trainable) {
    if (!g.isInitializer(p))
      throw new LucernaError('UNSUPPORTED_MODEL', `Parameter "${p}" is folded into a constant when the model is prepared; it cannot train`);
  }
  const carried: Carried[] = [];
  for (const name of [...options.trainable, ...running.map((r) => r.name)]) promote(g, name);
  g.inputs.push({ name: ONE_HOT, elemType: DataType.FLOAT, dims: [logits.batch, logits.classes] });
  const states = new Map<string, { dims: readonly number[]; next: string }>();
  const ctx: LossContext = {
    b: fb,
    logits: logits.name,
    batch: logits.batch,
    classes: logits.classes,
    oneHot: ONE_HOT,
    shape: shapeOf,
    state: (name, dims) => {
      if (states.has(name)) return name;
      const info = g.isInitializer(name) ? promote(g, name) : { name, elemType: DataType.FLOAT, dims: [...dims] };
      if (!g.inputs.includes(info)) g.inputs.push(info);
      states.set(name, { dims: info.dims as readonly number[], next: name });
      return name;
    },
    update: (name, next) => {
      const s = states.get(name);
      if (!s) throw new Error(`update: "${name}" is not declared state`);
      states.set(name, { ...s, next });
    },
  };
  const terms = options.loss.map((t) => t.emit(ctx));
  fb.op(terms.length === 1 ? 'Identity' : 'Sum', terms, {}, { outputs: [LOSS] });
  const termOutputs: Record<string, string> = {};
  g.outputs = [
    { name: logits.name, elemType: DataType.FLOAT, dims: [logits.batch, logits.classes] },
    { name: LOSS, elemType: DataType.FLOAT, dims: [] },
  ];
  options.loss.forEach((t, i) => {
    const name = terms[i] as string;
    if (name === LOSS || termOutputs[t.name] !== undefined) return;
    termOutputs[t.name] = name;
    g.outputs.push({ name, elemType: DataType.FLOAT, dims: [] });
  });
  const probe = await probeGraph(runtime, g, session);
  const d = differentiate(g, probe, { seeds: [LOSS], wrt: options.trainable, read: [] }, trainingRules(convs));
  const graph = d.graph;
  // The loss is seeded with 1 inside the graph.
  const seed = seedInputName(LOSS);
  graph.inputs = graph.inputs.filter((i) => i.name !== seed);
  graph.initializers.set(seed, floatTensor(seed, [1], []));

  const b = new GraphBuilder(graph, 'opt');
  const scalarNames = Object.keys(options.optimizer.scalars(options.hyper, { lr: 1, step: 1 }));
  const scalars: Record<string, string> = {};
  for (const s of scalarNames) {
    scalars[s] = `opt:${s}`;
    graph.inputs.push({ name: scalars[s], elemType: DataType.FLOAT, dims: [] });
  }
  const outputs: ValueInfo[] = [...g.outputs];
  const renamed = new Map<string, string>();
  const carry = (input: string, value: string, dims: readonly number[]) => {
    const output = nextName(input);
    const current = renamed.get(value) ?? value;
    // Name the producing node's output after the carried tensor: an Identity would copy it every step.
    if (current === value && graph.producer(value) && !outputs.some((o) => o.name === value)) {
      renameTensor(graph, value, output);
      renamed.set(value, output);
    } else b.op('Identity', [current], {}, { outputs: [output] });
    outputs.push({ name: output, elemType: DataType.FLOAT, dims: [...dims] });
    carried.push({ input, output, dims });
  };
  const slots = options.optimizer.slots(options.hyper);
  for (const p of options.trainable) {
    const dims = prepared.graph.initializerDims(p);
    const state: Record<string, string> = {};
    for (const s of slots) {
      state[s] = slotName(s, p);
      graph.inputs.push({ name: state[s], elemType: DataType.FLOAT, dims });
    }
    const grad = d.gradientOutputs.get(p) as string;
    const next = options.optimizer.emit(b, { param: p, grad, state }, options.hyper, scalars);
    carry(p, next.param, dims);
    for (const s of slots) carry(slotName(s, p), next.state[s] as string, dims);
  }
  for (const r of running) carry(r.name, r.next, prepared.graph.initializerDims(r.name));
  for (const [name, s] of states) carry(name, s.next, s.dims);
  graph.outputs = outputs;
  // after every output is in place: the lowering prunes the nodes that nothing reads any more
  const forwardConvs = new Set(g.nodes.filter((n) => n.opType === 'Conv' && n.name).map((n) => n.name as string));
  const known = (t: string) => prepared.shapes.get(t) ?? prepared.graph.initializerDims(t);
  if (options.gemmConvs !== false) lowerWideConvs(graph, known, forwardConvs, d.gradientOutputs);
  if (convs.splitConvs) splitFilterHeavyConvs(graph, known, forwardConvs);
  if (options.fuseMomentum !== false) fuseMomentumIntoGemm(graph, known);
  graph.nodes = graph.topoSorted();
  graph.invalidate();
  return { graph, input, oneHot: ONE_HOT, logits: logits.name, loss: LOSS, terms: termOutputs, scalars, carried: carried.map((c) => asDeclared(graph, c)) };
}

/** `c` with the dims its graph input now declares (a rewrite may carry it in another shape), its own kept as `stored`. */
function asDeclared(graph: Graph, c: Carried): Carried {
  const declared = graph.inputs.find((i) => i.name === c.input)?.dims;
  if (!declared || sameShape(declared, c.dims)) return c;
  return { ...c, dims: declared.map(Number), stored: c.dims };
}
