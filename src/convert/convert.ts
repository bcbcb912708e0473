/**
 * TF.js LayersModel → ONNX. Isomorphic: model.json and weight bytes in, ONNX bytes out.
 *
 * The ONNX model takes NCHW input `[N, C, H, W]` (batch dim symbolic `N`) where the Keras model
 * took NHWC; every rank-4 tensor inside is NCHW too. Node and tensor names keep the Keras layer
 * names: the output of layer `out_relu` is the tensor `out_relu`, and each model output is named
 * after its last layer (e.g. `dense_3`). See `context.ts` for helper-node naming.
 */
import { LucernaError } from '../errors.js';
import type { Preprocessing } from '../io/preprocess.js';
import type { Sidecar } from '../io/sidecar.js';
import { emptyGraph, GraphBuilder } from '../onnx/builder.js';
import type { ValueInfo } from '../onnx/graph.js';
import { DataType, encodeModel } from '../onnx/proto.js';
import { ConvertContext, unsupportedLayer } from './context.js';
import { layerConverters, SUPPORTED_LAYERS } from './layers/index.js';
import { planBatchNormFolds } from './layers/normalization.js';
import { declaredBatchShape, parseTopology } from './topology.js';
import type { KerasLayer, KerasShape, KerasTopology, KTensor, WeightsGroup } from './types.js';
import { decodeWeights, WeightStore } from './weights.js';

/**
 * The ONNX opset the converter writes.
 *
 * @example `graphFromBytes(convertLayersModel(json, weights)).opset; // CONVERTER_OPSET`
 */
export const CONVERTER_OPSET = 17;

/** Options of {@link convertLayersModel}. */
export interface ConvertOptions {
  /** Drop a softmax at the end of each output layer, so the model outputs logits (default false). */
  readonly logits?: boolean;
  /** Preprocessing facts the model.json cannot tell (normalisation, resize mode…), merged into the sidecar. */
  readonly preprocessing?: Preprocessing;
  /** Class labels for the sidecar. */
  readonly labels?: readonly string[];
}

/** What the conversion did, for reports and the sidecar. */
export interface ConversionFacts {
  /** `keras_version` of the model.json. */
  readonly kerasVersion: string;
  /** The Keras (TF.js) input shape, NHWC with `null` for free dims, e.g. `[null, 224, 224, 3]`. */
  readonly sourceInputShape: KerasShape;
  /** The layout change: NHWC in TF.js, NCHW in ONNX (rank-4 inputs; others keep their layout). */
  readonly sourceLayout: 'NHWC';
  readonly layout: 'NCHW';
  /** The ONNX graph input: its name (the Keras input layer's) and dims, e.g. `['N', 3, 224, 224]`. */
  readonly input: ValueInfo;
  /** The ONNX graph outputs, named after the Keras output layers. */
  readonly outputs: readonly ValueInfo[];
  /** BatchNormalization layers folded into the conv before them. */
  readonly foldedBatchNorms: readonly string[];
}

/** The result of {@link convertLayersModelWithSidecar}. */
export interface ConvertedModel {
  readonly onnx: Uint8Array;
  /** Preprocessing (size, layout NCHW, channels, plus the given options) and labels, for `writeSidecar`. */
  readonly sidecar: Sidecar;
  readonly facts: ConversionFacts;
}

function onnxDims(shape: KerasShape, symbolic: boolean): (number | string)[] {
  const dim = (d: number | null | undefined, name: string) => (typeof d === 'number' ? d : symbolic ? name : `?${name}`);
  if (shape.length === 4) return ['N', dim(shape[3], 'C'), dim(shape[1], 'H'), dim(shape[2], 'W')];
  return ['N', ...shape.slice(1).map((d, i) => dim(d, `d${i + 1}`))];
}

function requireSupported(topology: KerasTopology): void {
  for (const layer of topology.layers) {
    if (layer.className !== 'InputLayer' && !layerConverters[layer.className]) {
      throw new LucernaError(
        'UNSUPPORTED_MODEL',
        `Cannot convert layer "${layer.name}" of class ${layer.className}`,
        `Supported classes: ${SUPPORTED_LAYERS.join(', ')}`,
      );
    }
  }
}

function manifestOf(modelJson: unknown): WeightsGroup[] {
  const manifest = (modelJson as { weightsManifest?: unknown }).weightsManifest;
  if (manifest === undefined) return [];
  if (!Array.isArray(manifest)) throw new LucernaError('BAD_FILE', 'weightsManifest in the model.json is not a list');
  return manifest as WeightsGroup[];
}

function inputValue(layer: KerasLayer): { info: ValueInfo; tensor: KTensor } {
  const shape = declaredBatchShape(layer.config);
  if (!shape) throw unsupportedLayer(layer, 'it declares no batch_input_shape');
  const dtype = layer.config.dtype;
  if (dtype !== undefined && dtype !== null && dtype !== 'float32' && typeof dtype === 'string')
    throw unsupportedLayer(layer, `input dtype ${dtype} is not supported`);
  return { info: { name: layer.name, elemType: DataType.FLOAT, dims: onnxDims(shape, true) }, tensor: { name: layer.name, shape: [null, ...shape.slice(1)] } };
}

function inputsOf(layer: KerasLayer, tensors: ReadonlyMap<string, KTensor>): KTensor[] {
  return layer.inbound.map((ref) => {
    const t = tensors.get(ref.layer);
    if (!t) throw unsupportedLayer(layer, `its input layer "${ref.layer}" was not converted`);
    if (ref.tensorIndex !== 0) throw unsupportedLayer(layer, `it reads output ${ref.tensorIndex} of layer "${ref.layer}"`);
    return t;
  });
}

