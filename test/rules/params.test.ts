/**
 * Parameter gradients (training): every weight and bias path of the rule table against central
 * finite differences. Weights are graph inputs here, exactly as the training step feeds them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { differentiate } from '../../src/compiler/differentiate.js';
import { weightGradByGemm } from '../../src/compiler/rules/conv.js';
import { GEMM_PER_TAP_ROWS, gemmWeightGrad } from '../../src/compiler/rules/conv-gemm.js';
import { windowGeometry } from '../../src/compiler/rules/conv-geometry.js';
import { convWeightGrad, weightGradEndPads } from '../../src/compiler/rules/conv-params.js';
import { standardRules } from '../../src/compiler/rulesets/index.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { probeGraph } from '../../src/engine/probe.js';
import { attrInt, float } from '../../src/onnx/attributes.js';
import { buildModel, graphFromBytes } from '../../src/onnx/builder.js';
import { encodeModel, type NodeProto } from '../../src/onnx/proto.js';
import { COMPILER_OPSET, upgradeOpset } from '../../src/onnx/upgrade.js';
import { maxRelative } from '../helpers/compare.js';
import { type GradCheckSpec, gradCheck, rng, uniform } from '../helpers/gradcheck.js';

/** Runs a finite-difference gradient check (as a test body: resolves to nothing). */
async function check(spec: GradCheckSpec): Promise<void> {
  await gradCheck(spec);
}

type Attrs = Record<string, number | number[] | string>;
const size = (shape: readonly number[]) => shape.reduce((p, d) => p * d, 1);

interface ConvParamCase {
  readonly name: string;
  readonly x: readonly number[];
  readonly w: readonly number[];
  readonly attrs: Attrs;
}

const convCases: ConvParamCase[] = [
  { name: 'dense 3×3 stride 1 pad 1, batch 2', x: [2, 3, 5, 6], w: [4, 3, 3, 3], attrs: { pads: [1, 1, 1, 1] } },
  { name: 'dense 3×3 stride 2 asymmetric pads', x: [2, 2, 7, 6], w: [3, 2, 3, 3], attrs: { strides: [2, 2], pads: [0, 1, 1, 0] } },
  { name: 'dense 3×3 stride 2 whose window skips the last row', x: [1, 2, 8, 7], w: [3, 2, 3, 3], attrs: { strides: [2, 2] } },
  { name: 'dense 3×2 dilation 2 strides 2×1', x: [2, 2, 9, 7], w: [2, 2, 3, 2], attrs: { strides: [2, 1], dilations: [2, 2], pads: [1, 0, 2, 1] } },
  { name: 'dense SAME_UPPER stride 2', x: [1, 3, 7, 6], w: [2, 3, 3, 3], attrs: { strides: [2, 2], auto_pad: 'SAME_UPPER' } },
  { name: 'pads wider than the kernel', x: [1, 2, 4, 5], w: [2, 2, 3, 3], attrs: { pads: [3, 0, 1, 4] } },
  { name: 'pointwise stride 2 (one Gemm)', x: [2, 4, 7, 6], w: [3, 4, 1, 1], attrs: { strides: [2, 2] } },
  { name: 'pointwise stride 2 with pads (one Gemm)', x: [2, 3, 6, 5], w: [2, 3, 1, 1], attrs: { strides: [2, 2], pads: [1, 0, 0, 1] } },
  { name: 'wide dense 3×3 stride 2, 4 positions (one Gemm)', x: [2, 32, 4, 3], w: [32, 32, 3, 3], attrs: { strides: [2, 2], pads: [1, 1, 1, 1] } },
  {
    name: 'wide dense 3×3 dilation 2 asymmetric pads, 12 positions (one Gemm)',
    x: [1, 32, 5, 6],
    w: [33, 32, 3, 3],
    attrs: { dilations: [2, 2], pads: [1, 0, 2, 1] },
  },
  { name: 'wide dense 3×3 pad 1, 30 positions (one Gemm: small im2col)', x: [2, 32, 6, 5], w: [32, 32, 3, 3], attrs: { pads: [1, 1, 1, 1] } },
  { name: '1-D wide dense k3 stride 2 (one Gemm)', x: [2, 32, 5], w: [32, 32, 3], attrs: { strides: [2], pads: [1, 2] } },
  { name: 'grouped (2 groups, 2→3 channels each)', x: [2, 4, 5, 6], w: [6, 2, 3, 3], attrs: { group: 2, pads: [1, 0, 1, 2] } },
  { name: 'grouped stride 2', x: [2, 4, 7, 6], w: [6, 2, 3, 3], attrs: { group: 2, strides: [2, 2], pads: [1, 1, 1, 1] } },
  { name: 'depthwise 3×3 stride 1 pad 1', x: [2, 4, 5, 6], w: [4, 1, 3, 3], attrs: { group: 4, pads: [1, 1, 1, 1] } },
  { name: 'depthwise 3×3 stride 2, odd sizes', x: [2, 3, 7, 8], w: [3, 1, 3, 3], attrs: { group: 3, strides: [2, 2], pads: [1, 1, 1, 1] } },
  { name: 'depthwise multiplier 2', x: [2, 3, 6, 5], w: [6, 1, 3, 3], attrs: { group: 3, pads: [1, 1, 1, 1] } },
  { name: '1-D dense k3 stride 2 dilation 2', x: [2, 3, 12], w: [2, 3, 3], attrs: { strides: [2], dilations: [2], pads: [1, 2] } },
  { name: '3-D depthwise stride 2', x: [1, 2, 5, 4, 5], w: [2, 1, 3, 3, 3], attrs: { group: 2, strides: [2, 2, 2], pads: [1, 1, 1, 1, 1, 1] } },
];

