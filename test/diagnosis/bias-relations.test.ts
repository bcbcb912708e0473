import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  distinctAttributes,
  mineRelations,
  noiseLevel,
  type RelationInput,
  withinClassCovariances,
  withinClassResiduals,
} from '../../src/diagnosis/bias/relations.js';
import { pearson } from '../../src/metrics/spearman.js';

test('pearson: hand-computed values and the constant case', () => {
  // x = 1,2,3 (mean 2), y = 2,4,7 (mean 13/3): sxy = 5, sxx = 2, syy = (49 + 1 + 64)/9 = 38/3
  assert.ok(Math.abs(pearson([1, 2, 3], [2, 4, 7]) - 5 / Math.sqrt(2 * (38 / 3))) < 1e-12);
  assert.equal(pearson([1, 1, 1], [1, 2, 3]), 0);
  assert.equal(pearson([1, 0], [0, 1]), -1);
});

test('withinClassResiduals and withinClassCovariances: hand-computed values; the covariances sum to that of the row sums', () => {
  assert.deepEqual(withinClassResiduals([1, 3, 5, 5], [0, 0, 1, 1]), [-1, 1, 0, 0]);
  const rows = [
    [1, 0, 2],
    [3, 1, 0],
    [0, 4, 1],
    [2, 2, 2],
  ];
  const labels = [0, 0, 1, 1];
  const a = [1, 0, 1, 0];
  // class 0: a − mean = ±0.5, filter 0: −1, +1 → (−0.5 − 0.5)/4 = −0.25; class 1: filter 0: −1, +1 → −0.25
  const cov = withinClassCovariances(rows, a, labels);
  assert.ok(Math.abs((cov[0] as number) + 0.5) < 1e-12);
  const sums = rows.map((r) => r.reduce((s, v) => s + v, 0));
  const total = withinClassResiduals(sums, labels).reduce((s, v, i) => s + v * (withinClassResiduals(a, labels)[i] as number), 0) / 4;
  assert.ok(Math.abs(cov.reduce((s, v) => s + v, 0) - total) < 1e-12);
});

test('noiseLevel: Fisher/Šidák bound shrinks with images, grows with relations', () => {
  assert.ok(noiseLevel(400, 600) > 0.15 && noiseLevel(400, 600) < 0.25);
  assert.ok(noiseLevel(1600, 600) < noiseLevel(400, 600));
  assert.ok(noiseLevel(400, 6000) > noiseLevel(400, 600));
  // one relation: the two-sided 5 % point, 1.96 / √(N − 4)
  assert.ok(Math.abs(noiseLevel(10004, 1) - Math.tanh(1.959964 / 100)) < 1e-6);
  assert.equal(noiseLevel(3, 10), 1);
});

/**
 * 8 unbiased images: class bird/cat balanced, stripes independent of the class; the wing marks
 * every bird. Filter 0 carries the stripes, filter 1 the wing, filter 2 noise that differs between
 * classes only (as a class-defining part does).
 */
function reference(birdLeansOnStripes: number): RelationInput {
  const labels = [0, 0, 0, 0, 1, 1, 1, 1];
  const stripes = [1, 1, 0, 0, 1, 1, 0, 0];
  const wing = labels.map((y) => (y === 0 ? 1 : 0));
  const bird = labels.map((y, n) => [birdLeansOnStripes * (stripes[n] as number), 1.5 * (wing[n] as number), y === 0 ? 0.2 : -0.3]);
  const cat = labels.map((_, n) => [0, -1 * (wing[n] as number), 0]);
  return {
    classes: ['bird', 'cat'],
    labels,
    attributes: ['background=stripes', 'part=wing'],
    indicators: labels.map((_, n) => [stripes[n] as number, wing[n] as number]),
    rationale: [bird, cat],
  };
}

test('mineRelations flags the planted relation first on the biased model, nothing on the clean one', () => {
  const biased = mineRelations(reference(2), { filtersPerAttribute: 2, threshold: 0.3 });
  assert.equal(biased.length, 2); // one pair of classes × two attribute values
  assert.equal(biased[0]?.className, 'bird');
  assert.equal(biased[0]?.against, 'cat');
  assert.equal(biased[0]?.attribute, 'background=stripes');
  assert.deepEqual(biased[0]?.filters, [0]); // only filter 0 moves with the stripes within a class
  assert.ok(Math.abs((biased[0]?.bias ?? 0) - 1) < 1e-12);
  assert.equal(biased[0]?.groundTruth, 0);
  assert.ok((biased[0]?.network ?? 0) > 0.3);
  assert.equal(biased[0]?.flagged, true);
  assert.equal(biased.filter((r) => r.flagged).length, 1);
  // the wing is a real part of birds: the network relies on it as much as the class does (bias 0),
  // though network and ground-truth correlations are not both 1
  const wing = biased.find((r) => r.attribute === 'part=wing');
  assert.ok(wing && wing.bias === 0 && !wing.flagged && Math.abs(wing.groundTruth - 1) < 1e-12 && wing.network < 0.99, JSON.stringify(wing));

  const clean = mineRelations(reference(0), { filtersPerAttribute: 1, threshold: 0.3 });
  assert.equal(clean.filter((r) => r.flagged).length, 0);
  assert.ok(clean.every((r) => r.bias === 0));
});

