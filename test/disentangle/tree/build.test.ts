import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildTree } from '../../../src/disentangle/tree/build.js';
import { decisionPath } from '../../../src/disentangle/tree/infer.js';
import type { DecisionTree, Rationale } from '../../../src/disentangle/tree/types.js';
import { rng } from '../../helpers/gradcheck.js';

/** Rationales of two clusters: cluster A uses filters 0–2, cluster B filters 3–5. */
function clusters(perCluster: number, seed: number): { rationales: Rationale[]; label: number[] } {
  const random = rng(seed);
  const rationales: Rationale[] = [];
  const label: number[] = [];
  for (let i = 0; i < 2 * perCluster; i++) {
    const cluster = i % 2;
    const gradient = new Float64Array(6);
    const features = new Float64Array(6);
    for (let c = 0; c < 6; c++) {
      const on = cluster === 0 ? c < 3 : c >= 3;
      gradient[c] = on ? 1 + 0.2 * random() : 0.02 * random();
      features[c] = 0.5 + random();
    }
    const score = gradient.reduce((s, g, c) => s + g * (features[c] as number), 0) + 0.1;
    rationales.push({ features, gradient, score });
    label.push(cluster);
  }
  return { rationales, label };
}

function rootSplit(tree: DecisionTree): Set<number>[] {
  const root = tree.nodes[tree.root];
  assert.ok(root);
  return root.children.map((c) => new Set(tree.nodes[c]?.samples));
}

describe('decision tree of rationales', () => {
  for (const neighbours of [Number.POSITIVE_INFINITY, 3]) {
    it(`the first split separates two clearly different rationale clusters (neighbours ${neighbours})`, () => {
      const { rationales, label } = clusters(12, 3);
      const tree = buildTree(rationales, { neighbours });
      assert.equal(tree.nodes.length, 2 * rationales.length - 1);
      const [left, right] = rootSplit(tree) as [Set<number>, Set<number>];
      assert.equal(left.size + right.size, rationales.length);
      const leftLabel = label[[...left][0] as number];
      for (const i of left) assert.equal(label[i], leftLabel);
      for (const i of right) assert.notEqual(label[i], leftLabel);
    });
  }

  it('keeps where the paper stops merging: the two clusters are the decision modes', () => {
    const { rationales, label } = clusters(12, 3);
    const tree = buildTree(rationales);
    // Merging inside a cluster gains (β = 1 beats a small spread); merging the clusters does not.
    assert.deepEqual(
      tree.modes,
      [...(tree.nodes[tree.root]?.children ?? [])].sort((a, b) => a - b),
    );
    for (const m of tree.modes ?? []) assert.equal(new Set(tree.nodes[m]?.samples.map((i) => label[i])).size, 1);
    // With β large enough every merge gains, and the only mode is the root.
    assert.deepEqual(buildTree(rationales, { beta: 1e6 }).modes, [tree.root]);
  });

  it('inference goes to the child with the highest cosine, down to a leaf', () => {
    const { rationales, label } = clusters(6, 5);
    const tree = buildTree(rationales);
    const probe = rationales[4] as Rationale;
    const path = decisionPath(tree, probe);
    for (let s = 0; s + 1 < path.length; s++) {
      const node = tree.nodes[path[s]?.node as number];
      const taken = path[s + 1]?.node as number;
      const sims = (node?.children ?? []).map((c) => [c, cosSim(probe.gradient, tree.nodes[c]?.mode ?? [])] as const);
      const best = sims.reduce((a, b) => (b[1] > a[1] ? b : a));
      assert.equal(taken, best[0]);
    }
    const leaf = tree.nodes[path.at(-1)?.node as number];
    assert.equal(leaf?.children.length, 0);
    // It ends at a leaf of its own cluster.
    assert.equal(label[leaf?.samples[0] as number], label[4]);
  });

  it('rejects rationales of different lengths and a cancelled build', () => {
    const { rationales } = clusters(3, 1);
    assert.throws(() => buildTree([...rationales, { features: new Float64Array(2), gradient: new Float64Array(2), score: 1 }]), /different numbers of filters/);
    assert.throws(() => buildTree(rationales, { signal: AbortSignal.abort() }), /cancelled/);
    assert.throws(() => buildTree(rationales, { lambda0: -1 }), /lambda0 must be ≥ 0/);
    assert.throws(() => buildTree(rationales, { tolerance: 0 }), /tolerance must be > 0/);
  });
});

function cosSim(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += (a[i] as number) * (b[i] as number);
    aa += (a[i] as number) ** 2;
    bb += (b[i] as number) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}
