import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { differentiate } from '../../src/compiler/differentiate.js';
import type { ConvBackward } from '../../src/compiler/rules/conv.js';
import { resolveRuleSet } from '../../src/compiler/rulesets/index.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { probeGraph } from '../../src/engine/probe.js';
import { buildModel, type GraphBuilder, graphFromBytes } from '../../src/onnx/builder.js';
import { constantsToInitializers } from '../../src/onnx/constants.js';
import type { NodeProto } from '../../src/onnx/proto.js';
import { COMPILER_OPSET, upgradeOpset } from '../../src/onnx/upgrade.js';
import { gradCheck, rng, uniform } from '../helpers/gradcheck.js';

type Attrs = Record<string, number | number[] | string>;

/** One convolution under test and the backward formulation it must get. */
interface ConvCase {
  readonly name: string;
  readonly op?: 'Conv' | 'ConvTranspose';
  readonly x: readonly number[];
  readonly w: readonly number[];
  readonly attrs: Attrs;
  readonly bias?: boolean;
  /** For ConvTranspose: 'conv' (its backward is a plain Conv). */
  readonly expect: ConvBackward | 'conv';
}

const size = (shape: readonly number[]) => shape.reduce((p, d) => p * d, 1);

function buildConv(c: ConvCase, seed: number): (b: GraphBuilder) => void {
  return (b) => {
    const op = c.op ?? 'Conv';
    const inputs = ['x', b.weight('w', uniform(size(c.w), rng(seed)), c.w)];
    const group = typeof c.attrs.group === 'number' ? c.attrs.group : 1;
    const channels = op === 'Conv' ? (c.w[0] as number) : (c.w[1] as number) * group;
    if (c.bias) inputs.push(b.weight('bias', uniform(channels, rng(seed + 1)), [channels]));
    b.op(op, inputs, c.attrs, { outputs: ['y'] });
  };
}

/** The forward graph, prepared as the compiler sees it, and its backward for d/dx. */
async function backwardOf(build: (b: GraphBuilder) => void, inputs: { name: string; shape: readonly number[] }[], wrt = ['x']) {
  const bytes = buildModel({ inputs: inputs.map((i) => ({ name: i.name, dims: i.shape })), outputs: ['y'], build });
  const graph = graphFromBytes(bytes);
  constantsToInitializers(graph);
  upgradeOpset(graph, Math.max(graph.opset, COMPILER_OPSET));
  const probe = await probeGraph(nodeRuntime, graph);
  const forwardCount = graph.nodes.length;
  const d = differentiate(graph, probe, { seeds: ['y'], wrt, read: [] }, resolveRuleSet('standard'));
  return { nodes: d.graph.nodes.slice(forwardCount), seed: d.seedInputs.get('y') as string, grad: d.gradientOutputs.get('x') as string };
}

/** Op types on the data path from the seed to the gradient output (weight preparation excluded). */
function dataPath(nodes: readonly NodeProto[], seed: string, grad: string): NodeProto[] {
  const producer = new Map<string, NodeProto>();
  for (const n of nodes) for (const o of n.output ?? []) producer.set(o, n);
  const path: NodeProto[] = [];
  let t = grad;
  while (t !== seed) {
    const n = producer.get(t);
    assert.ok(n, `no producer for ${t} on the path from the seed`);
    if (n.opType !== 'Identity') path.unshift(n);
    t = n.input?.[0] as string;
  }
  return path;
}

function assertFormulation(path: readonly NodeProto[], expect: ConvCase['expect'], label: string): void {
  const ops = path.map((n) => n.opType);
  const where = `${label}: data path ${ops.join(' → ')}`;
  const convs = ops.filter((o) => o === 'Conv' || o === 'ConvTranspose');
  if (expect === 'transpose') {
    assert.deepEqual(convs, ['ConvTranspose'], where);
    return;
  }
  assert.deepEqual(convs, ['Conv'], where);
  const conv = ops.indexOf('Conv');
  if (expect === 'pointwise') assert.equal(conv, 0, `${where}: the 1×1 Conv must run first, at dY's resolution`);
  if (expect === 'flipped')
    assert.ok(
      ops.slice(conv + 1).every((o) => o !== 'Resize' && o !== 'Pad'),
      `${where}: the gradient must be spread before the Conv`,
    );
}

