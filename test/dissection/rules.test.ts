/**
 * NetDissect-Lite's four rules, each on a hand-computed tiny case: the threshold convention, the
 * upsampled mask, the per-category denominator, and the tie rules.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { upsampleBilinear } from '../../src/attribution/upsample.js';
import type { BrodenMeta } from '../../src/datasets/broden/format.js';
import type { ImageLabels } from '../../src/datasets/broden/labels.js';
import { pyFloat } from '../../src/dissection/output.js';
import { countDetectors, iouMatrix, scoreUnits } from '../../src/dissection/score.js';
import { maskAbove, Tally } from '../../src/dissection/tally.js';
import { CompactorSketch, quantileOfSorted, quantilesFromState, TopTail, tailSize, thresholdLevel } from '../../src/dissection/threshold.js';

const meta: BrodenMeta = {
  categories: ['color', 'part', 'texture'],
  labelNames: ['', 'red', 'blue', 'corner', 'dots'],
  codes: {},
  primary: Int32Array.of(2, 0, 0, 1, 2),
};

function shuffled(n: number, seed: number): Float32Array {
  const a = Float32Array.from({ length: n }, (_, i) => i);
  let s = seed;
  for (let i = n - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const j = s % (i + 1);
    [a[i], a[j]] = [a[j] as number, a[i] as number];
  }
  return a;
}

describe('rule 1: the threshold', () => {
  it('reads level ⌊1000·(1 − quantile) − 1⌋ / 999', () => {
    assert.equal(thresholdLevel(0.005), 994 / 999);
    assert.equal(thresholdLevel(0.01), 989 / 999);
    assert.equal(thresholdLevel(0.2), 799 / 999);
  });

  it('interpolates at rank q·n − 0.5, clamped to [0, n − 1]', () => {
    // 1000 values 0 … 999: rank = 994/999·1000 − 0.5 = 994.4949…, and the values are their ranks.
    const sorted = Float64Array.from({ length: 1000 }, (_, i) => i);
    const q = thresholdLevel(0.005);
    assert.ok(Math.abs(quantileOfSorted(sorted, q) - (q * 1000 - 0.5)) < 1e-9);
    assert.equal(quantileOfSorted(Float64Array.of(1, 2, 3), 0.999), 3); // 0.999·3 − 0.5 = 2.497 > n − 1 → clamped to 2
    assert.equal(quantileOfSorted(Float64Array.of(4, 8), 0.1), 4); // 0.2 − 0.5 < 0 → clamped to 0
    assert.equal(quantileOfSorted(Float64Array.of(0, 10, 20, 30), 0.5), 15);
  });

  it('keeps only the top tail, exactly, and two shards merge to the single run', () => {
    const q = thresholdLevel(0.005);
    const values = shuffled(1000, 7);
    const keep = tailSize(q, 1000);
    assert.equal(keep, 8);
    const one = new TopTail(keep);
    for (let i = 0; i < 1000; i += 37) one.add(values, i, Math.min(i + 37, 1000));
    assert.ok(Math.abs(one.quantile(q) - (q * 1000 - 0.5)) < 1e-4);
    const a = new TopTail(keep);
    const b = new TopTail(keep);
    a.add(values, 0, 400);
    b.add(values, 400, 1000);
    const merged = quantilesFromState(a.state());
    merged.merge(quantilesFromState(b.state()));
    assert.equal(merged.n, 1000);
    assert.equal(merged.quantile(q), one.quantile(q));
  });

  it('past the budget, the compactor sketch stays within its stated rank error', () => {
    const n = 20000;
    const values = shuffled(n, 3);
    const exact = new CompactorSketch(n + 1);
    exact.add(values, 0, n);
    assert.equal(exact.rankError, 0);
    assert.equal(
      exact.quantile(0.5),
      quantileOfSorted(
        Float64Array.from({ length: n }, (_, i) => i),
        0.5,
      ),
    );
    const s1 = new CompactorSketch(64);
    const s2 = new CompactorSketch(64);
    s1.add(values, 0, 12345);
    s2.add(values, 12345, n);
    s1.merge(quantilesFromState(s2.state()));
    assert.ok(s1.rankError > 0);
    for (const q of [0.1, 0.5, 0.9, thresholdLevel(0.005)]) {
      const estimate = s1.quantile(q); // values are their own ranks
      assert.ok(Math.abs(estimate - (q * n - 0.5)) <= s1.rankError + 1, `q ${q}: ${estimate} vs ${q * n - 0.5} ± ${s1.rankError}`);
    }
  });
});

describe('rule 2: the mask', () => {
  it('equals thresholding the full bilinear upsampling (PyTorch align_corners=False), for any sizes', () => {
    let seed = 5;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (const [h, w, sh, sw] of [
      [7, 7, 112, 112],
      [3, 5, 10, 7],
      [6, 4, 3, 9],
    ] as const) {
      const map = Float32Array.from({ length: h * w }, rand);
      const up = upsampleBilinear({ data: map, shape: [1, 1, h, w] }, [sh, sw]).data;
      const t = 0.7;
      const expected = [...up.keys()].filter((i) => (up[i] as number) > t);
      const out = new Int32Array(sh * sw);
      const count = maskAbove(map, 0, h, w, sh, sw, t, out);
      assert.deepEqual(
        [...out.subarray(0, count)].sort((a, b) => a - b),
        expected,
        `${h}×${w} → ${sh}×${sw}`,
      );
    }
  });

  it('upsamples bilinearly with half-pixel centres and clamped edges, then keeps up > threshold', () => {
    // [[0, 1], [2, 3]] to 4×4: rows [0 .25 .75 1], [.5 .75 1.25 1.5], [1.5 1.75 2.25 2.5], [2 2.25 2.75 3].
    const out = new Int32Array(16);
    const count = maskAbove(Float32Array.of(0, 1, 2, 3), 0, 2, 2, 4, 4, 1.5, out);
    assert.deepEqual(
      [...out.subarray(0, count)].sort((a, b) => a - b),
      [9, 10, 11, 12, 13, 14, 15],
    );
    assert.equal(maskAbove(Float32Array.of(9, 0, 1, 2, 3), 1, 2, 2, 4, 4, 1.2, out), 10); // from offset 1: 1.25, 1.5 and the last two rows
  });
});

function image(planes: number[][], scalars: number[] = []): ImageLabels {
  return { sh: 2, sw: 2, planes: planes.map((p) => Int32Array.from(p)), scalars };
}

/**
 * The hand-computed images: one unit, 2×2 maps at the segmentation size (so the upsampling is the
 * identity), threshold 1. A: planes color [red red blue –], part [corner – – –] and [– – – corner],
 * texture dots; B: max 0.5 ≤ 1, so the unit does not count; C: mask on blue; D: mask on no label.
 */
