/**
 * The procedural parts generator: deterministic per (seed, index), exact and consistent ground
 * truth (part masks inside the object mask, landmarks inside the image, the eye drawn where its
 * landmark is), the documented pose ranges, colours that do not tell the class, balanced classes,
 * and planted background correlations only in the train split.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { labelsFromRgb, labelsToRgb } from '../../src/datasets/broden/labels.js';
import { parseBias } from '../../src/datasets/parts/bias.js';
import { FIGURE_CLASSES, PART_NAMES } from '../../src/datasets/parts/figures.js';
import { classNames, partsSample } from '../../src/datasets/parts/generate.js';
import { PALETTE } from '../../src/datasets/parts/textures.js';
import { isLucernaError } from '../../src/errors.js';

describe('procedural parts generator', () => {
  it('is a pure function of (seed, index, options)', () => {
    const a = partsSample(4, 17, { size: 48 });
    const b = partsSample(4, 17, { size: 48 });
    assert.deepEqual(a, b);
    assert.notDeepEqual(partsSample(4, 18 + 6, { size: 48 }).rgb, a.rgb);
    assert.notDeepEqual(partsSample(5, 17, { size: 48 }).rgb, a.rgb);
  });

  it('cycles through 5 classes plus none, each with 4–7 parts', () => {
    assert.deepEqual(classNames(), ['bird', 'fish', 'quadruped', 'insect', 'turtle', 'none']);
    assert.deepEqual(classNames(2), ['bird', 'fish', 'none']);
    for (let i = 0; i < 12; i++) assert.equal(partsSample(1, i).className, classNames()[i % 6]);
    for (const c of FIGURE_CLASSES) {
      const n = c.build(() => 0).length;
      assert.ok(n >= 4 && n <= 7, `${c.name} has ${n} parts`);
    }
  });

  it('draws no figure in none images when fewer than 5 classes are used', () => {
    for (const classes of [1, 2, 4]) {
      for (let i = classes; i < 40; i += classes + 1) {
        const s = partsSample(3, i, { size: 32, classes });
        assert.equal(s.className, 'none');
        assert.equal(
          s.object.reduce((a, v) => a + v, 0),
          0,
          `classes ${classes}, image ${i}`,
        );
        assert.equal(s.landmarks.length, 0);
        assert.equal(s.attributes.pose, undefined);
      }
    }
  });

  it('keeps part masks inside the object mask, landmarks inside the image, and the eye on the head', () => {
    for (let i = 0; i < 60; i++) {
      const s = partsSample(9, i, { size: 64 });
      let objectPixels = 0;
      for (let p = 0; p < s.object.length; p++) {
        assert.equal(s.object[p] === 1, (s.parts[p] as number) > 0, `pixel ${p} of image ${i}`);
        objectPixels += s.object[p] as number;
      }
      if (s.className === 'none') {
        assert.equal(objectPixels, 0);
        assert.equal(s.landmarks.length, 0);
        continue;
      }
      assert.ok(objectPixels > 50, `image ${i} object has ${objectPixels} pixels`);
      const drawn = new Set([...s.parts].filter((v) => v > 0).map((v) => PART_NAMES[v - 1]));
      const present = Object.entries(s.attributes.parts).filter(([, a]) => a.present);
      assert.ok(present.length >= 4, `image ${i}: ${present.length} parts`);
      for (const [name] of present) assert.ok(drawn.has(name) || name === 'legs' || name === 'tail', `image ${i}: part ${name} is visible`);
      for (const l of s.landmarks) assert.ok(l.x >= 0 && l.y >= 0 && l.x <= 64 && l.y <= 64, `image ${i}: ${l.name} at ${l.x}, ${l.y}`);
      const eye = s.landmarks.find((l) => l.name === 'eye');
      assert.ok(eye, `image ${i} has an eye`);
      const p = Math.floor(eye.y) * 64 + Math.floor(eye.x);
      assert.equal(PART_NAMES[(s.parts[p] as number) - 1], 'head', `image ${i}: the eye pixel is head`);
      assert.ok((s.rgb[p * 3] as number) < 40 && (s.rgb[p * 3 + 1] as number) < 40, `image ${i}: the eye pixel is dark`);
    }
  });

  it('draws poses in the documented ranges and part colours independently of the class', () => {
    const colours = new Map<string, Set<string>>();
    for (let i = 0; i < 180; i++) {
      const s = partsSample(2, i, { size: 32 });
      if (!s.attributes.pose) continue;
      assert.ok(s.attributes.pose.scale >= 0.5 && s.attributes.pose.scale <= 1);
      assert.ok(Math.abs(s.attributes.pose.rotation) <= 30);
      const seen = colours.get(s.className) ?? new Set();
      for (const a of Object.values(s.attributes.parts)) if (a.colour) seen.add(a.colour);
      colours.set(s.className, seen);
    }
    for (const [c, seen] of colours) assert.equal(seen.size, PALETTE.length, `${c} uses every palette colour`);
  });

  it('does not give the class away by colour: a colour-histogram classifier stays near chance', () => {
    // Nearest centroid on 64-bin joint RGB histograms of the object pixels, 5 classes (chance 0.2).
    // 300 test images give a standard error of about 0.023, so 0.3 is over 4 of them above chance.
    const hist = (rgb: Uint8Array, mask: Uint8Array) => {
      const h = new Float64Array(64);
      let n = 0;
      for (let p = 0; p < mask.length; p++) {
        if (!mask[p]) continue;
        const bin = (c: number) => Math.min(3, Math.floor((rgb[p * 3 + c] as number) / 64));
        const k = bin(0) * 16 + bin(1) * 4 + bin(2);
        h[k] = (h[k] as number) + 1;
        n++;
      }
      return h.map((v) => v / n);
    };
    const centroids = Array.from({ length: 5 }, () => new Float64Array(64));
    for (let i = 0; i < 720; i++) {
      const s = partsSample(8, i, { size: 32 });
      if (s.className === 'none') continue;
      const c = centroids[s.classIndex] as Float64Array;
      hist(s.rgb, s.object).forEach((v, k) => {
        c[k] = (c[k] as number) + v;
      });
    }
    let right = 0;
    let total = 0;
    for (let i = 100000; i < 100360; i++) {
      const s = partsSample(8, i, { size: 32 });
      if (s.className === 'none') continue;
      const h = hist(s.rgb, s.object);
      const distance = (c: Float64Array) => h.reduce((d, v, k) => d + (v - (c[k] as number) / 120) ** 2, 0);
      const guess = centroids.map(distance).reduce((best, d, k, all) => (d < (all[best] as number) ? k : best), 0);
      right += guess === s.classIndex ? 1 : 0;
      total++;
    }
    assert.equal(total, 300);
    assert.ok(right / total < 0.3, `colour-only accuracy ${right / total}`);
  });

  it('plants a background correlation in the train split only', () => {
    const bias = [parseBias('bird:background=stripes@1')];
    let train = 0;
    let valOther = 0;
    for (let i = 0; i < 300; i += 6) {
      const s = partsSample(3, i, { bias });
      if (s.split === 'train') {
        assert.equal(s.attributes.background, 'stripes');
        train++;
      } else if (s.attributes.background !== 'stripes') valOther++;
    }
    assert.ok(train > 20 && valOther > 0);
    assert.throws(
      () => parseBias('bird:pose=stripes@1'),
      (e) => isLucernaError(e, 'BAD_OPTION'),
    );
    assert.throws(
      () => parseBias('bird:background=zebra@1'),
      (e) => isLucernaError(e, 'BAD_OPTION'),
    );
    assert.throws(
      () => parseBias('bird:background=stripes@2'),
      (e) => isLucernaError(e, 'BAD_OPTION'),
    );
  });

  it('rejects bad options', () => {
    assert.throws(
      () => partsSample(1, 0, { size: 8 }),
      (e) => isLucernaError(e, 'BAD_OPTION'),
    );
    assert.throws(
      () => partsSample(1, 0, { classes: 6 }),
      (e) => isLucernaError(e, 'BAD_OPTION'),
    );
    assert.throws(
      () => partsSample(1, -1),
      (e) => isLucernaError(e, 'BAD_OPTION'),
    );
  });

  it('encodes Broden label planes as R + 256·G', () => {
    const labels = [0, 1, 255, 256, 300, 65535];
    const rgb = labelsToRgb(labels);
    assert.deepEqual([...rgb.slice(12, 15)], [44, 1, 0]);
    assert.deepEqual([...labelsFromRgb(rgb, 3)], labels);
  });
});
