/**
 * The compiled step of an image optimisation: parameters → image → transforms → model → objective,
 * differentiated with respect to the parameters, in one ONNX graph and one engine session. Each
 * call of {@link ImageProgram.step} is a single engine run that returns the objective and its
 * gradient.
 *
 * The graph is built in four parts:
 * 1. the model's trunk: only the nodes the objective needs (an objective on an early layer never
 *    runs the classifier head), with the input fixed to the size the model runs at;
 * 2. a prefix (parameterization, transforms, the model's preprocessing) composed in front of it
 *    with `composeGraphs`; the transforms' random values are extra graph inputs;
 * 3. the objective's nodes after the activations it reads, ending in one scalar;
 * 4. the backward pass from that scalar to the parameters, by the gradient compiler.
 */
import { differentiate, gradientOutputName, readOutputName, seedInputName } from '../compiler/differentiate.js';
import { redirectedReluRules } from '../compiler/rulesets/redirected.js';
import { standardRules } from '../compiler/rulesets/standard.js';
import { Model } from '../engine/model.js';
import { probeGraph } from '../engine/probe.js';
import type { RuntimeSession } from '../engine/runtime.js';
import { LucernaError, unknownTensorError } from '../errors.js';
import type { PixelOptions } from '../io/preprocess.js';
import { emptyGraph, GraphBuilder } from '../onnx/builder.js';
import { composeGraphs } from '../onnx/compose.js';
import type { Graph } from '../onnx/graph.js';
import { DataType, encodeModel, type NodeProto } from '../onnx/proto.js';
import { COMPILER_OPSET } from '../onnx/upgrade.js';
import { formatShape, sizeOf } from '../tensor/tensor.js';
import { DEFAULT_PIXEL_OPTIONS, emitModelInput } from './model-input.js';
import type { ActivationInfo, Objective, ObjectiveContext } from './objectives.js';
import { throwIfCancelled } from './optimize.js';
import type { ImageParameterization } from './parameterizations.js';
import { applyTransforms, type RandomInput, resizeTo, type Transform } from './transforms.js';

/** What to compile. */
export interface ImageProgramSpec {
  readonly parameterization: ImageParameterization;
  /** Applied in order to the image every step (default none). */
  readonly transforms?: readonly Transform[];
  readonly objective: Objective;
  /** The model's preprocessing (default ImageNet normalisation, NCHW, RGB). */
  readonly pixels?: PixelOptions;
  /** [height, width] the model runs at (default: the image size); the transformed image is resized to it. */
  readonly modelSize?: readonly [number, number];
  /** Checked between the compile's stages (probe, differentiation, session): rejects with ABORTED. */
  readonly signal?: AbortSignal;
  /**
   * Redirect ReLU gradients (Lucid's override, see `compiler/rulesets/redirected.ts`) during the
   * first this many steps, so an objective whose units are all off at the start can still move
   * (default 0: ordinary gradients throughout).
   */
  readonly reluRedirectSteps?: number;
}

const REDIRECT = 'lucerna/relu-redirect';

const PARAMETERS = 'lucerna/parameters';

/** One step's result. */
export interface StepResult {
  /** The objective's value before the update. */
  readonly value: number;
  /** d objective / d parameters. */
  readonly gradient: Float32Array;
}

/**
 * A compiled optimisation step. Dispose it to release its engine session.
 *
 * @example
 * ```ts
 * await using program = await compileImageProgram(model, { parameterization, objective });
 * const { value, gradient } = await program.step(params, uniform);
 * ```
 */
export class ImageProgram implements AsyncDisposable {
  constructor(
    private readonly session: RuntimeSession,
    /** Shape of the parameter tensor. */
    readonly parameterShape: readonly number[],
    /** The random inputs drawn at each step. */
    readonly randoms: readonly RandomInput[],
    private readonly names: { objective: string; image: string },
    /** Shapes of the activations the objective reads, by layer name. */
    readonly activations: ReadonlyMap<string, readonly number[]>,
    /** Steps whose ReLU gradients are redirected (0 when the graph has no redirect switch). */
    readonly redirectSteps = 0,
  ) {}

  private steps = 0;

  private feeds(parameters: Float32Array, uniform: () => number, redirect = false): Record<string, { data: Float32Array; shape: readonly number[] }> {
    if (parameters.length !== sizeOf(this.parameterShape)) {
      throw new LucernaError('BAD_SHAPE', `Expected ${sizeOf(this.parameterShape)} parameters ${formatShape(this.parameterShape)}, got ${parameters.length}`);
    }
    const feeds: Record<string, { data: Float32Array; shape: readonly number[] }> = {
      [PARAMETERS]: { data: parameters, shape: this.parameterShape },
      [seedInputName(this.names.objective)]: { data: Float32Array.of(1), shape: [] },
    };
    for (const r of this.randoms) feeds[r.name] = { data: r.draw(uniform), shape: r.shape };
    if (this.redirectSteps > 0) feeds[REDIRECT] = { data: Float32Array.of(redirect ? 1 : 0), shape: [] };
    return feeds;
  }

