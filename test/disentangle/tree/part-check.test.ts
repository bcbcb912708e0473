import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildTree } from '../../../src/disentangle/tree/build.js';
import { partCheck, topFilters, topNodes } from '../../../src/disentangle/tree/part-check.js';
import type { Rationale } from '../../../src/disentangle/tree/types.js';
import { rng } from '../../helpers/gradcheck.js';

/**
 * 8 filters; filters 0–1 are "beak" detectors, 2–7 "body". The class's score leans on the beak
 * filters (gradient 3 against 0.2), so every mode's top 2 contributors are filters 0 and 1.
 */
function rationales(n: number, seed: number, leanOn: readonly number[]): Rationale[] {
  const random = rng(seed);
  return Array.from({ length: n }, () => {
    const gradient = Float64Array.from({ length: 8 }, (_, c) => (leanOn.includes(c) ? 3 : 0.2) + 0.05 * random());
    const features = Float64Array.from({ length: 8 }, () => 0.5 + random());
    return { features, gradient, score: gradient.reduce((s, g, c) => s + g * (features[c] as number), 0) };
  });
}

const assigned = Array.from({ length: 8 }, (_, c) => ({ part: c < 2 ? 'beak' : 'body', iou: c < 2 ? 0.2 : 0.01 }));
const beak = new Set(['beak']);

describe('part-contribution check', () => {
  it('finds top filters on the distinguishing parts when the modes lean on them', () => {
    const train = rationales(20, 1, [0, 1]);
    const tree = buildTree(train);
    assert.deepEqual(new Set(topFilters(tree, tree.root, train, 2)), new Set([0, 1]));
    const r = partCheck(tree, train, assigned, beak, { top: 2 });
    assert.equal(r.baseShare, 2 / 8);
    assert.equal(r.pickShare, 1);
    assert.equal(r.distinctShare, 1);
    assert.equal(r.distinct, 2);
    assert.deepEqual([r.detectors, r.topDetectors], [2, 2]);
    assert.ok(Math.abs(r.topIou - 0.2) < 1e-12 && Math.abs(r.meanIou - (0.4 + 0.06) / 8) < 1e-12);
    // Gradients 3 vs 0.2 on features of mean 1: the top 2 carry about 6 / (6 + 6·0.2) of the mass.
    assert.ok(r.topMass > 0.75 && r.topMass < 0.9, `top mass ${r.topMass}`);
  });

  it('finds none when the modes lean on the other parts', () => {
    const train = rationales(20, 2, [5, 6]);
    const r = partCheck(buildTree(train), train, assigned, beak, { top: 2 });
    assert.equal(r.pickShare, 0);
    assert.equal(r.baseShare, 2 / 8);
  });

  it('checks the nodes of the top levels with enough images', () => {
    const train = rationales(12, 3, [0]);
    const tree = buildTree(train);
    const root = tree.nodes[tree.root];
    assert.deepEqual(topNodes(tree, 1, 1), [tree.root]);
    const two = topNodes(tree, 2, 1);
    assert.deepEqual(two, [tree.root, ...(root?.children ?? [])]);
    assert.deepEqual(topNodes(tree, 2, 13), []);
  });
});
