/**
 * Two compiled training steps of one source graph, run once on the same batch and compared: the
 * check every step-graph rewrite (Gemm-lowered convs, filter halves) passes against the plain step.
 */
import assert from 'node:assert/strict';
import { nodeRuntime } from '../../src/engine/node.js';
import type { Graph } from '../../src/onnx/graph.js';
import { encodeModel } from '../../src/onnx/proto.js';
import { readFloats } from '../../src/onnx/tensors.js';
import { oneHotRows } from '../../src/training/loss.js';
import type { StepGraph } from '../../src/training/step-graph.js';
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
