import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { cam } from '../../src/attribution/cam/cam.js';
import { gradCam } from '../../src/attribution/cam/grad-cam.js';
import { gradCamPlusPlus } from '../../src/attribution/cam/grad-cam-plus-plus.js';
import { guidedGradCam } from '../../src/attribution/cam/guided-grad-cam.js';
import { hiResCam } from '../../src/attribution/cam/hires-cam.js';
import { layerCam } from '../../src/attribution/cam/layer-cam.js';
import type { CamOptions } from '../../src/attribution/cam/template.js';
import { defaultCamLayer } from '../../src/attribution/layers.js';
import type { AttributionMethod } from '../../src/attribution/types.js';
import { Model } from '../../src/engine/model.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { isLucernaError, type LucernaError } from '../../src/errors.js';
import { buildModel, type GraphBuilder } from '../../src/onnx/builder.js';
import { concatBatch, type Tensor } from '../../src/tensor/tensor.js';
import { assertClose } from '../helpers/compare.js';
import { rng, uniform } from '../helpers/gradcheck.js';
import { caseInput, type OracleCase, oracle, oracleModelBytes, reference } from '../helpers/oracle.js';

const cases = oracle().cases;
const layerOf = (c: OracleCase): string => oracle().models[c.model]?.gradcam_layer.onnx_tensor as string;
const caseOf = (id: string): OracleCase => cases.find((c) => c.id === id) as OracleCase;
const loadCase = (c: OracleCase): Promise<Model> => Model.load(oracleModelBytes(c), { runtime: nodeRuntime });

function scaled(t: Tensor, k: number): Tensor {
  return { data: t.data.map((v) => v * k), shape: t.shape };
}

/** Asserts that a promise rejects with a LucernaError of `code` whose message and hint match. */
async function rejectsWith(p: Promise<unknown>, code: LucernaError['code'], text: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isLucernaError(e, code), `expected ${code}, got ${String(e)}`);
    assert.match(e.oneLine(), text);
    return true;
  });
}

describe('Grad-CAM and guided Grad-CAM match Captum', () => {
  for (const c of cases) {
    describe(c.id, () => {
      let model: Model;
      before(async () => {
        model = await loadCase(c);
      });
      after(() => model.dispose());
      const run = (method: AttributionMethod<CamOptions>, options: CamOptions = {}) =>
        method.attribute(model, caseInput(c), { layer: layerOf(c), target: c.target, ...options });

      it('layer_gradcam (raw)', async () => {
        const r = await run(gradCam);
        assertClose(r.attribution, reference(c, 'layer_gradcam'), 1e-4, 'raw');
        assert.deepEqual(r.targets, [c.target]);
        assert.ok(Math.abs((r.scores[0] as number) - c.f_input_target) < 1e-4);
        assert.equal(r.details?.layer, layerOf(c));
      });
      it('layer_gradcam_relu', async () => {
        assertClose((await run(gradCam, { relu: true })).attribution, reference(c, 'layer_gradcam_relu'), 1e-4, 'relu');
      });
      it('layer_gradcam_upsampled_bilinear', async () => {
        assertClose((await run(gradCam, { upsample: 'bilinear' })).attribution, reference(c, 'layer_gradcam_upsampled_bilinear'), 1e-4, 'upsampled');
      });
      it('layer_gradcam_relu_upsampled_bilinear', async () => {
        const r = await run(gradCam, { relu: true, upsample: 'bilinear' });
        assertClose(r.attribution, reference(c, 'layer_gradcam_relu_upsampled_bilinear'), 1e-4, 'relu upsampled');
      });
      it('guided_gradcam (Captum default interpolate_mode nearest)', async () => {
        const r = await guidedGradCam.attribute(model, caseInput(c), { layer: layerOf(c), target: c.target, interpolation: 'nearest' });
        assertClose(r.attribution, reference(c, 'guided_gradcam'), 1e-4, 'guided');
      });
      it('the default layer is the oracle layer', async () => {
        assert.equal(await defaultCamLayer(model), layerOf(c));
        const r = await gradCam.attribute(model, caseInput(c), { target: c.target });
        assertClose(r.attribution, reference(c, 'layer_gradcam'), 1e-4, 'default layer');
      });
    });
  }
});

