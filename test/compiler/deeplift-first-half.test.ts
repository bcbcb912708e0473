import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { deepLift } from '../../src/attribution/gradient/deeplift.js';
import { deepliftRules } from '../../src/compiler/rulesets/deeplift.js';
import { Model } from '../../src/engine/model.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { diskCompileStore, withCompileCache } from '../../src/engine/node-cache.js';
import { isLucernaError } from '../../src/errors.js';
import { float } from '../../src/onnx/attributes.js';
import { buildModel, type GraphBuilder } from '../../src/onnx/builder.js';
import { sizeOf, type Tensor } from '../../src/tensor/tensor.js';
import { assertClose } from '../helpers/compare.js';
import { rng, uniform } from '../helpers/gradcheck.js';
import { caseInput, oracle, oracleModelBytes } from '../helpers/oracle.js';

/**
 * The backward over the input rows only (`rows: 'first-half'`) against the formulation it replaces
 * (a backward over all 2B rows, the reference rows seeded with zeros): the same multipliers.
 */
async function compareLayouts(m: Model, x: Tensor, r: Tensor, seed: string, target: (row: number) => number, label: string): Promise<void> {
  const rows = x.shape[0] as number;
  const per = sizeOf(x.shape.slice(1));
  const batch: Tensor = { data: new Float32Array(2 * rows * per), shape: [2 * rows, ...x.shape.slice(1)] };
  batch.data.set(x.data);
  batch.data.set(r.data, rows * per);
  const full = await m.compile({ seeds: [seed], rules: deepliftRules }, batch.shape);
  const half = await m.compile({ seeds: [seed], rules: deepliftRules, rows: 'first-half' }, batch.shape);
  const classes = full.shapeOf(seed)[1] as number;
  assert.deepEqual(half.shapeOf(seed), [rows, classes], `${label}: the seed has the input rows only`);
  const oneHot = (n: number): Tensor => {
    const data = new Float32Array(n * classes);
    for (let i = 0; i < rows; i++) data[i * classes + target(i)] = 1;
    return { data, shape: [n, classes] };
  };
  const g = (await full.run({ input: batch, seeds: { [seed]: oneHot(2 * rows) } })).gradients[m.input.name] as Tensor;
  const h = (await half.run({ input: batch, seeds: { [seed]: oneHot(rows) } })).gradients[m.input.name] as Tensor;
  assert.deepEqual(h.shape, x.shape, `${label}: the gradient has the input rows only`);
  assertClose(h, { data: g.data.subarray(0, rows * per), shape: x.shape }, 1e-5, label);
}

const conv = (b: GraphBuilder, x: string, random: () => number, cin: number, cout: number) =>
  b.op('Conv', [x, b.weight(b.unique('k'), uniform(cout * cin * 9, random), [cout, cin, 3, 3]), b.weight(b.unique('kb'), uniform(cout, random), [cout])], {
    pads: [1, 1, 1, 1],
  });
const head = (b: GraphBuilder, x: string, random: () => number, k: number, classes = 4) =>
  b.op('Gemm', [b.op('Flatten', [x]), b.weight('w', uniform(classes * k, random), [classes, k])], { transB: 1 }, { outputs: ['y'] });

/** Small models that between them use every DeepLift rule and a plain rule that reads forward values (Sqrt). */
const MODELS: readonly { name: string; dims: number[]; build: (b: GraphBuilder, random: () => number) => void }[] = [
  {
    name: 'Relu, MaxPool 3×3/2 (arg-max from a twin pool), LeakyRelu, Clip, GlobalMaxPool',
    dims: [1, 2, 9, 9],
    build: (b, random) => {
      const a = b.op('MaxPool', [b.op('Relu', [conv(b, 'x', random, 2, 3)])], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] });
      const c = b.op('Clip', [b.op('LeakyRelu', [conv(b, a, random, 3, 4)], { alpha: float(0.1) }), b.scalar(0), b.scalar(1)]);
      head(b, b.op('GlobalMaxPool', [c]), random, 4);
    },
  },
  {
    name: 'MaxPool with its Indices output in the forward graph, Elu, PRelu, HardSigmoid',
    dims: [1, 2, 6, 6],
    build: (b, random) => {
      const [pool, indices] = b.ops('MaxPool', [conv(b, 'x', random, 2, 2)], { kernel_shape: [2, 2], strides: [2, 2] }, { outputs: 2 });
      b.graph.outputs.push({ name: indices as string, elemType: 7, dims: [1, 2, 3, 3] });
      const e = b.op('Elu', [pool as string], { alpha: float(0.7) });
      const p = b.op('PRelu', [conv(b, e, random, 2, 3), b.weight('slope', uniform(3, random, 0, 0.5), [3, 1, 1])]);
      head(b, b.op('HardSigmoid', [p]), random, 27);
    },
  },
  {
    name: 'SiLU and a squeeze-excitation gate (Mul of activations), HardSwish, Tanh, Sqrt',
    dims: [1, 3, 5, 5],
    build: (b, random) => {
      const c = conv(b, 'x', random, 3, 4);
      const silu = b.op('Mul', [c, b.op('Sigmoid', [c])]);
      const gate = b.op('Sigmoid', [b.op('Conv', [b.op('GlobalAveragePool', [silu]), b.weight('se', uniform(16, random), [4, 4, 1, 1])])]);
      const t = b.op('Tanh', [b.op('HardSwish', [b.op('Mul', [silu, gate])])]);
      const g = b.op('GlobalAveragePool', [t]);
      head(b, b.op('Sqrt', [b.op('Add', [b.op('Mul', [g, g]), b.scalar(1)])]), random, 4);
    },
  },
  {
    name: 'Softmax over logits',
    dims: [1, 6],
    build: (b, random) => b.op('Softmax', [b.op('Gemm', ['x', b.weight('w', uniform(30, random, -3, 3), [5, 6])], { transB: 1 })], {}, { outputs: ['y'] }),
  },
  {
    name: 'LogSoftmax over logits',
    dims: [1, 6],
    build: (b, random) => b.op('LogSoftmax', [b.op('Gemm', ['x', b.weight('w', uniform(30, random, -3, 3), [5, 6])], { transB: 1 })], {}, { outputs: ['y'] }),
  },
];

