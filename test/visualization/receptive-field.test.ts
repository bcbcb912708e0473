/**
 * Receptive fields from the graph against hand-computed values (stride, padding, dilation,
 * asymmetric pads, auto_pad, branches, gates, Pad and Slice), and against the support of the
 * compiled input gradient of one unit.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Model } from '../../src/engine/model.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { isLucernaError } from '../../src/errors.js';
import { buildModel, type GraphBuilder } from '../../src/onnx/builder.js';
import { fieldBox, receptiveField } from '../../src/visualization/receptive-field.js';

const ones = (n: number) => new Array<number>(n).fill(1);

async function fieldOf(size: [number, number], build: (b: GraphBuilder) => void, layer: string, outputs = [layer]) {
  const bytes = buildModel({ inputs: [{ name: 'x', dims: [1, 1, ...size] }], outputs, build });
  await using model = await Model.load(bytes, { runtime: nodeRuntime });
  return receptiveField(await model.prepare([1, 1, ...size]), layer);
}

/** conv 3×3 pad 1 → relu → 2×2 pool stride 2 → conv 3×3 dilation 2 pad 2 → conv 3×3 stride 2 pad 1. */
function chain(b: GraphBuilder, pool = 'MaxPool'): void {
  const w = b.weight('w', ones(9), [1, 1, 3, 3]);
  b.op('Conv', ['x', w], { pads: [1, 1, 1, 1] }, { outputs: ['c1'] });
  b.op('Relu', ['c1'], {}, { outputs: ['r1'] });
  b.op(pool, ['r1'], { kernel_shape: [2, 2], strides: [2, 2] }, { outputs: ['p1'] });
  b.op('Conv', ['p1', w], { pads: [2, 2, 2, 2], dilations: [2, 2] }, { outputs: ['c2'] });
  b.op('Conv', ['c2', w], { pads: [1, 1, 1, 1], strides: [2, 2] }, { outputs: ['c3'] });
}

