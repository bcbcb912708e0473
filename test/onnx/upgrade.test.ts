/**
 * Opset upgrade: every rewritten op is built at its old opset, run in ONNX Runtime there, upgraded,
 * run again at the new opset (which ORT validates against the new schemas) and compared exactly.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nodeRuntime } from '../../src/engine/node.js';
import { attrString, float, hasAttr } from '../../src/onnx/attributes.js';
import { buildModel, type GraphBuilder, graphFromBytes } from '../../src/onnx/builder.js';
import type { Graph } from '../../src/onnx/graph.js';
import { type AttributeProto, encodeModel, type GraphProto, type NodeProto, onnx } from '../../src/onnx/proto.js';
import { COMPILER_OPSET, upgradeOpset } from '../../src/onnx/upgrade.js';
import { sizeOf } from '../../src/tensor/tensor.js';
import { rng, uniform } from '../helpers/gradcheck.js';

type Feeds = Record<string, { data: Float32Array; shape: readonly number[] }>;

interface UpgradeCase {
  readonly opset: number;
  readonly target?: number;
  readonly inputs: readonly { name: string; shape: readonly number[]; values?: Float32Array }[];
  readonly outputs: readonly string[];
  readonly build: (b: GraphBuilder) => void;
}

interface Result {
  readonly dims: readonly number[];
  readonly values: number[];
}

async function runModel(bytes: Uint8Array, feeds: Feeds): Promise<Record<string, Result>> {
  const session = await nodeRuntime.createSession(bytes, { optimization: 'disabled' });
  try {
    const raw = await session.run(feeds);
    return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, { dims: v.dims, values: Array.from(v.data as ArrayLike<number>, Number) }]));
  } finally {
    await session.dispose();
  }
}

/** Encodes a graph with its output shapes left to ORT (a ValueInfo with no dims would read as a scalar). */
function encodeUnshaped(graph: Graph): Uint8Array {
  const model = graph.toModel();
  for (const o of model.graph?.output ?? []) if (o.type?.tensorType) o.type.tensorType.shape = undefined;
  return encodeModel(model);
}

/** Runs the case before and after the upgrade; returns the upgraded graph for structural checks. */
async function assertUpgradeExact(spec: UpgradeCase): Promise<Graph> {
  const random = rng(7);
  const bytes = buildModel({ opset: spec.opset, inputs: spec.inputs.map((i) => ({ name: i.name, dims: i.shape })), outputs: spec.outputs, build: spec.build });
  const feeds: Feeds = {};
  for (const i of spec.inputs) feeds[i.name] = { data: i.values ?? uniform(sizeOf(i.shape), random, -2, 2), shape: i.shape };
  const before = await runModel(bytes, feeds);
  const graph = upgradeOpset(graphFromBytes(bytes), spec.target ?? COMPILER_OPSET);
  assert.equal(graph.opset, spec.target ?? COMPILER_OPSET);
  const after = await runModel(encodeUnshaped(graph), feeds);
  for (const name of spec.outputs) {
    assert.ok(before[name], `no output ${name}`);
    assert.deepEqual(after[name], before[name], `output ${name} changed`);
  }
  return graph;
}

const nodesOf = (g: Graph, opType: string) => g.nodes.filter((n) => n.opType === opType);
const onlyNode = (g: Graph, opType: string): NodeProto => {
  const found = nodesOf(g, opType);
  assert.equal(found.length, 1, `expected one ${opType}, found ${found.length}`);
  return found[0] as NodeProto;
};

