import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLucernaError } from '../../src/errors.js';
import { enforceConnectivity, rgbToLab, type Segmentation, slic } from '../../src/segmentation/slic.js';
import { seededRandom } from '../../src/tensor/random.js';

const H = 96;
const W = 96;

/** Six rectangles tiling the image, on boundaries that are not on SLIC's seed grid. */
const RECTS = [
  { y0: 0, y1: 40, x0: 0, x1: 37, rgb: [0.9, 0.1, 0.1] },
  { y0: 40, y1: 96, x0: 0, x1: 37, rgb: [0.1, 0.8, 0.2] },
  { y0: 0, y1: 23, x0: 37, x1: 96, rgb: [0.1, 0.2, 0.9] },
  { y0: 23, y1: 70, x0: 37, x1: 70, rgb: [0.9, 0.9, 0.1] },
  { y0: 23, y1: 70, x0: 70, x1: 96, rgb: [0.8, 0.2, 0.8] },
  { y0: 70, y1: 96, x0: 37, x1: 96, rgb: [0.2, 0.8, 0.9] },
] as const;

function rectOf(y: number, x: number): number {
  return RECTS.findIndex((r) => y >= r.y0 && y < r.y1 && x >= r.x0 && x < r.x1);
}

/** The rectangles image [3, H, W] with a little seeded noise. */
function rectangles(noise = 0.03, seed = 5): Float32Array {
  const next = seededRandom(seed);
  const data = new Float32Array(3 * H * W);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const rgb = RECTS[rectOf(y, x)]?.rgb as readonly number[];
      for (let c = 0; c < 3; c++) data[c * H * W + y * W + x] = Math.min(1, Math.max(0, (rgb[c] as number) + noise * (2 * next() - 1)));
    }
  }
  return data;
}

/** Fraction of pixels that lie in the majority rectangle of their superpixel. */
function purity(seg: Segmentation): number {
  const counts = Array.from({ length: seg.count }, () => new Array<number>(RECTS.length).fill(0));
  for (let p = 0; p < H * W; p++) {
    const row = counts[seg.labels[p] as number] as number[];
    const r = rectOf(Math.floor(p / W), p % W);
    row[r] = (row[r] as number) + 1;
  }
  return counts.reduce((a, c) => a + Math.max(...c), 0) / (H * W);
}

/** Number of 4-connected components of one label. */
function components(seg: Segmentation, label: number): number {
  const seen = new Uint8Array(seg.labels.length);
  let n = 0;
  for (let s = 0; s < seg.labels.length; s++) {
    if (seen[s] || seg.labels[s] !== label) continue;
    n++;
    const stack = [s];
    seen[s] = 1;
    while (stack.length) {
      const p = stack.pop() as number;
      const x = p % seg.width;
      for (const q of [x > 0 ? p - 1 : -1, x < seg.width - 1 ? p + 1 : -1, p - seg.width, p + seg.width]) {
        if (q < 0 || q >= seg.labels.length || seen[q] || seg.labels[q] !== label) continue;
        seen[q] = 1;
        stack.push(q);
      }
    }
  }
  return n;
}

const code = (c: string) => (e: unknown) => isLucernaError(e, c as never) && !e.message.includes('\n');

describe('rgbToLab', () => {
  it('matches reference CIELAB values (D65)', () => {
    const cases: [number[], number[]][] = [
      [
        [1, 1, 1],
        [100, 0, 0],
      ],
      [
        [0, 0, 0],
        [0, 0, 0],
      ],
      [
        [1, 0, 0],
        [53.24, 80.09, 67.2],
      ],
      [
        [0, 1, 0],
        [87.73, -86.18, 83.18],
      ],
      [
        [0, 0, 1],
        [32.3, 79.19, -107.86],
      ],
    ];
    for (const [rgb, lab] of cases) {
      const got = rgbToLab(rgb[0] as number, rgb[1] as number, rgb[2] as number);
      for (const [i, v] of got.entries()) assert.ok(Math.abs(v - (lab[i] as number)) < 0.05, `${rgb} → ${got} vs ${lab}`);
    }
  });
});