describe('DeepLift backward over the input rows only: equal to the backward over all rows it replaces', () => {
  for (const spec of MODELS) {
    it(spec.name, async () => {
      const random = rng(5);
      await using m = await Model.load(buildModel({ inputs: [{ name: 'x', dims: spec.dims }], outputs: ['y'], build: (b) => spec.build(b, random) }), {
        runtime: nodeRuntime,
        threads: 1,
      });
      for (const rows of [1, 3]) {
        const shape = [rows, ...spec.dims.slice(1)];
        const x: Tensor = { data: uniform(sizeOf(shape), random, -2, 2), shape };
        const r: Tensor = { data: uniform(sizeOf(shape), random, -1, 1), shape };
        await compareLayouts(m, x, r, 'y', (i) => (i * 3 + 1) % 4, `${rows} row(s)`);
      }
    });
  }

  for (const model of ['tiny_cnn', 'small_resnet', 'small_mobilenet']) {
    it(`${model} (Captum oracle net), logits and softmax(logits) seeds`, async () => {
      const cases = oracle().cases.filter((c) => c.model === model);
      await using m = await Model.load(oracleModelBytes(cases[0] as { onnx: string }), { runtime: nodeRuntime, threads: 1 });
      const inputs = cases.map(caseInput);
      const per = sizeOf(inputs[0]?.shape.slice(1) ?? []);
      const x: Tensor = { data: new Float32Array(inputs.length * per), shape: [inputs.length, ...(inputs[0]?.shape.slice(1) ?? [])] };
      for (const [i, t] of inputs.entries()) x.data.set(t.data, i * per);
      const r: Tensor = { data: uniform(x.data.length, rng(3), 0, 0.5), shape: x.shape };
      for (const seed of ['logits', 'softmax(logits)']) await compareLayouts(m, x, r, seed, (i) => cases[i]?.target ?? 0, seed);
    });
  }
});

