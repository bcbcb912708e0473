/**
 * The developer scripts' command line (`scripts/script-args.ts`): a bad flag is one line and the usage
 * (exit 2, no stack trace, no work started), `--help` the usage with the defaults (exit 0).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { scriptUsage } from '../../scripts/script-args.js';
import { tsImport } from '../helpers/ts-import.js';

const SCRIPTS = [
  'select-lime',
  'select-shap',
  'time-superpixel',
  'then-now-superpixel',
  'fidelity-superpixel',
  'dump-superpixel-scores',
  'results-qa',
  'results-icnn-remeasure',
];
const run = (script: string, ...args: string[]) =>
  spawnSync(process.execPath, ['--import', tsImport, `scripts/${script}.ts`, ...args], { encoding: 'utf8', timeout: 60_000 });

describe('developer scripts: command line', () => {
  it('the usage names each option with its default', () => {
    assert.equal(
      scriptUsage('scripts/x.ts', { calls: { type: 'string', default: '3' }, model: { type: 'string' } }),
      'usage: node --import tsx scripts/x.ts [--calls 3] [--model <value>]',
    );
  });

  for (const script of SCRIPTS) {
    it(`${script}: an unknown flag is one line and the usage (exit 2); --help is the usage (exit 0)`, () => {
      const bad = run(script, '--bogus', '1');
      assert.equal(bad.status, 2, bad.stderr);
      assert.match(bad.stderr, new RegExp(`^error: Unknown option '--bogus'.*\\nusage: node --import tsx scripts/${script}\\.ts `));
      assert.doesNotMatch(bad.stderr, /\bat .*\.ts:\d+/, 'no stack trace');
      assert.equal(bad.stdout, '');
      const help = run(script, '--help');
      assert.equal(help.status, 0, help.stderr);
      assert.match(help.stdout, new RegExp(`^usage: node --import tsx scripts/${script}\\.ts .*\\[--`));
    });
  }

  it('results-icnn-remeasure: no --work, or a folder that is not a kept results work folder, is one line (exit 2)', () => {
    const none = run('results-icnn-remeasure');
    assert.equal(none.status, 2);
    assert.match(none.stderr, /^error: --work <kept folder> is required\n/);
    const wrong = run('results-icnn-remeasure', '--work', 'docs');
    assert.equal(wrong.status, 2);
    assert.match(wrong.stderr, /^error: docs is not a kept results-icnn work folder \(no parts\/classes\)\n/);
  });
});