describe('receptive fields', () => {
  it('compose kernel, stride, padding and dilation along a chain', async () => {
    const expect = {
      c1: { stride: [1, 1], start: [-1, -1], size: [3, 3] },
      p1: { stride: [2, 2], start: [-1, -1], size: [4, 4] },
      c2: { stride: [2, 2], start: [-5, -5], size: [12, 12] },
      c3: { stride: [4, 4], start: [-7, -7], size: [16, 16] },
    };
    for (const [layer, want] of Object.entries(expect)) {
      const rf = await fieldOf([32, 32], (b) => chain(b), layer, ['c3']);
      assert.deepEqual({ stride: rf.stride, start: rf.start, size: rf.size }, want, layer);
      assert.equal(rf.global, false);
    }
    const rf = await fieldOf([32, 32], (b) => chain(b), 'c3');
    assert.deepEqual(fieldBox(rf, 2, 3), { top: 1, left: 5, bottom: 16, right: 20 });
  });

  it('handle rectangular kernels, asymmetric pads, auto_pad SAME_UPPER and average pools', async () => {
    const rf = await fieldOf(
      [33, 20],
      (b) => {
        b.op('Conv', ['x', b.weight('w', ones(15), [1, 1, 5, 3])], { strides: [2, 1], pads: [2, 0, 1, 0] }, { outputs: ['a'] });
        b.op('Conv', ['a', b.weight('v', ones(16), [1, 1, 4, 4])], { strides: [2, 2], auto_pad: 'SAME_UPPER' }, { outputs: ['b'] });
        b.op('AveragePool', ['b'], { kernel_shape: [3, 1], strides: [3, 1] }, { outputs: ['c'] });
      },
      'c',
    );
    // rows: conv (k5 s2 p2) → [−2, 2] j2; SAME_UPPER k4 s2 on 16 rows pads 1 → [−4, 6] j4; pool k3 s3 → [−4, 14] j12
    // cols: conv (k3 s1 p0) → [0, 2] j1; SAME_UPPER k4 s2 on 18 cols pads 1 → [−1, 4] j2; pool k1 s1 → same
    assert.deepEqual({ stride: rf.stride, start: rf.start, size: rf.size }, { stride: [12, 2], start: [-4, -1], size: [19, 6] });
  });

  it('take the union where branches merge, ignore [N, C, 1, 1] gates, shift through Pad and Slice', async () => {
    const build = (b: GraphBuilder) => {
      const w = b.weight('w', ones(9), [1, 1, 3, 3]);
      b.op('Conv', ['x', w], { pads: [1, 1, 1, 1] }, { outputs: ['a'] });
      b.op('Conv', ['a', w], { pads: [1, 1, 1, 1] }, { outputs: ['b'] });
      b.op('Add', ['a', 'b'], {}, { outputs: ['sum'] });
      const gate = b.op('Sigmoid', [b.op('GlobalAveragePool', ['a'])]);
      b.op('Mul', ['sum', gate], {}, { outputs: ['gated'] });
      b.op('Pad', ['gated', b.constInt64([0, 0, 2, 3, 0, 0, 2, 3])], {}, { outputs: ['padded'] });
      b.op('Slice', ['padded', b.constInt64([1, 4]), b.constInt64([100, 100]), b.constInt64([2, 3]), b.constInt64([1, 2])], {}, { outputs: ['sliced'] });
      b.op('GlobalAveragePool', ['sliced'], {}, { outputs: ['pooled'] });
    };
    const at = (layer: string) => fieldOf([16, 16], build, layer, ['pooled']);
    assert.deepEqual((await at('sum')).size, [5, 5]);
    assert.deepEqual((await at('sum')).start, [-2, -2]);
    assert.deepEqual((await at('gated')).size, [5, 5]);
    const padded = await at('padded');
    assert.deepEqual(padded.start, [-4, -5]);
    const sliced = await at('sliced');
    assert.deepEqual({ stride: sliced.stride, start: sliced.start, size: sliced.size }, { stride: [1, 2], start: [-3, -1], size: [5, 5] });
    const pooled = await at('pooled');
    assert.equal(pooled.global, true);
    assert.deepEqual(fieldBox(pooled, 0, 0), { top: 0, left: 0, bottom: 15, right: 15 });
  });

  it('is the bounding box of the input gradient of one unit', async () => {
    // an average pool, so every pixel of the window gets gradient (a max pool picks one)
    const bytes = buildModel({ inputs: [{ name: 'x', dims: [1, 1, 32, 32] }], outputs: ['c3'], build: (b) => chain(b, 'AveragePool') });
    await using model = await Model.load(bytes, { runtime: nodeRuntime });
    const rf = receptiveField(await model.prepare([1, 1, 32, 32]), 'c3');
    const compiled = await model.compile({ seeds: ['c3'] }, [1, 1, 32, 32]);
    const [h, w] = compiled.shapeOf('c3').slice(2) as [number, number];
    const seed = new Float32Array(h * w);
    const [uy, ux] = [3, 4];
    seed[uy * w + ux] = 1;
    const x = { data: Float32Array.from({ length: 1024 }, (_, i) => 1 + (i % 7) / 7), shape: [1, 1, 32, 32] };
    const g = (await compiled.run({ input: x, seeds: { c3: { data: seed, shape: [1, 1, h, w] } } })).gradients.x;
    const rows: number[] = [];
    const cols: number[] = [];
    g?.data.forEach((v, i) => {
      if (v !== 0) {
        rows.push(Math.floor(i / 32));
        cols.push(i % 32);
      }
    });
    assert.deepEqual(fieldBox(rf, uy, ux), { top: Math.min(...rows), left: Math.min(...cols), bottom: Math.max(...rows), right: Math.max(...cols) });
  });

  it('a Resize is a clear error', async () => {
    await assert.rejects(
      fieldOf([8, 8], (b) => b.op('Resize', ['x', '', b.constFloat([1, 1, 2, 2], [4])], { mode: 'nearest' }, { outputs: ['up'] }), 'up'),
      (e: unknown) => isLucernaError(e, 'UNSUPPORTED_MODEL') && /Cannot compute the receptive field through node .*Resize/.test(e.message),
    );
  });
});