  /**
   * One forward+backward run: the objective and its gradient with respect to the parameters (with
   * redirected ReLU gradients during the first {@link ImageProgram.redirectSteps} calls).
   */
  async step(parameters: Float32Array, uniform: () => number): Promise<StepResult> {
    const grad = gradientOutputName(PARAMETERS);
    const value = readOutputName(this.names.objective);
    const redirect = this.steps < this.redirectSteps;
    this.steps += 1;
    const out = await this.session.run(this.feeds(parameters, uniform, redirect), [grad, value]);
    const g = out[grad]?.data;
    const v = out[value]?.data;
    if (!g || !v) throw new LucernaError('RUNTIME_ERROR', 'The engine did not return the objective and its gradient');
    return { value: Number(v[0]), gradient: g instanceof Float32Array ? g : Float32Array.from(g as ArrayLike<number>) };
  }

  /** The image [N, 3, H, W] in (0, 1) (or the parameterization's range) the parameters make, before any transform. */
  async render(parameters: Float32Array): Promise<Float32Array> {
    const name = readOutputName(this.names.image);
    const out = await this.session.run(
      this.feeds(parameters, () => 0.5),
      [name],
    );
    return Float32Array.from(out[name]?.data as ArrayLike<number>);
  }

  dispose(): Promise<void> {
    return this.session.dispose();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}

/**
 * The tensor a layer name stands for: a tensor of the graph, or a node with one output. Unknown
 * names, weights and the input get a clear error.
 *
 * @example
 * ```ts
 * resolveLayer(model.graph, 'conv1'); // 'conv1_output' when "conv1" names a node
 * ```
 */
export function resolveLayer(graph: Graph, layer: string): string {
  if (graph.isInitializer(layer))
    throw new LucernaError('BAD_OPTION', `"${layer}" is a weight of the model, not an activation`, 'Pass the name of an activation tensor');
  if (graph.inputs.some((i) => i.name === layer))
    throw new LucernaError('BAD_OPTION', `"${layer}" is the model input, not a layer`, 'Pick a layer inside the model');
  if (graph.producer(layer)) return layer;
  const node = graph.nodes.find((n) => n.name === layer);
  const outs = (node?.output ?? []).filter((o) => o);
  if (outs.length === 1) return outs[0] as string;
  throw unknownTensorError(layer, graph.tensorNames(), 'layer');
}

/**
 * The part of `graph` that computes `outputs`, which become its outputs, with the primary input
 * fixed to `inputDims`. Unused initializers are dropped. `shapes` (e.g. a prepared graph's) gives
 * the outputs their declared shapes; without it they are declared rank 0.
 *
 * @example
 * ```ts
 * const trunk = trunkGraph(model.graph, ['/layer2/layer2.0/relu/Relu_output_0'], [1, 3, 64, 64]);
 * ```
 */
export function trunkGraph(graph: Graph, outputs: readonly string[], inputDims: readonly number[], shapes?: ReadonlyMap<string, readonly number[]>): Graph {
  const g = graph.clone();
  const needed = new Set(outputs);
  const kept: NodeProto[] = [];
  for (const n of [...g.topoSorted()].reverse()) {
    if (!(n.output ?? []).some((o) => needed.has(o))) continue;
    kept.push(n);
    for (const i of n.input ?? []) if (i) needed.add(i);
  }
  g.nodes = kept.reverse();
  const input = g.primaryInput().name;
  g.inputs = g.inputs.map((v) => (v.name === input ? { ...v, dims: [...inputDims] } : v));
  // Declared shapes when known: onnxruntime-web refuses a declared rank 0 that inference contradicts.
  g.outputs = outputs.map((name) => ({ name, elemType: DataType.FLOAT, dims: [...(shapes?.get(name) ?? [])] }));
  g.initializers = new Map([...g.initializers].filter(([name]) => needed.has(name)));
  g.invalidate();
  return g;
}

/** Keeps only the nodes that `targets` depend on. */
function pruneTo(graph: Graph, targets: readonly string[]): void {
  const needed = new Set(targets);
  const kept: NodeProto[] = [];
  for (const n of [...graph.topoSorted()].reverse()) {
    if (!(n.output ?? []).some((o) => needed.has(o))) continue;
    kept.push(n);
    for (const i of n.input ?? []) if (i) needed.add(i);
  }
  graph.nodes = kept.reverse();
  graph.outputs = [];
  graph.invalidate();
}

function modelInputDims(batch: number, [h, w]: readonly [number, number], pixels: PixelOptions): number[] {
  return pixels.layout === 'NHWC' ? [batch, h, w, pixels.channels] : [batch, pixels.channels, h, w];
}

/** The prefix: parameters → image (read) → transforms → resize → model input. */
function buildPrefix(spec: ImageProgramSpec, modelSize: readonly [number, number], pixels: PixelOptions) {
  const p = spec.parameterization;
  const g = emptyGraph(COMPILER_OPSET, 'lucerna/visualization');
  g.inputs = [{ name: PARAMETERS, elemType: DataType.FLOAT, dims: [...p.shape] }];
  const b = new GraphBuilder(g, 'lucerna/prefix');
  const image = b.op('Identity', [p.emit(b, PARAMETERS)], {}, { outputs: ['lucerna/image'] });
  const transforms = [...(spec.transforms ?? []), resizeTo(modelSize[0], modelSize[1])];
  const { image: transformed, randoms } = applyTransforms(b, { name: image, shape: p.imageShape }, transforms);
  const input = emitModelInput(b, transformed.name, transformed.shape, pixels);
  g.inputs.push(...randoms.map((r) => ({ name: r.name, elemType: DataType.FLOAT, dims: [...r.shape] })));
  g.outputs = [{ name: input.name, elemType: DataType.FLOAT, dims: input.shape }];
  g.invalidate();
  return { graph: g, image, randoms };
}

/** The trunk the objective needs, prepared at the model input size. */
async function preparedTrunk(model: Model, spec: ImageProgramSpec, layers: ReadonlyMap<string, string>, dims: readonly number[]) {
  const outputs = [...new Set([...layers.values(), ...(spec.objective.needs.output ? [model.outputNames[0] as string] : [])])];
  const trunk = Model.fromGraph(trunkGraph(model.graph, outputs, dims), { runtime: model.runtime, ...model.options, name: model.name });
  try {
    return await trunk.prepare(dims);
  } catch (e) {
    const reason = String((e as Error)?.message ?? e).split('\n')[0];
    throw new LucernaError(
      'BAD_SHAPE',
      `${model.name} cannot run at input ${formatShape(dims)} up to the objective's layers (${reason})`,
      'Use the model input size',
    );
  } finally {
    await trunk.dispose();
  }
}

/**
 * Compiles an image optimisation for `model`: one session computing the objective and its gradient
 * with respect to the parameters. Layer and channel errors surface here, before any step.
 *
 * @example
 * ```ts
 * const program = await compileImageProgram(model, { parameterization: imageParameterization(1, [224, 224]), objective: channel(l, 3) });
 * ```
 */
export async function compileImageProgram(model: Model, spec: ImageProgramSpec): Promise<ImageProgram> {
  const pixels = spec.pixels ?? DEFAULT_PIXEL_OPTIONS;
  const [batch, , h, w] = spec.parameterization.imageShape;
  const modelSize = spec.modelSize ?? [h, w];
  const layers = new Map(spec.objective.needs.layers.map((l) => [l, resolveLayer(model.graph, l)]));
  throwIfCancelled(spec.signal);
  const prepared = await preparedTrunk(model, spec, layers, modelInputDims(batch, modelSize, pixels));
  throwIfCancelled(spec.signal);
  const prefix = buildPrefix(spec, modelSize, pixels);
  const graph = composeGraphs(prefix.graph, prepared.graph);
  const b = new GraphBuilder(graph, 'lucerna/objective');
  const info = (tensor: string): ActivationInfo => {
    if (prepared.types.get(tensor) !== 'float32')
      throw new LucernaError('BAD_DTYPE', `Layer "${tensor}" holds ${prepared.types.get(tensor)} values, not float32`);
    return { name: tensor, shape: prepared.shapes.get(tensor) ?? [] };
  };
  const ctx: ObjectiveContext = {
    b,
    activation: (layer) => info(layers.get(layer) ?? resolveLayer(model.graph, layer)),
    output: () => info(model.outputNames[0] as string),
  };
  const objective = b.op('Identity', [spec.objective.emit(ctx)], {}, { outputs: ['lucerna/objective'] });
  pruneTo(graph, [objective, prefix.image]);
  const probe = await probeGraph(model.runtime, graph, model.options);
  const scalarShape = probe.shapes.get(objective) ?? [];
  if (sizeOf(scalarShape) !== 1)
    throw new LucernaError('BAD_PLAN', `The objective ${spec.objective.description} is not a scalar: shape ${formatShape(scalarShape)}`);
  throwIfCancelled(spec.signal);
  const redirectSteps = spec.reluRedirectSteps ?? 0;
  if (!Number.isInteger(redirectSteps) || redirectSteps < 0)
    throw new LucernaError('BAD_OPTION', `The ReLU redirect steps must be an integer ≥ 0, got ${redirectSteps}`);
  const rules = redirectSteps > 0 ? redirectedReluRules(REDIRECT) : standardRules;
  const d = differentiate(graph, probe, { seeds: [objective], wrt: [PARAMETERS], read: [objective, prefix.image] }, rules);
  const switched = redirectSteps > 0 && d.graph.nodes.some((n) => n.input?.includes(REDIRECT));
  if (switched) d.graph.inputs.push({ name: REDIRECT, elemType: DataType.FLOAT, dims: [] });
  throwIfCancelled(spec.signal);
  const session = await model.runtime.createSession(encodeModel(d.graph.toModel()), model.options);
  const activations = new Map([...layers].map(([l, t]) => [l, prepared.shapes.get(t) ?? []]));
  return new ImageProgram(session, spec.parameterization.shape, prefix.randoms, { objective, image: prefix.image }, activations, switched ? redirectSteps : 0);
}
