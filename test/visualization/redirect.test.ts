/**
 * Redirected ReLU gradients and the zero-gradient warning (issue #12, defect 6). A unit that is off
 * everywhere on the starting image passes no ordinary gradient, so the optimisation never moves
 * (the README's `out_relu` example gave flat grey images): with Lucid's redirect during the first
 * steps it moves, and a run whose gradient is zero says so through `onWarning`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Model } from '../../src/engine/model.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { buildModel } from '../../src/onnx/builder.js';
import { seededRandom } from '../../src/tensor/random.js';
import { DEFAULT_RELU_REDIRECT_STEPS, visualize } from '../../src/visualization/activation-maximization.js';
import { channel } from '../../src/visualization/objectives.js';
import { imageParameterization } from '../../src/visualization/parameterizations.js';
import { compileImageProgram } from '../../src/visualization/program.js';
import { loadEdgeModel, SHALLOW_LAYER } from './models.js';

/**
 * x [N, 3, 16, 16] → Conv 3×3 (2 filters of ones, bias −14) → `act` (Relu or Clip 0..6). On a grey
 * image (0.5 everywhere) the pre-activation is 27 · 0.5 − 14 = −0.5: every unit is off.
 */
function offAtGrey(op: 'Relu' | 'Clip'): Uint8Array {
  return buildModel({
    inputs: [{ name: 'x', dims: ['N', 3, 16, 16] }],
    outputs: ['act'],
    build: (b) => {
      const conv = b.op('Conv', ['x', b.weight('w', new Array(54).fill(1), [2, 3, 3, 3]), b.weight('bias', [-14, -14], [2])], { pads: [1, 1, 1, 1] });
      if (op === 'Relu') b.op('Relu', [conv], {}, { outputs: ['act'] });
      else b.op('Clip', [conv, b.constFloat([0], [], 'lo'), b.constFloat([6], [], 'hi')], {}, { outputs: ['act'] });
    },
  });
}

const options = { size: 16, steps: 16, parameterization: 'pixel', decorrelate: false, transforms: 'none', learningRate: 0.05 } as const;

describe('redirected ReLU gradients', () => {
  for (const op of ['Relu', 'Clip'] as const) {
    it(`${op}: a channel that is off at the start stays at 0 without the redirect and rises with it`, async () => {
      await using model = await Model.load(offAtGrey(op), { runtime: nodeRuntime, name: op });
      const objective = channel('act', 0);
      const warnings: string[] = [];
      const plain = await visualize(model, objective, { ...options, reluRedirectSteps: 0, onWarning: (m) => warnings.push(m) });
      assert.ok(
        plain.curve.every((v) => v === 0),
        `stuck at 0 without the redirect: ${plain.curve.slice(0, 4)}`,
      );
      assert.deepEqual(warnings, [
        'The gradient of channel("act", 0) is zero at step 1: the image stops changing (the objective\'s units are all off, or all at a ReLU6 ceiling)',
      ]);
      const redirected: string[] = [];
      const moved = await visualize(model, objective, { ...options, onWarning: (m) => redirected.push(m) });
      assert.equal(moved.curve[0], 0);
      assert.ok((moved.curve.at(-1) as number) > 0.1, `rises with the redirect: ${moved.curve.map((v) => v.toFixed(3)).join(' ')}`);
      assert.deepEqual(redirected, []);
    });
  }

  it("defaults to Lucid's 16 steps", () => {
    assert.equal(DEFAULT_RELU_REDIRECT_STEPS, 16);
  });
});

describe('the redirect leaves ordinary gradients alone', () => {
  it('where some gradient flows, the first (redirected) step gives exactly the standard gradient', async () => {
    await using model = await loadEdgeModel(16);
    const parameterization = imageParameterization(1, [16, 16], { spatial: 'pixel', decorrelate: false });
    const objective = channel(SHALLOW_LAYER, 0);
    await using plain = await compileImageProgram(model, { parameterization, objective });
    await using redirected = await compileImageProgram(model, { parameterization, objective, reluRedirectSteps: 1 });
    assert.equal(redirected.redirectSteps, 1);
    const parameters = parameterization.initial(seededRandom(3));
    const a = await plain.step(parameters, seededRandom(4));
    const b = await redirected.step(parameters, seededRandom(4));
    assert.ok(a.gradient.some((v) => v !== 0));
    assert.deepEqual([...b.gradient], [...a.gradient]);
    assert.equal(b.value, a.value);
  });
});
