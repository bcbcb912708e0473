/**
 * Two compiled training steps of one source graph, run once on the same batch and compared: the
 * check every step-graph rewrite (Gemm-lowered convs, filter halves, gathered im2col) passes against
 * the plain step; and the small seeded nets and SGD options those tests build their steps from.
 */
import assert from 'node:assert/strict';
import { nodeRuntime } from '../../src/engine/node.js';
import { buildModel, type GraphBuilder, graphFromBytes } from '../../src/onnx/builder.js';
import type { Graph } from '../../src/onnx/graph.js';
import { encodeModel } from '../../src/onnx/proto.js';
import { readFloats } from '../../src/onnx/tensors.js';
import { oneHotRows, softmaxCrossEntropy } from '../../src/training/loss.js';
import { sgd } from '../../src/training/optimizers/index.js';
import { DEFAULT_HYPER } from '../../src/training/optimizers/types.js';
import type { StepGraph, StepGraphOptions } from '../../src/training/step-graph.js';
import { maxRelative } from './compare.js';
import { rng, uniform } from './gradcheck.js';

type Outputs = Record<string, { data: unknown }>;

/** One step of `step` on a batch of 4 (labels 0–3 of 5 classes), learning rate 0.5, carried state from the source's initializers. */
async function runOnce(step: StepGraph, source: Graph, shape: readonly number[]): Promise<Outputs> {
  const feeds: Record<string, { data: Float32Array; shape: readonly number[] }> = {
    [step.input]: {
      data: uniform(
        shape.reduce((a, b) => a * b, 1),
        rng(2),
      ),
      shape,
    },
    [step.oneHot]: { data: oneHotRows([0, 1, 2, 3], 5), shape: [4, 5] },
    [step.scalars.lr as string]: { data: new Float32Array([0.5]), shape: [] },
  };
  for (const c of step.carried) {
    const init = source.initializers.get(c.input);
    feeds[c.input] = { data: init ? readFloats(init) : new Float32Array(c.dims.reduce((a, b) => a * b, 1)), shape: c.dims };
  }
  const session = await nodeRuntime.createSession(encodeModel(step.graph.toModel()));
  try {
    return await session.run(feeds);
  } finally {
    await session.dispose();
  }
}

/**
 * Runs `rewritten` and `plain` once each on the same batch and asserts that the logits and every
 * carried output agree within `tolerance` (max relative difference), and that each of `moved`
 * changed (so the comparison is not between two no-ops).
 *
 * @example
 * ```ts
 * await assertSameStep(lowered, plain, source, [4, 32, 4, 4], 1e-5, ['conv.weight']);
 * ```
 */
export async function assertSameStep(
  rewritten: StepGraph,
  plain: StepGraph,
  source: Graph,
  shape: readonly number[],
  tolerance: number,
  moved: readonly string[],
): Promise<void> {
  const [a, b] = [await runOnce(rewritten, source, shape), await runOnce(plain, source, shape)];
  for (const t of [rewritten.logits, ...rewritten.carried.map((c) => c.output)]) {
    const [u, v] = [a[t]?.data as Float32Array, b[t]?.data as Float32Array];
    assert.ok(maxRelative(v, u) < tolerance, `${t}: max relative difference ${maxRelative(v, u)}`);
  }
  for (const name of moved) {
    const w0 = readFloats(source.initializers.get(name) as never);
    assert.ok(maxRelative(w0, a[`next:${name}`]?.data as Float32Array) > 1e-3, `${name} moved`);
  }
}

/** Adds a named weight of shape `dims`, seeded uniform in ±`scale`, and returns its name. */
export type AddWeight = (b: GraphBuilder, name: string, dims: number[]) => string;

/**
 * A source net with input `x` [batch, …`inputDims`] and output `logits`, built by `build` with
 * weights drawn (seeded) uniform in ±`scale`.
 *
 * @example
 * ```ts
 * const source = seededNet([3, 8, 8], 5, 0.2, (b, w) => b.op('Gemm', [...], { transB: 1 }, { outputs: ['logits'] }));
 * ```
 */
export function seededNet(inputDims: readonly (number | string)[], seed: number, scale: number, build: (b: GraphBuilder, w: AddWeight) => void): Graph {
  const random = rng(seed);
  const w: AddWeight = (b, name, dims) =>
    b.weight(
      name,
      uniform(
        dims.reduce((p, d) => p * d, 1),
        random,
        -scale,
        scale,
      ),
      dims,
    );
  return graphFromBytes(buildModel({ opset: 17, inputs: [{ name: 'x', dims: ['batch', ...inputDims] }], outputs: ['logits'], build: (b) => build(b, w) }));
}

/**
 * The step options of the step-rewrite tests: SGD with momentum 0.9, BatchNorm in train mode,
 * softmax cross-entropy, the given parameters trained.
 *
 * @example `const options = sgdStepOptions(['conv.weight', 'fc.weight', 'fc.bias']);`
 */
export function sgdStepOptions(trainable: readonly string[]): StepGraphOptions {
  return { trainable: [...trainable], optimizer: sgd, hyper: { ...DEFAULT_HYPER, momentum: 0.9 }, bn: 'train', loss: [softmaxCrossEntropy()] };
}
