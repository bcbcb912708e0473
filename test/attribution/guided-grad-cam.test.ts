/**
 * Guided Grad-CAM's upsampling: bilinear (align_corners=False) by default, as pytorch-grad-cam and
 * Captum's `LayerAttribution.interpolate` draw CAMs; nearest neighbours on request. A case computed
 * by hand on a model small enough to differentiate on paper, and the composition of Captum's own
 * guided backprop and bilinear Grad-CAM references.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gradCamMap } from '../../src/attribution/cam/grad-cam.js';
import { gradCamAndGuided, guidedGradCam } from '../../src/attribution/cam/guided-grad-cam.js';
import { gradientCamMaps } from '../../src/attribution/cam/template.js';
import { inputGradient } from '../../src/attribution/gradient/input-gradient.js';
import { camLayer } from '../../src/attribution/layers.js';
import { Model } from '../../src/engine/model.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { isLucernaError } from '../../src/errors.js';
import { buildModel } from '../../src/onnx/builder.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { assertClose } from '../helpers/compare.js';
import { caseInput, oracle, oracleModelBytes, reference } from '../helpers/oracle.js';

/**
 * x [1, 1, 4, 4] → AveragePool 2×2 stride 2 → `pooled` A [1, 1, 2, 2] → Flatten → Gemm w = [1, 2, 3, 4]
 * → one logit y = Σ_k w_k A_k.
 */
function pooledLinear(): Uint8Array {
  return buildModel({
    inputs: [{ name: 'x', dims: [1, 1, 4, 4] }],
    outputs: ['y'],
    build: (b) => {
      const pooled = b.op('AveragePool', ['x'], { kernel_shape: [2, 2], strides: [2, 2] }, { outputs: ['pooled'] });
      const flat = b.op('Flatten', [pooled], { axis: 1 });
      b.op('Gemm', [flat, b.weight('w', [1, 2, 3, 4], [4, 1])], {}, { outputs: ['y'] });
    },
  });
}

/** Constant 2×2 blocks 0, 1 / 2, 3, so A = [[0, 1], [2, 3]]. */
const x: Tensor = { data: Float32Array.from([0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3]), shape: [1, 1, 4, 4] };

// By hand: ∂y/∂A = w, so Grad-CAM's weight is mean(w) = 2.5 and its map ReLU(2.5·A) = [[0, 2.5], [5, 7.5]].
// Bilinear 2 → 4 with align_corners=False samples source coordinates max(0, (d + 0.5)/2 − 0.5) clamped
// to [0, 1]: 0, 0.25, 0.75, 1; so the upsampled map is 2.5·(2·r + c) at r, c ∈ {0, 0.25, 0.75, 1}.
// Guided backprop (no ReLU in this model) is the plain gradient ∂y/∂x = w_block / 4 = 0.25, 0.5 / 0.75, 1.
// Guided Grad-CAM = gradient × upsampled map:
const BILINEAR = [
  [0, 0.15625, 0.9375, 1.25],
  [0.3125, 0.46875, 1.5625, 1.875],
  [2.8125, 3.28125, 5.625, 6.25],
  [3.75, 4.21875, 6.875, 7.5],
].flat();
// Nearest neighbours copy each cell over its 2×2 block: 0.25·0, 0.5·2.5 / 0.75·5, 1·7.5.
const NEAREST = [
  [0, 0, 1.25, 1.25],
  [0, 0, 1.25, 1.25],
  [3.75, 3.75, 7.5, 7.5],
  [3.75, 3.75, 7.5, 7.5],
].flat();

describe('guided Grad-CAM upsampling, by hand', () => {
  it('is bilinear by default (smooth across cell borders, no blocks)', async () => {
    await using model = await Model.load(pooledLinear(), { runtime: nodeRuntime });
    const r = await guidedGradCam.attribute(model, x, { layer: 'pooled', target: 0 });
    assert.deepEqual(r.attribution.shape, [1, 1, 4, 4]);
    assertClose(r.attribution, { data: Float32Array.from(BILINEAR), shape: [1, 1, 4, 4] }, 1e-6, 'bilinear');
    assert.equal(r.details?.interpolation, 'bilinear');
  });

  it('is nearest when asked (Captum GuidedGradCam default)', async () => {
    await using model = await Model.load(pooledLinear(), { runtime: nodeRuntime });
    const r = await guidedGradCam.attribute(model, x, { layer: 'pooled', target: 0, interpolation: 'nearest' });
    assertClose(r.attribution, { data: Float32Array.from(NEAREST), shape: [1, 1, 4, 4] }, 1e-6, 'nearest');
  });

  it('rejects an unknown upsampling mode', async () => {
    await using model = await Model.load(pooledLinear(), { runtime: nodeRuntime });
    await assert.rejects(
      guidedGradCam.attribute(model, x, { layer: 'pooled', target: 0, interpolation: 'bicubic' as 'bilinear' }),
      (e) => isLucernaError(e, 'BAD_OPTION') && /Unknown upsampling mode "bicubic"/.test(e.message),
    );
  });
});

describe('guided Grad-CAM = Captum guided backprop × Captum bilinear ReLU Grad-CAM', () => {
  for (const c of oracle().cases) {
    it(c.id, async () => {
      await using model = await Model.load(oracleModelBytes(c), { runtime: nodeRuntime });
      const layer = oracle().models[c.model]?.gradcam_layer.onnx_tensor as string;
      const r = await guidedGradCam.attribute(model, caseInput(c), { layer, target: c.target });
      const guided = reference(c, 'guided_backprop');
      const map = reference(c, 'layer_gradcam_relu_upsampled_bilinear');
      const [n, ch, h, w] = guided.shape as [number, number, number, number];
      const expected = new Float32Array(guided.data.length);
      for (let i = 0; i < n; i++)
        for (let k = 0; k < ch; k++)
          for (let p = 0; p < h * w; p++)
            expected[(i * ch + k) * h * w + p] = (guided.data[(i * ch + k) * h * w + p] as number) * (map.data[i * h * w + p] as number);
      assertClose(r.attribution, { data: expected, shape: guided.shape }, 1e-4, c.id);
    });
  }
});

describe('guided Grad-CAM: one graph (two backward passes) = the two graphs it replaces', () => {
  // The oracle nets have ReLUs between the Grad-CAM layer and the logits, so the standard and the
  // guided gradients at the layer differ: a graph that mixed the two passes up would fail here.
  for (const c of oracle().cases.slice(0, 3)) {
    for (const target of [c.target, undefined]) {
      it(`${c.id}, target ${target ?? 'arg-max (in the graph)'}`, async () => {
        await using model = await Model.load(oracleModelBytes(c), { runtime: nodeRuntime });
        const x = caseInput(c);
        const layer = await camLayer(model, oracle().models[c.model]?.gradcam_layer.onnx_tensor as string, x.shape);
        const one = await gradCamAndGuided(model, x, layer, { target });
        const camOnly = await gradientCamMaps(model, x, layer, gradCamMap, { target });
        const guidedOnly = await inputGradient(model, x, { target: camOnly.targets, rules: 'guided' });
        const plain = await inputGradient(model, x, { target: camOnly.targets });
        assert.deepEqual(one.targets, camOnly.targets);
        assertClose(one.maps, camOnly.maps, 1e-5, 'Grad-CAM factor');
        assertClose(one.guided, guidedOnly.gradient, 1e-5, 'guided factor');
        const differs = plain.gradient.data.some((v, i) => Math.abs(v - (guidedOnly.gradient.data[i] as number)) > 1e-3 * Math.abs(v));
        assert.ok(differs, 'the case must tell guided from standard gradients');
      });
    }
  }
});
