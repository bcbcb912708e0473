/**
 * Checkpoints: the trained model is the source ONNX graph (BatchNorm in inference form, every name
 * unchanged) with its initializers replaced by the trained values, so every other command reads it
 * directly. The optimizer state goes to a side file, itself an ONNX model without nodes whose
 * initializers are the state tensors (`slot:param`) and whose metadata holds the step count and
 * the optimizer's settings (`lucerna.optimizer` as JSON).
 */
import { LucernaError } from '../errors.js';
import type { Graph } from '../onnx/graph.js';
import { encodeModel, type ModelProto, onnx } from '../onnx/proto.js';
import { floatTensor, readFloats, tensorDims } from '../onnx/tensors.js';
import type { OptimizerState } from './trainer.js';

/**
 * The bytes of the source model with `values` as its initializers (names and shapes unchanged).
 *
 * @example
 * ```ts
 * await writeFileAtomic('trained.onnx', checkpointBytes(graph, trainer.values()));
 * ```
 */
export function checkpointBytes(source: Graph, values: ReadonlyMap<string, Float32Array>): Uint8Array {
  const g = source.clone();
  for (const [name, data] of values) {
    const dims = g.initializerDims(name);
    if (dims.reduce((p, d) => p * d, 1) !== data.length)
      throw new LucernaError('BAD_SHAPE', `Trained value of "${name}" has ${data.length} entries, expected [${dims.join(', ')}]`);
    g.initializers.set(name, floatTensor(name, data, dims));
  }
  return encodeModel(g.toModel());
}

/** What the optimizer side file records besides the tensors. */
export interface OptimizerMeta {
  readonly optimizer: string;
  readonly step: number;
  readonly [key: string]: unknown;
}

/**
 * Encodes optimizer state (tensors with their shapes, step and settings) as one file.
 *
 * @example
 * ```ts
 * const bytes = optimizerStateBytes(trainer.optimizerState(), shapes, { optimizer: 'sgd', step: 8 });
 * ```
 */
export function optimizerStateBytes(state: OptimizerState, shapes: ReadonlyMap<string, readonly number[]>, meta: OptimizerMeta): Uint8Array {
  const initializer = [...state.tensors].map(([name, data]) => floatTensor(name, data, shapes.get(name) ?? [data.length]));
  return encodeModel({
    irVersion: 8,
    producerName: 'lucerna',
    opsetImport: [{ domain: '', version: 17 }],
    metadataProps: [{ key: 'lucerna.optimizer', value: JSON.stringify({ ...meta, step: state.step }) }],
    graph: { name: 'optimizer-state', node: [], initializer },
  });
}

/**
 * Decodes an optimizer side file.
 *
 * @example
 * ```ts
 * const { state, meta } = parseOptimizerState(bytes, 'trained.optimizer.onnx');
 * ```
 */
export function parseOptimizerState(bytes: Uint8Array, what: string): { state: OptimizerState; meta: OptimizerMeta; shapes: Map<string, number[]> } {
  let model: ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new LucernaError(
      'BAD_FILE',
      `${what} is not a readable optimizer state file (${(e as Error).message})`,
      'Resume from a checkpoint written by lucerna train',
    );
  }
  const raw = model.metadataProps?.find((p) => p.key === 'lucerna.optimizer')?.value;
  if (!raw) throw new LucernaError('BAD_FILE', `${what} is not a Lucerna optimizer state file`, 'Pass the .optimizer.onnx written next to a checkpoint');
  const meta = JSON.parse(raw) as OptimizerMeta;
  const tensors = new Map<string, Float32Array>();
  const shapes = new Map<string, number[]>();
  for (const t of model.graph?.initializer ?? []) {
    tensors.set(t.name ?? '', readFloats(t));
    shapes.set(t.name ?? '', tensorDims(t));
  }
  return { state: { step: meta.step, tensors }, meta, shapes };
}
