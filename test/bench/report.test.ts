import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergeSections } from '../../bench/report.js';

describe('bench report: --only replaces its sections and keeps the rest', () => {
  const existing = '# Benchmarks\n\nMeasured on day 1.\n\n## Core\n\nold core\n\n## Training\n\nold training\n\n## Hand notes\n\nkept by hand\n';

  it('replaces a rerun section in place and keeps every other one, hand-written ones included', () => {
    const out = mergeSections(existing, [{ title: 'Training', body: 'new training' }], 'rerun note');
    assert.match(out, /## Core\n\nold core\n/);
    assert.match(out, /## Training\n\nnew training\n/);
    assert.doesNotMatch(out, /old training/);
    assert.match(out, /## Hand notes\n\nkept by hand\n/);
    assert.ok(out.indexOf('## Core') < out.indexOf('## Training') && out.indexOf('## Training') < out.indexOf('## Hand notes'));
    assert.match(out, /Measured on day 1\.\n\nrerun note\n/);
  });

  it('appends a new section, and a second partial run adds its note below the first one', () => {
    const note = 'Sections "Start-up" rerun with `npm run bench -- --only` on 2026-12-03 (5 s); the others are from the full run above.';
    const once = mergeSections(existing, [{ title: 'Start-up', body: 'fresh' }], note);
    assert.ok(once.trimEnd().endsWith('## Start-up\n\nfresh'));
    const twice = mergeSections(once, [{ title: 'Core', body: 'new core' }], note.replace('Start-up', 'Core'));
    assert.equal(twice.match(/rerun with/g)?.length, 2);
    assert.ok(twice.indexOf('Sections "Start-up"') < twice.indexOf('Sections "Core"'));
    assert.match(twice, /## Start-up\n\nfresh\n/);
  });
});
