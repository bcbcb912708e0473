/**
 * With more than one thread, the training step builds the im2col of large conv weight gradients by
 * one Gather and multiplies it in one Gemm (src/compiler/rules/conv-gemm.ts, `gatheredColumns`)
 * instead of per-tap slices and products: when it does so, and that the step computes what the
 * per-tap step computes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nodeRuntime } from '../../src/engine/node.js';
import { prepareGraph } from '../../src/engine/prepare.js';
import { buildStepGraph, type StepGraph } from '../../src/training/step-graph.js';
import { assertSameStep, seededNet, sgdStepOptions } from '../helpers/step-compare.js';

describe('gathered im2col for large conv weight gradients', () => {
  it('a compiled step with a gathered im2col equals the per-tap step, and only runs with more than one thread', async () => {
    // x [4, 3, 32, 32] → conv1 3×3 (3 → 32; 3 input channels: a swapped-roles weight gradient) → ReLU →
    // conv2 3×3 pad 1 (32 → 32 at 32×32: 4 · 1024 = 4096 rows, the per-tap regime) → ReLU → pool → fc
    const source = seededNet([3, 32, 32], 11, 0.2, (b, w) => {
      const h1 = b.op('Relu', [b.op('Conv', ['x', w(b, 'conv1.weight', [32, 3, 3, 3])], { pads: [1, 1, 1, 1] }, { name: 'conv1' })]);
      const c2 = b.op('Conv', [h1, w(b, 'conv2.weight', [32, 32, 3, 3])], { pads: [1, 1, 1, 1] }, { name: 'conv2' });
      const pooled = b.op('Flatten', [b.op('GlobalAveragePool', [b.op('Relu', [c2])])]);
      b.op('Gemm', [pooled, w(b, 'fc.weight', [5, 32]), w(b, 'fc.bias', [5])], { transB: 1 }, { outputs: ['logits'] });
    });
    const shape = [4, 3, 32, 32];
    const prepared = await prepareGraph(nodeRuntime, source, shape);
    const options = sgdStepOptions(['conv1.weight', 'conv2.weight', 'fc.weight', 'fc.bias']);
    const gathered = await buildStepGraph(nodeRuntime, prepared, options, { threads: 2 });
    const perTap = await buildStepGraph(nodeRuntime, prepared, { ...options, gatherColumns: false }, { threads: 2 });
    const oneThread = await buildStepGraph(nodeRuntime, prepared, options, { threads: 1 });
    const runtimeTwo = await buildStepGraph({ ...nodeRuntime, defaultThreads: 2 }, prepared, options);
    const count = (s: StepGraph, op: string) => s.graph.nodes.filter((n) => n.opType === op).length;
    // conv2's weight gradient: one Gather and one Gemm, or 9 per-tap Gemms (fc's two Gemms in both)
    assert.equal(count(gathered, 'Gather'), 1);
    assert.equal(count(gathered, 'Gemm'), count(perTap, 'Gemm') - 8);
    assert.equal(count(perTap, 'Gather'), 0);
    assert.equal(count(oneThread, 'Gather'), 0, 'one thread: per-tap products');
    assert.equal(count(runtimeTwo, 'Gather'), 1, 'no thread count: the runtime default decides');
    await assertSameStep(gathered, perTap, source, shape, 1e-5, ['conv2.weight']);
  });
});
