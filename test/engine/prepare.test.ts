import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nodeRuntime } from '../../src/engine/node.js';
import { extrapolate, prepareGraph } from '../../src/engine/prepare.js';
import { floatView } from '../../src/engine/probe.js';
import { graphFromBytes } from '../../src/onnx/builder.js';
import { oracle, oracleModelBytes } from '../helpers/oracle.js';

it('extrapolates values linear in the batch, and refuses what is not', () => {
  assert.deepEqual(extrapolate([1, 512], [2, 512], 8), [8, 512]);
  assert.deepEqual(extrapolate([1, 3, 7], [2, 3, 7], 1), [1, 3, 7]);
  assert.deepEqual(extrapolate([BigInt(3)], [BigInt(6)], 5), [15]);
  assert.equal(extrapolate([1, 2], [2], 3), undefined);
  assert.equal(extrapolate([0.5], [0.75], 2, true), undefined);
});

it('a batch of 5 prepared from probes at 1 and 2 has exactly the shapes of a direct probe', async () => {
  for (const name of ['small_resnet', 'small_mobilenet', 'tiny_cnn']) {
    const c = oracle().cases.find((k) => k.model === name)!;
    const graph = graphFromBytes(oracleModelBytes(c));
    const shape = [5, ...c.input_shape.slice(1)];
    const prepared = await prepareGraph(nodeRuntime, graph, shape);
    const { probeGraph } = await import('../../src/engine/probe.js');
    const direct = await probeGraph(nodeRuntime, prepared.graph);
    for (const [tensor, dims] of direct.shapes) assert.deepEqual([...(prepared.shapes.get(tensor) ?? [])], [...dims], `${name} ${tensor}`);
  }
});

it('a probe feeds large float weights as inputs: they are not encoded, and every value is as with initializers', async () => {
  const c = oracle().cases.find((k) => k.model === 'small_resnet')!;
  const graph = graphFromBytes(oracleModelBytes(c));
  const { probeGraph } = await import('../../src/engine/probe.js');
  const { encodeModel } = await import('../../src/onnx/proto.js');
  const opened: number[] = [];
  const runtime = {
    ...nodeRuntime,
    createSession: (b: Uint8Array, o?: object) => {
      opened.push(b.length);
      return nodeRuntime.createSession(b, o);
    },
  };
  const probed = await probeGraph(runtime, graph);
  const whole = encodeModel(graph.toModel()).length;
  assert.ok((opened[0] as number) < whole / 4, `the probe graph has ${opened[0]} of ${whole} bytes`);
  const outputs = graph.nodes.flatMap((n) => n.output ?? []).filter((o) => o);
  const model = graph.toModel();
  if (model.graph) model.graph.output = outputs.map((name) => ({ name }));
  const session = await nodeRuntime.createSession(encodeModel(model), { optimization: 'disabled' });
  const input = graph.inputs[0]!;
  const dims = input.dims.map((d) => (typeof d === 'number' ? d : 1));
  const reference = await session.run({ [input.name]: { data: new Float32Array(dims.reduce((a, b) => a * b, 1)), shape: dims } });
  await session.dispose();
  for (const name of outputs) assert.deepEqual(probed.values.get(name)?.data, reference[name]?.data, name);
});

describe('floatView', () => {
  it('reads floats from an unaligned Node Buffer view of pooled memory (a copy, not the whole pool)', () => {
    const pool = Buffer.alloc(64);
    const bytes = Buffer.from(new Float32Array([1.5, -2, 3.25]).buffer);
    bytes.copy(pool, 5);
    const raw = pool.subarray(5, 5 + 12); // byteOffset 5: not 4-byte aligned; pool.slice() would be a view too
    assert.deepEqual([...floatView(raw)], [1.5, -2, 3.25]);
  });
  it('is a view, not a copy, when the bytes are aligned', () => {
    const bytes = new Uint8Array(new Float32Array([7, 8]).buffer);
    const view = floatView(bytes);
    bytes.set(new Uint8Array(new Float32Array([9]).buffer), 0);
    assert.deepEqual([...view], [9, 8]);
  });
});
