import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Model } from '../../src/engine/model.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { isLucernaError } from '../../src/errors.js';
import { encodeModel } from '../../src/onnx/proto.js';
import { cutAfter } from '../../src/onnx/suffix.js';
import { concatBatch, type Tensor } from '../../src/tensor/tensor.js';
import { assertClose } from '../helpers/compare.js';
import { caseInput, type OracleCase, oracle, oracleModelBytes } from '../helpers/oracle.js';

const c = oracle().cases.find((k) => k.id === 'small_resnet/blobs') as OracleCase;
const other = oracle().cases.find((k) => k.id === 'small_resnet/noise') as OracleCase;
/** Inside the last residual block: the block's Add also reads the shortcut branch. */
const inBlock = '/layer3/layer3.0/relu1/Relu_output_0';
const shortcut = '/layer3/layer3.0/shortcut/shortcut.0/Conv_output_0';

describe('cutAfter: the graph after one activation', () => {
  let model: Model;
  const x = concatBatch([caseInput(c), caseInput(other)]);
  before(async () => {
    model = await Model.load(oracleModelBytes(c), { runtime: nodeRuntime, optimization: 'disabled' });
  });
  after(() => model.dispose());

  it('keeps only the ops after the layer and takes the residual branch as a side input', async () => {
    const prepared = await model.prepare(x.shape);
    const suffix = cutAfter(prepared, inBlock, ['logits']);
    assert.deepEqual(suffix.sides, [shortcut]);
    assert.deepEqual(
      suffix.graph.nodes.map((n) => n.opType),
      ['Conv', 'Add', 'Relu', 'GlobalAveragePool', 'Flatten', 'Gemm'],
    );
    assert.deepEqual(
      suffix.graph.inputs.map((i) => [i.name, i.dims]),
      [
        [inBlock, [2, 64, 16, 16]],
        [shortcut, [2, 64, 16, 16]],
      ],
    );
    assert.ok(suffix.graph.initializers.size < prepared.graph.initializers.size, 'weights before the layer are dropped');
  });

  it('computes the model’s output from the clean layer and side values', async () => {
    const prepared = await model.prepare(x.shape);
    const suffix = cutAfter(prepared, inBlock, ['logits']);
    const compiled = await model.compile({ seeds: [], wrt: [], read: [inBlock, shortcut] }, x.shape);
    const clean = await compiled.run({ input: x, seeds: {} });
    const session = await nodeRuntime.createSession(encodeModel(suffix.graph.toModel()), model.options);
    try {
      const out = await session.run({ [inBlock]: clean.activations[inBlock] as Tensor, [shortcut]: clean.activations[shortcut] as Tensor }, ['logits']);
      const logits = out.logits as { data: Float32Array; dims: readonly number[] };
      assertClose({ data: logits.data, shape: [...logits.dims] }, clean.outputs.logits as Tensor, 1e-5, 'suffix logits');
    } finally {
      await session.dispose();
    }
  });

  it('has no side inputs when the layer is the only path to the output', async () => {
    const prepared = await model.prepare(x.shape);
    const suffix = cutAfter(prepared, '/layer3/layer3.0/relu2/Relu_output_0', ['logits']);
    assert.deepEqual(suffix.sides, []);
    assert.deepEqual(
      suffix.graph.nodes.map((n) => n.opType),
      ['GlobalAveragePool', 'Flatten', 'Gemm'],
    );
  });

  it('fails clearly for an unknown layer, an output that does not depend on it, or a non-float side tensor', async () => {
    const prepared = await model.prepare(x.shape);
    assert.throws(
      () => cutAfter(prepared, '/layer3/layer3.0/relu1/Relu_outpt_0', ['logits']),
      (e: unknown) => isLucernaError(e, 'UNKNOWN_TENSOR'),
    );
    assert.throws(
      () => cutAfter(prepared, inBlock, ['/layer2/layer2.0/Add_output_0']),
      (e: unknown) => isLucernaError(e, 'UNSUPPORTED_MODEL') && /does not depend on/.test(e.message),
    );
    const types = new Map(prepared.types);
    types.set(shortcut, 'int64');
    assert.throws(
      () => cutAfter({ ...prepared, types }, inBlock, ['logits']),
      (e: unknown) => isLucernaError(e, 'UNSUPPORTED_MODEL') && e.message.includes(shortcut),
    );
  });
});
