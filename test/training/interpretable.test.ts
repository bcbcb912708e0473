/**
 * Interpretable CNNs: template values, the mask on hand-made maps, the filter loss against a
 * reference written straight from the paper's definition, its compiled gradient against finite
 * differences, and the loss falling on a toy model.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nodeRuntime } from '../../src/engine/node.js';
import { LucernaError } from '../../src/errors.js';
import { createModel } from '../../src/models/architectures.js';
import { buildModel, type GraphBuilder, graphFromBytes } from '../../src/onnx/builder.js';
import { encodeModel } from '../../src/onnx/proto.js';
import { seededRandom } from '../../src/tensor/random.js';
import { assignFilters, filterLoss } from '../../src/training/interpretable/filter-loss.js';
import { checkMaskable, insertMask, maskedTensorName } from '../../src/training/interpretable/mask.js';
import { positiveTemplates, templateColumns, templateLogPriors, templateParams } from '../../src/training/interpretable/templates.js';
import { oneHotRows } from '../../src/training/loss.js';
import { adam } from '../../src/training/optimizers/index.js';
import { Trainer } from '../../src/training/trainer.js';
import { gradCheck, uniform } from '../helpers/gradcheck.js';
import { toyFilterNet } from '../helpers/toy-filter-net.js';

const close = (a: number, b: number, tol = 1e-6) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

/** −MI(X;T) straight from the definition, one filter, with the category gating. */
function referenceLoss(maps: number[][], inCategory: boolean[], n: number): number {
  const p = templateParams(n);
  const pos = positiveTemplates(p);
  const cells = n * n;
  const templates = [...Array(cells).keys()].map((mu) => [...pos.slice(mu * cells, (mu + 1) * cells)]);
  templates.push(Array(cells).fill(-p.tau));
  const prior = [...Array(cells).fill(p.alpha / cells), 1 - p.alpha];
  const like = templates.map((t, ti) => {
    const e = maps.map((x, b) => (ti < cells && !inCategory[b] ? 0 : Math.exp(x.reduce((s, v, i) => s + v * (t[i] as number), 0))));
    const z = e.reduce((s, v) => s + v, 0);
    return e.map((v) => v / z);
  });
  const px = maps.map((_, b) => like.reduce((s, l, t) => s + (prior[t] as number) * (l[b] as number), 0));
  let mi = 0;
  like.forEach((l, t) => {
    l.forEach((v, b) => {
      if (v > 0) mi += (prior[t] as number) * v * Math.log(v / (px[b] as number));
    });
  });
  return -mi;
}

function emitTerm(b: GraphBuilder, labels: number[], classes: number, categories: number[], n: number, weight = 1): string {
  const oneHot = b.weight('onehot', oneHotRows(labels, classes), [labels.length, classes]);
  const term = filterLoss({ tensor: 'x', categories, weight });
  return term.emit({ b, logits: 'x', batch: labels.length, classes, oneHot, shape: () => [labels.length, categories.length, n, n] });
}

async function lossOf(maps: Float32Array, shape: number[], labels: number[], classes: number, categories: number[]): Promise<number> {
  const bytes = buildModel({
    inputs: [{ name: 'x', dims: shape }],
    outputs: ['loss'],
    build: (b) => b.op('Identity', [emitTerm(b, labels, classes, categories, shape[2] as number)], {}, { outputs: ['loss'] }),
  });
  const s = await nodeRuntime.createSession(bytes);
  try {
    return (await s.run({ x: { data: maps, shape } })).loss?.data[0] as number;
  } finally {
    await s.dispose();
  }
}

describe('templates', () => {
  it('defaults τ = 0.5/n², β = 4, α = n²/(1+n²) and T_μ = τ·max(1 − β‖·‖₁/n, −1)', () => {
    const p = templateParams(3);
    close(p.tau, 0.5 / 9);
    assert.equal(p.beta, 4);
    close(p.alpha, 0.9);
    const t = positiveTemplates(p);
    // T_(0,0): distance 0 → τ, distance 1 → τ(1 − 4/3) = −τ/3, distance ≥ 2 → −τ (clamped)
    close(t[0] as number, p.tau);
    close(t[1] as number, -p.tau / 3);
    close(t[3] as number, -p.tau / 3);
    close(t[2] as number, -p.tau);
    close(t[4] as number, -p.tau);
    // T_(1,1) (row 4): centre τ, its four neighbours −τ/3, corners −τ
    close(t[4 * 9 + 4] as number, p.tau);
    close(t[4 * 9 + 1] as number, -p.tau / 3);
    close(t[4 * 9 + 0] as number, -p.tau);
    const cols = templateColumns(p);
    close(cols[9] as number, -p.tau);
    close(cols[9 + 10] as number, -p.tau);
    const lp = templateLogPriors(p);
    close(lp[0] as number, Math.log(0.1));
    close(lp[9] as number, Math.log(0.1));
  });
  it('options override the defaults', () => {
    assert.deepEqual(templateParams(4, { tau: 1, beta: 2, alpha: 0.5 }), { n: 4, tau: 1, beta: 2, alpha: 0.5 });
    const t = positiveTemplates(templateParams(4, { tau: 1, beta: 2 }));
    close(t[1] as number, 0.5); // 1 − 2·1/4
  });
});