test('a cue the network counts against a class is the relation favouring the other class', () => {
  const relations = mineRelations(reference(-1), { filtersPerAttribute: 1 });
  const top = relations[0];
  assert.equal(top?.className, 'cat');
  assert.equal(top?.against, 'bird');
  assert.equal(top?.attribute, 'background=stripes');
  assert.ok(top && Math.abs(top.bias - 1) < 1e-12 && top.flagged);
  assert.deepEqual(top?.filters, [0]);
});

test('a weaker reliance gives a smaller bias, ranked below a stronger one', () => {
  const input = reference(2);
  // add noise within the class so the bias is not ±1: image 0 gets extra bird evidence on filter 2
  const bird = (input.rationale[0] ?? []).map((row, n) => (n === 0 ? [row[0] as number, row[1] as number, (row[2] as number) + 1.5] : [...row]));
  const strong = mineRelations({ ...input, rationale: [bird, input.rationale[1] ?? []] })[0]?.bias ?? 0;
  const quarter = bird.map((r) => [(r[0] as number) / 4, r[1] as number, r[2] as number]);
  const weak = mineRelations({ ...input, rationale: [quarter, input.rationale[1] ?? []] })[0]?.bias ?? 0;
  assert.ok(strong > weak && weak > 0 && strong < 1, `${strong} ${weak}`);
});

/**
 * Three classes, 12 images; a blue body (independent of the class here) adds fish evidence and
 * takes bird evidence away, as a network trained on "95 % of fish are blue" does. Filter 1 is
 * per-image noise shared by every class score (a softmax ignores it).
 */
function threeClasses(shared: number): RelationInput {
  const labels = [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2];
  const blue = [1, 0, 0, 1, 1, 0, 1, 0, 0, 0, 1, 1];
  const noise = [0.3, -1.2, 0.8, 0.1, -0.5, 0.9, -0.2, 0.4, 1.1, -0.7, 0.2, -0.6];
  const wobble = [0.1, 0, -0.1, 0.05, 0, 0.1, -0.05, 0, 0.02, -0.1, 0, 0.08];
  const score = (sign: number) => labels.map((_, n) => [sign * (blue[n] as number) + (wobble[n] as number), shared * (noise[n] as number), 0]);
  return {
    classes: ['bird', 'fish', 'none'],
    labels,
    attributes: ['body_colour=blue'],
    indicators: blue.map((b) => [b]),
    rationale: [score(-1), score(1), score(0)],
  };
}

test('a relation and its mirror are one relation: the cue favours fish over bird, listed once', () => {
  const relations = mineRelations(threeClasses(0), { filtersPerAttribute: 1 });
  assert.equal(relations.length, 3); // 3 pairs of classes × 1 attribute value
  const top = relations[0];
  assert.deepEqual([top?.className, top?.against, top?.attribute], ['fish', 'bird', 'body_colour=blue']);
  assert.ok(top && top.bias > 0.9 && top.flagged, JSON.stringify(top));
  assert.ok(relations.every((r) => r.bias >= 0));
  assert.equal(relations.filter((r) => r.attribute === 'body_colour=blue' && [r.className, r.against].sort().join() === 'bird,fish').length, 1);
});

test('relations do not change when the same evidence is added to every class score (the softmax cannot see it)', () => {
  const a = mineRelations(threeClasses(0));
  const b = mineRelations(threeClasses(5));
  assert.equal(a.length, b.length);
  a.forEach((r, i) => {
    const s = b[i];
    assert.deepEqual([s?.className, s?.against, s?.attribute], [r.className, r.against, r.attribute]);
    assert.ok(Math.abs((s?.bias as number) - r.bias) < 1e-12);
  });
});

test('a two-valued attribute gives one relation per pair of classes, not a mirrored second one', () => {
  assert.deepEqual(
    distinctAttributes([
      [1, 0, 1],
      [0, 1, 0],
      [1, 1, 0],
      [0, 0, 1],
    ]),
    [0, 2],
  );
  assert.deepEqual(distinctAttributes([]), []);
  const input = reference(2);
  // "no stripes" is exactly 1 − "stripes" on these images: the same finding, so it adds no relation
  const withComplement: RelationInput = {
    ...input,
    attributes: [...input.attributes, 'background=plain'],
    indicators: input.indicators.map((row) => [...row, 1 - (row[0] as number)]),
  };
  const relations = mineRelations(withComplement, { threshold: 0.3 });
  assert.equal(relations.length, 2);
  assert.ok(relations.every((r) => r.attribute !== 'background=plain'));
  assert.equal(relations.filter((r) => r.flagged).length, 1);
  // a third value that is not a complement is kept
  const threeValued: RelationInput = {
    ...input,
    attributes: [...input.attributes, 'background=dots'],
    indicators: input.indicators.map((row, n) => [...row, n % 3 === 0 ? 1 : 0]),
  };
  assert.equal(mineRelations(threeValued).length, 3);
});