const conv2d: ConvCase[] = [
  { name: 'dense 3×3 stride 1 pad 1, odd sizes', x: [1, 3, 5, 7], w: [4, 3, 3, 3], attrs: { pads: [1, 1, 1, 1] }, expect: 'flipped' },
  { name: 'dense 3×3 stride 1 asymmetric pads + bias', x: [1, 2, 6, 5], w: [3, 2, 3, 3], attrs: { pads: [0, 1, 2, 0] }, bias: true, expect: 'flipped' },
  { name: 'dense 3×3 stride 1 dilation 2', x: [1, 2, 8, 7], w: [3, 2, 3, 3], attrs: { dilations: [2, 2], pads: [2, 1, 0, 2] }, expect: 'flipped' },
  { name: 'dense 3×3 stride 1 pads wider than the kernel', x: [1, 2, 4, 5], w: [2, 2, 3, 3], attrs: { pads: [3, 0, 1, 4] }, expect: 'flipped' },
  { name: 'dense 4×4 stride 1 SAME_LOWER', x: [1, 2, 5, 6], w: [3, 2, 4, 4], attrs: { auto_pad: 'SAME_LOWER' }, expect: 'flipped' },
  { name: 'dense 3×2 stride 1 VALID', x: [1, 2, 5, 6], w: [3, 2, 3, 2], attrs: { auto_pad: 'VALID' }, expect: 'flipped' },
  { name: 'dense 3×3 stride 2 pad 1, odd/even sizes', x: [1, 3, 7, 6], w: [4, 3, 3, 3], attrs: { strides: [2, 2], pads: [1, 1, 1, 1] }, expect: 'transpose' },
  {
    name: 'dense 3×3 stride 2 asymmetric pads + bias',
    x: [1, 2, 6, 7],
    w: [3, 2, 3, 3],
    attrs: { strides: [2, 2], pads: [0, 1, 1, 0] },
    bias: true,
    expect: 'transpose',
  },
  { name: 'dense 3×3 stride 2 SAME_UPPER', x: [1, 2, 6, 7], w: [3, 2, 3, 3], attrs: { strides: [2, 2], auto_pad: 'SAME_UPPER' }, expect: 'transpose' },
  { name: 'dense 3×3 stride 2 SAME_LOWER', x: [1, 2, 6, 7], w: [3, 2, 3, 3], attrs: { strides: [2, 2], auto_pad: 'SAME_LOWER' }, expect: 'transpose' },
  {
    name: 'dense 2×3 strides 2×3 dilation 2×1 VALID',
    x: [1, 2, 9, 10],
    w: [3, 2, 2, 3],
    attrs: { strides: [2, 3], dilations: [2, 1], auto_pad: 'VALID' },
    expect: 'transpose',
  },
  {
    name: 'dense 3×3 stride 2 pads wider than the kernel',
    x: [1, 2, 5, 4],
    w: [2, 2, 3, 3],
    attrs: { strides: [2, 2], pads: [3, 1, 2, 3] },
    expect: 'transpose',
  },
  { name: 'single input channel 3×3 stride 2', x: [1, 1, 7, 7], w: [3, 1, 3, 3], attrs: { strides: [2, 2], pads: [1, 1, 1, 1] }, expect: 'transpose' },
  { name: 'pointwise stride 1', x: [1, 4, 5, 6], w: [3, 4, 1, 1], attrs: {}, bias: true, expect: 'pointwise' },
  { name: 'pointwise stride 2, odd sizes', x: [1, 4, 7, 6], w: [3, 4, 1, 1], attrs: { strides: [2, 2] }, expect: 'pointwise' },
  { name: 'pointwise stride 2 with pads', x: [1, 3, 6, 5], w: [2, 3, 1, 1], attrs: { strides: [2, 2], pads: [1, 0, 0, 1] }, expect: 'pointwise' },
  { name: 'pointwise strides 3×2 SAME_UPPER', x: [1, 3, 8, 7], w: [2, 3, 1, 1], attrs: { strides: [3, 2], auto_pad: 'SAME_UPPER' }, expect: 'pointwise' },
  { name: 'depthwise 3×3 stride 1 pad 1', x: [1, 4, 5, 6], w: [4, 1, 3, 3], attrs: { group: 4, pads: [1, 1, 1, 1] }, bias: true, expect: 'flipped' },
  {
    name: 'depthwise 3×3 stride 2 pad 1, odd/even sizes',
    x: [1, 4, 7, 8],
    w: [4, 1, 3, 3],
    attrs: { group: 4, strides: [2, 2], pads: [1, 1, 1, 1] },
    expect: 'flipped',
  },
  {
    name: 'depthwise 3×3 stride 2 SAME_UPPER',
    x: [1, 3, 7, 6],
    w: [3, 1, 3, 3],
    attrs: { group: 3, strides: [2, 2], auto_pad: 'SAME_UPPER' },
    expect: 'flipped',
  },
  {
    name: 'depthwise 3×3 stride 2 SAME_LOWER',
    x: [1, 3, 7, 6],
    w: [3, 1, 3, 3],
    attrs: { group: 3, strides: [2, 2], auto_pad: 'SAME_LOWER' },
    expect: 'flipped',
  },
  {
    name: 'depthwise 3×3 stride 2 VALID drops the last row',
    x: [1, 3, 8, 7],
    w: [3, 1, 3, 3],
    attrs: { group: 3, strides: [2, 2], auto_pad: 'VALID' },
    expect: 'flipped',
  },
  {
    name: 'depthwise 5×5 stride 2 dilation 2 asymmetric pads',
    x: [1, 2, 9, 10],
    w: [2, 1, 5, 5],
    attrs: { group: 2, strides: [2, 2], dilations: [2, 2], pads: [1, 3, 0, 2] },
    expect: 'flipped',
  },
  {
    name: 'depthwise 3×3 stride 3 pads wider than the kernel',
    x: [1, 2, 7, 5],
    w: [2, 1, 3, 3],
    attrs: { group: 2, strides: [3, 3], pads: [3, 0, 1, 4] },
    expect: 'flipped',
  },
  { name: 'depthwise strides 1×2', x: [1, 2, 6, 7], w: [2, 1, 3, 3], attrs: { group: 2, strides: [1, 2], pads: [1, 1, 1, 1] }, expect: 'flipped' },
  {
    name: 'depthwise multiplier 2, stride 2',
    x: [1, 3, 7, 6],
    w: [6, 1, 3, 3],
    attrs: { group: 3, strides: [2, 2], pads: [1, 1, 1, 1] },
    bias: true,
    expect: 'flipped',
  },
  { name: 'grouped (2 groups, 2→3 channels each) stride 1', x: [1, 4, 5, 6], w: [6, 2, 3, 3], attrs: { group: 2, pads: [1, 0, 1, 2] }, expect: 'flipped' },
  { name: 'grouped stride 2', x: [1, 4, 7, 6], w: [6, 2, 3, 3], attrs: { group: 2, strides: [2, 2], pads: [1, 1, 1, 1] }, expect: 'transpose' },
  { name: 'grouped pointwise stride 2', x: [1, 4, 7, 6], w: [6, 2, 1, 1], attrs: { group: 2, strides: [2, 2] }, expect: 'pointwise' },
  { name: 'wide dense 3×3 pad 1 at 2×2, batch 2 (Gemm + col2im)', x: [2, 32, 2, 2], w: [32, 32, 3, 3], attrs: { pads: [1, 1, 1, 1] }, expect: 'gemm' },
  {
    name: 'wide dense 3×3 stride 2, dilations 1×2, asymmetric pads (Gemm + col2im)',
    x: [1, 32, 5, 4],
    w: [33, 32, 3, 3],
    attrs: { strides: [2, 2], dilations: [1, 2], pads: [1, 0, 0, 1] },
    bias: true,
    expect: 'gemm',
  },
  { name: 'wide dense 3×3 with 6 output positions stays flipped', x: [1, 32, 2, 3], w: [32, 32, 3, 3], attrs: { pads: [1, 1, 1, 1] }, expect: 'flipped' },
];

