/**
 * `scripts/results-icnn.ts` (rebuilds RESULTS.md's interpretable-CNN section) answers bad flags with
 * one line and the usage, and `--help` with the usage, before any work starts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { tsImport } from '../helpers/ts-import.js';

const run = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', tsImport, 'scripts/results-icnn.ts', ...args], { encoding: 'utf8', timeout: 60_000 });

describe('results-icnn.ts command line', () => {
  it('an unknown flag and a non-numeric number are one-line errors with the usage, exit 2', () => {
    for (const [args, message] of [
      [['--bogus', '1'], /^error: Unknown option '--bogus'/],
      [['--epochs', 'abc'], /^error: --epochs takes a number, got "abc"\n/],
      [['--tau', ''], /^error: --tau takes a number, got ""\n/],
    ] as const) {
      const r = run(...args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.match(r.stderr, /\nusage: node --import tsx scripts\/results-icnn\.ts .*\[--pretrain 12\]/);
      assert.doesNotMatch(r.stderr, /\bat .*\.ts:\d+/, 'no stack trace');
      assert.equal(r.stdout, '');
    }
  });

  it('--help prints the usage with the defaults and exits 0', () => {
    const r = run('--help');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^usage: .*\[--epochs 6\] .*\[--seeds 0,1\] \[--out RESULTS\.md\]\n$/);
  });
});
