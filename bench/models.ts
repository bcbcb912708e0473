/**
 * The benchmark models (torchvision architectures, random weights, in ../shared/models) and the
 * shared helpers to load them and make inputs and seeds.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Model } from '../src/engine/model.js';
import { nodeRuntime } from '../src/engine/node.js';
import { normalFrom, seededRandom } from '../src/tensor/random.js';
import { sizeOf, type Tensor } from '../src/tensor/tensor.js';

export const sharedModels = resolve(import.meta.dirname, '../../shared/models');

export interface BenchModel {
  readonly name: string;
  readonly file: string;
}

export const BENCH_MODELS: readonly BenchModel[] = [
  { name: 'mobilenet_v2', file: resolve(sharedModels, 'mobilenet_v2.onnx') },
  { name: 'resnet18', file: resolve(sharedModels, 'resnet18.onnx') },
];

/** Loads a benchmark model with a thread count; `spinning` unset keeps the library's default (spin at batch 1 only). */
export function loadBenchModel(m: BenchModel, threads: number, spinning?: boolean): Promise<Model> {
  return Model.load(new Uint8Array(readFileSync(m.file)), { runtime: nodeRuntime, threads, name: m.name, spinning });
}

/** A seeded N(0,1) input of a shape. */
export function randomInput(shape: readonly number[], seed = 1): Tensor {
  const normal = normalFrom(seededRandom(seed));
  const data = new Float32Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = normal();
  return { data, shape: [...shape] };
}

/** One-hot seeds for class `target` in every row of a [rows, classes] output. */
export function oneHotRows(rows: number, classes: number, target = 1): Tensor {
  const data = new Float32Array(rows * classes);
  for (let r = 0; r < rows; r++) data[r * classes + target] = 1;
  return { data, shape: [rows, classes] };
}

/** The last 4-D activation of the graph: the output of the last conv block. */
export async function lastConvBlock(model: Model): Promise<string> {
  const prepared = await model.prepare(model.inputShape(1));
  let last = '';
  for (const n of prepared.graph.topoSorted()) {
    for (const o of n.output ?? []) if (prepared.shapes.get(o)?.length === 4 && n.opType !== 'GlobalAveragePool') last = o;
  }
  return last;
}