describe('DeepLift first-half plans in the compile cache', () => {
  it('have their own entry (not the all-rows plan of the same shape); a hit keeps the input-row seed and gradient', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lucerna-deeplift-cache-'));
    try {
      const c = oracle().cases.find((k) => k.model === 'tiny_cnn');
      const bytes = oracleModelBytes(c as { onnx: string });
      const x = caseInput(c as Parameters<typeof caseInput>[0]);
      const two: Tensor = { data: new Float32Array(2 * x.data.length), shape: [2, ...x.shape.slice(1)] };
      two.data.set(x.data);
      const run = async (rows: 'all' | 'first-half') => {
        await using m = await Model.load(bytes, { runtime: withCompileCache(nodeRuntime, diskCompileStore({ dir, tag: 'test' })), threads: 1 });
        const compiled = await m.compile({ seeds: ['logits'], rules: 'deeplift', rows }, two.shape);
        const seed: Tensor = { data: new Float32Array(sizeOf(compiled.shapeOf('logits'))), shape: [...compiled.shapeOf('logits')] };
        seed.data[3] = 1;
        return (await compiled.run({ input: two, seeds: { logits: seed } })).gradients[m.input.name] as Tensor;
      };
      const cold = await run('first-half');
      const all = await run('all');
      const warm = await run('first-half');
      assert.equal((await readdir(dir)).filter((f) => f.endsWith('.lcc')).length, 2, 'two entries');
      assert.deepEqual(warm.shape, x.shape);
      assertClose(warm, cold, 1e-6, 'hit');
      assertClose(warm, { data: all.data.subarray(0, x.data.length), shape: x.shape }, 1e-5, 'all rows');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('DeepLift ReLU and Clip multipliers where a hidden unit has Δ = 0 exactly', () => {
  // h = x₁ + x₂ equals its reference's (x and r swap values), so Δh = 0: m must be the derivative at h.
  for (const [name, act, h, m] of [
    ['Relu, h = 3 > 0', (b: GraphBuilder, t: string) => b.op('Relu', [t]), 3, 1],
    ['Relu, h = −3 < 0', (b: GraphBuilder, t: string) => b.op('Relu', [t]), -3, 0],
    ['Clip(0, 6), h = 3', (b: GraphBuilder, t: string) => b.op('Clip', [t, b.scalar(0), b.scalar(6)]), 3, 1],
    ['Clip(0, 6), h = 7', (b: GraphBuilder, t: string) => b.op('Clip', [t, b.scalar(0), b.scalar(6)]), 7, 0],
    ['Clip(−∞, 2), h = 1', (b: GraphBuilder, t: string) => b.op('Clip', [t, '', b.scalar(2)]), 1, 1],
  ] as const) {
    it(`${name}: multiplier ${m}`, async () => {
      const bytes = buildModel({
        inputs: [{ name: 'x', dims: [1, 2] }],
        outputs: ['y'],
        build: (b) => b.op('Mul', [act(b, b.op('ReduceSum', ['x', b.constInt64([1])], { keepdims: 1 })), b.scalar(2)], {}, { outputs: ['y'] }),
      });
      await using model = await Model.load(bytes, { runtime: nodeRuntime, threads: 1 });
      const x: Tensor = { data: Float32Array.of(h - 1, 1), shape: [1, 2] };
      const r: Tensor = { data: Float32Array.of(1, h - 1), shape: [1, 2] };
      const { attribution } = await deepLift.attribute(model, x, { target: 0, baseline: r });
      assert.deepEqual(Array.from(attribution.data), [2 * m * (h - 2), 2 * m * (2 - h)]);
    });
  }
});

describe('DeepLift method: one run per batch, whatever the target', () => {
  it('the predicted class is seeded inside the run: the same map, targets and scores as explicit targets', async () => {
    const cases = oracle().cases.filter((c) => c.model === 'small_resnet');
    await using m = await Model.load(oracleModelBytes(cases[0] as { onnx: string }), { runtime: nodeRuntime, threads: 1 });
    const inputs = cases.map(caseInput);
    const per = sizeOf(inputs[0]?.shape.slice(1) ?? []);
    const x: Tensor = { data: new Float32Array(2 * per), shape: [2, ...(inputs[0]?.shape.slice(1) ?? [])] };
    for (const [i, t] of inputs.entries()) x.data.set(t.data, i * per);
    const logits = (await m.run(x)).logits as Tensor;
    const k = logits.shape[1] as number;
    const predicted = [0, 1].map((i) => {
      const row = Array.from(logits.data.subarray(i * k, (i + 1) * k));
      return row.indexOf(Math.max(...row));
    });
    for (const score of ['logit', 'probability'] as const) {
      const viaGraph = await deepLift.attribute(m, x, { score, baseline: 'blur', batchSize: 2 });
      const direct = await deepLift.attribute(m, x, { target: predicted, score, baseline: 'blur', batchSize: 2 });
      assert.deepEqual(viaGraph.targets, predicted, score);
      assertClose(viaGraph.attribution, direct.attribution, 1e-6, score);
      assert.deepEqual(viaGraph.scores, direct.scores, score);
      assert.deepEqual(viaGraph.delta, direct.delta, score);
    }
  });

  it('a graph whose rows the first-half view cannot split is refused by that view, and the method falls back to all rows', async () => {
    // A linear map written with the batch moved off axis 0 (Transpose, MatMul, Transpose back), then Tanh.
    const bytes = buildModel({
      inputs: [{ name: 'x', dims: [1, 3] }],
      outputs: ['y'],
      build: (b) => {
        const w = b.weight('w', Float32Array.of(1, -1, 0.5, 0.2, 2, -0.3, 0.7, 0.1, 1), [3, 3]);
        const t = b.op('MatMul', [w, b.op('Transpose', ['x'], { perm: [1, 0] })]);
        b.op('Tanh', [b.op('Transpose', [t], { perm: [1, 0] })], {}, { outputs: ['y'] });
      },
    });
    await using m = await Model.load(bytes, { runtime: nodeRuntime, threads: 1 });
    await assert.rejects(
      m.compile({ seeds: ['y'], rules: deepliftRules, rows: 'first-half' }, [2, 3]),
      (e) => isLucernaError(e, 'BAD_PLAN') && /cannot run on the input rows alone/.test(e.message),
    );
    const x: Tensor = { data: Float32Array.of(1, -2, 0.5), shape: [1, 3] };
    const r: Tensor = { data: Float32Array.of(0.2, 0.3, -0.5), shape: [1, 3] };
    const { attribution, delta } = await deepLift.attribute(m, x, { target: 1, baseline: r });
    const f = (v: Float32Array) => Math.tanh(0.2 * (v[0] as number) + 2 * (v[1] as number) - 0.3 * (v[2] as number));
    const sum = attribution.data.reduce((a, v) => a + v, 0);
    assert.ok(Math.abs(sum - (f(x.data) - f(r.data))) < 1e-6, `Σ ${sum} vs ${f(x.data) - f(r.data)}`);
    assert.ok(Math.abs(delta?.[0] as number) < 1e-6);
  });
});
