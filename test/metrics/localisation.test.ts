/**
 * Pointing game, relevance mass accuracy and relevance rank accuracy against hand-built maps and masks.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pointingGame } from '../../src/metrics/pointing-game.js';
import { relevanceMassAccuracy } from '../../src/metrics/relevance-mass.js';
import { relevanceRankAccuracy } from '../../src/metrics/relevance-rank.js';
import type { Tensor } from '../../src/tensor/tensor.js';

const H = 32;
const W = 32;
const shape = [1, 3, H, W] as const;

/** A mask with the object in rows 4..11 and columns 4..11. */
function boxMask(): Tensor {
  const data = new Float32Array(H * W);
  for (let y = 4; y < 12; y++) for (let x = 4; x < 12; x++) data[y * W + x] = 255;
  return { data, shape: [1, 1, H, W] };
}

/** A three-channel attribution with a single bump at (py, px) over small noise. */
function peakAt(py: number, px: number): Tensor {
  const data = new Float32Array(3 * H * W);
  for (let c = 0; c < 3; c++) for (let i = 0; i < H * W; i++) data[c * H * W + i] = 0.01 * Math.sin(i * 7 + c);
  for (let c = 0; c < 3; c++) data[c * H * W + py * W + px] = 1;
  return { data, shape: [...shape] };
}

describe('pointing game', () => {
  it('scores 1 for a peak inside the mask and 0 for a peak far outside', () => {
    assert.deepEqual(pointingGame(peakAt(7, 8), boxMask(), shape, { tolerance: 0 }), [1]);
    assert.deepEqual(pointingGame(peakAt(25, 25), boxMask(), shape), [0]);
  });

  it('counts a near miss within the tolerance as a hit, and not beyond it', () => {
    // (7, 15) is 4 px right of the box's last column 11.
    assert.deepEqual(pointingGame(peakAt(7, 15), boxMask(), shape, { tolerance: 4 }), [1]);
    assert.deepEqual(pointingGame(peakAt(7, 15), boxMask(), shape, { tolerance: 3 }), [0]);
    // (15, 15) is √(4² + 4²) ≈ 5.66 px from the corner (11, 11).
    assert.deepEqual(pointingGame(peakAt(15, 15), boxMask(), shape, { tolerance: 5 }), [0]);
    assert.deepEqual(pointingGame(peakAt(15, 15), boxMask(), shape, { tolerance: 6 }), [1]);
  });

  it('a layer-resolution map is upsampled; an empty mask gives NaN; one mask serves a batch', () => {
    const cam: Tensor = { data: new Float32Array(16), shape: [1, 1, 4, 4] };
    cam.data[5] = 1; // cell (1, 1): bilinear upsampling peaks at pixels 11–12, the box's corner
    assert.deepEqual(pointingGame(cam, boxMask(), shape, { tolerance: 2 }), [1]);
    cam.data[5] = 0;
    cam.data[15] = 1; // cell (3, 3): far from the box
    assert.deepEqual(pointingGame(cam, boxMask(), shape, { tolerance: 2 }), [0]);
    const empty: Tensor = { data: new Float32Array(H * W), shape: [1, 1, H, W] };
    assert.ok(Number.isNaN(pointingGame(peakAt(7, 7), empty, shape)[0] as number));
    const two: Tensor = { data: Float32Array.from([...peakAt(7, 7).data, ...peakAt(28, 28).data]), shape: [2, 3, H, W] };
    assert.deepEqual(pointingGame(two, boxMask(), [2, 3, H, W], { tolerance: 0 }), [1, 0]);
  });

  it('rejects a mask of the wrong size', () => {
    const bad: Tensor = { data: new Float32Array(16 * 16), shape: [1, 1, 16, 16] };
    assert.throws(() => pointingGame(peakAt(7, 7), bad, shape), /mask has shape \[1, 1, 16, 16\]/);
  });
});

describe('relevance mass and rank accuracy', () => {
  // A 1×4×4 map: 64 object pixels of the box would be too many, so use a 4×4 image, object = left column.
  const small = [1, 1, 4, 4] as const;
  const mask: Tensor = { data: Float32Array.from({ length: 16 }, (_, i) => (i % 4 === 0 ? 1 : 0)), shape: [...small] };
  // Relevance: left column 3, 2, 1, −5; one outside pixel 4; the rest 0.
  const map = new Float32Array(16);
  map[0] = 3;
  map[4] = 2;
  map[8] = 1;
  map[12] = -5;
  map[5] = 4;
  const attribution: Tensor = { data: map, shape: [...small] };

  it('mass accuracy: positive relevance inside over positive relevance overall', () => {
    // (3 + 2 + 1) / (3 + 2 + 1 + 4); the negative −5 counts nowhere.
    assert.ok(Math.abs((relevanceMassAccuracy(attribution, mask, small)[0] as number) - 0.6) < 1e-6);
  });

  it('rank accuracy: of the K = 4 most relevant pixels, how many are on the object', () => {
    // Top 4: 4 (outside), 3, 2, 1 (inside) → 3 / 4.
    assert.equal(relevanceRankAccuracy(attribution, mask, small)[0], 0.75);
  });

  it('a perfect map scores 1 on both; a map only outside scores 0', () => {
    const perfect: Tensor = { data: mask.data.map((v) => v * 2), shape: [...small] };
    assert.equal(relevanceMassAccuracy(perfect, mask, small)[0], 1);
    assert.equal(relevanceRankAccuracy(perfect, mask, small)[0], 1);
    const outside: Tensor = { data: mask.data.map((v) => 1 - v), shape: [...small] };
    assert.equal(relevanceMassAccuracy(outside, mask, small)[0], 0);
    assert.equal(relevanceRankAccuracy(outside, mask, small)[0], 0);
  });
});