/**
 * Throws when `labels` cannot name the classes of the model's first output: its last dim, when
 * known, must equal the number of labels.
 *
 * @example
 * ```ts
 * checkLabelCount(['cat', 'dog'], { name: 'scores', elemType: 1, dims: ['N', 3] }); // throws: 2 labels, 3 classes
 * ```
 */
export function checkLabelCount(labels: readonly string[] | undefined, output: ValueInfo | undefined): void {
  if (!labels || !output) return;
  const classes = output.dims.at(-1);
  if (typeof classes !== 'number' || classes === labels.length) return;
  throw new LucernaError(
    'BAD_OPTION',
    `${labels.length} label${labels.length === 1 ? '' : 's'} given, but the model's output "${output.name}" has ${classes} classes`,
    `Give ${classes} labels, one per class in output order`,
  );
}

function sidecarOf(facts: ConversionFacts, options: ConvertOptions): Sidecar {
  const shape = facts.sourceInputShape;
  const [h, w, c] = [shape[1], shape[2], shape[3]];
  const preprocessing: Preprocessing = {
    ...(shape.length === 4 && typeof h === 'number' && typeof w === 'number' ? { size: [h, w] as const } : {}),
    layout: 'NCHW',
    ...(c === 1 || c === 3 ? { channels: c } : {}),
    ...options.preprocessing,
  };
  return { preprocessing, ...(options.labels ? { labels: [...options.labels] } : {}) };
}

/**
 * Converts a TF.js LayersModel to ONNX and describes the result.
 *
 * @param modelJson The parsed model.json (`modelTopology` + `weightsManifest`).
 * @param weightData Every weight shard, concatenated in manifest order.
 * @example
 * ```ts
 * const { onnx, sidecar, facts } = convertLayersModelWithSidecar(modelJson, weightData, { preprocessing: { normalization: 'unit' } });
 * facts.input.dims; // ['N', 3, 224, 224]
 * ```
 */
export function convertLayersModelWithSidecar(modelJson: object, weightData: ArrayBuffer | Uint8Array, options: ConvertOptions = {}): ConvertedModel {
  const topology = parseTopology(modelJson);
  requireSupported(topology);
  const weights = new WeightStore(decodeWeights(manifestOf(modelJson), weightData));
  const graph = emptyGraph(CONVERTER_OPSET, 'tfjs_layers_model');
  const b = new GraphBuilder(graph);
  for (const layer of topology.layers) b.unique(layer.name);
  const outputSet = new Set(topology.outputs);
  const folds = planBatchNormFolds(topology.layers, outputSet);
  const foldedInto = new Map([...folds].map(([conv, bn]) => [bn.name, conv]));
  const ctx = new ConvertContext(b, weights, folds, outputSet, options.logits ?? false);
  const tensors = new Map<string, KTensor>();
  for (const layer of topology.layers) {
    if (layer.className === 'InputLayer') {
      const { info, tensor } = inputValue(layer);
      graph.inputs.push(info);
      tensors.set(layer.name, tensor);
      continue;
    }
    const conv = foldedInto.get(layer.name);
    const converted = conv
      ? tensors.get(conv)
      : (layerConverters[layer.className] as NonNullable<(typeof layerConverters)[string]>)(layer, inputsOf(layer, tensors), ctx);
    if (!converted) throw unsupportedLayer(layer, `the conv "${conv}" it folds into was not converted`);
    tensors.set(layer.name, converted);
  }
  const inputLayer = topology.layers.find((l) => l.name === topology.inputs[0]);
  if (!inputLayer || topology.inputs.length !== 1) {
    throw new LucernaError('UNSUPPORTED_MODEL', `The model has ${topology.inputs.length} inputs; the converter supports models with one input`);
  }
  graph.outputs = topology.outputs.map((name) => {
    const t = tensors.get(name) as KTensor;
    return { name: t.name, elemType: DataType.FLOAT, dims: onnxDims(t.shape, false) };
  });
  checkLabelCount(options.labels, graph.outputs[0]);
  const facts: ConversionFacts = {
    kerasVersion: topology.kerasVersion,
    sourceInputShape: (declaredBatchShape(inputLayer.config) ?? []) as KerasShape,
    sourceLayout: 'NHWC',
    layout: 'NCHW',
    input: graph.inputs[0] as ValueInfo,
    outputs: graph.outputs,
    foldedBatchNorms: [...foldedInto.keys()],
  };
  const model = graph.toModel();
  model.producerName = 'lucerna convert';
  model.metadataProps = [
    { key: 'lucerna.source', value: `TF.js LayersModel (keras_version ${topology.kerasVersion})` },
    { key: 'lucerna.layout', value: 'NCHW input; the TF.js model took NHWC' },
  ];
  return { onnx: encodeModel(model), sidecar: sidecarOf(facts, options), facts };
}

/**
 * Converts a TF.js LayersModel (model.json + weights) to ONNX bytes. The ONNX model takes NCHW
 * input `[N, C, H, W]`; its outputs are named after the Keras output layers.
 *
 * Unsupported layers stop the conversion with an `UNSUPPORTED_MODEL` error naming the layer and
 * its class and listing {@link SUPPORTED_LAYERS}.
 *
 * @param modelJson The parsed model.json (`modelTopology` + `weightsManifest`).
 * @param weightData Every weight shard, concatenated in manifest order.
 * @example
 * ```ts
 * const onnx = convertLayersModel(JSON.parse(jsonText), shardBytes);
 * const model = await Model.load(onnx);
 * ```
 */
export function convertLayersModel(modelJson: object, weightData: ArrayBuffer | Uint8Array, options: ConvertOptions = {}): Uint8Array {
  return convertLayersModelWithSidecar(modelJson, weightData, options).onnx;
}
