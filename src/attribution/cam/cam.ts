/**
 * CAM (Zhou et al. 2016, https://arxiv.org/abs/1512.04150): for a network that ends in global
 * average pooling followed by one linear layer, the class activation map is the last feature maps
 * weighted by the target class's row of the linear layer: map = Σ_c W[target, c]·A[c].
 *
 * The head is found from the graph: GlobalAveragePool (or ReduceMean over H and W), then any
 * Flatten/Reshape/Squeeze, then Gemm or MatMul (+ Add) with constant weights. Only a forward pass
 * is needed.
 */

import type { Model } from '../../engine/model.js';
import type { PreparedGraph } from '../../engine/prepare.js';
import { LucernaError } from '../../errors.js';
import { attrFloat, attrInt } from '../../onnx/attributes.js';
import type { Graph } from '../../onnx/graph.js';
import type { NodeProto } from '../../onnx/proto.js';
import { readFloats, tensorDims } from '../../onnx/tensors.js';
import { formatShape, sizeOf, type Tensor } from '../../tensor/tensor.js';
import { forwardScores } from '../forward.js';
import { layerActivations } from '../layer-activations.js';
import { reduceAxes, requireLayer } from '../layers.js';
import { LAYER_MAP_DISPLAY, LAYER_MAP_OPTIONS } from '../options.js';
import { scoreOutput } from '../targets.js';
import type { AttributionMethod, AttributionResult } from '../types.js';
import { type CamOptions, checkCamOptions, finishCamMaps, weightedChannelSum } from './template.js';

/** The GAP + linear head of a CAM-compatible model. */
export interface CamHead {
  /** The pooled 4-D layer. */
  readonly layer: string;
  /** Class weights W[k, c], row-major [classes, channels] (Gemm's alpha included). */
  readonly weights: Float32Array;
  readonly classes: number;
  readonly channels: number;
}

/** Ops allowed between the pooling and the linear layer. */
const PASS_THROUGH = new Set(['Flatten', 'Reshape', 'Squeeze', 'Identity', 'Dropout']);

const REQUIREMENT = 'CAM needs a model whose score is one linear layer (Gemm or MatMul with constant weights) on globally average-pooled 4-D features';
const GRAD_CAM_HINT = 'Use grad-cam instead: it works on any CNN, and on such heads it equals CAM divided by h·w';

function unsupported(found: string): LucernaError {
  return new LucernaError('UNSUPPORTED_MODEL', `${REQUIREMENT}; ${found}`, GRAD_CAM_HINT);
}

function describeTensor(graph: Graph, tensor: string): string {
  const p = graph.producer(tensor);
  return p ? `the ${p.opType} output "${tensor}"` : `"${tensor}"`;
}

/** The linear node producing `output`, its data input and its weight matrix as [K, C]. */
function linearLayer(graph: Graph, output: string): { input: string; weights: Float32Array; k: number; c: number } {
  let node = graph.producer(output);
  if (node?.opType === 'Add') {
    const ins = node.input ?? [];
    const matmul = ins.map((i) => graph.producer(i)).find((p) => p?.opType === 'MatMul');
    if (!matmul || !ins.some((i) => graph.isInitializer(i))) throw unsupported(`${describeTensor(graph, output)} is not a bias added to a MatMul`);
    node = matmul;
  }
  if (!node || (node.opType !== 'Gemm' && node.opType !== 'MatMul')) throw unsupported(`the score "${output}" is computed by ${node?.opType ?? 'no node'}`);
  const [input = '', weight = ''] = node.input ?? [];
  if (!graph.isInitializer(weight)) throw unsupported(`the ${node.opType} "${node.name}" has no constant weight matrix`);
  const dims = tensorDims(graph.initializer(weight));
  if (dims.length !== 2) throw unsupported(`the ${node.opType} weight "${weight}" has shape ${formatShape(dims)}, not 2-D`);
  if (node.opType === 'Gemm' && attrInt(node, 'transA', 0)) throw unsupported(`the Gemm "${node.name}" transposes its input (transA=1)`);
  return { input, ...classWeights(node, readFloats(graph.initializer(weight)), dims as [number, number]) };
}

/** The weight matrix of a Gemm or MatMul rearranged as W[k, c] (mind transB; alpha folded in). */
function classWeights(node: NodeProto, b: Float32Array, [rows, cols]: [number, number]): { weights: Float32Array; k: number; c: number } {
  const transposed = node.opType === 'Gemm' && attrInt(node, 'transB', 0) === 1;
  const alpha = node.opType === 'Gemm' ? attrFloat(node, 'alpha', 1) : 1;
  const [k, c] = transposed ? [rows, cols] : [cols, rows];
  const weights = new Float32Array(k * c);
  for (let t = 0; t < k; t++) {
    for (let ch = 0; ch < c; ch++) weights[t * c + ch] = alpha * (b[transposed ? t * cols + ch : ch * cols + t] as number);
  }
  return { weights, k, c };
}

