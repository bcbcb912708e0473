import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { channelMask, scoreCam, scoreCamWeights } from '../../src/attribution/perturbation/score-cam.js';
import { functionScorer } from '../../src/attribution/perturbation/scorer.js';
import type { AttributionResult } from '../../src/attribution/types.js';
import { upsampleBilinear } from '../../src/attribution/upsample.js';
import { Model } from '../../src/engine/model.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { isLucernaError } from '../../src/errors.js';
import { concatBatch, sizeOf, type Tensor } from '../../src/tensor/tensor.js';
import { assertClose } from '../helpers/compare.js';
import { caseInput, type OracleCase, oracle, oracleModelBytes, reference } from '../helpers/oracle.js';

/** One entry of a result's details. */
const detail = (r: AttributionResult, key: string): unknown => r.details?.[key];

const cases = oracle().cases;
const layerOf = (c: OracleCase): string => oracle().models[c.model]?.gradcam_layer.onnx_tensor as string;

/**
 * Score-CAM straight from the paper, from the oracle's saved activation A: masks M_c = min–max
 * normalised bilinear upsamplings of A_c; s_c = target logit of x ⊙ M_c (one model run over all
 * masked inputs); w = softmax(s) (or s − f(0)); map = Σ_c w_c·A_c.
 */
async function expectedScoreCam(model: Model, x: Tensor, activation: Tensor, target: number, softmax: boolean): Promise<Tensor> {
  const [, channels, h, w] = activation.shape as [number, number, number, number];
  const [, colours, H, W] = x.shape as [number, number, number, number];
  const up = upsampleBilinear(activation, [H, W]).data;
  const masked = new Float32Array(channels * colours * H * W);
  for (let c = 0; c < channels; c++) {
    const m = up.subarray(c * H * W, (c + 1) * H * W);
    const lo = Math.min(...m);
    const hi = Math.max(...m);
    for (let k = 0; k < colours * H * W; k++) {
      const normalised = hi > lo ? ((m[k % (H * W)] as number) - lo) / (hi - lo) : 0;
      masked[c * colours * H * W + k] = (x.data[k] as number) * normalised;
    }
  }
  const logits = ((await model.run({ data: masked, shape: [channels, colours, H, W] })).logits as Tensor).data;
  const k = logits.length / channels;
  const s = Array.from({ length: channels }, (_, c) => logits[c * k + target] as number);
  let weights: number[];
  if (softmax) {
    const max = Math.max(...s);
    const e = s.map((v) => Math.exp(v - max));
    const total = e.reduce((a, b) => a + b, 0);
    weights = e.map((v) => v / total);
  } else {
    const zero = ((await model.run({ data: new Float32Array(sizeOf(x.shape)), shape: x.shape })).logits as Tensor).data[target] as number;
    weights = s.map((v) => v - zero);
  }
  const map = new Float32Array(h * w);
  for (let c = 0; c < channels; c++)
    for (let p = 0; p < h * w; p++) map[p] = (map[p] as number) + (weights[c] as number) * (activation.data[c * h * w + p] as number);
  return { data: map, shape: [1, 1, h, w] };
}

describe('Score-CAM on the oracle models', () => {
  for (const c of cases) {
    describe(c.id, () => {
      let model: Model;
      before(async () => {
        model = await Model.load(oracleModelBytes(c), { runtime: nodeRuntime });
      });
      after(() => model.dispose());
      const options = () => ({ layer: layerOf(c), target: c.target });

      it('matches the paper formula computed from the saved activation', async () => {
        const r = await scoreCam.attribute(model, caseInput(c), options());
        const expected = await expectedScoreCam(model, caseInput(c), reference(c, 'gradcam_layer_activation'), c.target, true);
        assertClose(r.attribution, expected, 1e-4, 'softmax weights');
        const weights = (detail(r, 'weights') as number[][])[0] as number[];
        assert.ok(Math.abs(weights.reduce((a, b) => a + b, 0) - 1) < 1e-9, 'softmax weights sum to 1');
        assert.deepEqual(r.targets, [c.target]);
        assert.ok(Math.abs((r.scores[0] as number) - c.f_input_target) < 1e-4);
        assert.equal(r.details?.layer, layerOf(c));
      });

      // The variants run on one input per model, to keep the suite fast.
      if (!c.id.endsWith('/blobs')) return;
      it('softmax: false weighs channels by the score increase over a zero input', async () => {
        const r = await scoreCam.attribute(model, caseInput(c), { ...options(), softmax: false });
        const expected = await expectedScoreCam(model, caseInput(c), reference(c, 'gradcam_layer_activation'), c.target, false);
        assertClose(r.attribution, expected, 1e-4, 'raw increases');
      });

      it('batch size 1 and 16 give the same map', async () => {
        const one = await scoreCam.attribute(model, caseInput(c), { ...options(), batchSize: 1 });
        const sixteen = await scoreCam.attribute(model, caseInput(c), { ...options(), batchSize: 16 });
        assertClose(one.attribution, sixteen.attribution, 1e-6, 'batch 1 vs 16');
      });
    });
  }
});

