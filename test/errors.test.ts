import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getMethod } from '../src/attribution/methods.js';
import { LucernaError, unknownNameError } from '../src/errors.js';
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
