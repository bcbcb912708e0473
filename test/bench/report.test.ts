import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { mergeSections, writeReport } from '../../bench/report.js';

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

describe('bench report: by-hand readings and sections survive reruns', () => {
  const reading = '**Reading (by hand, session 12):** 1.04× PyTorch.';
  const existing = `# Benchmarks\n\nMeasured on day 1.\n\nSections "Training" rerun with \`npm run bench -- --only\` on day 2.\n\n## Training\n\nold table\n\n${reading}\n\n## Training to accuracy (by hand)\n\nhand table\n`;

  it("keeps a rerun section's readings once, after the new body, dated as earlier", () => {
    const once = mergeSections(existing, [{ title: 'Training', body: 'new table' }], 'rerun', '2026-12-05');
    assert.doesNotMatch(once, /old table/);
    assert.match(
      once,
      /## Training\n\nnew table\n\n\*Readings kept from before the bench's rerun of 2026-12-05: their figures describe earlier runs, not the tables above\.\*\n\n\*\*Reading \(by hand, session 12\):\*\* 1\.04× PyTorch\.\n/,
    );
    const twice = mergeSections(once, [{ title: 'Training', body: 'newer table' }], 'rerun again', '2026-12-06');
    assert.equal(twice.split(reading).length - 1, 1);
    assert.equal(twice.match(/Readings kept/g)?.length, 1);
    assert.match(twice, /rerun of 2026-12-06/);
    assert.match(twice, /## Training to accuracy \(by hand\)\n\nhand table\n/);
  });

  it('drops earlier rerun notes that name only sections rerun now, and keeps the others', () => {
    const head =
      '# Benchmarks\n\nMeasured on day 1.\n\nSections "Training" rerun with `x` on day 2.\n\nSections "Training", "Core" rerun with `x` on day 3.\n\n## Training\n\nt\n\n## Core\n\nc\n';
    const out = mergeSections(head, [{ title: 'Training', body: 'new' }], 'Sections "Training" rerun with `x` on day 4.', 'day 4');
    assert.doesNotMatch(out, /on day 2/);
    assert.match(out, /Measured on day 1\.\n\nSections "Training", "Core" rerun with `x` on day 3\.\n\nSections "Training" rerun with `x` on day 4\.\n/);
  });

  it('a full run writes a fresh header and keeps every section it did not measure', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-report-'));
    try {
      const path = join(dir, 'BENCHMARKS.md');
      writeFileSync(path, existing);
      writeReport(
        path,
        [
          { title: 'Training', body: 'full-run table' },
          { title: 'Core', body: 'core table' },
        ],
        new Date('2026-12-05T00:00:00Z'),
        12,
      );
      const out = readFileSync(path, 'utf8');
      assert.match(out, /^# Benchmarks\n\nMeasured by `npm run bench` on 2026-12-05/);
      assert.doesNotMatch(out, /Measured on day 1|rerun with/);
      assert.match(out, /## Training\n\nfull-run table\n/);
      assert.ok(out.includes(reading));
      assert.match(out, /## Training to accuracy \(by hand\)\n\nhand table\n/);
      assert.ok(out.indexOf('## Training\n') < out.indexOf('## Training to accuracy') && out.indexOf('## Training to accuracy') < out.indexOf('## Core'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a full run with no earlier file writes just its sections', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-report-'));
    try {
      const path = join(dir, 'BENCHMARKS.md');
      writeReport(path, [{ title: 'Core', body: 'core table' }], new Date('2026-12-05T00:00:00Z'), 3);
      const out = readFileSync(path, 'utf8');
      assert.match(out, /\n## Core\n\ncore table\n$/);
      assert.equal(out.match(/^## /gm)?.length, 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