function convModel(n: number, relu = true): ReturnType<typeof graphFromBytes> {
  return graphFromBytes(
    buildModel({
      inputs: [{ name: 'in', dims: [1, 1, n, n] }],
      outputs: ['out'],
      build: (b) => {
        const c = b.op('Conv', ['in', b.weight('w', [1], [1, 1, 1, 1])], {}, { outputs: ['c'] });
        const r = relu ? b.op('Relu', [c], {}, { outputs: ['r'] }) : c;
        b.op('Identity', [r], {}, { outputs: ['out'] });
      },
    }),
  );
}

describe('mask layer', () => {
  it('x_masked = max(x ∘ T_μ̂/τ, 0) with μ̂ the arg-max cell (first on ties), with centre argmax', async () => {
    const g = convModel(3);
    assert.equal(insertMask(g, 'r', [1, 1, 3, 3], { centre: 'argmax' }), maskedTensorName('r'));
    const s = await nodeRuntime.createSession(encodeModel(g.toModel()));
    try {
      // peak at (0, 2); a tie at (2, 0) comes later in row-major order
      const x = new Float32Array([1, 2, 5, 0, 3, 1, 5, 0, 4]);
      const y = (await s.run({ in: { data: x, shape: [1, 1, 3, 3] } })).out?.data as Float32Array;
      // T_(0,2)/τ = [−1, −1/3, 1; −1, −1, −1/3; −1, −1, −1] → only the peak stays, at weight 1
      const want = [0, 0, 5, 0, 0, 0, 0, 0, 0];
      for (const [i, v] of want.entries()) close(y[i] as number, v);
    } finally {
      await s.dispose();
    }
  });
  it('a wider template (β = 1) keeps the neighbourhood', async () => {
    const g = convModel(3);
    insertMask(g, 'r', [1, 1, 3, 3], { tau: 0.25, beta: 1, centre: 'argmax' });
    const s = await nodeRuntime.createSession(encodeModel(g.toModel()));
    try {
      const x = new Float32Array([1, 1, 1, 1, 9, 1, 1, 1, 1]);
      const y = (await s.run({ in: { data: x, shape: [1, 1, 3, 3] } })).out?.data as Float32Array;
      // T_(1,1)/τ with β = 1, n = 3 (τ does not scale the mask): centre 1, edges 2/3, corners 1/3
      const want = [1 / 3, 2 / 3, 1 / 3, 2 / 3, 9, 2 / 3, 1 / 3, 2 / 3, 1 / 3];
      for (const [i, v] of want.entries()) close(y[i] as number, v);
    } finally {
      await s.dispose();
    }
  });
  it('rejects a tensor that is not a conv output, and maps smaller than 3×3', () => {
    const g = convModel(3);
    assert.throws(
      () => insertMask(g, 'in', [1, 1, 3, 3]),
      (e: unknown) => e instanceof LucernaError && /not a conv layer's output/.test(e.message),
    );
    const small = convModel(2);
    assert.throws(
      () => insertMask(small, 'r', [1, 1, 2, 2]),
      (e: unknown) => e instanceof LucernaError && /at least 3×3/.test(e.message),
    );
    assert.throws(
      () => insertMask(g, 'nope', [1, 1, 3, 3]),
      (e: unknown) => e instanceof LucernaError && e.code === 'UNKNOWN_TENSOR',
    );
  });
  it("accepts the ReLU after a ResNet block's residual Add (ResNet-18's top conv layer), not the Add of non-conv tensors", () => {
    const g = graphFromBytes(createModel('resnet18', { classes: 2, input: [3, 96, 96], seed: 0 }));
    const top = g.nodes.filter((n) => n.opType === 'Relu' && g.producer(n.input?.[0] ?? '')?.opType === 'Add').at(-1);
    const tensor = top?.output?.[0] as string;
    assert.ok(tensor, 'resnet18 ends its blocks with Add → Relu');
    assert.doesNotThrow(() => checkMaskable(g, tensor, [1, 512, 3, 3]));
    const masked = insertMask(g, tensor, [1, 512, 3, 3]);
    assert.ok(g.consumers(tensor).some((n) => n.opType === 'Mul') && g.consumers(masked).length > 0);
    const plain = buildModel({
      inputs: [
        { name: 'a', dims: [1, 1, 3, 3] },
        { name: 'b', dims: [1, 1, 3, 3] },
      ],
      outputs: ['r'],
      build: (b) => {
        b.op('Relu', [b.op('Add', ['a', 'b'])], {}, { outputs: ['r'] });
      },
    });
    assert.throws(
      () => checkMaskable(graphFromBytes(plain), 'r', [1, 1, 3, 3]),
      (e: unknown) => e instanceof LucernaError && /not a conv layer's output/.test(e.message),
    );
  });
});

