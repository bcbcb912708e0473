import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveBaseline } from '../../src/attribution/baselines.js';
import { deepLift } from '../../src/attribution/gradient/deeplift.js';
import { inputXGradient } from '../../src/attribution/gradient/input-x-gradient.js';
import { saliency } from '../../src/attribution/gradient/saliency.js';
import { deepliftRules } from '../../src/compiler/rulesets/deeplift.js';
import { standardRules } from '../../src/compiler/rulesets/standard.js';
import { extendRuleSet } from '../../src/compiler/vjp.js';
import { Model } from '../../src/engine/model.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { isLucernaError } from '../../src/errors.js';
import { float } from '../../src/onnx/attributes.js';
import { buildModel, type GraphBuilder } from '../../src/onnx/builder.js';
import { concatBatch, sizeOf, sliceBatch, type Tensor, zeros } from '../../src/tensor/tensor.js';
import { assertClose } from '../helpers/compare.js';
import { rng, uniform } from '../helpers/gradcheck.js';
import { caseInput, type OracleCase, oracle, oracleModelBytes, reference } from '../helpers/oracle.js';

const loadCase = (c: { onnx: string }) => Model.load(oracleModelBytes(c), { runtime: nodeRuntime });

function total(t: Tensor, sample = 0): number {
  const per = sizeOf(t.shape.slice(1));
  let s = 0;
  for (let i = sample * per; i < (sample + 1) * per; i++) s += t.data[i] as number;
  return s;
}

function assertComplete(sum: number, expected: number, rel: number, label: string): void {
  assert.ok(Math.abs(sum - expected) <= rel * Math.abs(expected), `${label}: Σ attribution ${sum} vs f(x) − f(r) ${expected}`);
}

const isCaptumBehaviourOnly = (c: OracleCase) =>
  (c.attributions.find((a) => a.name === 'deeplift')?.reference_quality ?? '').startsWith('captum_behaviour_only');

/** Captum 0.8's DeepLift as it behaves on these models: ReLU6 (Clip) untouched, MaxPool after a ReLU plain. */
const captumLike = extendRuleSet(deepliftRules, 'deeplift-captum-like', { Clip: standardRules.rules.Clip!, MaxPool: standardRules.rules.MaxPool! });

describe('DeepLift on the Captum oracle', () => {
  for (const c of oracle().cases) {
    it(`${c.id}: completeness Σ attribution = f(x) − f(0) within 1e-4 relative`, async () => {
      await using m = await loadCase(c);
      const r = await deepLift.attribute(m, caseInput(c), { target: c.target });
      const expected = c.f_input_target - c.f_baseline_zeros_target;
      assertComplete(total(r.attribution), expected, 1e-4, c.id);
      assert.ok(Math.abs(r.delta?.[0] as number) <= 1e-4 * Math.abs(expected), `delta ${r.delta}`);
      assert.deepEqual(r.targets, [c.target]);
    });

    if (!isCaptumBehaviourOnly(c)) {
      it(`${c.id}: matches Captum's DeepLift to 1e-4 of its max`, async () => {
        await using m = await loadCase(c);
        const r = await deepLift.attribute(m, caseInput(c), { target: c.target });
        assertClose(r.attribution, reference(c, 'deeplift'), 1e-4, c.id);
      });
    } else {
      it(`${c.id}: Captum's reference is reproduced once Clip and MaxPool keep plain gradients, as in Captum`, async () => {
        await using m = await loadCase(c);
        const x = caseInput(c);
        const rows = { data: concatBatch([x, zeros(x.shape)]).data, shape: [2, ...x.shape.slice(1)] };
        const compiled = await m.compile({ seeds: ['logits'], rules: captumLike }, rows.shape);
        const seed = zeros([2, c.logits.length]);
        seed.data[c.target] = 1;
        const g = (await compiled.run({ input: rows, seeds: { logits: seed } })).gradients.input as Tensor;
        const captum = { data: g.data.slice(0, x.data.length).map((v, i) => v * (x.data[i] as number)), shape: x.shape };
        assertClose(captum, reference(c, 'deeplift'), 1e-4, c.id);
      });
    }
  }

  it('small_mobilenet: the rescale rule on ReLU6 changes the map (Captum returns input × gradient there)', async () => {
    const c = oracle().cases.find((k) => k.id === 'small_mobilenet/noise') as OracleCase;
    await using m = await loadCase(c);
    const r = await deepLift.attribute(m, caseInput(c), { target: c.target });
    const ixg = await inputXGradient.attribute(m, caseInput(c), { target: c.target });
    assert.ok(Math.abs(total(ixg.attribution) - (c.f_input_target - c.f_baseline_zeros_target)) > 0.1, 'input × gradient is not complete here');
    assert.throws(() => assertClose(r.attribution, ixg.attribution, 1e-2));
  });
});

