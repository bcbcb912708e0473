import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { requireLayer } from '../../src/attribution/layers.js';
import { ablationCam } from '../../src/attribution/perturbation/ablation-cam.js';
import { type AblationRunner, ablationRunner, gatedAblation, suffixAblation } from '../../src/attribution/perturbation/ablation-runners.js';
import { Model } from '../../src/engine/model.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { buildModel } from '../../src/onnx/builder.js';
import { seededRandom } from '../../src/tensor/random.js';
import { concatBatch, type Tensor } from '../../src/tensor/tensor.js';
import { assertClose } from '../helpers/compare.js';
import { caseInput, type OracleCase, oracle, oracleModelBytes } from '../helpers/oracle.js';

const cases = oracle().cases;
const byId = (id: string) => cases.find((k) => k.id === id) as OracleCase;

/** Every ablated row of both samples of `x`, from one runner, in chunks of its batch. */
async function allRows(runner: AblationRunner, n: number): Promise<Tensor> {
  const total = n * runner.channels;
  const parts: Tensor[] = [];
  await runner.clean();
  for (let first = 0; first < total; first += runner.batch) {
    const count = Math.min(runner.batch, total - first);
    const out = await runner.ablated(first, count);
    const k = out.data.length / runner.batch;
    parts.push({ data: out.data.slice(0, count * k), shape: [count, k] });
  }
  return concatBatch(parts);
}

/** Ablation rows and clean pass of the suffix runner against the whole-model gated runner. */
async function compareRunners(id: string, layerName: string): Promise<void> {
  const c = byId(id);
  const x = concatBatch([caseInput(c), caseInput(byId(id.replace(/blobs$/, 'noise')))]);
  await using model = await Model.load(oracleModelBytes(c), { runtime: nodeRuntime, optimization: 'disabled' });
  const layer = await requireLayer(model, layerName, x.shape);
  const suffix = await suffixAblation(model, layer, 'logits', 5, x);
  const gated = await gatedAblation(model, layer, 'logits', 5, x);
  try {
    assert.equal(suffix.kind, 'suffix');
    const [a, b] = [await suffix.clean(), await gated.clean()];
    assertClose(a.output, b.output, 1e-5, `${id} clean scores`);
    assertClose({ data: a.activations, shape: [a.activations.length] }, { data: b.activations, shape: [b.activations.length] }, 1e-6, `${id} activations`);
    assertClose(await allRows(suffix, 2), await allRows(gated, 2), 1e-4, `${id} ablated rows`);
  } finally {
    await suffix.dispose();
    await gated.dispose();
  }
}

describe('Ablation-CAM runners: the graph after the layer equals the whole gated model', () => {
  for (const m of ['tiny_cnn', 'small_resnet', 'small_mobilenet']) {
    it(`${m}: the default CAM layer, two samples, chunks of 5 rows`, async () => {
      const layer = oracle().models[m]?.gradcam_layer.onnx_tensor as string;
      await compareRunners(`${m}/blobs`, layer);
    });
  }

  it('small_resnet: a layer inside a residual block (the suffix also reads the shortcut branch)', async () => {
    await compareRunners('small_resnet/blobs', '/layer3/layer3.0/relu1/Relu_output_0');
  });
});

describe('Ablation-CAM runner fallback', () => {
  /**
   * A model whose graph after the layer reads a boolean computed from the input (a sign switch),
   * so it cannot be cut at the layer: logits = sum(x) > 0 ? GAP(relu(conv(x))) : −GAP(…).
   */
  function switchModel(): Uint8Array {
    const next = seededRandom(3);
    return buildModel({
      inputs: [{ name: 'x', dims: ['N', 1, 6, 6] }],
      outputs: ['logits'],
      build: (b) => {
        const w = b.constFloat(
          Float32Array.from({ length: 4 * 9 }, () => next() - 0.5),
          [4, 1, 3, 3],
          'w',
        );
        const relu = b.op('Relu', [b.op('Conv', ['x', w], { pads: [1, 1, 1, 1] })], {}, { outputs: ['layer'] });
        const pooled = b.op('Flatten', [b.op('GlobalAveragePool', [relu])], { axis: 1 });
        const total = b.op('Flatten', [b.op('ReduceSum', ['x', b.constInt64([1, 2, 3])], { keepdims: 1 })], { axis: 1 });
        const positive = b.op('Greater', [total, b.scalar(0)]);
        b.op('Where', [positive, pooled, b.op('Neg', [pooled])], {}, { outputs: ['logits'] });
      },
    });
  }

  it('reruns the whole model with a channel gate when the graph after the layer reads a non-float tensor', async () => {
    await using model = await Model.load(switchModel(), { runtime: nodeRuntime });
    const next = seededRandom(4);
    const x: Tensor = { data: Float32Array.from({ length: 2 * 36 }, (_, k) => (k < 36 ? 1 : -1) * next()), shape: [2, 1, 6, 6] };
    const layer = await requireLayer(model, 'layer', x.shape);
    const runner = await ablationRunner(model, layer, 'logits', 3, x);
    try {
      assert.equal(runner.kind, 'gated');
    } finally {
      await runner.dispose();
    }
    const r = await ablationCam.attribute(model, x, { layer: 'layer', target: 0, batchSize: 3 });
    // Zeroing channel 0 removes its mean from logit 0 (with the sample's sign), so w_0 = 1 for both samples.
    const weights = r.details?.weights as number[][];
    for (const w of weights) assert.ok(Math.abs((w[0] as number) - 1) < 1e-5, `w_0 = ${w[0]}`);
  });
});
