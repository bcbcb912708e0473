import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Model } from '../src/engine/model.js';
import { nodeRuntime } from '../src/engine/node.js';
import type { OptimizationLevel } from '../src/engine/runtime.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { assertClose } from './helpers/compare.js';
import { caseInput, oracle, oracleModelBytes, reference } from './helpers/oracle.js';

function oneHot(target: number, classes: number): Tensor {
  const data = new Float32Array(classes);
  data[target] = 1;
  return { data, shape: [1, classes] };
}

async function inputGradient(bytes: Uint8Array, x: Tensor, target: number, classes: number, rules: string, optimization: OptimizationLevel) {
  await using model = await Model.load(bytes, { runtime: nodeRuntime, optimization });
  const compiled = await model.compile({ seeds: ['logits'], rules }, x.shape);
  const r = await compiled.run({ input: x, seeds: { logits: oneHot(target, classes) } });
  return r.gradients.input as Tensor;
}

describe('compiled input gradients match Captum', () => {
  for (const c of oracle().cases) {
    const classes = c.logits.length;
    for (const [method, rules] of [
      ['saliency', 'standard'],
      ['guided_backprop', 'guided'],
      ['deconvolution', 'deconvnet'],
    ] as const) {
      it(`${c.id} ${method}`, async () => {
        const g = await inputGradient(oracleModelBytes(c), caseInput(c), c.target, classes, rules, 'all');
        assertClose(g, reference(c, method), 1e-4, `${c.id} ${method}`);
      });
    }
  }
});

describe('compiled Grad-CAM layer gradient matches Captum', () => {
  for (const c of oracle().cases) {
    it(c.id, async () => {
      const layer = oracle().models[c.model]?.gradcam_layer.onnx_tensor as string;
      await using model = await Model.load(oracleModelBytes(c), { runtime: nodeRuntime });
      const x = caseInput(c);
      const compiled = await model.compile({ seeds: ['logits'], wrt: [layer], read: [layer] }, x.shape);
      const r = await compiled.run({ input: x, seeds: { logits: oneHot(c.target, c.logits.length) } });
      assertClose(r.activations[layer] as Tensor, reference(c, 'gradcam_layer_activation'), 1e-5, 'activation');
      assertClose(r.gradients[layer] as Tensor, reference(c, 'gradcam_layer_gradient'), 1e-4, 'gradient');
      assert.ok(Math.abs((r.outputs.logits?.data[c.target] ?? 0) - c.f_input_target) < 1e-4);
    });
  }
});