describe('upgradeOpset 11 → 18: axes and split become inputs', () => {
  it('Unsqueeze and Squeeze', async () => {
    const g = await assertUpgradeExact({
      opset: 11,
      inputs: [{ name: 'x', shape: [2, 3] }],
      outputs: ['y', 'z'],
      build: (b) => {
        const u = b.op('Unsqueeze', ['x'], { axes: [0, -1] });
        b.op('Squeeze', [b.op('Relu', [u])], { axes: [0] }, { outputs: ['y'] });
        b.op('Squeeze', [u], {}, { outputs: ['z'] });
      },
    });
    for (const n of g.nodes) assert.equal(hasAttr(n, 'axes'), false, `${n.opType} still has an axes attribute`);
    assert.equal(onlyNode(g, 'Unsqueeze').input?.length, 2);
    assert.deepEqual(
      nodesOf(g, 'Squeeze')
        .map((n) => n.input?.length)
        .sort(),
      [1, 2],
    );
  });

  it('Split with and without split lengths', async () => {
    const g = await assertUpgradeExact({
      opset: 11,
      inputs: [{ name: 'x', shape: [2, 6] }],
      outputs: ['a', 'b', 'c', 'd', 'e'],
      build: (b) => {
        b.ops('Split', ['x'], { axis: 1, split: [2, 4] }, { outputs: ['a', 'b'] });
        b.ops('Split', ['x'], { axis: -1 }, { outputs: ['c', 'd', 'e'] });
      },
    });
    const [withLengths, equal] = nodesOf(g, 'Split');
    assert.equal(withLengths?.input?.length, 2);
    assert.equal(hasAttr(withLengths as NodeProto, 'split'), false);
    assert.equal(equal?.attribute?.find((a) => a.name === 'num_outputs')?.i, 3);
  });

  it('Split at 13: a split input stays, no split gains num_outputs at 18', async () => {
    const g = await assertUpgradeExact({
      opset: 13,
      inputs: [{ name: 'x', shape: [4, 3] }],
      outputs: ['a', 'b', 'c', 'd'],
      build: (b) => {
        b.ops('Split', ['x', b.constInt64([1, 3])], { axis: 0 }, { outputs: ['a', 'b'] });
        b.ops('Split', ['x'], { axis: 0 }, { outputs: ['c', 'd'] });
      },
    });
    const [given, equal] = nodesOf(g, 'Split');
    assert.equal(hasAttr(given as NodeProto, 'num_outputs'), false);
    assert.equal(equal?.attribute?.find((a) => a.name === 'num_outputs')?.i, 2);
  });

  it('ReduceSum with axes, keepdims=0 and with no axes', async () => {
    const g = await assertUpgradeExact({
      opset: 11,
      inputs: [{ name: 'x', shape: [2, 3, 4] }],
      outputs: ['y', 'z'],
      build: (b) => {
        b.op('ReduceSum', ['x'], { axes: [1, -1], keepdims: 0 }, { outputs: ['y'] });
        b.op('ReduceSum', ['x'], {}, { outputs: ['z'] });
      },
    });
    assert.deepEqual(
      nodesOf(g, 'ReduceSum').map((n) => n.input?.length),
      [2, 1],
    );
  });

  for (const opset of [11, 13]) {
    it(`every other Reduce op at opset ${opset}`, async () => {
      const ops = ['ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare'];
      const g = await assertUpgradeExact({
        opset,
        inputs: [{ name: 'x', shape: [2, 3, 4, 5] }],
        outputs: ops.map((op) => `y_${op}`),
        build: (b) => {
          const positive = b.op('Add', [b.op('Abs', ['x']), b.scalar(0.5)]);
          for (const op of ops) b.op(op, [positive], { axes: [2, 3], keepdims: 1 }, { outputs: [`y_${op}`] });
        },
      });
      for (const op of ops) assert.equal(onlyNode(g, op).input?.length, 2, op);
    });
  }

  it('stops at the target: 11 → 13 lifts Unsqueeze but leaves ReduceMean', async () => {
    const g = await assertUpgradeExact({
      opset: 11,
      target: 13,
      inputs: [{ name: 'x', shape: [2, 3] }],
      outputs: ['y'],
      build: (b) => b.op('ReduceMean', [b.op('Unsqueeze', ['x'], { axes: [1] })], { axes: [2] }, { outputs: ['y'] }),
    });
    assert.equal(onlyNode(g, 'Unsqueeze').input?.length, 2);
    assert.equal(hasAttr(onlyNode(g, 'ReduceMean'), 'axes'), true);
  });
});