const conv1d: ConvCase[] = [
  { name: '1-D dense k3 stride 1 asymmetric pads', x: [2, 3, 9], w: [4, 3, 3], attrs: { pads: [0, 2] }, bias: true, expect: 'flipped' },
  { name: '1-D dense k3 stride 2 dilation 2', x: [1, 3, 12], w: [2, 3, 3], attrs: { strides: [2], dilations: [2], pads: [1, 2] }, expect: 'transpose' },
  { name: '1-D depthwise k3 stride 2, odd size', x: [1, 3, 9], w: [3, 1, 3], attrs: { group: 3, strides: [2], pads: [1, 0] }, expect: 'flipped' },
  { name: '1-D depthwise k4 stride 2 SAME_LOWER', x: [1, 3, 10], w: [3, 1, 4], attrs: { group: 3, strides: [2], auto_pad: 'SAME_LOWER' }, expect: 'flipped' },
  { name: '1-D pointwise stride 2, odd size', x: [1, 3, 9], w: [2, 3, 1], attrs: { strides: [2] }, expect: 'pointwise' },
  { name: '1-D wide dense k3 stride 2 (Gemm + col2im)', x: [2, 32, 5], w: [32, 32, 3], attrs: { strides: [2], pads: [1, 0] }, expect: 'gemm' },
];

