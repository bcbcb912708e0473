/**
 * Model-parameter randomization for the sanity checks of Adebayo et al. 2018
 * (https://arxiv.org/abs/1810.03292): the parametrised layers of an ONNX graph, top first, and a
 * COPY of the graph whose chosen layers have freshly drawn weights. The source graph (and the
 * file it came from) is never touched: the copy gets new initializer tensors, the old ones are
 * shared, not edited.
 */
import { LucernaError } from '../errors.js';
import type { Graph } from '../onnx/graph.js';
import { DataType, type TensorProto } from '../onnx/proto.js';
import { floatTensor, readFloats, tensorDims } from '../onnx/tensors.js';
import { normalFrom, seededRandom } from '../tensor/random.js';

/** Op types whose initializer inputs are learned parameters. */
const PARAMETRISED_OPS = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul', 'BatchNormalization']);

/** BatchNormalization inputs that are learned (scale γ and bias β); the running statistics are kept. */
const BATCH_NORM_LEARNED = new Set([1, 2]);

/** One layer with learned parameters. */
export interface ParametrisedLayer {
  /** The node name. */
  readonly node: string;
  readonly opType: string;
  /** Names of the float initializers this layer's randomization redraws. */
  readonly initializers: readonly string[];
}

function isFloatInitializer(graph: Graph, name: string): boolean {
  const t = graph.initializers.get(name);
  return t !== undefined && (t.dataType ?? DataType.FLOAT) === DataType.FLOAT && tensorDims(t).reduce((a, b) => a * b, 1) > 0;
}

/**
 * The parametrised layers (Conv, ConvTranspose, Gemm, MatMul, BatchNormalization with float
 * initializer inputs) in reverse topological order: the output layer first, as the cascading
 * randomization of Adebayo et al. proceeds.
 *
 * @example
 * ```ts
 * const layers = parametrisedLayers(model.graph); // [{ node: 'dense_3', opType: 'Gemm', ... }, ...]
 * ```
 */
export function parametrisedLayers(graph: Graph): ParametrisedLayer[] {
  const layers: ParametrisedLayer[] = [];
  for (const node of graph.topoSorted()) {
    const op = node.opType ?? '';
    if (!PARAMETRISED_OPS.has(op)) continue;
    const inputs = (node.input ?? []).map((name, i) => ({ name, i }));
    const learned = inputs.filter(({ name, i }) => isFloatInitializer(graph, name) && (op !== 'BatchNormalization' || BATCH_NORM_LEARNED.has(i)));
    if (learned.length > 0) layers.push({ node: node.name ?? op, opType: op, initializers: learned.map((l) => l.name) });
  }
  return layers.reverse();
}

/** A 32-bit FNV-1a hash of a string mixed with a seed: each initializer gets its own stream. */
function streamSeed(seed: number, name: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * The population standard deviation of the values (0 for fewer than two values).
 *
 * @example
 * ```ts
 * standardDeviation(Float32Array.of(1, 3)); // 1
 * ```
 */
export function standardDeviation(values: ArrayLike<number>): number {
  const n = values.length;
  if (n < 2) return 0;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += values[i] as number;
  mean /= n;
  let sq = 0;
  for (let i = 0; i < n; i++) sq += ((values[i] as number) - mean) ** 2;
  return Math.sqrt(sq / n);
}

/**
 * Redraws one initializer: N(0, σ²) with σ the standard deviation of its original values (|v| for
 * a single value), from a stream seeded by `seed` and the tensor name — so the same layer gets
 * the same random weights in every stage and in both variants.
 *
 * @example
 * ```ts
 * const fresh = redrawInitializer(graph.initializer('conv1.weight'), 0);
 * ```
 */
export function redrawInitializer(t: TensorProto, seed: number): TensorProto {
  const name = t.name ?? '';
  const original = readFloats(t);
  const scale = original.length === 1 ? Math.abs(original[0] as number) : standardDeviation(original);
  const normal = normalFrom(seededRandom(streamSeed(seed, name)));
  const data = new Float32Array(original.length);
  for (let i = 0; i < data.length; i++) data[i] = normal() * scale;
  return floatTensor(name, data, tensorDims(t));
}

/**
 * A copy of `graph` in which every initializer of `layers` is redrawn by {@link redrawInitializer}.
 * The source graph is left as it was.
 *
 * @example
 * ```ts
 * const layers = parametrisedLayers(model.graph);
 * const top3 = randomizedCopy(model.graph, layers.slice(0, 3), 42);
 * ```
 */
export function randomizedCopy(graph: Graph, layers: readonly ParametrisedLayer[], seed: number): Graph {
  const copy = graph.clone();
  for (const layer of layers) {
    for (const name of layer.initializers) {
      const t = graph.initializers.get(name);
      if (!t) throw new LucernaError('UNKNOWN_TENSOR', `Layer "${layer.node}" reads initializer "${name}", which the graph does not have`);
      copy.initializers.set(name, redrawInitializer(t, seed));
    }
  }
  return copy;
}