describe('upgradeOpset: Softmax, LogSoftmax and Hardmax stop coercing to 2-D at 13', () => {
  it('Softmax-11 on a 4-D input with axis=1 normalises over C·H·W', async () => {
    const g = await assertUpgradeExact({
      opset: 11,
      inputs: [{ name: 'x', shape: [2, 3, 4, 5] }],
      outputs: ['y'],
      build: (b) => b.op('Softmax', ['x'], { axis: 1 }, { outputs: ['y'] }),
    });
    assert.equal(onlyNode(g, 'Flatten').attribute?.[0]?.i, 1);
    assert.equal(onlyNode(g, 'Reshape').output?.[0], 'y');
  });

  it('Softmax-11 with the default axis on 4-D, and LogSoftmax/Hardmax with inner axes', async () => {
    await assertUpgradeExact({
      opset: 11,
      inputs: [{ name: 'x', shape: [2, 3, 4, 5] }],
      outputs: ['s', 'l', 'h'],
      build: (b) => {
        b.op('Softmax', ['x'], {}, { outputs: ['s'] });
        b.op('LogSoftmax', ['x'], { axis: 2 }, { outputs: ['l'] });
        b.op('Hardmax', ['x'], { axis: -2 }, { outputs: ['h'] });
      },
    });
  });

  it('Softmax-11 on 2-D: the last axis only changes the attribute; axis 0 is rewritten', async () => {
    const g = await assertUpgradeExact({
      opset: 11,
      inputs: [{ name: 'x', shape: [3, 7] }],
      outputs: ['last', 'first', 'gemm'],
      build: (b) => {
        b.op('Softmax', ['x'], { axis: 1 }, { outputs: ['last'] });
        b.op('Softmax', ['x'], { axis: 0 }, { outputs: ['first'] });
        const fc = b.op('Gemm', ['x', b.weight('w', uniform(14, rng(3)), [7, 2])]);
        b.op('LogSoftmax', [fc], {}, { outputs: ['gemm'] });
      },
    });
    assert.equal(nodesOf(g, 'Flatten').length, 1, 'only the axis-0 softmax needs the flatten');
    for (const n of [...nodesOf(g, 'Softmax'), ...nodesOf(g, 'LogSoftmax')]) assert.equal(n.attribute?.[0]?.i, -1);
  });

  it('Softmax-11 on a tensor of unknown rank uses the exact rewrite', async () => {
    const g = await assertUpgradeExact({
      opset: 11,
      inputs: [{ name: 'x', shape: [4, 6] }],
      outputs: ['y', 'z'],
      build: (b) => {
        const r = b.op('Relu', ['x']);
        b.op('Softmax', [r], { axis: 1 }, { outputs: ['y'] });
        b.op('Softmax', [r], { axis: -1 }, { outputs: ['z'] });
      },
    });
    assert.equal(nodesOf(g, 'Flatten').length, 1, 'axis -1 is the last axis at any rank');
  });
});

describe('upgradeOpset: Dropout, BatchNormalization, Clip, Pad, RoiAlign', () => {
  it('Dropout-10 with a ratio attribute becomes Identity; a read mask keeps its value', async () => {
    const g = await assertUpgradeExact({
      opset: 11,
      inputs: [{ name: 'x', shape: [2, 5] }],
      outputs: ['y', 'z', 'm'],
      build: (b) => {
        b.op('Dropout', ['x'], { ratio: float(0.3) }, { outputs: ['y'] });
        b.ops('Dropout', ['x'], { ratio: float(0.7) }, { outputs: ['z', 'mask'] });
        b.op('Cast', ['mask'], { to: onnx.TensorProto.DataType.FLOAT }, { outputs: ['m'] });
      },
    });
    assert.equal(nodesOf(g, 'Dropout').length, 0);
    assert.equal(nodesOf(g, 'Identity').length, 2);
    assert.equal(onlyNode(g, 'ConstantOfShape').output?.[0], 'mask');
  });

  it('BatchNormalization (inference), Clip and Pad are input-based already and pass unchanged', async () => {
    const c = 3;
    const g = await assertUpgradeExact({
      opset: 11,
      inputs: [{ name: 'x', shape: [2, c, 4, 4] }],
      outputs: ['y'],
      build: (b) => {
        const r = rng(5);
        const bn = b.op('BatchNormalization', [
          'x',
          b.weight('scale', uniform(c, r, 0.5, 1.5), [c]),
          b.weight('bias', uniform(c, r), [c]),
          b.weight('mean', uniform(c, r), [c]),
          b.weight('var', uniform(c, r, 0.5, 2), [c]),
        ]);
        const clipped = b.op('Clip', [bn, b.scalar(-0.5), b.scalar(0.8)]);
        b.op('Pad', [clipped, b.constInt64([0, 0, 1, 2, 0, 0, 2, 1]), b.scalar(0.25)], { mode: 'constant' }, { outputs: ['y'] });
      },
    });
    assert.equal(onlyNode(g, 'BatchNormalization').output?.length, 1);
  });

  it('BatchNormalization in training mode (5 outputs) is refused clearly', () => {
    const bytes = buildModel({
      opset: 11,
      inputs: [{ name: 'x', dims: [2, 2, 3, 3] }],
      outputs: ['y'],
      build: (b) => {
        const params = ['s', 'b', 'm', 'v'].map((n) => b.weight(n, [1, 1], [2]));
        b.ops('BatchNormalization', ['x', ...params], {}, { outputs: ['y', 'rm', 'rv', 'sm', 'sv'] });
      },
    });
    assert.throws(
      () => upgradeOpset(graphFromBytes(bytes)),
      (e: Error & { code?: string }) => e.code === 'UNSUPPORTED_MODEL' && /training mode/.test(e.message),
    );
  });

  it('RoiAlign-10 keeps its output_half_pixel coordinates at 16', async () => {
    const g = await assertUpgradeExact({
      opset: 11,
      inputs: [{ name: 'x', shape: [1, 2, 8, 8] }],
      outputs: ['y'],
      build: (b) => {
        const rois = b.constFloat([0.5, 1, 6.5, 5, 2, 2.5, 7, 7.5], [2, 4]);
        b.op('RoiAlign', ['x', rois, b.constInt64([0, 0])], { output_height: 3, output_width: 2, sampling_ratio: 2 }, { outputs: ['y'] });
      },
    });
    assert.equal(attrString(onlyNode(g, 'RoiAlign'), 'coordinate_transformation_mode', ''), 'output_half_pixel');
  });
});

