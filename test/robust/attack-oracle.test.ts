/**
 * FGSM and PGD against Captum 0.8's outputs on the three shared models (../shared/oracle-attack).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Model } from '../../src/engine/model.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { npyToFloat32, parseNpy } from '../../src/io/npy.js';
import { attackOutcome } from '../../src/robust/evaluate.js';
import { fgsm } from '../../src/robust/fgsm.js';
import { pgd } from '../../src/robust/pgd.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { sharedDir } from '../helpers/oracle.js';

const attackDir = join(sharedDir, 'oracle-attack');

interface AttackCase {
  name: string;
  method: 'fgsm' | 'pgd';
  epsilon: number;
  step_size?: number;
  steps?: number;
  norm?: 'Linf' | 'L2';
  targeted: boolean;
  lower: number | null;
  upper: number | null;
  target: number;
  pred_adv: number;
}

const manifest = JSON.parse(readFileSync(join(attackDir, 'cases.json'), 'utf8')) as { models: Record<string, AttackCase[]> };

function npy(path: string): Tensor {
  const buf = readFileSync(path);
  return npyToFloat32(parseNpy(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), path));
}

/** The fraction of elements within `tol` of the reference. */
function fractionWithin(actual: Float32Array, expected: Float32Array, tol: number): number {
  assert.equal(actual.length, expected.length);
  let ok = 0;
  for (let i = 0; i < expected.length; i++) if (Math.abs((actual[i] as number) - (expected[i] as number)) <= tol) ok++;
  return ok / expected.length;
}

/**
 * Targeted L∞ PGD (12 steps of 0.02 in a ball of 0.1) on the two deeper models never settles: it
 * ends in a period-2 oscillation (on small_mobilenet our result agrees with Captum's final point on
 * 67% of elements after 10 steps, 18% after 11, 82% after 12, 16% after 13), so one gradient sign
 * that differs at any step shifts the phase of many elements. Measured on our own engine:
 * - small_resnet: the same attack with ORT graph optimisation 'disabled' vs 'all' (which fuses
 *   differently and flips a ReLU mask where a pre-activation sits within rounding of zero) agrees
 *   on 99.97% of elements after 1 step, 95.3% after 8, 86.8% after 12; ours vs Captum: 85.0%.
 * - small_mobilenet: adding noise of 1e-6 × max|g| to the gradient (below the rounding
 *   differences between two float32 engines) changes one or two signs in 12 steps and leaves
 *   34%–90% agreement with the unperturbed run (3 seeds); ours vs Captum: 81.8%.
 * No float32 implementation that rounds differently from PyTorch can match these two element for
 * element (here: 85.0% and 81.8% within 1e-5), and another CPU may land elsewhere in that range. For
 * them we require what does not depend on the phase: every element inside the ε-ball and on the
 * lattice of sign steps (x + k·step), Captum's final decision, and the target's loss within 5% of
 * the reduction Captum reached (measured: 8.45836 vs 8.45837 from 10.298; 3.712 vs 3.694 from
 * 5.115). Every other case (13 of 15) must agree on ≥ 99.5% of elements (measured: 100%).
 */
const CHAOTIC_CASES = new Set(['small_resnet/pgd_linf_targeted', 'small_mobilenet/pgd_linf_targeted']);

function assertOnStepLattice(adv: Float32Array, x: Float32Array, epsilon: number, step: number, label: string): void {
  for (let i = 0; i < x.length; i++) {
    const d = (adv[i] as number) - (x[i] as number);
    assert.ok(Math.abs(d) <= Math.fround(epsilon) * (1 + 1e-6), `${label}: |x' − x| = ${Math.abs(d)} exceeds ε = ${epsilon} at ${i}`);
    const k = d / step;
    assert.ok(Math.abs(k - Math.round(k)) < 1e-3, `${label}: x' − x = ${d} is no multiple of the step ${step} at ${i}`);
  }
}

async function assertSameProgress(model: Model, x: Tensor, ours: Tensor, captum: Tensor, c: AttackCase, label: string): Promise<void> {
  const labels = { targets: [c.target], targeted: c.targeted };
  const [clean, mine, theirs] = await Promise.all([x, ours, captum].map(async (t) => (await attackOutcome(model, t, labels)).loss[0] as number));
  assert.ok(
    Math.abs((mine as number) - (theirs as number)) <= 0.05 * Math.abs((clean as number) - (theirs as number)),
    `${label}: loss ${mine} vs Captum's ${theirs} (clean ${clean})`,
  );
  assert.equal((await attackOutcome(model, ours, labels)).predictions[0], c.pred_adv, `${label}: decision`);
}

describe("FGSM and PGD match Captum 0.8's outputs on every shared case", () => {
  for (const [modelName, cases] of Object.entries(manifest.models)) {
    it(modelName, async () => {
      // Exact parity lowers graph optimisation, as the gradient oracles do (../shared/notes/backward-graphs.md).
      await using model = await Model.load(new Uint8Array(readFileSync(join(sharedDir, 'oracle', modelName, 'model.onnx'))), {
        runtime: nodeRuntime,
        optimization: 'disabled',
      });
      for (const c of cases) {
        const x = npy(join(attackDir, modelName, `${c.name}_x.npy`));
        const expected = npy(join(attackDir, modelName, `${c.name}_adv.npy`));
        const common = {
          epsilon: c.epsilon,
          target: c.target,
          targeted: c.targeted,
          lower: c.lower ?? undefined,
          upper: c.upper ?? undefined,
        };
        const result =
          c.method === 'fgsm'
            ? await fgsm.perturb(model, x, common)
            : await pgd.perturb(model, x, { ...common, stepSize: c.step_size, steps: c.steps, norm: c.norm === 'L2' ? 'l2' : 'linf' });
        const label = `${modelName}/${c.name}`;
        const within = fractionWithin(result.adversarial.data, expected.data, 1e-5);
        if (CHAOTIC_CASES.has(label)) {
          assertOnStepLattice(result.adversarial.data, x.data, c.epsilon, c.step_size as number, label);
          await assertSameProgress(model, x, result.adversarial, expected, c, label);
        } else {
          assert.ok(within >= 0.995, `${label}: only ${(within * 100).toFixed(3)}% of elements within 1e-5`);
        }
        assert.deepEqual(result.targets, [c.target]);
      }
    });
  }
});