/** Maps computed straight from the formulas, in double, from the oracle's activation and gradient. */
const direct = {
  'grad-cam-plus-plus': (a: Float32Array, g: Float32Array, channels: number, pixels: number): number[] => {
    const map = new Array<number>(pixels).fill(0);
    for (let c = 0; c < channels; c++) {
      let sumA = 0;
      for (let p = 0; p < pixels; p++) sumA += a[c * pixels + p] as number;
      let weight = 0;
      for (let p = 0; p < pixels; p++) {
        const gv = g[c * pixels + p] as number;
        const alpha = gv === 0 ? 0 : gv ** 2 / (2 * gv ** 2 + sumA * gv ** 3 + 1e-6);
        weight += Math.max(gv, 0) * alpha;
      }
      for (let p = 0; p < pixels; p++) map[p] = (map[p] as number) + weight * (a[c * pixels + p] as number);
    }
    return map;
  },
  'layer-cam': (a: Float32Array, g: Float32Array, channels: number, pixels: number): number[] => {
    const map = new Array<number>(pixels).fill(0);
    for (let c = 0; c < channels; c++)
      for (let p = 0; p < pixels; p++) map[p] = (map[p] as number) + Math.max(g[c * pixels + p] as number, 0) * (a[c * pixels + p] as number);
    return map;
  },
  'hires-cam': (a: Float32Array, g: Float32Array, channels: number, pixels: number): number[] => {
    const map = new Array<number>(pixels).fill(0);
    for (let c = 0; c < channels; c++)
      for (let p = 0; p < pixels; p++) map[p] = (map[p] as number) + (g[c * pixels + p] as number) * (a[c * pixels + p] as number);
    return map;
  },
};

describe('Grad-CAM++, LayerCAM and HiResCAM match a direct computation from the oracle activation and gradient', () => {
  for (const c of cases) {
    it(c.id, async () => {
      await using model = await loadCase(c);
      const a = reference(c, 'gradcam_layer_activation');
      const g = reference(c, 'gradcam_layer_gradient');
      const [, channels, h, w] = a.shape as [number, number, number, number];
      for (const method of [gradCamPlusPlus, layerCam, hiResCam]) {
        const r = await method.attribute(model, caseInput(c), { layer: layerOf(c), target: c.target });
        const expected = Float32Array.from(direct[method.name as keyof typeof direct](a.data, g.data, channels, h * w));
        assert.ok(
          expected.some((v) => v !== 0),
          `${method.name}: the reference map is not all zero`,
        );
        assertClose(r.attribution, { data: expected, shape: [1, 1, h, w] }, 1e-5, `${c.id} ${method.name}`);
      }
    });
  }
});

describe('batch equivalence: a batch equals single runs', () => {
  const c = caseOf('small_resnet/noise');
  const other = caseOf('small_resnet/blobs');
  let model: Model;
  before(async () => {
    model = await loadCase(c);
  });
  after(() => model.dispose());
  const x0 = caseInput(c);
  const x1 = caseInput(other);
  const x2 = scaled(x0, 0.5);
  const targets = [c.target, 3, 1];
  const methods: AttributionMethod<CamOptions>[] = [gradCam, gradCamPlusPlus, layerCam, hiResCam, cam, guidedGradCam];
  for (const method of methods) {
    it(method.name, async () => {
      // Three rows in chunks of two: the last chunk is padded.
      const batch = await method.attribute(model, concatBatch([x0, x1, x2]), { target: targets, batchSize: 2 });
      assert.deepEqual(batch.targets, targets);
      const per = batch.attribution.data.length / 3;
      for (const [i, x] of [x0, x1, x2].entries()) {
        const single = await method.attribute(model, x, { target: targets[i] });
        const row = { data: batch.attribution.data.subarray(i * per, (i + 1) * per), shape: [1, ...batch.attribution.shape.slice(1)] };
        assertClose(row, single.attribution, 1e-5, `${method.name} row ${i}`);
      }
      assert.notDeepEqual([...batch.attribution.data.subarray(0, per)], [...batch.attribution.data.subarray(per, 2 * per)]);
    });
  }
});