function isSpatialMean(node: NodeProto, prepared: PreparedGraph): boolean {
  const inShape = prepared.shapes.get(node.input?.[0] ?? '');
  if (inShape?.length !== 4) return false;
  if (node.opType === 'GlobalAveragePool') return true;
  return node.opType === 'ReduceMean' && reduceAxes(node, prepared.graph, 4).join() === '2,3';
}

/**
 * Finds the GAP + linear head that ends in `output`, and reads its class weights.
 * Throws UNSUPPORTED_MODEL saying what was found instead.
 *
 * @example
 * ```ts
 * const head = findCamHead(await model.prepare(model.inputShape(1)), 'logits');
 * head.layer; // '/relu2/Relu_output_0'
 * ```
 */
export function findCamHead(prepared: PreparedGraph, output: string): CamHead {
  const graph = prepared.graph;
  const linear = linearLayer(graph, output);
  let pooled = linear.input;
  for (let p = graph.producer(pooled); p && PASS_THROUGH.has(p.opType ?? ''); p = graph.producer(pooled)) pooled = p.input?.[0] ?? '';
  const pool = graph.producer(pooled);
  if (!pool || !isSpatialMean(pool, prepared)) throw unsupported(`the linear layer reads ${describeTensor(graph, pooled)}, not a global average pool`);
  const layer = pool.input?.[0] as string;
  const layerShape = prepared.shapes.get(layer) ?? [];
  const channels = layerShape[1] as number;
  const linearIn = prepared.shapes.get(linear.input) ?? [];
  if (channels !== linear.c || sizeOf(linearIn) !== channels) {
    throw unsupported(`the pooled layer "${layer}" ${formatShape(layerShape)} does not match the linear layer's ${linear.c} input features`);
  }
  const outShape = prepared.shapes.get(output) ?? [];
  if (outShape.at(-1) !== linear.k) throw unsupported(`the score "${output}" ${formatShape(outShape)} does not have the linear layer's ${linear.k} classes`);
  return { layer, weights: linear.weights, classes: linear.k, channels };
}

async function checkLayerOption(model: Model, options: CamOptions, head: CamHead, inputShape: readonly number[]): Promise<void> {
  if (options.layer === undefined) return;
  const { name } = await requireLayer(model, options.layer, inputShape);
  if (name !== head.layer) {
    throw new LucernaError(
      'BAD_OPTION',
      `CAM is defined only at the globally pooled layer "${head.layer}", not "${name}"`,
      'Omit the layer, or use grad-cam for other layers',
    );
  }
}

/**
 * Class activation mapping: the raw map [N, 1, h, w] at the layer feeding the global average
 * pool (set `relu` and `upsample` as for Grad-CAM). It explains the logit, so
 * `score: 'probability'` is refused.
 *
 * @example
 * ```ts
 * const { attribution, details } = await cam.attribute(model, x, { target: 281, upsample: 'bilinear' });
 * details?.layer; // '/layer4/layer4.1/relu_1/Relu_output_0'
 * ```
 */
export const cam: AttributionMethod<CamOptions> = {
  name: 'cam',
  kind: 'layer',
  needs: { gradients: false, layer: true, baseline: false },
  options: LAYER_MAP_OPTIONS,
  output: 'layer-map',
  display: LAYER_MAP_DISPLAY,
  description: 'Class activation mapping for GAP + linear heads (Zhou et al. 2016)',
  async attribute(model: Model, x: Tensor, options: CamOptions = {}): Promise<AttributionResult> {
    model.validateInput(x);
    checkCamOptions(options);
    if (options.score === 'probability') {
      throw new LucernaError(
        'BAD_OPTION',
        'CAM explains the logit, a linear function of the pooled features; it has no probability form',
        'Omit score, or use grad-cam',
      );
    }
    const sampleShape = [1, ...x.shape.slice(1)];
    const head = findCamHead(await model.prepare(sampleShape), scoreOutput(model, options));
    await checkLayerOption(model, options, head, sampleShape);
    const { targets, scores } = await forwardScores(model, x, options);
    const a = await layerActivations(model, x, head.layer, options);
    const [n, c, h, w] = a.shape as [number, number, number, number];
    const maps = new Float32Array(n * h * w);
    for (let i = 0; i < n; i++) {
      const t = targets[i] as number;
      const sample = a.data.subarray(i * c * h * w, (i + 1) * c * h * w);
      maps.set(weightedChannelSum(sample, head.weights.subarray(t * c, (t + 1) * c), c, h * w), i * h * w);
    }
    const attribution = finishCamMaps({ data: maps, shape: [n, 1, h, w] }, x.shape, options);
    return { attribution, targets, scores, details: { layer: head.layer } };
  },
};
