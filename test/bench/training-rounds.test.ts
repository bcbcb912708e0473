import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { roundOrder, roundsTable, runRounds, summarizeRounds } from '../../bench/training-rounds.js';

describe('bench training: paired rounds against PyTorch', () => {
  it('alternates which process runs first', () => {
    assert.deepEqual([0, 1, 2, 3].map(roundOrder), [
      ['ours', 'torch'],
      ['torch', 'ours'],
      ['ours', 'torch'],
      ['torch', 'ours'],
    ]);
  });

  it('pairs the two readings of each round, whichever side ran first', () => {
    const calls: string[] = [];
    // a machine that slows down by 10 ms per reading: each round's pair sees nearly the same speed
    const rounds = runRounds(3, (side, round) => {
      calls.push(`${round}:${side}`);
      return (side === 'ours' ? 100 : 200) + 10 * calls.length;
    });
    assert.deepEqual(calls, ['0:ours', '0:torch', '1:torch', '1:ours', '2:ours', '2:torch']);
    assert.deepEqual(rounds, [
      { oursMs: 110, torchMs: 220 },
      { oursMs: 140, torchMs: 230 },
      { oursMs: 150, torchMs: 260 },
    ]);
  });

  it('takes each ratio within its round, then the median and range of the ratios', () => {
    // a drifting machine: both sides slow down together in round 2, so its ratio stays near the others
    const s = summarizeRounds([
      { oursMs: 180, torchMs: 200 },
      { oursMs: 300, torchMs: 250 },
      { oursMs: 170, torchMs: 200 },
    ]);
    assert.deepEqual(s.ratios, [0.9, 1.2, 0.85]);
    assert.equal(s.median, 0.9);
    assert.equal(s.min, 0.85);
    assert.equal(s.max, 1.2);
    // the median of ratios is not the ratio of medians (200/200 = 1 here)
    assert.throws(() => summarizeRounds([]), /no rounds/);
  });

  it('lists every round, then the medians and the ratio range', () => {
    const lines = roundsTable([
      { oursMs: 180, torchMs: 200 },
      { oursMs: 240, torchMs: 240 },
    ]).split('\n');
    assert.equal(lines[0], '| round | first | ours (ms per step) | PyTorch (ms per step) | ours ÷ PyTorch |');
    assert.equal(lines[2], '| 1 | ours | 180 | 200 | 0.90× |');
    assert.equal(lines[3], '| 2 | PyTorch | 240 | 240 | 1.00× |');
    assert.equal(lines[4], '| median |  | 210 | 220 | 0.95× (0.90–1.00×) |');
  });
});
