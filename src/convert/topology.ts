/**
 * Reads the `modelTopology` of a TF.js LayersModel model.json into a flat, ordered layer list.
 *
 * Accepts the spellings of Keras 2.2.4 (as converted by tensorflowjs, e.g. nsfwjs), of tfjs-layers'
 * own `model.save()` (`modelTopology` is the model config itself), and of Keras 3
 * (`batch_shape`, `inbound_nodes` as `{args, kwargs}` with `keras_history`).
 */
import { LucernaError } from '../errors.js';
import type { InboundRef, KerasLayer, KerasShape, KerasTopology } from './types.js';

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function badModel(message: string): LucernaError {
  return new LucernaError('UNSUPPORTED_MODEL', message, 'Pass the model.json of a TF.js LayersModel (tf.loadLayersModel format)');
}

/** True when `v` is a `[layer, nodeIndex, tensorIndex, ...]` reference. */
function isRefArray(v: unknown): v is [string, number, number, ...unknown[]] {
  return Array.isArray(v) && typeof v[0] === 'string' && typeof v[1] === 'number';
}

function refOf(v: [string, number, number, ...unknown[]]): InboundRef {
  return { layer: v[0], nodeIndex: v[1], tensorIndex: typeof v[2] === 'number' ? v[2] : 0 };
}

/** Keras 3 call arguments: collects every `__keras_tensor__` in argument order. */
function kerasTensorRefs(arg: unknown, out: InboundRef[]): void {
  if (Array.isArray(arg)) {
    for (const a of arg) kerasTensorRefs(a, out);
    return;
  }
  if (!isObject(arg)) return;
  const history = isObject(arg.config) ? arg.config.keras_history : undefined;
  if (arg.class_name === '__keras_tensor__' && isRefArray(history)) out.push(refOf(history));
}

/** The inbound refs of one call of a layer, in either the list or the Keras 3 `{args}` form. */
function callRefs(node: unknown): InboundRef[] {
  if (Array.isArray(node)) return node.filter(isRefArray).map(refOf);
  const out: InboundRef[] = [];
  if (isObject(node)) kerasTensorRefs(node.args, out);
  return out;
}

function inboundOf(layer: Json, name: string): InboundRef[] {
  const nodes = Array.isArray(layer.inbound_nodes) ? layer.inbound_nodes : [];
  if (nodes.length > 1) {
    throw new LucernaError(
      'UNSUPPORTED_MODEL',
      `Cannot convert layer "${name}": it is called ${nodes.length} times (a shared layer)`,
      'Only models where each layer is used once can be converted',
    );
  }
  return nodes.length === 1 ? callRefs(nodes[0]) : [];
}

function layerOf(raw: unknown, inbound?: InboundRef[]): KerasLayer {
  if (!isObject(raw) || typeof raw.class_name !== 'string') throw badModel('A layer in the model config has no class_name');
  const config = isObject(raw.config) ? raw.config : {};
  const name = typeof raw.name === 'string' ? raw.name : typeof config.name === 'string' ? config.name : '';
  if (!name) throw badModel(`A ${raw.class_name} layer in the model config has no name`);
  return { name, className: raw.class_name, config, inbound: inbound ?? inboundOf(raw, name) };
}

/**
 * The batch shape a layer config declares (`batch_input_shape`, `batch_shape` or `input_shape`).
 *
 * @example `declaredBatchShape({ batch_input_shape: [null, 224, 224, 3] }); // [null, 224, 224, 3]`
 */
export function declaredBatchShape(config: Readonly<Record<string, unknown>>): KerasShape | undefined {
  const dims = (v: unknown) => Array.isArray(v) && v.every((d) => d === null || typeof d === 'number');
  if (dims(config.batch_input_shape)) return config.batch_input_shape as KerasShape;
  if (dims(config.batch_shape)) return config.batch_shape as KerasShape;
  if (dims(config.input_shape)) return [null, ...(config.input_shape as KerasShape)];
  return undefined;
}

