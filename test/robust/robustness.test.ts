import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLucernaError } from '../../src/errors.js';
import { externalReferences } from '../../src/render/report/self-contained.js';
import { fgsm } from '../../src/robust/fgsm.js';
import { minimalPerturbation } from '../../src/robust/min-perturbation.js';
import { pgd } from '../../src/robust/pgd.js';
import { renderRobustnessHtml } from '../../src/robust/report-html.js';
import { type RobustnessResult, robustnessStudy, successRates } from '../../src/robust/robustness.js';
import { sliceBatch } from '../../src/tensor/tensor.js';
import { normalInput, tinyCnn } from './fixtures.js';

describe('the robustness study', () => {
  it('per sample: success at each ε, the minimal ε, and Grad-CAM before and after', async () => {
    await using model = await tinyCnn();
    const x = normalInput([2, 3, 8, 8], 17);
    const samples = [0, 1].map((i) => ({ name: `s${i}`, tensor: sliceBatch(x, i, 1) }));
    const epsilons = [0.05, 0.2, 0.8];
    const results: RobustnessResult[] = [];
    for await (const r of robustnessStudy(model, samples, { attack: pgd, steps: 4, epsilons, search: { max: 1, step: 0.01 } })) results.push(r);
    assert.deepEqual(
      results.map((r) => r.name),
      ['s0', 's1'],
    );
    for (const [i, r] of results.entries()) {
      const alone = await pgd.perturb(model, samples[i]!.tensor, { epsilon: 0.2, steps: 4 });
      assert.equal(r.label, alone.targets[0]);
      const minimal = await minimalPerturbation(model, samples[i]!.tensor, { attack: pgd, steps: 4, max: 1, step: 0.01 });
      assert.equal(r.minimalEpsilon, minimal.epsilon[0]);
      assert.equal(r.success.length, 3);
      if (r.minimalEpsilon !== null) {
        assert.notEqual(r.adversarialPrediction, r.label);
        assert.deepEqual([...r.adversarial.data], [...minimal.adversarial.data]);
      }
      assert.deepEqual([...r.camBefore.shape], [1, 1, 8, 8]);
      assert.deepEqual([...r.camAfter.shape], [1, 1, 8, 8]);
      assert.ok(
        r.camBefore.data.every((v) => v >= 0),
        'ReLU of the map',
      );
    }
  });

  it('success rates per ε, and the ε list is checked', async () => {
    assert.deepEqual(successRates([{ success: [false, true] }, { success: [true, true] }]), [0.5, 1]);
    await using model = await tinyCnn();
    const study = robustnessStudy(model, [], { attack: fgsm, epsilons: [0.2, 0.1], search: { max: 1, step: 0.1 } });
    await assert.rejects(study.next(), (e) => isLucernaError(e, 'BAD_OPTION') && /increasing/.test(e.message));
  });
});

describe('the robustness page', () => {
  const dot = 'data:image/png;base64,iVBORw0KGgo=';
  const page = renderRobustnessHtml({
    model: 'm<1>.onnx',
    attack: 'pgd',
    settings: { norm: 'linf', steps: 10 },
    epsilons: [0.1, 0.2],
    rates: [0.25, 0.75],
    searchMax: 0.5,
    images: [0.12, 0.01, 0.26, null, null].map((minimalEpsilon, i) => ({
      name: i ? `${i}.png` : 'a.png',
      label: '3 (cat)',
      adversarialLabel: '5 (dog)',
      minimalEpsilon,
      shownEpsilon: 0.12,
      differenceMax: 0.12,
      width: 8,
      height: 8,
      pictures: { original: dot, adversarial: dot, difference: dot, camBefore: dot, camAfter: dot },
    })),
  });
  it('is self-contained and escapes names', () => {
    assert.deepEqual(externalReferences(page), []);
    assert.match(page, /m&lt;1&gt;\.onnx/);
    assert.match(page, /ε 0\.1: 25\.0% · ε 0\.2: 75\.0%/);
    assert.equal((page.match(/<img /g) ?? []).length, 25, 'five pictures per sample');
  });
  it('bins the minimal ε over [0, the search end) and counts the samples that never flipped', () => {
    assert.match(page, /\[0, 0\.025\): 1/);
    assert.match(page, /\[0\.1, 0\.125\): 1/);
    assert.match(page, /\[0\.25, 0\.275\): 1/);
    assert.equal((page.match(/\): 0</g) ?? []).length, 17, 'the other bins are empty');
    assert.match(page, /no flip below 0\.5: 2/);
  });
});
