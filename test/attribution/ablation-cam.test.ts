import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { findCamHead } from '../../src/attribution/cam/cam.js';
import { ablationCam, ablationWeights } from '../../src/attribution/perturbation/ablation-cam.js';
import type { AttributionResult } from '../../src/attribution/types.js';
import { upsampleBilinear } from '../../src/attribution/upsample.js';
import { Model } from '../../src/engine/model.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { isLucernaError } from '../../src/errors.js';
import { addChannelGate } from '../../src/onnx/channel-gate.js';
import { encodeModel } from '../../src/onnx/proto.js';
import { concatBatch, sizeOf, type Tensor } from '../../src/tensor/tensor.js';
import { assertClose } from '../helpers/compare.js';
import { caseInput, type OracleCase, oracle, oracleModelBytes, reference } from '../helpers/oracle.js';

/** One entry of a result's details. */
const detail = (r: AttributionResult, key: string): unknown => r.details?.[key];

const cases = oracle().cases;
const layerOf = (c: OracleCase): string => oracle().models[c.model]?.gradcam_layer.onnx_tensor as string;

/** Runs the channel-gated graph of `model` once: input x [1, ...] and gate [1, C, 1, 1]. */
async function runGated(model: Model, layer: string, x: Tensor, gate: Float32Array): Promise<Float32Array> {
  const prepared = await model.prepare(x.shape);
  const shape = prepared.shapes.get(layer) as readonly number[];
  const gated = addChannelGate(prepared.graph, layer, shape);
  const session = await nodeRuntime.createSession(encodeModel(gated.graph.toModel()), model.options);
  try {
    const out = await session.run({ [model.input.name]: x, [gated.gate]: { data: gate, shape: [1, shape[1] as number, 1, 1] } }, ['logits']);
    return out.logits?.data as Float32Array;
  } finally {
    await session.dispose();
  }
}

/**
 * Ablation-CAM straight from the paper, for a layer that feeds global average pooling and one
 * linear layer: zeroing channel c lowers the logit by exactly W[t, c]·mean(A_c), so
 * w_c = W[t, c]·mean(A_c) / y and map = Σ_c w_c·A_c. A is the oracle's saved activation.
 */
function expectedMap(activation: Tensor, classWeights: Float32Array, y: number): { map: Float64Array; weights: Float64Array } {
  const [, channels, h, w] = activation.shape as [number, number, number, number];
  const pixels = h * w;
  const weights = new Float64Array(channels);
  const map = new Float64Array(pixels);
  for (let c = 0; c < channels; c++) {
    let mean = 0;
    for (let p = 0; p < pixels; p++) mean += (activation.data[c * pixels + p] as number) / pixels;
    weights[c] = ((classWeights[c] as number) * mean) / y;
    for (let p = 0; p < pixels; p++) map[p] = (map[p] as number) + (weights[c] as number) * (activation.data[c * pixels + p] as number);
  }
  return { map, weights };
}

