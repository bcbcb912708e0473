/**
 * The interpretable-CNN paper's region of a unit's valid activations: a round receptive field around
 * every cell above the threshold (Zhang, Wu & Zhu 2018, §5.2.1, footnote 5), and the part
 * association counted with it. Every expected value is worked out by hand in the comments.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BrodenMeta } from '../../src/datasets/broden/format.js';
import type { ImageLabels } from '../../src/datasets/broden/labels.js';
import { discRegion } from '../../src/dissection/disc-region.js';
import { discFractions } from '../../src/dissection/dissect.js';
import { bestAssociations } from '../../src/dissection/score.js';
import { Tally } from '../../src/dissection/tally.js';

/** The region's pixels as a sorted list. */
function region(map: number[], h: number, w: number, sh: number, sw: number, threshold: number, ry: number, rx: number): number[] {
  const out = new Int32Array(sh * sw);
  const n = discRegion(Float32Array.from(map), 0, h, w, sh, sw, threshold, ry, rx, new Uint8Array(sh * sw), out);
  return Array.from(out.subarray(0, n));
}

describe('round receptive-field regions', () => {
  it('one valid cell: the pixels whose centres lie within the radius of the cell centre', () => {
    // 2×2 map on 4×4: cell (0, 0) is centred at (1, 1). Radius 1 px: the centres (0.5|1.5, 0.5|1.5) are 0.71 away.
    assert.deepEqual(region([5, 0, 0, 0], 2, 2, 4, 4, 1, 0.25, 0.25), [0, 1, 4, 5]);
    // Radius 2 px: also the centres 1.58 away ((0.5, 2.5) …), not (2.5, 2.5) at 2.12.
    assert.deepEqual(region([5, 0, 0, 0], 2, 2, 4, 4, 1, 0.5, 0.5), [0, 1, 2, 4, 5, 6, 8, 9]);
    // Radius 0.5 px reaches no pixel centre.
    assert.deepEqual(region([5, 0, 0, 0], 2, 2, 4, 4, 1, 0.125, 0.125), []);
  });

  it('the union of several cells counts each pixel once, in raster order; the threshold is strict', () => {
    // Cells (0, 0) and (0, 1) of a 2×2 map on 4×4, radius 1 px: {0, 1, 4, 5} ∪ {2, 3, 6, 7}.
    assert.deepEqual(region([5, 5, 0, 0], 2, 2, 4, 4, 1, 0.25, 0.25), [0, 1, 2, 3, 4, 5, 6, 7]);
    // Radius 2 px around both: rows 0–2 of every column (centres within 2 of (1, 1) or (1, 3)), and (3, 1), (3, 2)? no: 2.5 away.
    assert.deepEqual(region([5, 5, 0, 0], 2, 2, 4, 4, 1, 0.5, 0.5), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    // A value equal to the threshold is not above it.
    assert.deepEqual(region([1, 0, 0, 0], 2, 2, 4, 4, 1, 0.25, 0.25), []);
  });

  it('round in the model input: radii scale with the segmentation’s height and width apart', () => {
    // A 2×2 map on a 4×8 segmentation of a square input: cell (0, 0) is centred at (1, 2); radius r = ¼ of the input
    // is 1 px in y and 2 px in x: the ellipse holds (0.5, 1.5), (0.5, 2.5), (1.5, 1.5), (1.5, 2.5), and (0.5|1.5, 0.5|3.5)
    // at ((0.5/1)² + (1.5/2)² = 0.81): columns 0–3 of rows 0 and 1.
    assert.deepEqual(region([5, 0, 0, 0], 2, 2, 4, 8, 1, 0.25, 0.25), [0, 1, 2, 3, 8, 9, 10, 11]);
    assert.deepEqual(discFractions(16, [3, 128, 64]), [0.125, 0.25]);
    assert.equal(discFractions(undefined, [3, 8, 8]), undefined);
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) assert.throws(() => discFractions(bad, [3, 8, 8]), /positive number of pixels/);
  });

  it('clips at the image border', () => {
    // Cell (1, 1) of a 2×2 map on 4×4 is centred at (3, 3); radius 2 px: the centres within 2 inside the image.
    assert.deepEqual(region([0, 0, 0, 5], 2, 2, 4, 4, 1, 0.5, 0.5), [6, 7, 9, 10, 11, 13, 14, 15]);
  });
});

describe('part association by round regions', () => {
  const meta = { categories: ['part'], labelNames: ['', 'beak', 'body'], codes: {}, primary: Int32Array.of(0, 0, 0) } as BrodenMeta;
  // A 4×4 segmentation: the beak is pixel 0, the body the other 15.
  const labels: ImageLabels = { sh: 4, sw: 4, planes: [Int32Array.of(1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2)], scalars: [] };
  // Unit 1 fires at cell (0, 0) of its 2×2 map, unit 2 at cell (1, 1).
  const act = Float32Array.of(5, 0, 0, 0, 0, 0, 0, 5);
  const tallyOf = (disc?: [number, number]) => {
    const t = new Tally(2, 3, 1, 0.2, disc);
    t.addImage(act, 0, 2, 2, [1, 1], labels, meta.primary);
    return t;
  };

  it('the region decides the association; NetDissect’s counts stay those of the mask', () => {
    // Mask (bilinear 2 → 4, > 1): unit 1 {0, 1, 2, 4, 5, 8}: beak 1/6 (no), body 5/(6 + 15 − 5) = 0.3125 (yes);
    // unit 2 {7, 10, 11, 13, 14, 15}: body 6/15 (yes).
    const byMask = tallyOf();
    assert.deepEqual(Array.from(byMask.associated), [0, 0, 1, 0, 0, 1]);
    // Round regions of radius 1 px (¼ of the 4-px side): unit 1 {0, 1, 4, 5}: beak 1/4 = 0.25 (yes), body 3/(4 + 15 − 3)
    // = 0.1875 (no); unit 2 {10, 11, 14, 15}: body 4/15 (yes).
    const byDisc = tallyOf([0.25, 0.25]);
    assert.deepEqual(Array.from(byDisc.associated), [0, 1, 0, 0, 0, 1]);
    assert.deepEqual(Array.from(byDisc.both), Array.from(byMask.both));
    assert.deepEqual(Array.from(byDisc.unitTotal), Array.from(byMask.unitTotal));
    assert.deepEqual(
      bestAssociations(byDisc, meta, 'part')?.map((a) => [a.unit, a.name, a.p]),
      [
        [1, 'beak', 1],
        [2, 'body', 1],
      ],
    );
  });

  it('the radii are saved, merged only with the same radii, and a tally without them associates by the mask', () => {
    const back = Tally.fromState(JSON.parse(JSON.stringify(tallyOf([0.25, 0.25]).state())));
    assert.deepEqual(back.associationDisc, [0.25, 0.25]);
    back.addImage(act, 0, 2, 2, [1, 1], labels, meta.primary);
    assert.deepEqual(Array.from(back.associated), [0, 2, 0, 0, 0, 2]);
    back.merge(tallyOf([0.25, 0.25]));
    assert.deepEqual(Array.from(back.associated), [0, 3, 0, 0, 0, 3]);
    assert.throws(() => back.merge(tallyOf()), /Cannot merge tallies associated by round regions of radii 0.25, 0.25 of the image and by the upsampled mask/);
    assert.throws(() => tallyOf().merge(tallyOf([0.5, 0.5])), /by the upsampled mask and by round regions/);
    assert.equal(Tally.fromState(tallyOf().state()).associationDisc, undefined);
  });
});
