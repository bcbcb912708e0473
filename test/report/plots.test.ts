/**
 * The kit's histogram and positions figures: exact bin counts (ends included, outliers to the end
 * bins), and self-contained SVG figures.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { binCounts, externalReferences, histogram, positionsChart } from '../../src/render/report/index.js';

describe('report kit: histogram and positions', () => {
  it('binCounts puts each value in its bin, the top end in the last bin and outliers in the end bins', () => {
    assert.deepEqual(
      binCounts([0, 0.2, 0.5, 0.99, 1, -3, 7, Number.NaN], 2, [0, 1]).map((b) => [b.lo, b.hi, b.count]),
      [
        [0, 0.5, 3],
        [0.5, 1, 4],
      ],
    );
    assert.deepEqual(
      binCounts([2, 2], 5, [2, 2]).map((b) => b.count),
      [2],
    );
  });

  it('histogram and positionsChart are inline SVG figures that reference nothing', () => {
    const h = histogram({ title: 'minimal ε', values: [0.01, 0.02, 0.02, 0.09], bins: 10, domain: [0, 0.1], xLabel: 'ε', yLabel: 'samples' });
    assert.match(h, /^<figure class="chart"><figcaption class="chart-title">minimal ε<\/figcaption><svg/);
    assert.equal((h.match(/<rect/g) ?? []).length >= 10, true);
    assert.match(h, /\[0\.02, 0\.03\): 2/);
    const p = positionsChart({ title: 'filter 1', width: 64, height: 32, anchors: [{ x: 10, y: 5, name: 'eye' }], points: [{ x: 11, y: 6 }] });
    assert.match(p, /<figure class="chart positions">/);
    assert.match(p, />eye</);
    assert.deepEqual(externalReferences(h + p), []);
  });
});