describe('upgradeOpset: Resize 11 → 13 → 18', () => {
  it('linear with scales and an empty roi; nearest with sizes and empty scales', async () => {
    const g = await assertUpgradeExact({
      opset: 11,
      inputs: [{ name: 'x', shape: [1, 2, 5, 6] }],
      outputs: ['lin', 'near'],
      build: (b) => {
        const empty = b.constFloat([], [0]);
        b.op('Resize', ['x', empty, b.constFloat([1, 1, 2, 1.5], [4])], { mode: 'linear' }, { outputs: ['lin'] });
        b.op(
          'Resize',
          ['x', empty, empty, b.constInt64([1, 2, 9, 4])],
          { mode: 'nearest', coordinate_transformation_mode: 'asymmetric' },
          { outputs: ['near'] },
        );
      },
    });
    const [lin, near] = nodesOf(g, 'Resize');
    assert.deepEqual(lin?.input?.slice(0, 2), ['x', '']);
    assert.deepEqual(near?.input?.slice(1, 3), ['', '']);
  });

  for (const nearestMode of ['floor', 'round_prefer_floor']) {
    for (const scale of [1.7, 2, 3, 0.6, 0.5]) {
      it(`tf_half_pixel_for_nn, nearest_mode ${nearestMode}, scale ${scale}`, async () => {
        const g = await assertUpgradeExact({
          opset: 11,
          inputs: [{ name: 'x', shape: [1, 1, 6, 7], values: Float32Array.from({ length: 42 }, (_, i) => i) }],
          outputs: ['y'],
          build: (b) => {
            const scales = b.constFloat([1, 1, scale, scale], [4]);
            b.op(
              'Resize',
              ['x', b.constFloat([], [0]), scales],
              { coordinate_transformation_mode: 'tf_half_pixel_for_nn', nearest_mode: nearestMode },
              { outputs: ['y'] },
            );
          },
        });
        assert.equal(attrString(onlyNode(g, 'Resize'), 'coordinate_transformation_mode', ''), 'half_pixel');
      });
    }
  }

  it('tf_half_pixel_for_nn without an exact replacement is refused clearly', () => {
    for (const attrs of [{ mode: 'linear' }, { nearest_mode: 'ceil' }]) {
      const bytes = buildModel({
        opset: 11,
        inputs: [{ name: 'x', dims: [1, 1, 4, 4] }],
        outputs: ['y'],
        build: (b) =>
          b.op(
            'Resize',
            ['x', b.constFloat([], [0]), b.constFloat([1, 1, 2, 2], [4])],
            { coordinate_transformation_mode: 'tf_half_pixel_for_nn', ...attrs },
            { outputs: ['y'] },
          ),
      });
      assert.throws(
        () => upgradeOpset(graphFromBytes(bytes)),
        (e: Error & { code?: string }) => e.code === 'UNSUPPORTED_MODEL' && /tf_half_pixel_for_nn/.test(e.message),
      );
    }
  });
});