describe('Conv weight and bias gradients against finite differences', () => {
  for (const c of convCases) {
    it(c.name, async () => {
      const group = typeof c.attrs.group === 'number' ? c.attrs.group : 1;
      const m = c.w[0] as number;
      assert.equal((c.x[1] as number) / group, c.w[1], 'case geometry');
      const grads = await gradCheck({
        inputs: [
          { name: 'x', shape: c.x },
          { name: 'w', shape: c.w },
          { name: 'bias', shape: [m] },
        ],
        output: 'y',
        build: (b) => b.op('Conv', ['x', 'w', 'bias'], c.attrs, { outputs: ['y'] }),
      });
      assert.equal(grads.w?.length, size(c.w));
      assert.equal(grads.bias?.length, m);
    });
  }
  it('picks the Gemm weight gradient for wide 3×3 convs while their im2col stays at most 16 M values', () => {
    const g3 = { kernel: [3, 3], strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], group: 1 };
    assert.equal(weightGradByGemm(g3, [64, 64], 16 * 16, 32), true); // ResNet-18 layer1 at 64 px: 4.7 M values
    assert.equal(weightGradByGemm(g3, [64, 64], 56 * 56, 32), false); // layer1 at 224 px: 57.8 M values
    assert.equal(weightGradByGemm(g3, [16, 64], 16 * 16, 32), false); // narrow: the swapped-roles Conv
    assert.equal(weightGradByGemm({ ...g3, kernel: [5, 5] }, [64, 64], 16 * 16, 32), false); // 25 taps: not measured
    assert.equal(weightGradByGemm({ ...g3, group: 2 }, [64, 64], 16 * 16, 32), false);
  });
  it('the weight-gradient convolution covers exactly the kernel (hand-computed end pads)', () => {
    // n = 5, k = 3, s = 1, pb = 1 → m = 5: pe = 2 + 4 − 1 − 4 = 1
    assert.deepEqual(weightGradEndPads({ kernel: [3], strides: [1], dilations: [1], pads: [1, 1], group: 1 }, [5], [5]), [1]);
    // n = 8, k = 3, s = 2, no pads → m = 3, the last row is never read: pe = 2 + 4 − 0 − 7 = −1 (crop)
    assert.deepEqual(weightGradEndPads({ kernel: [3], strides: [2], dilations: [1], pads: [0, 0], group: 1 }, [8], [3]), [-1]);
  });
});

