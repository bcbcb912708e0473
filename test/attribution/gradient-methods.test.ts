import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deconvnet, guidedBackprop } from '../../src/attribution/gradient/guided-backprop.js';
import { inputXGradient } from '../../src/attribution/gradient/input-x-gradient.js';
import { integratedGradients, sumPerSample } from '../../src/attribution/gradient/integrated-gradients.js';
import { saliency } from '../../src/attribution/gradient/saliency.js';
import { smoothGrad } from '../../src/attribution/methods.js';
import { Model } from '../../src/engine/model.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { concatBatch, sliceBatch, type Tensor } from '../../src/tensor/tensor.js';
import { assertClose, compareArrays } from '../helpers/compare.js';
import { caseInput, oracle, oracleModelBytes, oracleTensor, reference } from '../helpers/oracle.js';

// Exact-parity tests lower graph optimisation: ORT's fused forward can flip a ReLU mask where a
// pre-activation sits within rounding of zero (../shared/notes/backward-graphs.md).
const load = (c: { onnx: string }) => Model.load(oracleModelBytes(c), { runtime: nodeRuntime, optimization: 'disabled' });

/**
 * Cases where IG's 32-point Gauss–Legendre map differs from Captum's by more than 1e-3 × max on a
 * few pixels, because one integration point sits on a ReLU/ReLU6 kink: a 1-ulp change of the
 * scaled input moves that point's gradient by ~1e-2 (measured: small_resnet/noise at α = 0.7534,
 * 3 of 12,288 pixels; small_mobilenet/noise, 62 of 12,288 pixels, and a 1-ulp input jitter moves
 * our own map by the same 4.8e-3). PyTorch and ORT round convolutions differently, so no float32
 * implementation can match there. For these we require ≥ 99% of pixels within 1e-3 and all within 1e-2.
 */
const KINK_CASES = new Set(['small_resnet/noise ig_gausslegendre', 'small_mobilenet/noise ig_gausslegendre']);

function assertCloseOrKink(actual: Tensor, expected: Tensor, label: string): void {
  if (!KINK_CASES.has(label)) {
    assertClose(actual, expected, 1e-3, label);
    return;
  }
  const { refMax } = compareArrays(actual.data, expected.data);
  let over = 0;
  for (let i = 0; i < expected.data.length; i++) if (Math.abs((actual.data[i] as number) - (expected.data[i] as number)) > 1e-3 * refMax) over++;
  assert.ok(over <= 0.01 * expected.data.length, `${label}: ${over} pixels exceed 1e-3 × max`);
  assertClose(actual, expected, 1e-2, label);
}

describe('gradient methods match Captum on every oracle case', () => {
  for (const c of oracle().cases) {
    const model = oracle().models[c.model];
    it(`${c.id}`, async () => {
      await using m = await load(c);
      const x = caseInput(c);
      const target = c.target;
      assertClose((await saliency.attribute(m, x, { target })).attribution, reference(c, 'saliency'), 1e-4, 'saliency');
      assertClose((await saliency.attribute(m, x, { target, abs: true })).attribution, reference(c, 'saliency_abs'), 1e-4, 'saliency abs');
      assertClose((await inputXGradient.attribute(m, x, { target })).attribution, reference(c, 'input_x_gradient'), 1e-4, 'input x gradient');
      assertClose((await guidedBackprop.attribute(m, x, { target })).attribution, reference(c, 'guided_backprop'), 1e-4, 'guided');
      assertClose((await deconvnet.attribute(m, x, { target })).attribution, reference(c, 'deconvolution'), 1e-4, 'deconvnet');
      for (const [file, integration] of [
        ['ig_riemann_trapezoid', 'riemann-trapezoid'],
        ['ig_gausslegendre', 'gauss-legendre'],
      ] as const) {
        const r = await integratedGradients.attribute(m, x, { target, steps: 32, integration, batchSize: 16 });
        assertCloseOrKink(r.attribution, reference(c, file), `${c.id} ${file}`);
        const expected = c.attributions.find((a) => a.name === file)?.captum_convergence_delta as number;
        const tol = KINK_CASES.has(`${c.id} ${file}`) ? 1e-2 : 1e-3;
        assert.ok(Math.abs((r.delta?.[0] as number) - expected) <= tol * Math.abs(c.f_input_target - c.f_baseline_zeros_target) + 1e-5, `${file} delta`);
      }
      const noise = oracleTensor(model?.smoothgrad_noise.file as string, model?.smoothgrad_noise.shape as number[]);
      assertClose((await smoothGrad.attribute(m, x, { target, noise })).attribution, reference(c, 'smoothgrad'), 1e-3, 'smoothgrad');
      assertClose((await smoothGrad.attribute(m, x, { target, noise, abs: true })).attribution, reference(c, 'smoothgrad_abs'), 1e-3, 'smoothgrad abs');
    });
  }
});

