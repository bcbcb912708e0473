import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { multiplyAdds } from '../../src/engine/cost.js';
import { Model } from '../../src/engine/model.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { buildModel } from '../../src/onnx/builder.js';

describe('multiplyAdds', () => {
  it('counts convolutions (grouped too) and the linear head per sample', async () => {
    const bytes = buildModel({
      inputs: [{ name: 'x', dims: ['N', 4, 8, 8] }],
      outputs: ['y'],
      build: (b) => {
        const c1 = b.op('Conv', ['x', b.constFloat(new Float32Array(8 * 4 * 9), [8, 4, 3, 3], 'w1')], { pads: [1, 1, 1, 1] });
        const c2 = b.op('Conv', [c1, b.constFloat(new Float32Array(8 * 2 * 9), [8, 2, 3, 3], 'w2')], { pads: [1, 1, 1, 1], strides: [2, 2], group: 4 });
        const flat = b.op('Flatten', [b.op('Relu', [b.op('GlobalAveragePool', [c2])])], { axis: 1 });
        b.op('Gemm', [flat, b.constFloat(new Float32Array(8 * 5), [8, 5], 'fc')], {}, { outputs: ['y'] });
      },
    });
    await using model = await Model.load(bytes, { runtime: nodeRuntime });
    // conv1: 8·8·8 outputs × 4·3·3; conv2 (4 groups, stride 2): 8·4·4 outputs × 2·3·3; gemm: 5 × 8.
    const expected = 8 * 8 * 8 * 36 + 8 * 4 * 4 * 18 + 5 * 8;
    assert.equal(multiplyAdds(await model.prepare([1, 4, 8, 8])), expected);
    assert.equal(multiplyAdds(await model.prepare([3, 4, 8, 8])), expected, 'per sample, whatever the batch');
  });
});
