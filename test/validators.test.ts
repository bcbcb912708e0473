/** The validators that several modules share, each written once (issue #12). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getMethod } from '../src/attribution/methods.js';
import { checkTarget } from '../src/attribution/targets.js';
import { LucernaError, positiveInteger, unknownNameError } from '../src/errors.js';
import { resolveMetrics } from '../src/metrics/registry.js';

describe('unknownNameError (the one unknown-name validator of the registries)', () => {
  it('names the kind, the name, every known name and the two closest', () => {
    const e = unknownNameError('metric', 'delation', ['insertion', 'deletion', 'pointing-game']);
    assert.ok(e instanceof LucernaError);
    assert.equal(e.code, 'BAD_OPTION');
    assert.equal(e.message, 'Unknown metric "delation"');
    assert.equal(e.hint, 'Known metrics: insertion, deletion, pointing-game (closest: deletion, insertion)');
  });

  it('is what the method and metric registries throw', () => {
    assert.throws(() => getMethod('saliancy'), { message: 'Unknown method "saliancy"', hint: /^Known methods: .*\(closest: saliency, / });
    assert.throws(() => resolveMetrics(['deletoin']), { message: 'Unknown metric "deletoin"', hint: /^Known metrics: .*\(closest: deletion, / });
  });
});

describe('checkTarget (the one target validator)', () => {
  it('passes a class index through and rejects anything else in one line', () => {
    assert.equal(checkTarget(0, 3), 0);
    assert.equal(checkTarget(2, 3), 2);
    for (const bad of [3, -1, 1.5, Number.NaN]) {
      assert.throws(() => checkTarget(bad, 3), { code: 'BAD_TARGET', message: `Target ${bad} is out of range: the model has 3 classes (0 to 2)` });
    }
  });
});

describe('positiveInteger (the one positive-integer validator)', () => {
  it('passes an integer ≥ 1 through and rejects anything else in one line', () => {
    assert.equal(positiveInteger(3, 'steps'), 3);
    for (const bad of [0, -1, 2.5, Number.NaN, undefined]) {
      assert.throws(() => positiveInteger(bad, 'The number of steps'), {
        code: 'BAD_OPTION',
        message: `The number of steps must be a positive integer, got ${bad}`,
      });
    }
  });
});
