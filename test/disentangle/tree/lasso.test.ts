import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addStats, fitLasso, rowStats, type SuffStats } from '../../../src/disentangle/tree/lasso.js';
import { rng } from '../../helpers/gradcheck.js';

function statsOf(rows: readonly number[][], ys: readonly number[]): SuffStats {
  let s = rowStats(rows[0] as number[], ys[0] as number);
  for (let i = 1; i < rows.length; i++) s = addStats(s, rowStats(rows[i] as number[], ys[i] as number));
  return s;
}

describe('decision-mode lasso', () => {
  it('recovers a known sparse vector and intercept', () => {
    const random = rng(7);
    const truth = [0, 2, 0, 0, -1.5, 0, 0, 0.8];
    const rows: number[][] = [];
    const ys: number[] = [];
    for (let i = 0; i < 80; i++) {
      const x = truth.map(() => random() * 2 - 1);
      rows.push(x);
      ys.push(0.5 + x.reduce((s, v, c) => s + v * (truth[c] as number), 0) + (random() - 0.5) * 0.01);
    }
    const fit = fitLasso(statsOf(rows, ys), { lambda: 0.05 });
    for (let c = 0; c < truth.length; c++) {
      const t = truth[c] as number;
      if (t === 0) assert.equal(fit.alpha[c], 0, `filter ${c} should be dropped`);
      else assert.ok(Math.abs((fit.alpha[c] as number) - t) < 0.02, `filter ${c}: ${fit.alpha[c]} vs ${t}`);
    }
    assert.ok(Math.abs(fit.bias - 0.5) < 0.02);
  });

  it('a large lambda zeroes everything and predicts the mean', () => {
    const fit = fitLasso(
      statsOf(
        [
          [1, 0],
          [0, 1],
          [1, 1],
        ],
        [1, 2, 3],
      ),
      { lambda: 1e6 },
    );
    assert.deepEqual([...fit.alpha], [0, 0]);
    assert.ok(Math.abs(fit.bias - 2) < 1e-12);
    assert.ok(Math.abs(fit.halfRss - 1) < 1e-12);
  });

  it('the scale turns the fit into one on α∘s (the decision-mode form)', () => {
    const rows = [
      [1, 2],
      [2, 1],
      [3, 5],
      [0, 1],
    ];
    const ys = rows.map(([a, b]) => 3 * (a as number) + 4 * (b as number));
    const fit = fitLasso(statsOf(rows, ys), { lambda: 0, scale: [3, 2] });
    assert.ok(Math.abs((fit.alpha[0] as number) - 1) < 1e-6);
    assert.ok(Math.abs((fit.alpha[1] as number) - 2) < 1e-6);
    assert.ok(fit.halfRss < 1e-9);
  });

  it('a prior p shrinks towards p: λ = ∞ keeps α = p (finite objective), λ = 0 is least squares whatever p', () => {
    const stats = statsOf(
      [
        [1, 0],
        [0, 1],
        [1, 1],
      ],
      [1, 2, 3],
    );
    // α = (1, 1): residuals y − x₁ − x₂ = (0, 1, 1), b = 2/3, RSS = 4/9 + 1/9 + 1/9.
    const kept = fitLasso(stats, { lambda: Number.POSITIVE_INFINITY, prior: [1, 1] });
    assert.deepEqual([...kept.alpha], [1, 1]);
    assert.ok(Math.abs(kept.bias - 2 / 3) < 1e-12);
    assert.ok(Math.abs(kept.halfRss - 1 / 3) < 1e-12);
    assert.ok(Math.abs(kept.objective - 1 / 3) < 1e-12);
    // y = x₁ + 2·x₂ exactly.
    const free = fitLasso(stats, { lambda: 0, prior: [5, -5], tolerance: 1e-14, maxSweeps: 10000 });
    assert.ok(Math.abs((free.alpha[0] as number) - 1) < 1e-9);
    assert.ok(Math.abs((free.alpha[1] as number) - 2) < 1e-9);
    assert.ok(Math.abs(free.bias) < 1e-9);
  });
});
