/**
 * How close a model's forward pass runs to this machine's arithmetic ceiling: the throughput ONNX
 * Runtime reaches on a chain of large convolutions (a practical peak for the same kernels), to
 * set against a model's multiply-adds (`src/engine/cost.ts`). Perturbation methods that need full forward passes cannot go faster
 * than passes × multiply-adds ÷ peak, however they batch.
 */
import { Model } from '../src/engine/model.js';
import { nodeRuntime } from '../src/engine/node.js';
import { buildModel } from '../src/onnx/builder.js';
import { randomInput } from './models.js';
import { median } from './timing.js';

/**
 * GFLOP/s (2 per multiply-add) of ONNX Runtime on a chain of eight 3×3 convolutions with ReLU,
 * 256 → 256 channels on 14×14 maps at batch 32 (≈ 59 GFLOP per call, the shape of ResNet-18's
 * third stage): the median of `reps` calls after two warm-ups. A chain, not one convolution, so
 * ORT's layout changes at the graph edges are paid once.
 *
 * @example
 * ```ts
 * const peak = await convolutionPeak(2, 5); // ≈ 230 on this 2-core machine
 * ```
 */
export async function convolutionPeak(threads: number, reps: number): Promise<number> {
  const [n, c, size, depth] = [32, 256, 14, 8];
  const bytes = buildModel({
    inputs: [{ name: 'x', dims: [n, c, size, size] }],
    outputs: ['y'],
    build: (b) => {
      let t = 'x';
      for (let d = 0; d < depth; d++) {
        const w = b.weight(
          `w${d}`,
          randomInput([c, c, 3, 3], d).data.map((v) => v * 0.03),
          [c, c, 3, 3],
        );
        t = b.op('Relu', [b.op('Conv', [t, w], { pads: [1, 1, 1, 1] })], {}, d === depth - 1 ? { outputs: ['y'] } : {});
      }
    },
  });
  await using model = await Model.load(bytes, { runtime: nodeRuntime, threads });
  const x = randomInput([n, c, size, size], 10);
  const times: number[] = [];
  for (let i = 0; i < reps + 2; i++) {
    const t0 = performance.now();
    await model.run(x);
    if (i >= 2) times.push((performance.now() - t0) / 1000);
  }
  const flops = 2 * n * c * size * size * c * 9 * depth;
  return flops / median(times) / 1e9;
}
