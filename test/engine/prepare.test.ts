import assert from 'node:assert/strict';
import { it } from 'node:test';
import { nodeRuntime } from '../../src/engine/node.js';
import { extrapolate, prepareGraph } from '../../src/engine/prepare.js';
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