describe('Score-CAM scorers, batching and options', () => {
  const c = cases.find((k) => k.id === 'tiny_cnn/blobs') as OracleCase;
  const other = cases.find((k) => k.id === 'tiny_cnn/noise') as OracleCase;
  let model: Model;
  before(async () => {
    model = await Model.load(oracleModelBytes(c), { runtime: nodeRuntime });
  });
  after(() => model.dispose());

  it('a black-box scorer gives the same map as the model scorer', async () => {
    let calls = 0;
    const scorer = functionScorer(
      async (batch) => {
        calls++;
        return (await model.run(batch)).logits as Tensor;
      },
      { batchSize: 7 },
    );
    const viaModel = await scoreCam.attribute(model, caseInput(c), { target: c.target });
    const viaScorer = await scoreCam.attribute(model, caseInput(c), { target: c.target, scorer });
    assertClose(viaScorer.attribution, viaModel.attribution, 1e-6, 'function scorer');
    assert.equal(calls, 1 + Math.ceil(16 / 7), 'one clean call, then the 16 masked inputs in batches of 7');
  });

  it('a batch of two samples equals each sample alone, with per-sample targets', async () => {
    const x = concatBatch([caseInput(c), caseInput(other)]);
    const both = await scoreCam.attribute(model, x, { target: [c.target, 2], batchSize: 5 });
    const first = await scoreCam.attribute(model, caseInput(c), { target: c.target });
    const second = await scoreCam.attribute(model, caseInput(other), { target: 2 });
    assertClose(both.attribution, concatBatch([first.attribution, second.attribution]), 1e-5, 'batched');
  });

  it('relu and upsample post-process the raw map', async () => {
    const raw = await scoreCam.attribute(model, caseInput(c), { target: c.target });
    const done = await scoreCam.attribute(model, caseInput(c), { target: c.target, relu: true, upsample: 'bilinear' });
    const clamped = { data: raw.attribution.data.map((v) => Math.max(0, v)), shape: raw.attribution.shape };
    assertClose(done.attribution, upsampleBilinear(clamped, [32, 32]), 1e-6, 'relu + upsample');
  });

  it('channelMask spans [0, 1] and is zero for a constant channel; scoreCamWeights is a softmax', () => {
    const mask = channelMask(Float32Array.from([0, 1, 2, 3]), [2, 2], [4, 4]);
    assert.equal(Math.min(...mask), 0);
    assert.equal(Math.max(...mask), 1);
    assert.ok(channelMask(new Float32Array(4).fill(5), [2, 2], [4, 4]).every((v) => v === 0));
    const w = Array.from(scoreCamWeights([1, 2, 3], { softmax: true }));
    assert.ok(Math.abs((w[2] as number) / (w[1] as number) - Math.E) < 1e-12);
    assert.deepEqual(Array.from(scoreCamWeights([1, 2], { softmax: false, baseline: 1.5 })), [-0.5, 0.5]);
  });

  it('refuses a layer that is not 4-D', async () => {
    await assert.rejects(scoreCam.attribute(model, caseInput(c), { layer: 'logits' }), (e: unknown) => isLucernaError(e, 'BAD_SHAPE'));
  });
});
