/**
 * The bench's unprofiled fetch cost (bench/fetch-cost.ts): the per-step cost is the median of each
 * round's own difference (robust to a load that drifts between rounds), divided by the steps per
 * run; the section's sentence states it, or nothing without a reading.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fetchCostPerStep, fetchSentence } from '../../bench/fetch-cost.js';

const reading = (wallMs: number, cpuMs: number) => ({ wallMs, cpuMs });

describe('bench training: the carried state fetch cost', () => {
  it('is the median of the per-round differences, per step', () => {
    // the machine slows down from round to round; each round's two runs share its speed
    const rounds = [
      { all: reading(1060, 2060), perStepOnly: reading(1000, 2000) },
      { all: reading(2070, 4090), perStepOnly: reading(2000, 4000) },
      { all: reading(4050, 8050), perStepOnly: reading(4000, 8000) },
    ];
    const f = fetchCostPerStep(rounds, 5);
    // differences 60, 70, 50 → median 60 → 12 per step (the medians' difference would be 70 → 14)
    assert.equal(f.wallMs, 12);
    // CPU differences 60, 90, 50 → median 60 → 12 per step (the medians' difference would be 90 → 18)
    assert.equal(f.cpuMs, 12);
    assert.equal(f.perRun, 5);
    assert.equal(f.rounds, 3);
  });

  it('the section states it, and nothing without a reading', () => {
    const s = fetchSentence({ wallMs: 9.5, cpuMs: 11, perRun: 6, rounds: 5 });
    assert.match(s, /^ Fetching the carried state into JS, measured without the profiler \(5 rounds of 6-step runs/);
    assert.match(s, /: 9\.50 ms per step \(11\.00 ms CPU\)/);
    assert.equal(fetchSentence(undefined), '');
  });
});