describe('filter loss −MI(X;T)', () => {
  it('is 0 on all-zero maps (every p(x|T) uniform, so p(x|T) = p(x))', async () => {
    close(await lossOf(new Float32Array(2 * 9), [2, 1, 3, 3], [0, 0], 1, [0]), 0);
  });
  it('matches the definition on a 3×3 case with one image outside the category', async () => {
    const maps = [
      [4, 1, 0, 0, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 3, 0, 0, 0, 1],
      [2, 2, 2, 2, 2, 2, 2, 2, 2],
    ];
    const want = referenceLoss(maps, [true, true, false], 3);
    const got = await lossOf(new Float32Array(maps.flat()), [3, 1, 3, 3], [1, 1, 0], 2, [1]);
    close(got, want, 1e-6);
    assert.ok(want < 0);
  });
  it('sums over filters, each with its own category', async () => {
    const random = seededRandom(3);
    const data = uniform(4 * 2 * 16, random, 0, 20);
    const per = (f: number) => [0, 1, 2, 3].map((b) => [...data.slice((b * 2 + f) * 16, (b * 2 + f + 1) * 16)]);
    const labels = [0, 1, 1, 0];
    const want =
      referenceLoss(
        per(0),
        labels.map((l) => l === 0),
        4,
      ) +
      referenceLoss(
        per(1),
        labels.map((l) => l === 1),
        4,
      );
    close(await lossOf(data, [4, 2, 4, 4], labels, 2, [0, 1]), want, 1e-5);
  });
  it('compiled gradient agrees with finite differences', async () => {
    await gradCheck({
      inputs: [{ name: 'x', shape: [3, 2, 3, 3], values: uniform(54, seededRandom(5), 0, 30) }],
      output: 'loss',
      build: (b) => b.op('Identity', [emitTerm(b, [0, 1, 1], 2, [1, 0], 3, 2)], {}, { outputs: ['loss'] }),
      eps: 5e-2,
      atol: 1e-4,
      rtol: 2e-2,
    });
  });
  it('assignFilters picks the class a filter fires for most', () => {
    assert.deepEqual(assignFilters([1, 5, 3, 2], 2, 2), [1, 0]);
  });
  it('assignFilters never gives a filter to an excluded class (none)', () => {
    // 3 classes × 2 filters: filter 0 fires most on class 2 (none), then class 1; filter 1 on class 0
    const means = [1, 9, 4, 2, 7, 3];
    assert.deepEqual(assignFilters(means, 3, 2), [2, 0]);
    assert.deepEqual(assignFilters(means, 3, 2, [2]), [1, 0]);
    assert.throws(() => assignFilters(means, 3, 2, [0, 1, 2]), /excluded/);
  });
});

describe('training with the filter loss', () => {
  it('the filter loss falls on a toy model', async () => {
    const random = seededRandom(11);
    const graph = toyFilterNet(random);
    insertMask(graph, 'r', [8, 4, 6, 6]);
    const x = uniform(8 * 36, random, 0, 1);
    const labels = [0, 1, 0, 1, 0, 1, 0, 1];
    await using trainer = await Trainer.create(graph, [1, 6, 6], {
      runtime: nodeRuntime,
      optimizer: adam,
      freeze: ['fc*'],
      loss: [filterLoss({ tensor: 'r', categories: [0, 1, 0, 1] })],
    });
    const losses: number[] = [];
    for (let i = 0; i < 20; i++) losses.push((await trainer.step({ data: x, shape: [8, 1, 6, 6] }, labels, 0.2)).loss);
    for (let i = 1; i < losses.length; i++) assert.ok((losses[i] as number) < (losses[i - 1] as number), `step ${i}: ${losses[i - 1]} → ${losses[i]}`);
    assert.ok((losses.at(-1) as number) < (losses[0] as number) - 0.03, `filter loss ${losses[0]} → ${losses.at(-1)}`);
  });
});