const conv3d: ConvCase[] = [
  { name: '3-D dense 3×3×3 stride 1', x: [1, 2, 4, 5, 4], w: [2, 2, 3, 3, 3], attrs: { pads: [1, 0, 1, 1, 1, 0] }, expect: 'flipped' },
  {
    name: '3-D depthwise stride 2',
    x: [1, 2, 5, 4, 5],
    w: [2, 1, 3, 3, 3],
    attrs: { group: 2, strides: [2, 2, 2], pads: [1, 1, 1, 1, 1, 1] },
    expect: 'flipped',
  },
  { name: '3-D dense stride 2', x: [1, 2, 5, 4, 5], w: [2, 2, 3, 2, 3], attrs: { strides: [2, 2, 2], pads: [1, 0, 1, 1, 0, 0] }, expect: 'transpose' },
];

const convTranspose: ConvCase[] = [
  {
    name: 'ConvTranspose 3×3 stride 2 pad 1 output_padding 1',
    op: 'ConvTranspose',
    x: [1, 3, 4, 5],
    w: [3, 2, 3, 3],
    attrs: { strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 1] },
    bias: true,
    expect: 'conv',
  },
  {
    name: 'ConvTranspose 4×4 stride 2 asymmetric pads',
    op: 'ConvTranspose',
    x: [1, 2, 4, 3],
    w: [2, 3, 4, 4],
    attrs: { strides: [2, 2], pads: [1, 2, 2, 0] },
    expect: 'conv',
  },
  {
    name: 'ConvTranspose stride 1 dilation 2',
    op: 'ConvTranspose',
    x: [1, 2, 5, 4],
    w: [2, 2, 3, 3],
    attrs: { dilations: [2, 2], pads: [1, 0, 2, 1] },
    expect: 'conv',
  },
  {
    name: 'ConvTranspose output_shape with odd total padding',
    op: 'ConvTranspose',
    x: [1, 2, 4, 4],
    w: [2, 2, 3, 3],
    attrs: { strides: [2, 2], output_shape: [8, 7] },
    expect: 'conv',
  },
  {
    name: 'ConvTranspose output_shape SAME_UPPER',
    op: 'ConvTranspose',
    x: [1, 2, 4, 4],
    w: [2, 2, 3, 3],
    attrs: { strides: [2, 2], output_shape: [8, 6], auto_pad: 'SAME_UPPER' },
    expect: 'conv',
  },
  {
    name: 'ConvTranspose output_shape beyond the full output',
    op: 'ConvTranspose',
    x: [1, 2, 4, 3],
    w: [2, 2, 3, 3],
    attrs: { strides: [2, 2], output_shape: [10, 8] },
    expect: 'conv',
  },
  {
    name: 'ConvTranspose output_shape with output_padding',
    op: 'ConvTranspose',
    x: [1, 2, 4, 3],
    w: [2, 2, 3, 3],
    attrs: { strides: [2, 2], output_padding: [1, 1], output_shape: [9, 6] },
    expect: 'conv',
  },
  {
    name: 'ConvTranspose SAME_UPPER stride 2',
    op: 'ConvTranspose',
    x: [1, 2, 4, 3],
    w: [2, 2, 3, 3],
    attrs: { strides: [2, 2], auto_pad: 'SAME_UPPER' },
    expect: 'conv',
  },
  {
    name: 'ConvTranspose SAME_LOWER stride 2',
    op: 'ConvTranspose',
    x: [1, 2, 4, 3],
    w: [2, 2, 3, 3],
    attrs: { strides: [2, 2], auto_pad: 'SAME_LOWER' },
    expect: 'conv',
  },
  {
    name: 'ConvTranspose VALID stride 3',
    op: 'ConvTranspose',
    x: [1, 2, 3, 4],
    w: [2, 2, 2, 3],
    attrs: { strides: [3, 3], auto_pad: 'VALID' },
    expect: 'conv',
  },
  {
    name: 'ConvTranspose grouped, dilation 2, stride 2',
    op: 'ConvTranspose',
    x: [1, 4, 4, 3],
    w: [4, 3, 3, 3],
    attrs: { group: 2, strides: [2, 2], dilations: [2, 2], pads: [1, 1, 0, 2] },
    expect: 'conv',
  },
  {
    name: 'ConvTranspose depthwise stride 2',
    op: 'ConvTranspose',
    x: [1, 3, 4, 5],
    w: [3, 1, 3, 3],
    attrs: { group: 3, strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 0] },
    expect: 'conv',
  },
  {
    name: 'ConvTranspose 1-D stride 2 output_padding',
    op: 'ConvTranspose',
    x: [1, 2, 5],
    w: [2, 3, 3],
    attrs: { strides: [2], pads: [0, 1], output_padding: [1] },
    expect: 'conv',
  },
];