const convTransposeCases: ConvParamCase[] = [
  {
    name: 'ConvTranspose 3×3 stride 2 pad 1 output_padding 1',
    x: [2, 3, 4, 5],
    w: [3, 2, 3, 3],
    attrs: { strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 1] },
  },
  { name: 'ConvTranspose grouped 2, dilation 2', x: [2, 4, 4, 4], w: [4, 3, 3, 3], attrs: { group: 2, dilations: [2, 2], pads: [0, 1, 1, 0] } },
  { name: 'ConvTranspose depthwise 4×4 stride 2 SAME_UPPER', x: [1, 3, 3, 4], w: [3, 1, 4, 4], attrs: { group: 3, strides: [2, 2], auto_pad: 'SAME_UPPER' } },
];

describe('ConvTranspose weight and bias gradients against finite differences', () => {
  for (const c of convTransposeCases) {
    it(c.name, () => {
      const group = typeof c.attrs.group === 'number' ? c.attrs.group : 1;
      return check({
        inputs: [
          { name: 'x', shape: c.x },
          { name: 'w', shape: c.w },
          { name: 'bias', shape: [(c.w[1] as number) * group] },
        ],
        output: 'y',
        build: (b) => b.op('ConvTranspose', ['x', 'w', 'bias'], c.attrs, { outputs: ['y'] }),
      });
    });
  }
});

describe('other parameter gradients against finite differences', () => {
  it('BatchNormalization (running statistics): scale and bias', () =>
    check({
      inputs: [
        { name: 'x', shape: [2, 3, 4, 4] },
        { name: 'scale', shape: [3] },
        { name: 'bias', shape: [3] },
      ],
      output: 'y',
      build: (b) =>
        b.op(
          'BatchNormalization',
          ['x', 'scale', 'bias', b.weight('mean', [0.1, -0.2, 0.3], [3]), b.weight('var', [0.5, 1.5, 0.8], [3])],
          {},
          { outputs: ['y'] },
        ),
    }));
  it('Gemm (transB, as PyTorch Linear): weight and bias', () =>
    check({
      inputs: [
        { name: 'x', shape: [3, 5] },
        { name: 'w', shape: [4, 5] },
        { name: 'c', shape: [4] },
      ],
      output: 'y',
      build: (b) => b.op('Gemm', ['x', 'w', 'c'], { transB: 1, alpha: float(0.7), beta: float(1.3) }, { outputs: ['y'] }),
    }));
  it('MatMul then Add: weight and bias', () =>
    check({
      inputs: [
        { name: 'x', shape: [3, 5] },
        { name: 'w', shape: [5, 4] },
        { name: 'c', shape: [4] },
      ],
      output: 'y',
      build: (b) => b.op('Add', [b.op('MatMul', ['x', 'w']), 'c'], {}, { outputs: ['y'] }),
    }));
  it('Mul by a per-channel scale and Add of a per-channel bias', () =>
    check({
      inputs: [
        { name: 'x', shape: [2, 3, 4, 4] },
        { name: 's', shape: [3, 1, 1] },
        { name: 'c', shape: [3, 1, 1] },
      ],
      output: 'y',
      build: (b) => b.op('Add', [b.op('Mul', ['x', 's']), 'c'], {}, { outputs: ['y'] }),
    }));
});

const N = 2;