describe('Ablation-CAM on the oracle models', () => {
  for (const c of cases) {
    describe(c.id, () => {
      let model: Model;
      before(async () => {
        model = await Model.load(oracleModelBytes(c), { runtime: nodeRuntime });
      });
      after(() => model.dispose());

      it('matches the paper formula computed from the linear head and the saved activation', async () => {
        const r = await ablationCam.attribute(model, caseInput(c), { layer: layerOf(c), target: c.target });
        const head = findCamHead(await model.prepare(model.inputShape(1)), 'logits');
        assert.equal(head.layer, layerOf(c), 'the oracle layer feeds the GAP + linear head');
        const activation = reference(c, 'gradcam_layer_activation');
        const channels = activation.shape[1] as number;
        const { map, weights } = expectedMap(activation, head.weights.subarray(c.target * channels, (c.target + 1) * channels), c.f_input_target);
        assertClose(r.attribution, { data: Float32Array.from(map), shape: [1, 1, ...activation.shape.slice(2)] }, 2e-4, 'map');
        const got = (detail(r, 'weights') as number[][])[0] as number[];
        assertClose({ data: Float32Array.from(got), shape: [channels] }, { data: Float32Array.from(weights), shape: [channels] }, 2e-4, 'weights');
        assert.deepEqual(r.targets, [c.target]);
        assert.ok(Math.abs((r.scores[0] as number) - c.f_input_target) < 1e-4);
      });

      it('gives weight 0 to channels whose activation is all zero', async () => {
        const r = await ablationCam.attribute(model, caseInput(c), { layer: layerOf(c), target: c.target });
        const a = reference(c, 'gradcam_layer_activation');
        const pixels = sizeOf(a.shape.slice(2));
        const weights = (detail(r, 'weights') as number[][])[0] as number[];
        const dead = weights.map((_, ch) => ch).filter((ch) => a.data.subarray(ch * pixels, (ch + 1) * pixels).every((v) => v === 0));
        for (const ch of dead) assert.equal(weights[ch], 0, `dead channel ${ch}`);
        assert.ok(weights.some((w) => w !== 0));
      });

      it('the gated graph with all-ones gates equals the model; a zero gate ablates the channel', async () => {
        // Without graph optimisation, so fusion cannot reorder float sums differently in the two graphs.
        await using model = await Model.load(oracleModelBytes(c), { runtime: nodeRuntime, optimization: 'disabled' });
        const x = caseInput(c);
        const layer = layerOf(c);
        const channels = (await model.prepare(x.shape)).shapes.get(layer)?.[1] as number;
        const logits = ((await model.run(x)).logits as Tensor).data;
        const ones = await runGated(model, layer, x, new Float32Array(channels).fill(1));
        for (let k = 0; k < logits.length; k++)
          assert.ok(Math.abs((ones[k] as number) - (logits[k] as number)) <= 1e-6, `logit ${k}: ${ones[k]} vs ${logits[k]}`);
        const gate = new Float32Array(channels).fill(1);
        gate[0] = 0;
        const ablated = await runGated(model, layer, x, gate);
        const head = findCamHead(await model.prepare(x.shape), 'logits');
        const a = reference(c, 'gradcam_layer_activation');
        const pixels = sizeOf(a.shape.slice(2));
        const mean0 = a.data.subarray(0, pixels).reduce((s, v) => s + v, 0) / pixels;
        for (let k = 0; k < logits.length; k++) {
          const expected = (logits[k] as number) - (head.weights[k * channels] as number) * mean0;
          assert.ok(Math.abs((ablated[k] as number) - expected) <= 1e-4, `ablated logit ${k}: ${ablated[k]} vs ${expected}`);
        }
      });

      it('batch size 1 and 16 give the same map', async () => {
        const options = { layer: layerOf(c), target: c.target };
        const one = await ablationCam.attribute(model, caseInput(c), { ...options, batchSize: 1 });
        const sixteen = await ablationCam.attribute(model, caseInput(c), { ...options, batchSize: 16 });
        assertClose(one.attribution, sixteen.attribution, 1e-6, 'batch 1 vs 16');
      });
    });
  }
});

describe('Ablation-CAM batching and options', () => {
  const c = cases.find((k) => k.id === 'tiny_cnn/blobs') as OracleCase;
  const other = cases.find((k) => k.id === 'tiny_cnn/noise') as OracleCase;
  let model: Model;
  before(async () => {
    model = await Model.load(oracleModelBytes(c), { runtime: nodeRuntime });
  });
  after(() => model.dispose());

  it('a batch of two samples equals each sample alone, with per-sample targets', async () => {
    const x = concatBatch([caseInput(c), caseInput(other)]);
    const both = await ablationCam.attribute(model, x, { target: [c.target, 3], batchSize: 5 });
    const first = await ablationCam.attribute(model, caseInput(c), { target: c.target });
    const second = await ablationCam.attribute(model, caseInput(other), { target: 3 });
    assertClose(both.attribution, concatBatch([first.attribution, second.attribution]), 1e-5, 'batched');
    assert.deepEqual(both.targets, [c.target, 3]);
  });

  it('relu and upsample post-process the raw map', async () => {
    const raw = await ablationCam.attribute(model, caseInput(c), { target: c.target });
    const relu = await ablationCam.attribute(model, caseInput(c), { target: c.target, relu: true, upsample: 'bilinear' });
    assert.deepEqual(relu.attribution.shape, [1, 1, 32, 32]);
    const clamped = { data: raw.attribution.data.map((v) => Math.max(0, v)), shape: raw.attribution.shape };
    assertClose(relu.attribution, upsampleBilinear(clamped, [32, 32]), 1e-6, 'relu + upsample');
  });

  it('an unknown layer fails with close names', async () => {
    await assert.rejects(ablationCam.attribute(model, caseInput(c), { layer: '/relu2/Relu_outpt_0' }), (e: unknown) => {
      assert.ok(isLucernaError(e, 'UNKNOWN_TENSOR'));
      assert.match(e.oneLine(), /\/relu2\/Relu_output_0/);
      return true;
    });
  });

  it('ablationWeights is (y − y_c) / y', () => {
    assert.deepEqual(Array.from(ablationWeights(2, [1, 2, 3])), [0.5, 0, -0.5]);
    assert.deepEqual(Array.from(ablationWeights(0, [1, -1])), [-1, 1]);
  });
});