const HAND: [Float32Array, ImageLabels][] = [
  [
    Float32Array.of(5, 0, 0, 5),
    image(
      [
        [1, 1, 2, 0],
        [3, 0, 0, 0],
        [0, 0, 0, 3],
      ],
      [4],
    ),
  ],
  [Float32Array.of(0, 0, 0, 0.5), image([[2, 2, 2, 2]])],
  [Float32Array.of(3, 3, 0, 0), image([[2, 2, 2, 2]])],
  [Float32Array.of(5, 5, 5, 5), image([[0, 0, 0, 0]])],
];

function handTally(images = HAND): Tally {
  const tally = new Tally(1, 5, 3);
  for (const [map, labels] of images) tally.addImage(map, 0, 2, 2, [1], labels, meta.primary);
  return tally;
}

describe('rule 3: the tallies', () => {
  it('counts intersections once per plane, image-level labels over the whole mask, and the per-category activation', () => {
    const tally = handTally();
    assert.deepEqual([...tally.labelTotal], [0, 2, 9, 2, 4]);
    assert.deepEqual([...tally.both], [0, 1, 2, 2, 2]);
    assert.deepEqual([...tally.unitTotal], [8]);
    // color: images A and C (2 + 2); part and texture: image A only. Image D's 4 pixels count nowhere.
    assert.deepEqual([...tally.unitsCat], [4, 2, 2]);
  });

  it('is additive: two halves merged equal one tally', () => {
    const a = handTally(HAND.slice(0, 1));
    a.merge(Tally.fromState(handTally(HAND.slice(1)).state()));
    assert.deepEqual(a.state(), handTally().state());
  });
});

describe('rule 4: IoU and ties', () => {
  it('divides by the activation of the label primary category', () => {
    const iou = iouMatrix(handTally(), meta.primary);
    // red 1/(4+2−1), blue 2/(4+9−2), corner 2/(2+2−2), dots 2/(2+4−2); unitTotal (8) is not used.
    const expected = [0, 1 / 5, 2 / 11, 1, 2 / 4];
    expected.forEach((e, l) => {
      assert.ok(Math.abs((iou[l] as number) - e) < 1e-9, `label ${l}`);
    });
    const [row] = scoreUnits(handTally(), meta);
    assert.equal(row?.unit, 1);
    assert.equal(row?.category, 'part');
    assert.equal(row?.label, 'corner');
    assert.deepEqual(
      row?.categories.map((c) => [c.name, c.truth, c.activation, c.intersect]),
      [
        ['red', 2, 4, 1],
        ['corner', 2, 2, 2],
        ['dots', 4, 2, 2],
      ],
    );
  });

  it('breaks ties to the first label, the later category, and gives label 0 ("") to all-zero categories', () => {
    const t = new Tally(3, 5, 3);
    // unit 1: red and blue tie (1/(2+1−1)); unit 2: nothing; unit 3: red ties corner.
    t.labelTotal.set([0, 1, 1, 1, 1]);
    t.both.set([0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0]);
    t.unitsCat.set([2, 0, 0, 0, 0, 0, 1, 1, 0]);
    const rows = scoreUnits(t, meta);
    const byUnit = new Map(rows.map((r) => [r.unit, r]));
    assert.equal(byUnit.get(1)?.label, 'red');
    assert.deepEqual(
      byUnit.get(2)?.categories.map((c) => [c.label, c.name, c.iou]),
      [
        [0, '', 0],
        [0, '', 0],
        [0, '', 0],
      ],
    );
    assert.equal(byUnit.get(2)?.category, 'texture');
    assert.equal(byUnit.get(3)?.category, 'part');
    assert.equal(byUnit.get(3)?.label, 'corner');
    // Sorted by score, equal scores with the higher unit first.
    assert.deepEqual(
      rows.map((r) => r.unit),
      [3, 1, 2],
    );
    assert.deepEqual(countDetectors(rows, meta.categories, 0.04).perCategory, { color: 1, part: 1, texture: 0 });
  });
});

describe('tally.csv numbers', () => {
  it('are written as Python writes floats', () => {
    assert.deepEqual([3, 0, 0.25, 1.234e-5, 1e-4, 2e16, 0.1 + 0.2].map(pyFloat), ['3.0', '0.0', '0.25', '1.234e-05', '0.0001', '2e+16', '0.30000000000000004']);
  });
});
