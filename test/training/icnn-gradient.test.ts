/**
 * Which way the interpretable-CNN filter loss (Zhang, Wu & Zhu 2018,
 * https://arxiv.org/abs/1710.00935) pushes each image's map, on hand-made 3×3 maps: the paper's
 * exact −MI (batch normaliser Z_T) and the authors' approximate gradient (`--filter-loss approx`).
 * These directions explain the RESULTS.md finding: the exact loss only rewards differences between
 * the object images, never a peak they share.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { differentiate } from '../../src/compiler/differentiate.js';
import { resolveRuleSet } from '../../src/compiler/rulesets/index.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { probeGraph } from '../../src/engine/probe.js';
import { buildModel, graphFromBytes } from '../../src/onnx/builder.js';
import { constantsToInitializers } from '../../src/onnx/constants.js';
import { encodeModel } from '../../src/onnx/proto.js';
import { COMPILER_OPSET, upgradeOpset } from '../../src/onnx/upgrade.js';
import { APPROX_SHARPNESS } from '../../src/training/interpretable/approx-loss.js';
import { filterLoss } from '../../src/training/interpretable/filter-loss.js';
import { positiveTemplates, templateParams } from '../../src/training/interpretable/templates.js';
import { oneHotRows } from '../../src/training/loss.js';

type Form = 'exact' | 'approx';

/** The loss value and, per image, the descent direction −∂loss/∂x_b of one filter (category 0). */
async function descent(
  maps: number[][],
  labels: number[],
  form: Form,
  o: { tau?: number; weight?: number } = {},
): Promise<{ value: number; down: number[][] }> {
  const batch = maps.length;
  const shape = [batch, 1, 3, 3];
  const bytes = buildModel({
    opset: 17,
    inputs: [{ name: 'x', dims: shape }],
    outputs: ['loss'],
    build: (b) => {
      const oneHot = b.constFloat(oneHotRows(labels, 2), [batch, 2], 'onehot');
      const term = filterLoss({ tensor: 'x', categories: [0], form, ...o });
      b.op('Identity', [term.emit({ b, logits: 'x', batch, classes: 2, oneHot, shape: () => shape })], {}, { outputs: ['loss'] });
    },
  });
  const graph = graphFromBytes(bytes);
  constantsToInitializers(graph);
  upgradeOpset(graph, Math.max(graph.opset, COMPILER_OPSET));
  const d = differentiate(graph, await probeGraph(nodeRuntime, graph), { seeds: ['loss'], wrt: ['x'], read: ['loss'] }, resolveRuleSet(undefined));
  const s = await nodeRuntime.createSession(encodeModel(d.graph.toModel()));
  try {
    const seed = { data: new Float32Array([1]), shape: [] };
    const r = await s.run({ x: { data: new Float32Array(maps.flat()), shape }, [d.seedInputs.get('loss') as string]: seed });
    const g = r[d.gradientOutputs.get('x') as string]?.data as Float32Array;
    const down = maps.map((_, b) => [...g.subarray(b * 9, b * 9 + 9)].map((v) => -v));
    return { value: r[d.readOutputs.get('loss') as string]?.data[0] as number, down };
  } finally {
    await s.dispose();
  }
}

const argmax = (v: readonly number[]) => v.indexOf(Math.max(...v));
const A = [3, 1, 0, 1, 0, 0, 0, 0, 0]; // peak at cell 0
const C = [0, 0, 0, 0, 0, 1, 0, 1, 3]; // peak at cell 8
const E = [0, 1, 3, 0, 0, 1, 0, 0, 0]; // peak at cell 2
const Z = [0, 0, 0, 0, 0, 0, 0, 0, 0];
const N = [1, 1, 1, 1, 2, 1, 1, 1, 1];

describe('exact −MI: direction of the gradient', () => {
  it('object images with different peaks are each pushed towards their own peak; none images down', async () => {
    const { down } = await descent([A, C, E, Z], [0, 0, 0, 1], 'exact', { tau: 0.05 });
    assert.deepEqual(
      [0, 1, 2].map((b) => argmax(down[b] as number[])),
      [0, 8, 2],
    );
    assert.ok(
      (down[3] as number[]).every((v) => v < 0),
      `${down[3]}`,
    );
  });
  it('a peak shared by every object image gets no spatial push: the batch normaliser Z_T cancels it', async () => {
    for (const tau of [0.05, 1]) {
      const { down } = await descent([A, A, A, Z], [0, 0, 0, 1], 'exact', { tau });
      for (const b of [0, 1, 2]) {
        const d = down[b] as number[];
        const spread = Math.max(...d) - Math.min(...d);
        assert.ok(spread <= 1e-6 * Math.max(...d.map(Math.abs)), `τ ${tau} image ${b}: ${d}`);
        assert.ok((d[0] as number) > 0, 'the whole map is raised, uniformly');
      }
    }
  });
});

/** The port's weights g/mean(g) over a set of strengths. */
function weights(s: readonly number[]): number[] {
  const a = APPROX_SHARPNESS;
  const logZ = Math.log(s.reduce((t, v) => t + Math.exp(v / a), 0) / s.length);
  const g = s.map((v) => Math.exp(v / a) * (v - a * logZ + a));
  const mean = g.reduce((t, v) => t + v, 0) / g.length;
  return g.map((v) => v / mean);
}

describe('approx (the authors’ gradient)', () => {
  it('descent is (w/B)·g_b·M_b on object images (M_b the template at its own peak) and −(w/B)·g⁻_b on the others', async () => {
    const maps = [A, C, A.map((v) => 2 * v), Z, N];
    const labels = [0, 0, 0, 1, 1];
    const weight = 0.7;
    const { down } = await descent(maps, labels, 'approx', { weight });
    const table = positiveTemplates({ ...templateParams(3), tau: 1 });
    const mask = (x: readonly number[]) => [...table.subarray(argmax(x) * 9, argmax(x) * 9 + 9)];
    const strength = [A, C, A.map((v) => 2 * v)].map((x) => x.reduce((t, v, i) => t + v * (mask(x)[i] as number), 0) / 9);
    const gPos = weights(strength);
    const gNeg = weights([Z, N].map((x) => -x.reduce((t, v) => t + v, 0) / 9));
    const scale = weight / maps.length;
    for (const b of [0, 1, 2]) {
      const want = mask(maps[b] as number[]).map((m) => scale * (gPos[b] as number) * m);
      for (const [i, v] of (down[b] as number[]).entries()) assert.ok(Math.abs(v - (want[i] as number)) < 1e-5, `image ${b} cell ${i}: ${v} vs ${want[i]}`);
    }
    for (const b of [3, 4]) for (const v of down[b] as number[]) assert.ok(Math.abs(v + scale * (gNeg[b - 3] as number)) < 1e-5, `image ${b}: ${v}`);
    // a peak shared by every object image is still sharpened
    const same = await descent([A, A, Z], [0, 0, 1], 'approx');
    for (const b of [0, 1]) assert.equal(argmax(same.down[b] as number[]), 0);
  });
  it('reports the same value as the exact loss', async () => {
    const maps = [A, C, E, N];
    const exact = await descent(maps, [0, 0, 0, 1], 'exact');
    const approx = await descent(maps, [0, 0, 0, 1], 'approx');
    assert.ok(Math.abs(exact.value - approx.value) < 1e-6, `${exact.value} vs ${approx.value}`);
    assert.ok(exact.value < 0);
  });
});
