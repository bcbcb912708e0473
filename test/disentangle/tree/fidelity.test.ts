import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildTree } from '../../../src/disentangle/tree/build.js';
import { depthFidelity, layerFidelity, modesFidelity } from '../../../src/disentangle/tree/fidelity.js';
import { decisionPath, predictedScore } from '../../../src/disentangle/tree/infer.js';
import type { DecisionTree, Rationale } from '../../../src/disentangle/tree/types.js';
import { rng } from '../../helpers/gradcheck.js';

/**
 * A piecewise-linear "network" with a two-level structure: 2 super-modes × 2 modes, each mode a
 * linear region y = w·x̂ + b (b > 0, so scores are far from 0), as a ReLU head gives exactly.
 * Modes of one super-mode share filters 0–3 or 4–7 and differ in filters 8–11.
 */
function sample(n: number, seed: number): Rationale[] {
  const random = rng(seed);
  const modes: Float64Array[] = [];
  for (let m = 0; m < 4; m++) {
    const w = new Float64Array(12).fill(0.05);
    for (let c = 0; c < 4; c++) w[(m < 2 ? 0 : 4) + c] = 1 + 0.5 * c;
    w[8 + (m % 2) * 2] = 2;
    w[9 + (m % 2) * 2] = 2;
    modes.push(w);
  }
  const out: Rationale[] = [];
  for (let i = 0; i < n; i++) {
    const m = i % 4;
    const gradient = Float64Array.from(modes[m] as Float64Array);
    const features = Float64Array.from({ length: 12 }, () => random());
    const score = gradient.reduce((s, g, c) => s + g * (features[c] as number), 2 + m);
    out.push({ features, gradient, score });
  }
  return out;
}

const mean = (a: readonly number[]): number => a.reduce((s, v) => s + v, 0) / a.length;

/** Mean relative error of the tree cut at each depth d (an image stays at its leaf when its path is shorter). */
function heldOutCurve(tree: DecisionTree, images: readonly Rationale[]): number[] {
  const paths = images.map((r) => decisionPath(tree, r));
  const depth = Math.max(...paths.map((p) => p.length - 1));
  return Array.from({ length: depth + 1 }, (_, d) => mean(paths.map((p) => p[Math.min(d, p.length - 1)]?.relativeError as number)));
}

/** The same on training images: each image is predicted by its ancestor at depth d (or its leaf). */
function trainCurve(tree: DecisionTree, images: readonly Rationale[]): number[] {
  const chains: number[][] = images.map(() => []);
  const walk = (id: number): void => {
    const node = tree.nodes[id];
    assert.ok(node);
    for (const i of node.samples) chains[i]?.push(id);
    for (const c of node.children) walk(c);
  };
  walk(tree.root);
  const depth = Math.max(...chains.map((c) => c.length - 1));
  return Array.from({ length: depth + 1 }, (_, d) =>
    mean(
      chains.map((c, i) => {
        const node = tree.nodes[c[Math.min(d, c.length - 1)] as number];
        assert.ok(node);
        const r = images[i] as Rationale;
        return Math.abs(predictedScore(node, r) - r.score) / Math.abs(r.score);
      }),
    ),
  );
}

function assertShrinks(curve: readonly number[]): void {
  for (let d = 1; d < curve.length; d++) assert.ok((curve[d] as number) <= (curve[d - 1] as number) + 1e-12, `error rose at depth ${d}: ${curve.join(', ')}`);
  assert.ok((curve.at(-1) as number) < (curve[0] as number) / 10, `leaves not better than the root: ${curve.join(', ')}`);
}

describe('decision tree fidelity', () => {
  const train = sample(40, 11);
  const heldOut = sample(40, 12);
  const tree = buildTree(train);

  it('the n×n projection table gives the same tree as the O(n·C) residuals', () => {
    const plain = buildTree(train, { table: false });
    assert.deepEqual(
      tree.nodes.map((n) => [n.children, n.samples]),
      plain.nodes.map((n) => [n.children, n.samples]),
    );
    assert.deepEqual(tree.modes, plain.modes);
    for (const [i, n] of tree.nodes.entries()) assert.ok(Math.abs(n.bias - (plain.nodes[i]?.bias as number)) < 1e-9 * (1 + Math.abs(n.bias)));
  });

  it('each leaf predicts its own training image exactly', () => {
    for (const node of tree.nodes) {
      if (node.children.length > 0) continue;
      const r = train[node.samples[0] as number] as Rationale;
      assert.ok(Math.abs(predictedScore(node, r) - r.score) < 1e-9 * Math.abs(r.score));
    }
  });

  it('the relative error on training images under each node shrinks from the root to the leaves', () => {
    assertShrinks(trainCurve(tree, train));
  });

  it('the relative error on held-out images routed by the highest cosine shrinks from the root to the leaves', () => {
    assertShrinks(heldOutCurve(tree, heldOut));
  });
});