function sequentialLayers(config: unknown): KerasLayer[] {
  const rawLayers = Array.isArray(config) ? config : isObject(config) && Array.isArray(config.layers) ? config.layers : [];
  const layers: KerasLayer[] = [];
  let previous: string | undefined;
  for (const raw of rawLayers as unknown[]) {
    let layer = layerOf(raw, []);
    if (previous === undefined && layer.className !== 'InputLayer') {
      const shape = declaredBatchShape(layer.config);
      if (!shape) throw badModel(`The first layer "${layer.name}" of the Sequential model declares no input shape`);
      const input: KerasLayer = { name: `${layer.name}_input`, className: 'InputLayer', config: { batch_input_shape: shape }, inbound: [] };
      layers.push(input);
      previous = input.name;
    }
    if (previous !== undefined) layer = { ...layer, inbound: [{ layer: previous, nodeIndex: 0, tensorIndex: 0 }] };
    layers.push(layer);
    previous = layer.name;
  }
  if (layers.length === 0) throw badModel('The Sequential model has no layers');
  return layers;
}

function endpointNames(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  if (isRefArray(v)) return [v[0]];
  return v.filter(isRefArray).map((r) => r[0]);
}

/** Orders layers so each comes after the layers it reads; unknown inbound layers are errors. */
function evaluationOrder(layers: readonly KerasLayer[]): KerasLayer[] {
  const byName = new Map(layers.map((l) => [l.name, l]));
  const done = new Set<string>();
  const order: KerasLayer[] = [];
  const visiting = new Set<string>();
  const visit = (layer: KerasLayer) => {
    if (done.has(layer.name)) return;
    if (visiting.has(layer.name)) throw badModel(`The model graph has a cycle through layer "${layer.name}"`);
    visiting.add(layer.name);
    for (const ref of layer.inbound) {
      const source = byName.get(ref.layer);
      if (!source) throw badModel(`Layer "${layer.name}" reads layer "${ref.layer}", which is not in the model`);
      visit(source);
    }
    visiting.delete(layer.name);
    done.add(layer.name);
    order.push(layer);
  };
  for (const l of layers) visit(l);
  return order;
}

/**
 * Parses the topology of a TF.js LayersModel `model.json` (the whole file, or its `modelTopology`).
 *
 * @example
 * ```ts
 * const topology = parseTopology(JSON.parse(await readFile('model.json', 'utf8')));
 * topology.layers.map((l) => l.className); // ['InputLayer', 'ZeroPadding2D', 'Conv2D', ...]
 * ```
 */
export function parseTopology(modelJson: unknown): KerasTopology {
  if (!isObject(modelJson)) throw badModel('The model.json is not a JSON object');
  const topology = isObject(modelJson.modelTopology) ? modelJson.modelTopology : modelJson;
  const modelConfig = isObject(topology.model_config) ? topology.model_config : topology;
  const kerasVersion = typeof topology.keras_version === 'string' ? topology.keras_version : 'unknown';
  const className = modelConfig.class_name;
  if (className === 'Sequential') {
    const layers = sequentialLayers(modelConfig.config);
    return { layers, inputs: [(layers[0] as KerasLayer).name], outputs: [(layers[layers.length - 1] as KerasLayer).name], kerasVersion };
  }
  if (className === 'Model' || className === 'Functional') {
    const config = isObject(modelConfig.config) ? modelConfig.config : {};
    const rawLayers = Array.isArray(config.layers) ? config.layers : [];
    const layers = evaluationOrder(rawLayers.map((raw) => layerOf(raw)));
    const inputs = endpointNames(config.input_layers);
    const outputs = endpointNames(config.output_layers);
    if (inputs.length === 0 || outputs.length === 0) throw badModel('The model config names no input or output layers');
    return { layers, inputs, outputs, kerasVersion };
  }
  throw badModel(`The model.json holds no Keras model config (class_name ${JSON.stringify(className ?? null)})`);
}
