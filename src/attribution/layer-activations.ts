/**
 * The activations of a layer for a batch, from a forward-only compiled plan (no seeds, no
 * gradients), batched by the internal batch size. Shared by CAM and Score-CAM.
 */

import { forEachChunk } from '../engine/batching.js';
import type { Model } from '../engine/model.js';
import { sizeOf, type Tensor } from '../tensor/tensor.js';
import { checkBatchSize } from './rows.js';
import type { CommonOptions } from './types.js';

/**
 * The activations of `layer` for every sample, from a forward-only compiled plan, batched.
 *
 * @example
 * ```ts
 * const a = await layerActivations(model, x, '/relu2/Relu_output_0', {}); // [N, C, h, w]
 * ```
 */
export async function layerActivations(model: Model, x: Tensor, layer: string, options: CommonOptions): Promise<Tensor> {
  const n = x.shape[0] as number;
  const sampleShape = x.shape.slice(1);
  const per = sizeOf(sampleShape);
  const batch = Math.min(checkBatchSize(options.batchSize), n);
  const compiled = await model.compile({ seeds: [], wrt: [], read: [layer] }, [batch, ...sampleShape]);
  const layerShape = compiled.shapeOf(layer);
  const layerPer = sizeOf(layerShape.slice(1));
  const out = new Float32Array(n * layerPer);
  const input = new Float32Array(batch * per);
  await forEachChunk(n, batch, options, async (first, count) => {
    input.fill(0);
    input.set(x.data.subarray(first * per, (first + count) * per));
    const result = await compiled.run({ input: { data: input, shape: [batch, ...sampleShape] }, seeds: {} });
    out.set((result.activations[layer] as Tensor).data.subarray(0, count * layerPer), first * layerPer);
  });
  return { data: out, shape: [n, ...layerShape.slice(1)] };
}