describe('DeepLift: batches, baselines and scores', () => {
  const tinyCases = oracle().cases.filter((k) => k.model === 'tiny_cnn');

  it('a batch of 2 inputs with 2 targets equals two single runs, for any internal batch size', async () => {
    await using m = await loadCase(tinyCases[0] as OracleCase);
    const x = concatBatch(tinyCases.map(caseInput));
    const targets = [3, 7];
    const singles = await Promise.all([0, 1].map((i) => deepLift.attribute(m, sliceBatch(x, i, 1), { target: targets[i] })));
    for (const batchSize of [2, 3, 16]) {
      const batch = await deepLift.attribute(m, x, { target: targets, batchSize });
      assert.deepEqual(batch.targets, targets);
      for (let i = 0; i < 2; i++) {
        assertClose(sliceBatch(batch.attribution, i, 1), singles[i]?.attribution as Tensor, 1e-5, `batchSize ${batchSize} sample ${i}`);
        assert.ok(Math.abs((batch.delta?.[i] as number) - (singles[i]?.delta?.[0] as number)) < 1e-5);
      }
    }
  });

  it('neither explicit targets nor the predicted class run a forward pass of their own: the same sessions, map and scores', async () => {
    const c = tinyCases[0] as OracleCase;
    const x = caseInput(c);
    let sessions = 0;
    const runtime = {
      ...nodeRuntime,
      createSession(bytes: Uint8Array, options?: Parameters<typeof nodeRuntime.createSession>[1]) {
        sessions++;
        return nodeRuntime.createSession(bytes, options);
      },
    };
    await using predicted = await Model.load(oracleModelBytes(c), { runtime });
    const viaForward = await deepLift.attribute(predicted, x);
    const afterPredicted = sessions;
    await using given = await Model.load(oracleModelBytes(c), { runtime });
    const direct = await deepLift.attribute(given, x, { target: viaForward.targets });
    assert.equal(sessions - afterPredicted, afterPredicted, 'the same sessions: no forward-only session (nor its shape probe) for the predicted class');
    assertClose(direct.attribution, viaForward.attribution, 1e-6, 'map');
    assert.ok(Math.abs((direct.scores[0] as number) - (viaForward.scores[0] as number)) <= 1e-5 * Math.abs(viaForward.scores[0] as number), 'score');
    assert.ok(Math.abs((direct.delta?.[0] as number) - (viaForward.delta?.[0] as number)) < 1e-6, 'delta');
    await assert.rejects(deepLift.attribute(given, x, { target: 1000 }), (e) => isLucernaError(e, 'BAD_TARGET') && /out of range/.test(e.message));
  });

  it('completeness holds for blur, uniform and constant baselines (f(r) from a separate forward run)', async () => {
    const c = tinyCases[1] as OracleCase;
    await using m = await loadCase(c);
    const x = caseInput(c);
    for (const baseline of ['blur', { uniform: [0, 1], seed: 5 }, { constant: 0.3 }] as const) {
      const r = await deepLift.attribute(m, x, { target: c.target, baseline });
      const fr = ((await m.run(resolveBaseline(baseline, x))).logits as Tensor).data[c.target] as number;
      assertComplete(total(r.attribution), c.f_input_target - fr, 1e-4, JSON.stringify(baseline));
    }
  });

  for (const c of tinyCases) {
    it(`${c.id}: with score "probability" the softmax head is decomposed exactly: Σ attribution = p(x) − p(0), finite`, async () => {
      await using m = await loadCase(c);
      const x = caseInput(c);
      const r = await deepLift.attribute(m, x, { target: c.target, score: 'probability' });
      assert.ok(r.attribution.data.every(Number.isFinite), 'finite (near-equal softmax sums once gave atanh(1) = ∞ and NaN)');
      const softmax = (logits: Tensor) => {
        const e = Array.from(logits.data, (v) => Math.exp(v));
        return (e[c.target] as number) / e.reduce((a, b) => a + b, 0);
      };
      const expected = softmax((await m.run(x)).logits as Tensor) - softmax((await m.run(zeros(x.shape))).logits as Tensor);
      assertComplete(total(r.attribution), expected, 1e-4, 'probability');
      assert.ok(Math.abs(r.delta?.[0] as number) <= 1e-4 * Math.abs(expected));
    });
  }

  it('an input equal to its baseline gets a zero, finite map and zero delta', async () => {
    const c = tinyCases[0] as OracleCase;
    await using m = await loadCase(c);
    const x = caseInput(c);
    const r = await deepLift.attribute(m, x, { target: c.target, baseline: x });
    assert.ok(r.attribution.data.every((v) => v === 0));
    assert.equal(r.delta?.[0], 0);
  });

  it('rejects a bad baseline shape, and the rule set rejects a batch without reference rows', async () => {
    const c = tinyCases[0] as OracleCase;
    await using m = await loadCase(c);
    const x = caseInput(c);
    await assert.rejects(deepLift.attribute(m, x, { baseline: zeros([1, 1, 32, 32]) }), (e) => isLucernaError(e, 'BAD_SHAPE'));
    await assert.rejects(m.compile({ seeds: ['logits'], rules: 'deeplift' }, x.shape), (e) => isLucernaError(e, 'BAD_PLAN'));
  });
});

