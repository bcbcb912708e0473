/**
 * The sparse parent search of the explanatory graph (`src/disentangle/graph/parents.ts`) against a
 * slow reference written straight from the rule in `fit.ts`: every node above is tried on every
 * image V fired on.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emptyPositions } from '../../src/disentangle/graph/assign.js';
import { fitParents, parentPool } from '../../src/disentangle/graph/parents.js';
import type { NodePositions } from '../../src/disentangle/graph/types.js';
import { seededRandom } from '../../src/tensor/random.js';

function randomPositions(images: number, nodes: number, fireRate: number, random: () => number): NodePositions[] {
  return Array.from({ length: images }, () => {
    const p = emptyPositions(nodes);
    for (let k = 0; k < nodes; k++) {
      if (random() > fireRate) continue;
      p.x[k] = Math.round(random() * 64);
      p.y[k] = Math.round(random() * 64);
      p.value[k] = 0.1 + random();
    }
    return p;
  });
}

/** The rule as written in fit.ts: all U, direct mean and variance, full sort. */
function reference(k: number, fired: number[], positions: NodePositions[], above: NodePositions[], parents: number, gate: number, floor: number) {
  const scored: { parent: number; displacement: [number, number]; variance: number; fit: number }[] = [];
  const uCount = above[0]?.value.length ?? 0;
  for (let u = 0; u < uCount; u++) {
    const both = fired.filter((i) => (above[i]?.value[u] ?? 0) > 0);
    if (both.length < 2) continue;
    const dx = both.map((i) => (positions[i]?.x[k] ?? 0) - (above[i]?.x[u] ?? 0));
    const dy = both.map((i) => (positions[i]?.y[k] ?? 0) - (above[i]?.y[u] ?? 0));
    const mx = dx.reduce((s, v) => s + v, 0) / both.length;
    const my = dy.reduce((s, v) => s + v, 0) / both.length;
    const ss = dx.reduce((s, v, j) => s + (v - mx) ** 2 + ((dy[j] ?? 0) - my) ** 2, 0);
    const variance = Math.max(floor, ss / (2 * both.length));
    const logVar = Math.log(2 * Math.PI * variance);
    const fit = (-ss / (2 * variance) - both.length * logVar + (fired.length - both.length) * (-(gate * gate) / 2 - logVar)) / fired.length;
    scored.push({ parent: u, displacement: [mx, my], variance, fit });
  }
  scored.sort((a, b) => b.fit - a.fit || a.parent - b.parent);
  return scored.slice(0, parents);
}

describe('explanatory graph: parent search', () => {
  it('picks the same parents, displacements and variances as the direct rule', () => {
    const random = seededRandom(3);
    const images = 40;
    const above = randomPositions(images, 60, 0.3, random);
    const positions = randomPositions(images, 25, 0.4, random);
    const pool = parentPool(above);
    let compared = 0;
    for (let k = 0; k < 25; k++) {
      const fired = positions.map((_, i) => i).filter((i) => (positions[i]?.value[k] ?? 0) > 0);
      const got = fitParents(pool, k, fired, positions, { parents: 6, gate: 3 }, 1.5);
      const want = reference(k, fired, positions, above, 6, 3, 1.5);
      assert.deepEqual(
        got.map((e) => e.parent),
        want.map((e) => e.parent),
        `node ${k}`,
      );
      got.forEach((e, j) => {
        const w = want[j] as (typeof want)[number];
        assert.ok(Math.abs(e.displacement[0] - w.displacement[0]) < 1e-9 && Math.abs(e.displacement[1] - w.displacement[1]) < 1e-9);
        assert.ok(Math.abs(e.variance - w.variance) < 1e-9 * Math.max(1, w.variance));
      });
      compared += want.length;
    }
    assert.ok(compared > 25 * 3, `only ${compared} parents compared`);
  });

  it('leaves no state behind: the same call twice gives the same parents', () => {
    const random = seededRandom(5);
    const above = randomPositions(12, 20, 0.5, random);
    const positions = randomPositions(12, 4, 0.6, random);
    const pool = parentPool(above);
    const fired = positions.map((_, i) => i).filter((i) => (positions[i]?.value[0] ?? 0) > 0);
    const first = fitParents(pool, 0, fired, positions, { parents: 4, gate: 3 }, 1);
    fitParents(
      pool,
      1,
      positions.map((_, i) => i).filter((i) => (positions[i]?.value[1] ?? 0) > 0),
      positions,
      { parents: 4, gate: 3 },
      1,
    );
    assert.deepEqual(fitParents(pool, 0, fired, positions, { parents: 4, gate: 3 }, 1), first);
  });
});
