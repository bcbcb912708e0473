/**
 * The training step runs dense convs with more filters than output positions per image as two
 * Convs over halves of the filters (src/compiler/rules/conv-split.ts, src/training/split-convs.ts):
 * which convs split, and a compiled step with the halves (forward pass, input gradient, weight
 * gradient) computes what the step without them computes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { filterParts } from '../../src/compiler/rules/conv-split.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { prepareGraph } from '../../src/engine/prepare.js';
import { buildStepGraph, type StepGraph } from '../../src/training/step-graph.js';
import { assertSameStep, seededNet, sgdStepOptions } from '../helpers/step-compare.js';

describe('filter halves for filter-heavy convs', () => {
  it('splits dense convs with more filters than positions, up to twice as many, into 2', () => {
    assert.equal(filterParts(128, 64, 1), 2); // ResNet-18 layer2 at 64 px
    assert.equal(filterParts(64, 49, 1), 2); // conv1's weight gradient (7×7 taps)
    assert.equal(filterParts(64, 64, 1), 1); // as many filters as positions: batch-parallel already
    assert.equal(filterParts(64, 256, 1), 1);
    assert.equal(filterParts(256, 16, 1), 1); // more than twice: halves would still be filter-heavy
    assert.equal(filterParts(128, 64, 2), 1); // grouped
    assert.equal(filterParts(41, 25, 1), 1); // odd
  });

  it('a compiled step with split forward, input-gradient and weight-gradient convs equals the step without', async () => {
    // x [4, 3, 5, 5] → conv1 5×5 (3 → 40 at 25 positions; its weight gradient: 40 filters over 25
    // taps) → ReLU → conv2 3×3 with bias (40 → 40 at 25 positions; its input gradient: 40 filters at
    // 25 positions) → ReLU → pool → fc. All four convs split (conv2's weight gradient is a Gemm).
    const source = seededNet([3, 5, 5], 5, 0.2, (b, w) => {
      const h1 = b.op('Relu', [b.op('Conv', ['x', w(b, 'conv1.weight', [40, 3, 5, 5])], { pads: [2, 2, 2, 2] }, { name: 'conv1' })]);
      const c2 = b.op('Conv', [h1, w(b, 'conv2.weight', [40, 40, 3, 3]), w(b, 'conv2.bias', [40])], { pads: [1, 1, 1, 1] }, { name: 'conv2' });
      const pooled = b.op('Flatten', [b.op('GlobalAveragePool', [b.op('Relu', [c2])])]);
      b.op('Gemm', [pooled, w(b, 'fc.weight', [5, 40]), w(b, 'fc.bias', [5])], { transB: 1 }, { outputs: ['logits'] });
    });
    const shape = [4, 3, 5, 5];
    const prepared = await prepareGraph(nodeRuntime, source, shape);
    const options = sgdStepOptions(['conv1.weight', 'conv2.weight', 'conv2.bias', 'fc.weight', 'fc.bias']);
    const split = await buildStepGraph(nodeRuntime, prepared, options, { threads: 2 });
    const plain = await buildStepGraph(nodeRuntime, prepared, { ...options, splitConvs: false }, { threads: 2 });
    const oneThread = await buildStepGraph(nodeRuntime, prepared, options, { threads: 1 });
    // no thread count given: the runtime's own default decides
    const runtimeOne = await buildStepGraph({ ...nodeRuntime, defaultThreads: 1 }, prepared, options);
    const runtimeTwo = await buildStepGraph({ ...nodeRuntime, defaultThreads: 2 }, prepared, options);
    const convs = (s: StepGraph) => s.graph.nodes.filter((n) => n.opType === 'Conv').length;
    // plain: conv1, conv2, conv2's input gradient, conv1's weight gradient (conv2's is a Gemm)
    assert.equal(convs(plain), 4);
    assert.equal(convs(split), 8, 'each of the four as two halves');
    assert.equal(convs(oneThread), 4, 'one thread: no halves');
    assert.equal(convs(runtimeOne), 4);
    assert.equal(convs(runtimeTwo), 8);
    assert.ok(!split.graph.nodes.some((n) => n.name === 'conv2'), 'the forward conv2 is replaced by its halves');
    // the weights of the four, and conv2's bias
    assert.equal(split.graph.nodes.filter((n) => n.opType === 'Split').length, 5);
    await assertSameStep(split, plain, source, shape, 1e-6, ['conv1.weight', 'conv2.weight']);
  });
});
