/**
 * The Node entry works as the README shows: load a file, run a method, dispose.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { it } from 'node:test';
import { getMethod, integratedGradients, loadModelFile, methodNames } from '../src/node.js';
import { caseInput, oracle, oracleDir } from './helpers/oracle.js';

it('lucerna/node: loadModelFile + integratedGradients, as in the README', async () => {
  const c = oracle().cases[0]!;
  await using model = await loadModelFile(join(oracleDir, c.onnx));
  const { attribution, targets, delta } = await integratedGradients.attribute(model, caseInput(c), { steps: 32, batchSize: 16 });
  assert.deepEqual(targets, [c.target]);
  assert.deepEqual(attribution.shape, c.input_shape);
  assert.ok(Math.abs(delta?.[0] as number) < 1e-2);
});

it('every registered method is reachable by name', () => {
  for (const name of methodNames()) assert.equal(getMethod(name).name, name);
  assert.ok(methodNames().includes('deeplift'));
});