/** A model x [1, K] → f → y = Σ_k w_k f(x)_k (a Gemm), so attribution_k = (x_k − r_k) · m_k · w_k. */
function modelOf(k: number, activation: (b: GraphBuilder, x: string) => string, weights?: Float32Array): Uint8Array {
  return buildModel({
    inputs: [{ name: 'x', dims: [1, k] }],
    outputs: ['y'],
    build: (b) => {
      const w = b.weight('w', weights ?? new Float32Array(k).fill(1), [1, k]);
      b.op('Gemm', [activation(b, 'x'), w], { transB: 1 }, { outputs: ['y'] });
    },
  });
}

/** Input/reference pairs: both sides of every kink, across kinks, tiny differences on one piece, saturation. */
const PAIRS: readonly [number, number][] = [
  [2, 0.5],
  [-2, -0.5],
  [1.5, -1],
  [-0.7, 0.3],
  [0.3, 0.300001],
  [-0.4, -0.400002],
  [2.9, 2.90001],
  [-2.5, -2.499997],
  [5, 5.00001],
  [0.8, 0.8],
  [8, -8],
  [10, 4],
  [6.5, 5.5],
  [7, 8],
  [-3.5, -2.5],
  [2.5, 3.5],
  [-1e-7, 2e-7],
  [20, 19.5],
  [-6, -6.000004],
  [-5, 1],
];