describe('Integrated Gradients', () => {
  // Completeness to 1e-3 with 64 Gauss–Legendre points holds where the path crosses few kinks.
  // On the ReLU6 models the integrand is piecewise smooth with many kinks and 64 points leave a
  // quadrature error of 4–8 % (Captum's own 32-point deltas there are 3.5 % and 12.5 %); the exact
  // integral still satisfies completeness, which the convergence test below shows.
  const completeAt64 = new Set(['tiny_cnn/noise', 'tiny_cnn/blobs', 'small_resnet/noise']);
  for (const c of oracle().cases.filter((k) => completeAt64.has(k.id))) {
    it(`completeness within 1e-3 relative with 64 gauss-legendre steps: ${c.id}`, async () => {
      await using m = await load(c);
      const r = await integratedGradients.attribute(m, caseInput(c), { target: c.target, steps: 64, integration: 'gauss-legendre' });
      const expected = c.f_input_target - c.f_baseline_zeros_target;
      const sum = sumPerSample(r.attribution)[0] as number;
      assert.ok(Math.abs(sum - expected) <= 1e-3 * Math.abs(expected), `sum ${sum} vs f(x)-f(0) ${expected}`);
      assert.ok(Math.abs(r.delta?.[0] as number) <= 1e-3 * Math.abs(expected));
    });
  }
  for (const c of oracle().cases.filter((k) => !completeAt64.has(k.id))) {
    it(`converges to completeness with more steps: ${c.id}`, async () => {
      await using m = await load(c);
      const x = caseInput(c);
      const expected = c.f_input_target - c.f_baseline_zeros_target;
      const coarse = await integratedGradients.attribute(m, x, { target: c.target, steps: 64, integration: 'gauss-legendre' });
      const fine = await integratedGradients.attribute(m, x, { target: c.target, steps: 1024, integration: 'riemann-middle', batchSize: 64 });
      const coarseErr = Math.abs(coarse.delta?.[0] as number);
      const fineErr = Math.abs(fine.delta?.[0] as number);
      assert.ok(fineErr <= 5e-3 * Math.abs(expected), `1024 midpoint steps: |delta| ${fineErr} vs f(x)-f(0) ${expected}`);
      assert.ok(fineErr < coarseErr, `more steps must reduce the completeness error (${fineErr} vs ${coarseErr})`);
    });
  }

  it('internal batch sizes 1, 7 and 32 give the same map', async () => {
    const c = oracle().cases.find((k) => k.model === 'small_resnet') ?? oracle().cases[0]!;
    await using m = await load(c);
    const x = caseInput(c);
    const maps = [];
    for (const batchSize of [1, 7, 32]) maps.push((await integratedGradients.attribute(m, x, { target: c.target, steps: 20, batchSize })).attribution);
    assertClose(maps[1]!, maps[0]!, 1e-5, 'batch 7 vs 1');
    assertClose(maps[2]!, maps[0]!, 1e-5, 'batch 32 vs 1');
  });
});

describe('batches', () => {
  it('a batch of N inputs with N targets equals N single calls', async () => {
    const cases = oracle().cases.filter((k) => k.model === 'small_mobilenet');
    await using m = await load(cases[0]!);
    const x = concatBatch(cases.map(caseInput));
    const targets = [3, 7];
    const model = oracle().models.small_mobilenet!;
    const noise = oracleTensor(model.smoothgrad_noise.file, model.smoothgrad_noise.shape);
    for (const method of [saliency, guidedBackprop, integratedGradients, smoothGrad]) {
      const options = { steps: 8, noise, batchSize: 5 };
      const batch = await method.attribute(m, x, { ...options, target: targets } as never);
      for (let i = 0; i < 2; i++) {
        const single = await method.attribute(m, sliceBatch(x, i, 1), { ...options, target: targets[i] } as never);
        assertClose(sliceBatch(batch.attribution, i, 1), single.attribution, 1e-5, `${method.name} sample ${i}`);
      }
      assert.deepEqual(batch.targets, targets);
    }
  });
});
