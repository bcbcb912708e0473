import assert from 'node:assert/strict';
import { test } from 'node:test';
import { attributeFilters, mineRelations, type RelationInput } from '../../src/diagnosis/bias/relations.js';
import { pearson } from '../../src/metrics/spearman.js';

test('pearson: hand-computed values and the constant case', () => {
  // x = 1,2,3 (mean 2), y = 2,4,7 (mean 13/3): sxy = 5, sxx = 2, syy = (49 + 1 + 64)/9 = 38/3
  assert.ok(Math.abs(pearson([1, 2, 3], [2, 4, 7]) - 5 / Math.sqrt(2 * (38 / 3))) < 1e-12);
  assert.equal(pearson([1, 1, 1], [1, 2, 3]), 0);
  assert.equal(pearson([1, 0], [0, 1]), -1);
});

test('attributeFilters ranks filters by absolute correlation with the indicator', () => {
  const activations = [
    [0, 1, 5],
    [1, 1, 4],
    [0, 2, 5],
    [1, 2, 4],
  ];
  // filter 0 = indicator (1), filter 2 = 5 − indicator (−1), filter 1 uncorrelated (0)
  assert.deepEqual(attributeFilters(activations, [0, 1, 0, 1], 2), [0, 2]);
  assert.deepEqual(attributeFilters(activations, [0, 1, 0, 1], 9), [0, 2, 1]);
});

/** 8 unbiased images: class bird/cat balanced, stripes independent of the class. */
function reference(birdLeansOnStripes: boolean): RelationInput {
  const labels = [0, 0, 0, 0, 1, 1, 1, 1];
  const stripes = [1, 1, 0, 0, 1, 1, 0, 0];
  const wing = labels.map((y) => (y === 0 ? 1 : 0));
  // filter 0 sees stripes, filter 1 sees the wing, filter 2 is noise
  const activations = labels.map((_, n) => [3 * (stripes[n] as number), 2 * (wing[n] as number), n % 3]);
  const bird = labels.map((_, n) => [birdLeansOnStripes ? 2 * (stripes[n] as number) : 0, 1.5 * (wing[n] as number), 0]);
  const cat = labels.map((_, n) => [0, -1 * (wing[n] as number), 0]);
  return {
    classes: ['bird', 'cat'],
    labels,
    attributes: ['background=stripes', 'part=wing'],
    indicators: labels.map((_, n) => [stripes[n] as number, wing[n] as number]),
    activations,
    rationale: [bird, cat],
  };
}

test('mineRelations flags the planted relation first on the biased model, nothing on the clean one', () => {
  const biased = mineRelations(reference(true), { filtersPerAttribute: 1, threshold: 0.3 });
  assert.equal(biased[0]?.className, 'bird');
  assert.equal(biased[0]?.attribute, 'background=stripes');
  assert.deepEqual(biased[0]?.filters, [0]);
  assert.ok(Math.abs((biased[0]?.network ?? 0) - 1) < 1e-12);
  assert.equal(biased[0]?.groundTruth, 0);
  assert.equal(biased[0]?.flagged, true);
  assert.equal(biased.filter((r) => r.flagged).length, 1);
  // the wing is a real part of birds: network and ground truth agree (both 1 for bird, −1 for cat)
  const wing = biased.find((r) => r.className === 'cat' && r.attribute === 'part=wing');
  assert.ok(wing && Math.abs(wing.network + 1) < 1e-12 && Math.abs(wing.groundTruth + 1) < 1e-12 && !wing.flagged);

  const clean = mineRelations(reference(false), { filtersPerAttribute: 1, threshold: 0.3 });
  assert.equal(clean.filter((r) => r.flagged).length, 0);
});

test('mineRelations flags a relation the network under-uses', () => {
  const input = reference(false);
  // the bird score ignores the wing entirely although every bird has one
  const rationale = [input.labels.map(() => [0, 0, 0]), input.rationale[1] ?? []];
  const relations = mineRelations({ ...input, rationale }, { filtersPerAttribute: 1 });
  const top = relations[0];
  assert.equal(top?.className, 'bird');
  assert.equal(top?.attribute, 'part=wing');
  assert.ok(top && top.bias === -1 && top.flagged);
});
