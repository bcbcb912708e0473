import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildTree } from '../../../src/disentangle/tree/build.js';
import { depthFidelity, type FidelityImage, modesFidelity, treeDepth } from '../../../src/disentangle/tree/fidelity.js';
import { computeRationales } from '../../../src/disentangle/tree/rationale.js';
import type { Rationale } from '../../../src/disentangle/tree/types.js';
import { Model } from '../../../src/engine/model.js';
import { nodeRuntime } from '../../../src/engine/node.js';
import { buildModel } from '../../../src/onnx/builder.js';
import { rng } from '../../helpers/gradcheck.js';

/**
 * A CNN with two decision modes, through the real gradient engine: filter 0 sums the red channel,
 * filter 1 the green one (ReLU → "features" → global average pool); two hidden ReLU units fire for
 * red-dominant (h₁ = 2a₀ − a₁ − 0.2) or green-dominant (h₂ = 2a₁ − a₀ − 0.2) images; class 0's
 * score is h₁ + 3h₂ + 1, so each kind of image lies in its own linear region with its own rationale.
 */
/** `head`: w1 (2×2), w2 (class 0's row), b1. */
function twoModeCnn(head: number[]): Uint8Array {
  const k = new Float32Array(2 * 3 * 9);
  for (let i = 0; i < 9; i++) {
    k[i] = 1 / 9; // filter 0 ← red
    k[27 + 9 + i] = 1 / 9; // filter 1 ← green
  }
  return buildModel({
    inputs: [{ name: 'input', dims: [1, 3, 6, 6] }],
    outputs: ['logits'],
    build: (b) => {
      const relu = b.op('Relu', [b.op('Conv', ['input', b.weight('k', k, [2, 3, 3, 3])], { pads: [1, 1, 1, 1] })], {}, { outputs: ['features'] });
      const pooled = b.op('Flatten', [b.op('GlobalAveragePool', [relu])], { axis: 1 });
      const hidden = b.op('Relu', [
        b.op('Gemm', [pooled, b.weight('w1', Float32Array.from(head.slice(0, 4)), [2, 2]), b.weight('b1', Float32Array.from(head.slice(6, 8)), [2])], {
          transB: 1,
        }),
      ]);
      b.op(
        'Gemm',
        [hidden, b.weight('w2', Float32Array.from([...head.slice(4, 6), 0, 0]), [2, 2]), b.weight('b2', Float32Array.of(1, 0), [2])],
        { transB: 1 },
        { outputs: ['logits'] },
      );
    },
  });
}

/** Red-dominant (even i) and green-dominant (odd i) 6×6 images with random intensities. */
function images(n: number, seed: number): Float32Array[] {
  const random = rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const x = new Float32Array(3 * 36);
    const [hi, lo] = [0.6 + 0.4 * random(), 0.2 * random()];
    for (let p = 0; p < 36; p++) {
      x[p] = (i % 2 === 0 ? hi : lo) * (0.8 + 0.4 * random());
      x[36 + p] = (i % 2 === 0 ? lo : hi) * (0.8 + 0.4 * random());
      x[72 + p] = random();
    }
    return x;
  });
}

async function rationalesOf(model: Model, xs: readonly Float32Array[], target: number): Promise<Rationale[]> {
  const source = { count: xs.length, fill: (row: number, buf: Float32Array) => buf.set(xs[row] as Float32Array) };
  return computeRationales(model, [3, 6, 6], source, { layer: 'features', target, batchSize: 16 });
}

async function curve(head: number[]): Promise<ReturnType<typeof depthFidelity> & { modes?: number }> {
  await using model = await Model.load(twoModeCnn(head), { runtime: nodeRuntime });
  const tree = buildTree(await rationalesOf(model, images(24, 1), 0));
  const heldOut = images(24, 2);
  const [mine, other] = await Promise.all([rationalesOf(model, heldOut, 0), rationalesOf(model, heldOut, 1)]);
  const probe: FidelityImage[] = mine.map((rationale, i) => ({ rationale, otherMax: (other[i] as Rationale).score, positive: true }));
  assert.ok(treeDepth(tree) >= 2);
  return Object.assign(depthFidelity(tree, probe, [0, 1, Number.POSITIVE_INFINITY]), { modes: modesFidelity(tree, probe)?.normalisedError });
}

describe('decision tree fidelity by depth, through the gradient engine', () => {
  it('with two decision modes in the head, held-out error falls from the root to depth 1 and the leaves', async () => {
    const [root, one, leaves] = (await curve([2, -1, -1, 2, 1, 3, -0.2, -0.2])) as [
      ReturnType<typeof depthFidelity>[number],
      ...ReturnType<typeof depthFidelity>,
    ];
    // One linear region per mode: the first split separates them, and below it every node is exact.
    assert.ok(root.normalisedError > 0.15, `root: ${root.normalisedError}`);
    assert.ok((one?.normalisedError as number) < 0.05 * root.normalisedError, `depth 1: ${one?.normalisedError} vs root ${root.normalisedError}`);
    assert.ok((leaves?.normalisedError as number) < 0.05 * root.normalisedError, `leaves: ${leaves?.normalisedError}`);
    assert.equal(leaves?.agreement, 1);
  });

  it('the paper’s stopping point (the decision modes) is as exact as depth 1 there', async () => {
    const c = await curve([2, -1, -1, 2, 1, 3, -0.2, -0.2]);
    assert.ok((c.modes as number) < 0.05 * (c[0]?.normalisedError as number), `modes: ${c.modes}`);
  });

  it('with one linear region (no modes to find), depth buys nothing: the root is already exact', async () => {
    // Both hidden units fire for every image (h = 2a + 0.5 > 0): one linear region.
    const [root, one] = await curve([2, 0, 0, 2, 1, 3, 0.5, 0.5]);
    assert.ok((root?.normalisedError as number) < 1e-3, `root: ${root?.normalisedError}`);
    assert.ok((one?.normalisedError as number) < 1e-3);
  });
});