describe("decision tree fidelity by the paper's layers (root, modes, below the modes)", () => {
  const train = sample(40, 11);
  const heldOut = sample(40, 12).map((rationale) => ({ rationale }));
  const tree = buildTree(train);
  const modes = new Set(tree.modes ?? []);

  it('layer 1 is the root, layer 2 the mode on the path, the leaves the leaves', () => {
    assert.ok(modes.size > 1, `expected several modes, got ${modes.size}`);
    const [l1, l2, leaf] = layerFidelity(tree, heldOut, [1, 2, Number.POSITIVE_INFINITY]) ?? [];
    const [d0, dLeaf] = depthFidelity(tree, heldOut, [0, Number.POSITIVE_INFINITY]);
    assert.equal(l1?.relativeError, d0?.relativeError);
    assert.equal(l2?.relativeError, modesFidelity(tree, heldOut)?.relativeError);
    assert.equal(leaf?.relativeError, dLeaf?.relativeError);
  });

  it("layer k is k − 2 steps below the image's mode (its leaf when the path is shorter)", () => {
    for (const im of heldOut.slice(0, 8)) {
      const path = decisionPath(tree, im.rationale, 0);
      const at = path.findIndex((s) => modes.has(s.node));
      for (const k of [3, 4]) {
        const step = path[Math.min(at + k - 2, path.length - 1)];
        const want = Math.abs((step?.predicted as number) - im.rationale.score) / Math.abs(im.rationale.score);
        const got = layerFidelity(tree, [im], [k])?.[0]?.relativeError as number;
        assert.ok(Math.abs(got - want) < 1e-12, `layer ${k}: ${got} vs ${want}`);
      }
    }
  });

  it('on held-out images the error falls from the root to the modes and does not rise to the leaves', () => {
    const rows = layerFidelity(tree, heldOut, [1, 2, 3, Number.POSITIVE_INFINITY]) ?? [];
    const e = rows.map((r) => r.normalisedError);
    assert.ok((e[1] as number) < (e[0] as number) / 2, `modes not better than the root: ${e.join(', ')}`);
    for (let k = 2; k < e.length; k++) assert.ok((e[k] as number) <= (e[k - 1] as number) + 1e-9, `error rose at row ${k}: ${e.join(', ')}`);
  });

  it('is undefined for a tree without modes (an older file)', () => {
    assert.equal(layerFidelity({ ...tree, modes: undefined }, heldOut, [1]), undefined);
  });
});

describe("the paper's error: mean |ŷ − y| over the range of y", () => {
  it('divides the mean absolute error by max y − min y, beside Σ|ŷ − y| / Σ|y|', () => {
    // One leaf predicting ŷ = x̂ (mode 1, bias 0); scores 1, 3, 3 against predictions 1, 2, 4.
    const tree: DecisionTree = { nodes: [{ id: 0, children: [], samples: [0], mode: [1], bias: 0, size: 1 }], root: 0, filters: 1 };
    const im = (x: number, y: number) => ({ rationale: { features: Float64Array.of(x), gradient: Float64Array.of(1), score: y } });
    const [row] = depthFidelity(tree, [im(1, 1), im(2, 3), im(4, 3)], [0]);
    assert.ok(Math.abs((row?.rangeError as number) - 2 / 3 / 2) < 1e-12, `range error ${row?.rangeError}`);
    assert.ok(Math.abs((row?.relativeError as number) - 2 / 7) < 1e-12, `relative error ${row?.relativeError}`);
    assert.ok(Number.isNaN(depthFidelity(tree, [im(1, 3), im(2, 3)], [0])[0]?.rangeError), 'equal scores have no range');
  });
});
