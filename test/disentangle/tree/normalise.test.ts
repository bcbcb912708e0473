import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildTree, cosine, filterScale } from '../../../src/disentangle/tree/build.js';
import { decisionPath } from '../../../src/disentangle/tree/infer.js';
import type { DecisionTree, Rationale } from '../../../src/disentangle/tree/types.js';
import { rng } from '../../helpers/gradcheck.js';

const r = (features: number[], gradient: number[], score = 1): Rationale => ({
  features: Float64Array.from(features),
  gradient: Float64Array.from(gradient),
  score,
});

describe('the paper’s per-filter normalisation (x_c/s_c, g_c·s_c)', () => {
  it('s_c is the mean activation, 1 for a filter that never fires', () => {
    assert.deepEqual(filterScale([r([100, 0, 2], [1, 1, 1]), r([300, 0, 4], [1, 1, 1])]), [200, 1, 3]);
  });

  it('the scaled cosine is the cosine of ĝ∘s and w∘s (hand-computed)', () => {
    // ĝ∘s = (0.01·100, 1·1) = (1, 1); w∘s = (100, 0): cos = 1/√2. Unscaled: 0.01/√1.0001.
    assert.ok(Math.abs(cosine([0.01, 1], [1, 0], [100, 1]) - Math.SQRT1_2) < 1e-12);
    assert.ok(Math.abs(cosine([0.01, 1], [1, 0]) - 0.01 / Math.sqrt(1.0001)) < 1e-12);
  });

  it('routing follows the scaled cosine', () => {
    const leaves = [
      { id: 0, children: [], samples: [0], mode: [1, 0], bias: 0, size: 1 },
      { id: 1, children: [], samples: [1], mode: [0, 1], bias: 0, size: 1 },
    ];
    const root = { id: 2, children: [0, 1], samples: [0, 1], mode: [0.5, 0.5], bias: 0, size: 2 };
    const probe = r([100, 1], [0.02, 1]);
    const scaled: DecisionTree = { nodes: [...leaves, root], root: 2, filters: 2, scale: [100, 1] };
    const raw: DecisionTree = { nodes: [...leaves, root], root: 2, filters: 2 };
    // ĝ∘s = (2, 1): cos with (100, 0) is 2/√5, with (0, 1) is 1/√5, so leaf 0.
    const path = decisionPath(scaled, probe);
    assert.equal(path[1]?.node, 0);
    assert.ok(Math.abs((path[1]?.similarity as number) - 2 / Math.sqrt(5)) < 1e-12);
    // Unscaled, ĝ = (0.02, 1) is almost filter 1's direction: leaf 1.
    assert.equal(decisionPath(raw, probe)[1]?.node, 1);
  });

  it('building on ĝ is building on the paper’s (x/s, g·s): same tree, modes w∘s', () => {
    const random = rng(7);
    const units = [100, 1, 0.01, 5];
    const rationales = Array.from({ length: 20 }, () => {
      const features = units.map((u) => u * (0.5 + random()));
      const gradient = units.map((u) => (random() - 0.3) / u);
      return r(
        features,
        gradient,
        features.reduce((s, x, c) => s + x * (gradient[c] as number), 1),
      );
    });
    const s = filterScale(rationales);
    const paper = rationales.map((q) =>
      r(
        Array.from(q.features, (x, c) => x / (s[c] as number)),
        Array.from(q.gradient, (g, c) => g * (s[c] as number)),
        q.score,
      ),
    );
    const shape = (t: DecisionTree): string => JSON.stringify(t.nodes.map((n) => n.children));
    const ours = buildTree(rationales);
    const theirs = buildTree(paper, { normalise: false });
    assert.deepEqual(ours.scale, s);
    assert.equal(shape(ours), shape(theirs));
    for (const [i, n] of ours.nodes.entries()) {
      const m = theirs.nodes[i]?.mode as readonly number[];
      for (const [c, w] of n.mode.entries()) assert.ok(Math.abs(w * (s[c] as number) - (m[c] as number)) < 1e-9 * (1 + Math.abs(m[c] as number)));
    }
    // And the scale matters here: on the raw ĝ the tree is another one.
    assert.notEqual(shape(buildTree(rationales, { normalise: false })), shape(ours));
  });
});
