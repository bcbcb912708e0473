/**
 * The template baseline of few-shot part localisation (`src/disentangle/graph/template.ts`) on
 * hand-made maps: the shots' feature under the part becomes the template, the most similar cell is
 * found on a new map, and the layer is chosen by leave-one-out on the shots.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fitPartTemplate, matchTemplate } from '../../src/disentangle/graph/template.js';
import type { ActivationMap } from '../../src/disentangle/graph/types.js';
import { isLucernaError } from '../../src/errors.js';

/** A 2-channel 4×4 map (input 8×8 px: 2 px cells): `fill` everywhere, the given features at their cells. */
function map(cells: { row: number; col: number; v: [number, number] }[], fill: [number, number] = [0, 0]): ActivationMap {
  const data = new Float32Array(2 * 16);
  for (let u = 0; u < 16; u++) {
    data[u] = fill[0];
    data[16 + u] = fill[1];
  }
  for (const c of cells) {
    data[c.row * 4 + c.col] = c.v[0];
    data[16 + c.row * 4 + c.col] = c.v[1];
  }
  return { data, channels: 2, height: 4, width: 4 };
}

const SIZE: [number, number] = [8, 8];

describe('explanatory graph: template baseline', () => {
  it('matches the shots’ feature under the part at the most similar cell', () => {
    // The part is channel 0 only; a distractor of equal strength is channel 1 only.
    const shots = [
      { maps: [map([{ row: 1, col: 2, v: [3, 0] }])], part: [5, 3] as [number, number] },
      { maps: [map([{ row: 3, col: 0, v: [1, 0.1] }])], part: [1.2, 7.9] as [number, number] },
    ];
    const t = fitPartTemplate(shots, SIZE);
    assert.equal(t.layer, 0);
    assert.ok(Math.abs(Math.hypot(...t.vector) - 1) < 0.01);
    const next = map([
      { row: 0, col: 0, v: [0, 5] },
      { row: 2, col: 3, v: [2, 0.2] },
    ]);
    assert.deepEqual(matchTemplate(t, [next], SIZE), [7, 5]);
    // Nothing fires: the first cell (ties go to row-major order).
    assert.deepEqual(matchTemplate(t, [map([])], SIZE), [1, 1]);
  });

  it('chooses the layer whose template predicts the left-out shot', () => {
    // Layer 0 is uniform (useless); layer 1 marks the part with channel 0.
    const shot = (row: number, col: number) => ({
      maps: [map([], [1, 1]), map([{ row, col, v: [1, 0] }], [0, 1])],
      part: [col * 2 + 1, row * 2 + 1] as [number, number],
    });
    const t = fitPartTemplate([shot(0, 1), shot(2, 2), shot(3, 3)], SIZE);
    assert.equal(t.layer, 1);
    assert.deepEqual(matchTemplate(t, shot(1, 0).maps, SIZE), [1, 3]);
    // One shot: the top layer.
    assert.equal(fitPartTemplate([shot(0, 1)], SIZE).layer, 1);
  });

  it('refuses no shots and a map of another width', () => {
    assert.throws(
      () => fitPartTemplate([], SIZE),
      (e) => isLucernaError(e) && /at least one annotated image/.test(e.message),
    );
    const t = fitPartTemplate([{ maps: [map([{ row: 0, col: 0, v: [1, 0] }])], part: [1, 1] }], SIZE);
    const wide: ActivationMap = { data: new Float32Array(3 * 16), channels: 3, height: 4, width: 4 };
    assert.throws(
      () => matchTemplate(t, [wide], SIZE),
      (e) => isLucernaError(e) && /2 channels/.test(e.message),
    );
  });
});