function runCases(cases: readonly ConvCase[]): void {
  for (const [k, c] of cases.entries()) {
    it(c.name, async () => {
      const build = buildConv(c, 100 + k);
      await gradCheck({ inputs: [{ name: 'x', shape: c.x }], output: 'y', build, maxEntries: 120, seed: 7 + k });
      const { nodes, seed, grad } = await backwardOf(build, [{ name: 'x', shape: c.x }]);
      if (c.expect === 'gemm') {
        // one Gemm over the whole batch; no convolution at all
        const ops = nodes.map((n) => n.opType);
        assert.equal(ops.filter((o) => o === 'Gemm').length, 1, ops.join(' '));
        assert.ok(!ops.some((o) => o === 'Conv' || o === 'ConvTranspose'), ops.join(' '));
      } else assertFormulation(dataPath(nodes, seed, grad), c.expect, c.name);
    });
  }
}

describe('Conv input gradients against finite differences (2-D)', () => runCases(conv2d));
describe('Conv input gradients against finite differences (1-D)', () => runCases(conv1d));
describe('Conv input gradients against finite differences (3-D)', () => runCases(conv3d));
describe('ConvTranspose input gradients against finite differences', () => runCases(convTranspose));

describe('Conv backward graphs', () => {
  it('a depthwise stride-2 conv spreads with Resize and runs a depthwise Conv, never a ConvTranspose', async () => {
    const c = conv2d.find((x) => x.name.startsWith('depthwise 3×3 stride 2 pad 1')) as ConvCase;
    const { nodes, seed, grad } = await backwardOf(buildConv(c, 1), [{ name: 'x', shape: c.x }]);
    assert.ok(!nodes.some((n) => n.opType === 'ConvTranspose'));
    const path = dataPath(nodes, seed, grad);
    assert.deepEqual(
      path.map((n) => n.opType),
      ['Resize', 'Mul', 'Conv'],
    );
    const group = path[2]?.attribute?.find((a) => a.name === 'group');
    assert.equal(Number(group?.i), 4);
  });

  it('a dense 3×3 stride-1 conv backward is a Conv on a transposed, flipped weight', async () => {
    const c = conv2d[0] as ConvCase;
    const { nodes, seed, grad } = await backwardOf(buildConv(c, 1), [{ name: 'x', shape: c.x }]);
    const path = dataPath(nodes, seed, grad);
    assert.deepEqual(
      path.map((n) => n.opType),
      ['Conv'],
    );
    // the flip is a product with the constant tap-reversal matrix (Slice with step −1 ran single-threaded)
    assert.deepEqual(
      nodes.filter((n) => ['Transpose', 'Slice', 'MatMul'].includes(n.opType ?? '')).map((n) => n.opType),
      ['Transpose', 'MatMul'],
    );
  });

  it('a 1×1 stride-2 conv computes at low resolution, then spreads', async () => {
    const c = conv2d.find((x) => x.name.startsWith('pointwise stride 2, odd')) as ConvCase;
    const { nodes, seed, grad } = await backwardOf(buildConv(c, 1), [{ name: 'x', shape: c.x }]);
    assert.deepEqual(
      dataPath(nodes, seed, grad).map((n) => n.opType),
      ['Conv', 'Resize', 'Mul', 'Slice'],
    );
  });

  it('a dense 3×3 stride-2 conv keeps ConvTranspose', async () => {
    const c = conv2d.find((x) => x.name.startsWith('dense 3×3 stride 2 pad 1')) as ConvCase;
    const { nodes, seed, grad } = await backwardOf(buildConv(c, 1), [{ name: 'x', shape: c.x }]);
    assert.deepEqual(
      dataPath(nodes, seed, grad).map((n) => n.opType),
      ['ConvTranspose'],
    );
  });
});

describe('Conv weights computed at run time', () => {
  const build = (b: GraphBuilder) => {
    b.op('Conv', ['x', 'w'], { pads: [1, 1, 1, 1] }, { outputs: ['y'] });
  };
  const inputs = [
    { name: 'x', shape: [1, 2, 5, 5] },
    { name: 'w', shape: [3, 2, 3, 3] },
  ];

  it('differentiates the weight too (its values are checked in params.test.ts)', async () => {
    const { nodes } = await backwardOf(build, inputs, ['x', 'w']);
    assert.equal(nodes.filter((n) => n.opType === 'Conv').length, 2);
  });

  it('differentiates the data input when the weight needs no gradient', async () => {
    const { nodes } = await backwardOf(build, inputs, ['x']);
    assert.ok(nodes.some((n) => n.opType === 'Conv'));
  });
});