describe('small networks: every weight against finite differences', () => {
  it('depthwise-separable block with ReLU6 (Clip 0..6)', () =>
    check({
      inputs: [
        { name: 'x', shape: [N, 3, 6, 6] },
        { name: 'dw', shape: [3, 1, 3, 3] },
        { name: 'pw', shape: [4, 3, 1, 1] },
        { name: 'pb', shape: [4] },
      ],
      output: 'y',
      eps: 1e-3,
      build: (b) => {
        const h = b.op('Conv', ['x', 'dw'], { group: 3, pads: [1, 1, 1, 1], strides: [2, 2] });
        const r = b.op('Clip', [h, b.scalar(0), b.scalar(6)]);
        b.op('Conv', [r, 'pw', 'pb'], {}, { outputs: ['y'] });
      },
    }));
  it('Conv, LeakyReLU, residual Add, Tanh', () =>
    check({
      inputs: [
        { name: 'x', shape: [N, 2, 5, 5] },
        { name: 'w1', shape: [2, 2, 3, 3] },
        { name: 'b1', shape: [2] },
        { name: 'w2', shape: [2, 2, 3, 3] },
      ],
      output: 'y',
      eps: 1e-3,
      build: (b) => {
        const h = b.op('LeakyRelu', [b.op('Conv', ['x', 'w1', 'b1'], { pads: [1, 1, 1, 1] })], { alpha: float(0.1) });
        const h2 = b.op('Conv', [h, 'w2'], { pads: [1, 1, 1, 1] });
        b.op('Tanh', [b.op('Add', [h2, 'x'])], {}, { outputs: ['y'] });
      },
    }));
  it('two fully connected layers with ReLU', () =>
    check({
      inputs: [
        { name: 'x', shape: [4, 6] },
        { name: 'fc1.weight', shape: [5, 6] },
        { name: 'fc1.bias', shape: [5] },
        { name: 'fc2.weight', shape: [3, 5] },
        { name: 'fc2.bias', shape: [3] },
      ],
      output: 'y',
      eps: 1e-3,
      build: (b) => {
        const h = b.op('Relu', [b.op('Gemm', ['x', 'fc1.weight', 'fc1.bias'], { transB: 1 })]);
        b.op('Gemm', [h, 'fc2.weight', 'fc2.bias'], { transB: 1 }, { outputs: ['y'] });
      },
    }));
});

describe('differentiate with respect to initializers', () => {
  it('gives the same weight gradient as when the weight is a graph input', async () => {
    const random = rng(7);
    const w = uniform(2 * 3 * 3 * 3, random);
    const x = uniform(2 * 3 * 5 * 5, random);
    const seed = uniform(2 * 2 * 5 * 5, random);
    const build = (asInput: boolean) => {
      const bytes = buildModel({
        opset: 17,
        inputs: asInput
          ? [
              { name: 'x', dims: [2, 3, 5, 5] },
              { name: 'w', dims: [2, 3, 3, 3] },
            ]
          : [{ name: 'x', dims: [2, 3, 5, 5] }],
        outputs: ['y'],
        build: (b) => {
          if (!asInput) b.weight('w', w, [2, 3, 3, 3]);
          b.op('Conv', ['x', 'w'], { pads: [1, 1, 1, 1] }, { outputs: ['y'] });
        },
      });
      const g = graphFromBytes(bytes);
      upgradeOpset(g, COMPILER_OPSET);
      return g;
    };
    const results: Float32Array[] = [];
    for (const asInput of [true, false]) {
      const graph = build(asInput);
      const probe = await probeGraph(nodeRuntime, graph);
      const d = differentiate(graph, probe, { seeds: ['y'], wrt: ['w'], read: [] }, standardRules);
      const session = await nodeRuntime.createSession(encodeModel(d.graph.toModel()), { optimization: 'disabled' });
      try {
        const feeds: Record<string, { data: Float32Array; shape: readonly number[] }> = {
          x: { data: x, shape: [2, 3, 5, 5] },
          'seed:y': { data: seed, shape: [2, 2, 5, 5] },
        };
        if (asInput) feeds.w = { data: w, shape: [2, 3, 3, 3] };
        const r = await session.run(feeds);
        results.push(r['grad:w']?.data as Float32Array);
      } finally {
        await session.dispose();
      }
    }
    assert.deepEqual(results[1], results[0]);
  });
});

