/**
 * The compiler's `ruleSets` registry holds every built-in rule set under its own name, the
 * guided-clip set of `guided-backprop-clip` included (issue #12: it lived inside the method), so a
 * plan can name it as a string like the others.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { guidedBackpropClip } from '../../src/attribution/gradient/guided-backprop-clip.js';
import { guidedClipRules, guidedRules } from '../../src/compiler/rulesets/guided.js';
import { resolveRuleSet, ruleSets } from '../../src/compiler/rulesets/index.js';
import { Model } from '../../src/engine/model.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { buildModel } from '../../src/onnx/builder.js';

describe('rule sets', () => {
  it('every registered set is keyed by its own name, guided-clip included', () => {
    for (const [key, set] of Object.entries(ruleSets)) assert.equal(set.name, key);
    assert.ok(Object.keys(ruleSets).includes('guided-clip'));
    assert.equal(resolveRuleSet('guided-clip'), guidedClipRules);
    assert.notEqual(guidedClipRules.rules.Clip, guidedRules.rules.Clip, 'guided-clip changes the Clip rule');
    assert.equal(guidedClipRules.rules.Relu, guidedRules.rules.Relu);
  });

  it('guided-backprop-clip guides a Clip unit: a negative gradient does not pass back', async () => {
    // y = sum(w · clip(x, 0, 6)) with w = [1, -1]: the plain gradient is w inside the range; guided, only the positive part.
    const bytes = buildModel({
      inputs: [{ name: 'x', dims: ['N', 2] }],
      outputs: ['y'],
      build: (b) => {
        const c = b.op('Clip', ['x', b.scalar(0), b.scalar(6)]);
        b.op('MatMul', [c, b.weight('w', [1, -1], [2, 1])], {}, { outputs: ['y'] });
      },
    });
    await using model = await Model.load(bytes, { runtime: nodeRuntime });
    const x = { data: Float32Array.from([1, 2]), shape: [1, 2] };
    const { attribution } = await guidedBackpropClip.attribute(model, x, { target: 0 });
    assert.deepEqual([...attribution.data], [1, 0]);
  });
});