describe('slic', () => {
  const image = { data: rectangles(), shape: [3, H, W] };

  it('recovers coloured rectangles: every superpixel lies inside one rectangle', () => {
    for (const segments of [16, 36, 64]) {
      const seg = slic(image, { segments });
      assert.equal(seg.labels.length, H * W);
      assert.equal(purity(seg), 1, `segments ${segments}: superpixels cross a rectangle boundary`);
      assert.ok(seg.count >= 0.5 * segments && seg.count <= 1.5 * segments, `segments ${segments}: got ${seg.count}`);
    }
  });

  it('labels are consecutive 0..count−1, each one connected component', () => {
    const seg = slic(image, { segments: 36 });
    const seen = new Set(seg.labels);
    assert.deepEqual(
      [...seen].sort((a, b) => a - b),
      Array.from({ length: seg.count }, (_, i) => i),
    );
    for (let k = 0; k < seg.count; k++) assert.equal(components(seg, k), 1, `label ${k}`);
  });

  it('is deterministic', () => {
    const a = slic(image, { segments: 36, compactness: 5 });
    const b = slic({ data: rectangles(), shape: [3, H, W] }, { segments: 36, compactness: 5 });
    assert.deepEqual(a.labels, b.labels);
  });

  it('on a noise-free flat image gives a regular grid of about the requested size', () => {
    const flat = { data: new Float32Array(3 * 60 * 40).fill(0.5), shape: [3, 60, 40] };
    const seg = slic(flat, { segments: 24 });
    assert.equal(seg.count, 24);
    const sizes = new Array<number>(seg.count).fill(0);
    for (const l of seg.labels) sizes[l] = (sizes[l] as number) + 1;
    assert.ok(Math.min(...sizes) >= 0.5 * 100 && Math.max(...sizes) <= 1.5 * 100, `sizes ${sizes}`);
  });

  it('reads HWC layout, 8-bit data and a leading batch dim the same way', () => {
    const q = rectangles().map((v) => Math.round(v * 255) / 255);
    const chw = slic({ data: q, shape: [3, H, W] }, { segments: 36 });
    const hwc = new Float32Array(q.length);
    for (let c = 0; c < 3; c++) for (let p = 0; p < H * W; p++) hwc[p * 3 + c] = q[c * H * W + p] as number;
    assert.deepEqual(slic({ data: hwc, shape: [H, W, 3] }, { segments: 36, layout: 'hwc' }).labels, chw.labels);
    assert.deepEqual(slic({ data: Uint8Array.from(q, (v) => Math.round(v * 255)), shape: [1, 3, H, W] }, { segments: 36 }).labels, chw.labels);
  });

  it('segments a grey image', () => {
    const grey = new Float32Array(H * W);
    for (let p = 0; p < H * W; p++) grey[p] = p % W < 50 ? 0.2 : 0.8;
    const seg = slic({ data: grey, shape: [1, H, W] }, { segments: 16 });
    for (let p = 0; p < H * W; p++) {
      if (p % W === 49) assert.notEqual(seg.labels[p], seg.labels[p + 1], 'the edge at x = 50 is a superpixel boundary');
    }
  });

  it('rejects bad options and images with one-line errors', () => {
    assert.throws(() => slic(image, { segments: 0 }), code('BAD_OPTION'));
    assert.throws(() => slic(image, { segments: 2.5 }), code('BAD_OPTION'));
    assert.throws(() => slic(image, { compactness: -1 }), code('BAD_OPTION'));
    assert.throws(() => slic(image, { layout: 'nhwc' as never }), code('BAD_OPTION'));
    assert.throws(() => slic({ data: new Float32Array(3 * 4 * 4).fill(2), shape: [3, 4, 4] }), code('BAD_OPTION'));
    assert.throws(() => slic({ data: new Float32Array(4 * 4 * 4), shape: [4, 4, 4] }), code('BAD_SHAPE'));
    assert.throws(() => slic({ data: new Float32Array(10), shape: [3, 4, 4] }), code('BAD_SHAPE'));
  });
});

describe('enforceConnectivity', () => {
  it('merges a small orphan island into a neighbour and renumbers in raster order', () => {
    // 6 × 6: label 7 on the left half, 3 on the right half, one stray 7-pixel inside the right half,
    // and a second, disconnected big piece of 3 is impossible here, so we expect exactly 2 labels.
    const w = 6;
    const labels = new Int32Array(36);
    for (let p = 0; p < 36; p++) labels[p] = p % w < 3 ? 7 : 3;
    labels[2 * w + 4] = 7;
    const { labels: out, count } = enforceConnectivity(labels, 6, 6, 3);
    assert.equal(count, 2);
    for (let p = 0; p < 36; p++) assert.equal(out[p], p % w < 3 ? 0 : 1, `pixel ${p}`);
  });

  it('keeps big disconnected pieces of one label apart', () => {
    const labels = new Int32Array(4 * 9);
    for (let p = 0; p < labels.length; p++) labels[p] = p % 9 >= 3 && p % 9 < 6 ? 1 : 0;
    const { labels: out, count } = enforceConnectivity(labels, 4, 9, 2);
    assert.equal(count, 3);
    assert.deepEqual([...out.subarray(0, 9)], [0, 0, 0, 1, 1, 1, 2, 2, 2]);
  });
});