describe('Conv weight gradient at many rows: one Gemm per tap, or one Gemm over a gathered im2col', () => {
  const cases = [
    { name: '3×3 pad 1, 4608 rows', x: [2, 32, 48, 48], w: [40, 32, 3, 3], ints: { pads: [1, 1, 1, 1] } },
    {
      name: '3×3 stride 2, dilation 2, asymmetric pads, 4096 rows',
      x: [4, 32, 64, 65],
      w: [32, 32, 3, 3],
      ints: { strides: [2, 2], dilations: [2, 2], pads: [2, 1, 1, 1] },
    },
    { name: '1-D, 3 taps, pads 1 and 0, 4864 rows', x: [64, 32, 77], w: [24, 32, 3], ints: { pads: [1, 0] } },
    {
      name: '3-D, 3×3×3, stride 2 on the last axis, 4608 rows',
      x: [2, 32, 16, 16, 18],
      w: [32, 32, 3, 3, 3],
      ints: { strides: [1, 1, 2], pads: [1, 1, 1, 1, 1, 1] },
    },
  ];
  for (const c of cases) {
    for (const gatherColumns of [false, true]) {
      it(`${c.name}, ${gatherColumns ? 'gathered im2col' : 'per tap'}: equals the swapped-roles Conv`, async () => {
        const node = { opType: 'Conv', input: ['x', 'w'], output: ['y'], attribute: Object.entries(c.ints).map(([name, ints]) => ({ name, type: 7, ints })) };
        const g = windowGeometry(node, c.x.slice(2), c.w.slice(2));
        const r = c.x.length - 2;
        const out = c.x
          .slice(2)
          .map(
            (n, a) => Math.floor((n + (g.pads[a] as number) + (g.pads[a + r] as number) - (g.dilations[a] as number) * 2 - 1) / (g.strides[a] as number)) + 1,
          );
        const dyShape = [c.x[0] as number, c.w[0] as number, ...out];
        assert.ok((c.x[0] as number) * size(out) >= GEMM_PER_TAP_ROWS, 'case has many rows');
        const p = { x: 'x', xShape: c.x, dy: 'dy', dyShape, g, gatherColumns };
        const bytes = buildModel({
          inputs: [
            { name: 'x', dims: c.x },
            { name: 'dy', dims: dyShape },
          ],
          outputs: ['gemm', 'conv'],
          build: (b) => {
            b.op('Identity', [gemmWeightGrad(b, p)], {}, { outputs: ['gemm'] });
            b.op('Identity', [convWeightGrad(b, p)], {}, { outputs: ['conv'] });
          },
        });
        const nodes = graphFromBytes(bytes).nodes;
        const gemms = nodes.filter((n) => n.opType === 'Gemm');
        if (gatherColumns) {
          // one Gather builds the whole im2col, one Gemm reads it: no per-tap slices
          assert.equal(gemms.length, 1);
          assert.equal(attrInt(gemms[0] as NodeProto, 'transB', 0), 1);
          assert.equal(nodes.filter((n) => n.opType === 'Gather').length, 1);
          assert.equal(nodes.filter((n) => n.opType === 'Slice').length, 0);
        } else {
          // one Gemm per tap, and dYᵀ formed once before them: no transposed A inside a tap's Gemm
          assert.equal(gemms.length, size(c.w.slice(2)));
          assert.ok(gemms.every((n) => attrInt(n, 'transA', 0) === 0 && attrInt(n, 'transB', 0) === 0));
        }
        const session = await nodeRuntime.createSession(bytes);
        try {
          const res = await session.run({ x: { data: uniform(size(c.x), rng(3)), shape: c.x }, dy: { data: uniform(size(dyShape), rng(4)), shape: dyShape } });
          const [a, b] = [res.gemm?.data as Float32Array, res.conv?.data as Float32Array];
          assert.equal(a.length, size(c.w));
          assert.ok(maxRelative(b, a) < 1e-5, `max relative difference ${maxRelative(b, a)}`);
        } finally {
          await session.dispose();
        }
      });
    }
  }
});
