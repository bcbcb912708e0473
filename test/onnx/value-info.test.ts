/**
 * A value whose model declares no shape keeps "rank unknown" through Graph's read and write: written
 * back as rank 0 instead, onnxruntime-web refuses the graph at load ("Mismatch between number of
 * inferred and declared dimensions"), which broke Grad-CAM in the studio on `model create` models.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildModel, graphFromBytes } from '../../src/onnx/builder.js';
import { decodeModel, encodeModel } from '../../src/onnx/proto.js';

const model = () =>
  buildModel({
    inputs: [{ name: 'x', dims: [1, 2] }],
    outputs: ['y'],
    build: (b) => b.op('Relu', ['x'], {}, { outputs: ['y'] }),
  });

describe('graph value infos', () => {
  it('an output with no declared shape is written back with no shape, not as a scalar', () => {
    const g = graphFromBytes(model());
    assert.equal(g.outputs[0]?.rankUnknown, true);
    const out = decodeModel(encodeModel(g.toModel())).graph?.output?.[0];
    assert.ok(out?.type?.tensorType, 'still a tensor');
    assert.ok(!out.type.tensorType.shape, 'no shape, so rank unknown');
  });

  it('a declared scalar and a declared shape round-trip as they were', () => {
    const g = graphFromBytes(model());
    g.outputs = [
      { name: 'y', elemType: 1, dims: [] },
      { name: 'x', elemType: 1, dims: [1, 2] },
    ];
    const again = graphFromBytes(encodeModel(g.toModel()));
    assert.deepEqual(
      again.outputs.map((o) => [o.dims, o.rankUnknown ?? false]),
      [
        [[], false],
        [[1, 2], false],
      ],
    );
  });
});
