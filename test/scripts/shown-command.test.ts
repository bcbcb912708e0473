/**
 * RESULTS.md's command listings are runnable as they stand: the results scripts show paths inside
 * their work folder relative to it (`scripts/results/shown-command.ts`), and the bias section's
 * listing is exactly what its script prints.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { biasSteps } from '../../scripts/results/bias.js';
import { relativeToWork } from '../../scripts/results/shown-command.js';

const results = readFileSync(new URL('../../RESULTS.md', import.meta.url), 'utf8');

describe('RESULTS command listings', () => {
  it('makes paths under the work folder relative, and leaves the rest', () => {
    assert.equal(
      relativeToWork('lucerna train /tmp/w/init.onnx --dataset /tmp/w/parts --out /tmp/w/m.onnx', '/tmp/w'),
      'lucerna train init.onnx --dataset parts --out m.onnx',
    );
    assert.equal(relativeToWork('lucerna stability /tmp/w --dataset /tmp/w2/parts', '/tmp/w/'), 'lucerna stability . --dataset /tmp/w2/parts');
    assert.equal(relativeToWork('lucerna explain x.png --out /tmp/w.html', '/tmp/w'), 'lucerna explain x.png --out /tmp/w.html');
  });

  it('lists the bias commands as the script prints them, with no work path', () => {
    const block = results.split('scripts/results/bias.ts` runs them')[1]?.split('```sh\n')[1]?.split('\n```')[0];
    assert.ok(block, 'the bias section has its listing');
    const work = '/some/where/bias-work';
    assert.deepEqual(
      block.split('\n'),
      biasSteps(work).map((s) => relativeToWork(`lucerna ${s.args.join(' ')}`, work)),
    );
  });

  it('has no temporary or machine-specific path in any listed command', () => {
    const commands = results.split('\n').filter((l) => /(^|`)lucerna /.test(l));
    assert.ok(commands.length > 30, `${commands.length} command lines`);
    for (const line of commands) assert.doesNotMatch(line, /\/tmp\/|\$WORK|\/work\//, line);
  });
});