/** A GRAPH attribute (the builder only writes plain values). */
function graphAttr(name: string, g: GraphProto): AttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.GRAPH, g };
}

function branch(name: string, nodes: NodeProto[], output: string): GraphProto {
  return { name, node: nodes, output: [{ name: output, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT } } }] };
}

describe('upgradeOpset: subgraphs, other domains, models at or above the target', () => {
  it('upgrades the branches of an If node (new constants become Constant nodes inside)', async () => {
    const build = (b: GraphBuilder) => {
      const cond = b.op('Greater', [b.op('ReduceSum', ['x'], { axes: [0, 1], keepdims: 0 }), b.scalar(0)]);
      const thenBranch = branch(
        'then',
        [{ name: 'then_unsqueeze', opType: 'Unsqueeze', input: ['x'], output: ['t_out'], attribute: [{ name: 'axes', type: 7, ints: [0] }] }],
        't_out',
      );
      const elseBranch = branch(
        'else',
        [{ name: 'else_unsqueeze', opType: 'Unsqueeze', input: ['x'], output: ['e_out'], attribute: [{ name: 'axes', type: 7, ints: [-1] }] }],
        'e_out',
      );
      b.graph.nodes.push({
        name: 'if',
        opType: 'If',
        input: [cond],
        output: ['y'],
        attribute: [graphAttr('then_branch', thenBranch), graphAttr('else_branch', elseBranch)],
      });
    };
    for (const sign of [1, -1]) {
      const values = Float32Array.from({ length: 6 }, (_, i) => sign * (i + 1));
      const g = await assertUpgradeExact({ opset: 11, inputs: [{ name: 'x', shape: [2, 3], values }], outputs: ['y'], build });
      const then = onlyNode(g, 'If').attribute?.find((a) => a.name === 'then_branch')?.g;
      assert.deepEqual(
        then?.node?.map((n) => n.opType),
        ['Constant', 'Unsqueeze'],
      );
    }
  });

  it('leaves nodes of other domains alone', () => {
    const bytes = buildModel({
      opset: 11,
      inputs: [{ name: 'x', dims: [2, 3] }],
      outputs: ['y'],
      build: (b) => b.op('Unsqueeze', ['x'], { axes: [0] }, { outputs: ['y'], domain: 'com.example' }),
    });
    const g = graphFromBytes(bytes);
    const before = g.nodes[0];
    upgradeOpset(g);
    assert.equal(g.nodes[0], before);
    assert.equal(hasAttr(g.nodes[0] as NodeProto, 'axes'), true);
  });

  it('keeps the opset of models at or above the target', () => {
    for (const opset of [18, 21]) {
      const bytes = buildModel({ opset, inputs: [{ name: 'x', dims: [2] }], outputs: ['y'], build: (b) => b.op('Relu', ['x'], {}, { outputs: ['y'] }) });
      const g = graphFromBytes(bytes);
      const nodes = g.nodes;
      upgradeOpset(g);
      assert.equal(g.opset, opset);
      assert.equal(g.nodes, nodes);
    }
    const g13 = graphFromBytes(
      buildModel({ opset: 13, inputs: [{ name: 'x', dims: [2] }], outputs: ['y'], build: (b) => b.op('Relu', ['x'], {}, { outputs: ['y'] }) }),
    );
    assert.equal(upgradeOpset(g13, 12).opset, 13);
  });

  it('refuses targets it has no rewrites for, and deprecated ops', () => {
    const relu = buildModel({ opset: 11, inputs: [{ name: 'x', dims: [2] }], outputs: ['y'], build: (b) => b.op('Relu', ['x'], {}, { outputs: ['y'] }) });
    assert.throws(
      () => upgradeOpset(graphFromBytes(relu), 20),
      (e: Error & { code?: string }) => e.code === 'BAD_OPTION',
    );
    const upsample = buildModel({
      opset: 11,
      inputs: [{ name: 'x', dims: [1, 1, 2, 2] }],
      outputs: ['y'],
      build: (b) => b.op('Upsample', ['x', b.constFloat([1, 1, 2, 2], [4])], {}, { outputs: ['y'] }),
    });
    assert.throws(
      () => upgradeOpset(graphFromBytes(upsample)),
      (e: Error & { code?: string }) => e.code === 'UNSUPPORTED_MODEL' && /Resize/.test(String((e as { hint?: string }).hint)),
    );
  });
});