const slopes = Float32Array.from(PAIRS, (_, i) => 0.05 + 0.02 * i);
const hardSigmoid = (v: number) => Math.max(0, Math.min(1, 0.2 * v + 0.5));
const ACTIVATIONS: readonly { name: string; build: (b: GraphBuilder, x: string) => string; f: (v: number, i: number) => number }[] = [
  { name: 'Relu', build: (b, x) => b.op('Relu', [x]), f: (v) => Math.max(0, v) },
  { name: 'LeakyRelu', build: (b, x) => b.op('LeakyRelu', [x], { alpha: float(0.1) }), f: (v) => (v > 0 ? v : 0.1 * v) },
  { name: 'PRelu', build: (b, x) => b.op('PRelu', [x, b.weight('slope', slopes, [slopes.length])]), f: (v, i) => (v > 0 ? v : (slopes[i] as number) * v) },
  { name: 'Elu', build: (b, x) => b.op('Elu', [x], { alpha: float(0.7) }), f: (v) => (v > 0 ? v : 0.7 * Math.expm1(v)) },
  { name: 'Clip (ReLU6)', build: (b, x) => b.op('Clip', [x, b.scalar(0), b.scalar(6)]), f: (v) => Math.max(0, Math.min(6, v)) },
  { name: 'Clip with a lower bound only', build: (b, x) => b.op('Clip', [x, b.scalar(-1)]), f: (v) => Math.max(-1, v) },
  { name: 'Clip with an upper bound only', build: (b, x) => b.op('Clip', [x, '', b.scalar(2)]), f: (v) => Math.min(2, v) },
  { name: 'HardSigmoid', build: (b, x) => b.op('HardSigmoid', [x]), f: hardSigmoid },
  { name: 'HardSwish', build: (b, x) => b.op('HardSwish', [x]), f: (v) => v * Math.max(0, Math.min(1, v / 6 + 0.5)) },
  { name: 'Sigmoid', build: (b, x) => b.op('Sigmoid', [x]), f: (v) => 1 / (1 + Math.exp(-v)) },
  { name: 'Tanh', build: (b, x) => b.op('Tanh', [x]), f: Math.tanh },
];

describe('DeepLift multipliers by hand: m = (f(x) − f(r)) / (x − r), accurate even for tiny differences', () => {
  const x: Tensor = { data: Float32Array.from(PAIRS, (p) => p[0]), shape: [1, PAIRS.length] };
  const r: Tensor = { data: Float32Array.from(PAIRS, (p) => p[1]), shape: [1, PAIRS.length] };
  for (const act of ACTIVATIONS) {
    it(act.name, async () => {
      await using m = await Model.load(modelOf(PAIRS.length, act.build), { runtime: nodeRuntime });
      const { attribution } = await deepLift.attribute(m, x, { target: 0, baseline: r });
      for (let i = 0; i < PAIRS.length; i++) {
        const [xi, ri] = [x.data[i] as number, r.data[i] as number];
        const a = attribution.data[i] as number;
        assert.ok(Number.isFinite(a), `${act.name} pair ${i}: not finite`);
        if (xi === ri) {
          assert.equal(a, 0);
          continue;
        }
        const want = (act.f(xi, i) - act.f(ri, i)) / (xi - ri);
        const got = a / (xi - ri);
        assert.ok(Math.abs(got - want) <= 1e-5 * Math.max(1, Math.abs(want)), `${act.name} pair ${i} (${xi}, ${ri}): multiplier ${got} vs ${want}`);
      }
    });
  }
});