describe('CAM', () => {
  for (const id of ['tiny_cnn/noise', 'tiny_cnn/blobs']) {
    it(`equals Grad-CAM × h·w on ${id} (GAP → Flatten → Gemm)`, async () => {
      const c = caseOf(id);
      await using model = await loadCase(c);
      const x = caseInput(c);
      for (const target of [c.target, 0]) {
        const map = await cam.attribute(model, x, { target });
        const grad = await gradCam.attribute(model, x, { target, layer: layerOf(c) });
        const [, , h, w] = grad.attribution.shape as number[];
        assert.equal(map.details?.layer, layerOf(c));
        assertClose(map.attribution, scaled(grad.attribution, (h as number) * (w as number)), 1e-5, `${id} target ${target}`);
      }
    });
  }

  it('finds ReduceMean → MatMul + Add and Gemm without transB, with alpha', async () => {
    const heads: [string, (b: GraphBuilder, pooled: string) => void][] = [
      [
        'ReduceMean + MatMul + Add',
        (b, relu) => {
          const pooled = b.op('ReduceMean', [relu], { axes: [2, 3], keepdims: 0 });
          const mm = b.op('MatMul', [pooled, b.weight('w', uniform(12, rng(5)), [3, 4])]);
          b.op('Add', [b.weight('bias', uniform(4, rng(6)), [4]), mm], {}, { outputs: ['logits'] });
        },
      ],
      [
        'GlobalAveragePool + Reshape + Gemm(alpha=2)',
        (b, relu) => {
          const pooled = b.op('GlobalAveragePool', [relu]);
          const flat = b.op('Reshape', [pooled, b.constInt64([1, 3])]);
          b.op('Gemm', [flat, b.weight('w', uniform(12, rng(7)), [3, 4])], { alpha: { float: 2 } }, { outputs: ['logits'] });
        },
      ],
    ];
    for (const [label, head] of heads) {
      const bytes = buildModel({
        inputs: [{ name: 'input', dims: [1, 2, 5, 5] }],
        outputs: ['logits'],
        build: (b) =>
          head(
            b,
            b.op('Relu', [b.op('Conv', ['input', b.weight('k', uniform(54, rng(4)), [3, 2, 3, 3])], { pads: [1, 1, 1, 1] })], {}, { outputs: ['features'] }),
          ),
      });
      await using model = await Model.load(bytes, { runtime: nodeRuntime });
      const x: Tensor = { data: uniform(50, rng(9)), shape: [1, 2, 5, 5] };
      for (const target of [0, 3]) {
        const map = await cam.attribute(model, x, { target });
        const grad = await gradCam.attribute(model, x, { target, layer: 'features' });
        assert.equal(map.details?.layer, 'features', label);
        assertClose(map.attribution, scaled(grad.attribution, 25), 1e-5, `${label} target ${target}`);
      }
    }
  });

  it('refuses a model without a GAP + linear head, saying what it needs', async () => {
    const bytes = buildModel({
      inputs: [{ name: 'input', dims: [1, 2, 4, 4] }],
      outputs: ['logits'],
      build: (b) => {
        const relu = b.op('Relu', [b.op('Conv', ['input', b.weight('k', uniform(36, rng(1)), [2, 2, 3, 3])], { pads: [1, 1, 1, 1] })]);
        const flat = b.op('Flatten', [relu], { axis: 1 });
        b.op('Gemm', [flat, b.weight('w', uniform(96, rng(2)), [3, 32])], { transB: 1 }, { outputs: ['logits'] });
      },
    });
    await using model = await Model.load(bytes, { runtime: nodeRuntime });
    const x: Tensor = { data: uniform(32, rng(3)), shape: [1, 2, 4, 4] };
    await rejectsWith(cam.attribute(model, x), 'UNSUPPORTED_MODEL', /global(ly)? average.pool.*Relu output.*grad-cam/i);
    // Grad-CAM still works there, at the last 4-D activation.
    const r = await gradCam.attribute(model, x);
    assert.deepEqual(r.attribution.shape, [1, 1, 4, 4]);
  });

  it('refuses another layer and the probability score', async () => {
    const c = caseOf('tiny_cnn/noise');
    await using model = await loadCase(c);
    await rejectsWith(
      cam.attribute(model, caseInput(c), { layer: '/relu1/Relu_output_0' }),
      'BAD_OPTION',
      /only at the globally pooled layer "\/relu2\/Relu_output_0"/,
    );
    await rejectsWith(cam.attribute(model, caseInput(c), { score: 'probability' }), 'BAD_OPTION', /logit/);
  });
});

describe('layer names', () => {
  const c = caseOf('tiny_cnn/noise');
  let model: Model;
  before(async () => {
    model = await loadCase(c);
  });
  after(() => model.dispose());

  it('an unknown layer gets close names', async () => {
    await rejectsWith(
      gradCam.attribute(model, caseInput(c), { layer: '/relu2/Relu_outpt_0' }),
      'UNKNOWN_TENSOR',
      /No layer named.*Closest names: "\/relu2\/Relu_output_0"/,
    );
  });
  it('a layer that is not 4-D is named with its shape', async () => {
    await rejectsWith(
      layerCam.attribute(model, caseInput(c), { layer: 'logits' }),
      'BAD_SHAPE',
      /"logits" has shape \[1, 10\] \(rank 2\).*4-D.*"\/relu2\/Relu_output_0"/,
    );
    await rejectsWith(guidedGradCam.attribute(model, caseInput(c), { layer: '/flatten/Flatten_output_0' }), 'BAD_SHAPE', /\[1, 16\] \(rank 2\)/);
  });
  it('a weight is not a layer', async () => {
    await rejectsWith(gradCam.attribute(model, caseInput(c), { layer: 'conv2.weight' }), 'BAD_OPTION', /weight/);
  });
  it('a node name stands for its output', async () => {
    const r = await hiResCam.attribute(model, caseInput(c), { layer: '/relu1/Relu', target: c.target });
    assert.equal(r.details?.layer, '/relu1/Relu_output_0');
    assert.deepEqual(r.attribution.shape, [1, 1, 32, 32]);
  });
  it('a bad upsample option is refused', async () => {
    await rejectsWith(gradCam.attribute(model, caseInput(c), { upsample: 'bicubic' as 'bilinear' }), 'BAD_OPTION', /upsample/);
  });
});