describe('DeepLift rule details', () => {
  it('a linear model (Conv, BatchNorm, Add, GAP, Gemm) gives exactly (x − r) · gradient', async () => {
    const random = rng(11);
    const bytes = buildModel({
      inputs: [{ name: 'x', dims: [1, 2, 6, 6] }],
      outputs: ['y'],
      build: (b) => {
        const conv = b.op('Conv', ['x', b.weight('k', uniform(3 * 2 * 9, random), [3, 2, 3, 3]), b.weight('kb', uniform(3, random), [3])], {
          pads: [1, 1, 1, 1],
        });
        const bn = b.op('BatchNormalization', [
          conv,
          ...['s', 'bb', 'mu'].map((n) => b.weight(n, uniform(3, random), [3])),
          b.weight('var', uniform(3, random, 0.5, 2), [3]),
        ]);
        const sum = b.op('Add', [bn, b.op('Conv', ['x', b.weight('k1', uniform(6, random), [3, 2, 1, 1])])]);
        const pooled = b.op('Flatten', [b.op('GlobalAveragePool', [sum])]);
        b.op('Gemm', [pooled, b.weight('w', uniform(12, random), [4, 3])], { transB: 1 }, { outputs: ['y'] });
      },
    });
    await using m = await Model.load(bytes, { runtime: nodeRuntime });
    const x: Tensor = { data: uniform(72, random, -2, 2), shape: [1, 2, 6, 6] };
    assertClose((await deepLift.attribute(m, x, { target: 2 })).attribution, (await inputXGradient.attribute(m, x, { target: 2 })).attribution, 1e-6, 'zeros');
    const base: Tensor = { data: uniform(72, random), shape: x.shape };
    const g = (await saliency.attribute(m, x, { target: 1 })).attribution;
    const want = { data: g.data.map((v, i) => v * ((x.data[i] as number) - (base.data[i] as number))), shape: x.shape };
    assertClose((await deepLift.attribute(m, x, { target: 1, baseline: base })).attribution, want, 1e-6, 'baseline');
  });

  /** A 4×4 plane from four 2×2 windows given in reading order. */
  const plane = (windows: number[][]) => {
    const out = new Float32Array(16);
    for (const [k, w] of windows.entries()) {
      for (const [j, v] of w.entries()) out[(2 * Math.floor(k / 2) + Math.floor(j / 2)) * 4 + 2 * (k % 2) + (j % 2)] = v;
    }
    return out;
  };

  it('MaxPool: rises go to the input arg-max; falls first to its own fall, the rest to the reference arg-max', async () => {
    const bytes = buildModel({
      inputs: [{ name: 'x', dims: [1, 1, 4, 4] }],
      outputs: ['y'],
      build: (b) => b.op('Flatten', [b.op('MaxPool', ['x'], { kernel_shape: [2, 2], strides: [2, 2] })], {}, { outputs: ['y'] }),
    });
    await using m = await Model.load(bytes, { runtime: nodeRuntime });
    const xWindows = [
      [5, 1, 0, 2],
      [0.2, 1, 0.5, 0.1],
      [1, 0, 0, 0],
      [2, 1, 0, 0],
    ];
    const rWindows = [
      [0, 2, 1, 1],
      [3, 3, 3, 3],
      [1, 5, 0, 0],
      [3, 5, 0, 0],
    ];
    // Expected attribution inside the explained window (Σ = Δy of that window).
    const expected = [
      [3, 0, 0, 0],
      [0, -2, 0, 0],
      [0, -4, 0, 0],
      [-1, -2, 0, 0],
    ];
    const x = concatBatch(Array.from({ length: 4 }, () => ({ data: plane(xWindows), shape: [1, 1, 4, 4] })));
    const r = { data: plane(rWindows), shape: [1, 1, 4, 4] };
    const { attribution } = await deepLift.attribute(m, x, { target: [0, 1, 2, 3], baseline: r });
    for (let t = 0; t < 4; t++) {
      const want = plane(xWindows.map((_, k) => (k === t ? (expected[t] as number[]) : [0, 0, 0, 0])));
      assert.deepEqual(
        Array.from(sliceBatch(attribution, t, 1).data, (v) => Math.round(v * 1e5) / 1e5 + 0),
        Array.from(want),
        `window ${t}`,
      );
    }
  });

  it('GlobalMaxPool uses the same rule per channel', async () => {
    const bytes = buildModel({
      inputs: [{ name: 'x', dims: [1, 2, 2, 2] }],
      outputs: ['y'],
      build: (b) => b.op('Flatten', [b.op('GlobalMaxPool', ['x'])], {}, { outputs: ['y'] }),
    });
    await using m = await Model.load(bytes, { runtime: nodeRuntime });
    const x = { data: Float32Array.from([5, 1, 0, 2, 2, 1, 0, 0]), shape: [1, 2, 2, 2] };
    const r = { data: Float32Array.from([0, 2, 1, 1, 3, 5, 0, 0]), shape: [1, 2, 2, 2] };
    const first = await deepLift.attribute(m, x, { target: 0, baseline: r });
    const second = await deepLift.attribute(m, x, { target: 1, baseline: r });
    assert.deepEqual(
      Array.from(first.attribution.data, (v) => Math.round(v * 1e5) / 1e5 + 0),
      [3, 0, 0, 0, 0, 0, 0, 0],
    );
    assert.deepEqual(
      Array.from(second.attribution.data, (v) => Math.round(v * 1e5) / 1e5 + 0),
      [0, 0, 0, 0, -1, -2, 0, 0],
    );
  });

  const completenessModels: readonly { name: string; dims: number[]; build: (b: GraphBuilder, random: () => number) => void; scale?: number }[] = [
    {
      name: 'overlapping MaxPool 3×3/2 pad 1 after a Conv',
      dims: [1, 2, 9, 9],
      build: (b, random) => {
        const conv = b.op('Conv', ['x', b.weight('k', uniform(4 * 2 * 9, random), [4, 2, 3, 3])], { pads: [1, 1, 1, 1] });
        const pool = b.op('MaxPool', [b.op('Relu', [conv])], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] });
        b.op('Gemm', [b.op('Flatten', [pool]), b.weight('w', uniform(3 * 100, random), [3, 100])], { transB: 1 }, { outputs: ['y'] });
      },
    },
    {
      name: 'SiLU and a squeeze-excitation gate (Mul of two activations)',
      dims: [1, 3, 5, 5],
      build: (b, random) => {
        const conv = b.op('Conv', ['x', b.weight('k', uniform(4 * 3 * 9, random), [4, 3, 3, 3])], { pads: [1, 1, 1, 1] });
        const silu = b.op('Mul', [conv, b.op('Sigmoid', [conv])]);
        const gate = b.op('Sigmoid', [b.op('Conv', [b.op('GlobalAveragePool', [silu]), b.weight('se', uniform(16, random), [4, 4, 1, 1])])]);
        const pooled = b.op('Flatten', [b.op('GlobalAveragePool', [b.op('Mul', [silu, gate])])]);
        b.op('Gemm', [pooled, b.weight('w', uniform(12, random), [3, 4])], { transB: 1 }, { outputs: ['y'] });
      },
    },
    {
      name: 'Softmax output',
      dims: [1, 6],
      build: (b, random) => b.op('Softmax', [b.op('Gemm', ['x', b.weight('w', uniform(30, random, -3, 3), [5, 6])], { transB: 1 })], {}, { outputs: ['y'] }),
    },
    {
      name: 'Softmax output with logits 100 apart between input and reference',
      dims: [1, 6],
      scale: 40,
      build: (b, random) => b.op('Softmax', [b.op('Gemm', ['x', b.weight('w', uniform(30, random, -3, 3), [5, 6])], { transB: 1 })], {}, { outputs: ['y'] }),
    },
    {
      name: 'LogSoftmax output',
      dims: [1, 6],
      build: (b, random) => b.op('LogSoftmax', [b.op('Gemm', ['x', b.weight('w', uniform(30, random, -3, 3), [5, 6])], { transB: 1 })], {}, { outputs: ['y'] }),
    },
  ];

  for (const spec of completenessModels) {
    it(`completeness on ${spec.name}`, async () => {
      const random = rng(21);
      await using m = await Model.load(buildModel({ inputs: [{ name: 'x', dims: spec.dims }], outputs: ['y'], build: (b) => spec.build(b, random) }), {
        runtime: nodeRuntime,
      });
      const n = sizeOf(spec.dims);
      const scale = spec.scale ?? 2;
      const x: Tensor = { data: uniform(n, random, -scale, scale), shape: spec.dims };
      const r: Tensor = { data: uniform(n, random, -1, 1), shape: spec.dims };
      for (const target of [0, 2]) {
        const result = await deepLift.attribute(m, x, { target, baseline: r });
        const expected = (((await m.run(x)).y as Tensor).data[target] as number) - (((await m.run(r)).y as Tensor).data[target] as number);
        assert.ok(result.attribution.data.every(Number.isFinite), 'finite');
        assert.ok(
          Math.abs(total(result.attribution) - expected) <= 1e-4 * Math.abs(expected) + 1e-7,
          `target ${target}: Σ ${total(result.attribution)} vs ${expected}`,
        );
      }
    });
  }
});
