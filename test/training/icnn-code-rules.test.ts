/**
 * The ICNN authors' code rules (zqs1022/interpretableCNN) on hand-computed cases: the centroid mask
 * centre (rounded half up), the maps' spread, the per-filter β update, the per-step filter
 * reassignment and the w/epoch loss weight; and β as training state that a trainer updates and saves.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nodeRuntime } from '../../src/engine/node.js';
import { buildModel, emptyGraph, GraphBuilder, graphFromBytes } from '../../src/onnx/builder.js';
import { DataType, encodeModel } from '../../src/onnx/proto.js';
import { seededRandom } from '../../src/tensor/random.js';
import { emitCentre } from '../../src/training/interpretable/centre.js';
import { classPeaksName, emitBetaUpdate, emitEpochWeight, emitReassignment } from '../../src/training/interpretable/code-rules.js';
import { filterLoss, relativeToClassLevel } from '../../src/training/interpretable/filter-loss.js';
import { insertMask, maskBetaName } from '../../src/training/interpretable/mask.js';
import { trainedCategories } from '../../src/training/interpretable/setup.js';
import { betaFromCodeUnits } from '../../src/training/interpretable/templates.js';
import type { LossContext } from '../../src/training/loss.js';
import { oneHotRows } from '../../src/training/loss.js';
import { adam } from '../../src/training/optimizers/index.js';
import { Trainer } from '../../src/training/trainer.js';
import { uniform } from '../helpers/gradcheck.js';
import { toyFilterNet } from '../helpers/toy-filter-net.js';

const close = (a: number, b: number, tol = 1e-5) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);
type Feeds = Record<string, { data: Float32Array; shape: number[] }>;

/** Builds a graph from `body` with a loss context whose state is fed and whose updates are outputs `next:<state>`. */
async function runWithState(
  inputs: { name: string; dims: number[] }[],
  feeds: Feeds,
  classes: number,
  batch: number,
  body: (ctx: LossContext) => string[],
): Promise<Record<string, Float32Array>> {
  const g = emptyGraph(17);
  g.inputs = [...inputs, { name: 'onehot', dims: [batch, classes] }].map((i) => ({ name: i.name, elemType: DataType.FLOAT, dims: i.dims }));
  const b = new GraphBuilder(g);
  const nexts = new Map<string, string>();
  const ctx: LossContext = {
    b,
    logits: 'x',
    batch,
    classes,
    oneHot: 'onehot',
    shape: () => [],
    state: (name, dims) => {
      g.inputs.push({ name, elemType: DataType.FLOAT, dims: [...dims] });
      return name;
    },
    update: (name, next) => {
      nexts.set(name, next);
    },
  };
  const outs = body(ctx);
  for (const [k, v] of nexts) b.op('Identity', [v], {}, { outputs: [`next:${k}`] });
  g.outputs = [...outs, ...[...nexts.keys()].map((k) => `next:${k}`)].map((name) => ({ name, elemType: DataType.FLOAT, dims: [], rankUnknown: true }));
  const s = await nodeRuntime.createSession(encodeModel(g.toModel()));
  try {
    const out = await s.run(feeds);
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v?.data as Float32Array]));
  } finally {
    await s.dispose();
  }
}

const f32 = (v: number[]) => new Float32Array(v);

describe('mask centre (getMu.m)', () => {
  it('is the activation-weighted centroid rounded half up, not the arg-max', async () => {
    // x = [0 0 0; 0 0 0; 0 2 2]: row 3, column (2·2 + 3·2)/4 = 2.5 → 3 (half up; half-to-even would give 2,
    // the arg-max gives the first 2, at (3, 2)); spread √((2·(0 + 1) + 2·0)/4) = √0.5
    const x = f32([0, 0, 0, 0, 0, 0, 0, 2, 2]);
    const out = await runWithState(
      [{ name: 'x', dims: [1, 1, 9] }],
      { x: { data: x, shape: [1, 1, 9] }, onehot: { data: f32([1]), shape: [1, 1] } },
      1,
      1,
      (ctx) => {
        const c = emitCentre(ctx.b, 'x', 3, 'centroid', true);
        const a = emitCentre(ctx.b, 'x', 3, 'argmax', true);
        return [ctx.b.op('Cast', [c.cell], { to: DataType.FLOAT }), c.spread as string, ctx.b.op('Cast', [a.cell], { to: DataType.FLOAT }), a.spread as string];
      },
    );
    const [cell, spread, argCell, argSpread] = Object.values(out);
    close(cell?.[0] as number, 8);
    close(spread?.[0] as number, Math.sqrt(0.5));
    close(argCell?.[0] as number, 7);
    close(argSpread?.[0] as number, Math.sqrt(0.5)); // about (3, 2): √((2·0 + 2·1)/4)
  });
  it('the mask layer centres on it: x ∘ max(T_μ̂/τ, ·) kept around (3, 3)', async () => {
    const g = graphFromBytes(
      buildModel({
        inputs: [{ name: 'in', dims: [1, 1, 3, 3] }],
        outputs: ['out'],
        build: (b) => {
          const c = b.op('Conv', ['in', b.weight('w', [1], [1, 1, 1, 1])], {}, { outputs: ['c'] });
          b.op('Identity', [b.op('Relu', [c], {}, { outputs: ['r'] })], {}, { outputs: ['out'] });
        },
      }),
    );
    insertMask(g, 'r', [1, 1, 3, 3], { beta: 1 });
    const s = await nodeRuntime.createSession(encodeModel(g.toModel()));
    try {
      const y = (await s.run({ in: { data: f32([0, 0, 0, 0, 0, 0, 0, 2, 2]), shape: [1, 1, 3, 3] } })).out?.data as Float32Array;
      // T_(3,3)/τ with β = 1, n = 3: (3, 2) is 1 cell away → 2/3, (3, 3) → 1
      for (const [i, v] of [0, 0, 0, 0, 0, 0, 0, 4 / 3, 2].entries()) close(y[i] as number, v);
    } finally {
      await s.dispose();
    }
  });
});

describe('per-filter β (our_vl_simplenn.m)', () => {
  it('moves β towards clamp(3/σ, 1.5, 3) in code units, σ the strength-weighted spread of its category', async () => {
    // n = 3, β = 3 (cells). Image 0: a single 4 at the centre → strength 4·1/9, spread 0.
    // Image 1: 2, 2 at (2,1), (2,2) → centroid (2, 1.5 → 2), spread √0.5; T/τ there 1 − 3·1/3 = 0 and 1,
    // so strength 2/9. σ = (4/9·0 + 2/9·√0.5)/(6/9) = √0.5/3 = 0.236 → 3/σ = 12.7 → clamp 3 → 3·2n/(n−1) = 9.
    // Rate 0.5: 3 + 0.5·(9 − 3) = 6. Filter 1 has no image of its category: it keeps β 3.
    const maps = f32([0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    // [B = 2, C = 2, 9]: image 0 filter 0, image 0 filter 1 (zeros), image 1 filter 0, image 1 filter 1 (ones)
    const order = f32([...maps.slice(0, 9), ...maps.slice(9, 18), ...maps.slice(18, 27), ...maps.slice(27, 36)]);
    const out = await runWithState(
      [
        { name: 'flat', dims: [2, 2, 9] },
        { name: 'member', dims: [2, 2] },
      ],
      {
        flat: { data: order, shape: [2, 2, 9] },
        member: { data: f32([1, 0, 1, 0]), shape: [2, 2] },
        onehot: { data: f32([1, 1]), shape: [2, 1] },
        'r/mask/beta': { data: f32([3, 3]), shape: [1, 2, 1] },
      },
      1,
      2,
      (ctx) => {
        const beta = ctx.state?.('r/mask/beta', [1, 2, 1]) as string;
        emitBetaUpdate(ctx, { beta, flat: 'flat', member: 'member', n: 3, filters: 2, centre: 'centroid', rate: 0.5 });
        return [];
      },
    );
    const next = out['next:r/mask/beta'] as Float32Array;
    close(betaFromCodeUnits(3, 3), 9);
    close(next[0] as number, 6);
    close(next[1] as number, 3);
  });
});

describe('filter reassignment (our_cnn_train.m)', () => {
  const run = (state: number[], labels: number[], peaksBC: number[], relative = false) =>
    runWithState(
      [{ name: 'flat', dims: [3, 2, 1] }],
      {
        flat: { data: f32(peaksBC), shape: [3, 2, 1] },
        onehot: { data: oneHotRows(labels, 3), shape: [3, 3] },
        peaks: { data: f32(state), shape: [3, 2] },
      },
      3,
      3,
      (ctx) => [emitReassignment(ctx, { state: 'peaks', flat: 'flat', filters: 2, exclude: [2], relative })],
    );
  it('starts each class row at max(mean peak, 0.1) and gives each filter the non-excluded class with the highest', async () => {
    // labels bird, fish, none; filter 0 peaks 1, 3, 5; filter 1 peaks 2, 0, 0
    const out = await run([0, 0, 0, 0, 0, 0], [0, 1, 2], [1, 2, 3, 0, 5, 0]);
    // rows: bird [1, 2], fish [3, 0.1], none [5, 0.1]; none is excluded → filter 0 to fish, filter 1 to bird
    for (const [i, v] of [1, 2, 3, 0.1, 5, 0.1].entries()) close(out['next:peaks']?.[i] as number, v);
    const member = Object.values(out)[0] as Float32Array; // [B, C]
    assert.deepEqual([...member], [0, 1, 1, 0, 0, 0]);
  });
  it('then keeps a running mean (momentum 0.9); an absent class and a zero mean keep their values', async () => {
    // labels bird, bird, none; filter 0 peaks 5, 7, 1; filter 1 peaks 0, 0, 3
    const out = await run([1, 2, 3, 0.1, 5, 0.1], [0, 0, 2], [5, 0, 7, 0, 1, 3]);
    // bird: mean [6, 0] → [0.9·1 + 0.1·6, 2 (zero mean kept)]; fish absent; none: [0.9·5 + 0.1·1, 0.9·0.1 + 0.1·3]
    for (const [i, v] of [1.5, 2, 3, 0.1, 4.6, 0.39].entries()) close(out['next:peaks']?.[i] as number, v);
    // this step's owners come from the running means before the update: filter 0 fish, filter 1 bird
    assert.deepEqual([...(Object.values(out)[0] as Float32Array)], [0, 1, 0, 1, 0, 0]);
  });
  it('relative: a class that makes every filter fire more does not win them all (each row over its mean over the filters)', async () => {
    // running peaks: bird [4, 6], fish [3, 2], none [5, 5]; every filter peaks higher on birds.
    // The authors' rule gives both filters to bird; relative: bird [0.8, 1.2], fish [1.2, 0.8] → filter 0 fish, filter 1 bird.
    const state = [4, 6, 3, 2, 5, 5];
    const peaks = [1, 1, 1, 1, 1, 1];
    const owners = async (relative: boolean) => [...(Object.values(await run(state, [0, 1, 2], peaks, relative))[0] as Float32Array)];
    assert.deepEqual(await owners(false), [1, 1, 0, 0, 0, 0]);
    assert.deepEqual(await owners(true), [0, 1, 1, 0, 0, 0]);
  });
  it('relativeToClassLevel divides each class row by its mean over the filters, and trainedCategories uses it', () => {
    assert.deepEqual([...relativeToClassLevel([2, 6, 1, 1, 0, 0], 3)], [0.5, 1.5, 1, 1, 0, 0]);
    const setup = (relative: boolean) => ({
      graph: emptyGraph(17),
      terms: [],
      categories: new Map([['r', [0, 0]]]),
      reassignExclude: [2],
      reassignRelative: relative,
    });
    const state = new Map([[classPeaksName('r'), new Float32Array([4, 6, 3, 2, 5, 5])]]);
    assert.deepEqual(trainedCategories(setup(false), state).get('r'), [0, 0]);
    assert.deepEqual(trainedCategories(setup(true), state).get('r'), [1, 0]);
  });
});

describe('loss-weight schedule', () => {
  it('is w/epoch with a 1-based epoch from the step counter', async () => {
    for (const [step, want] of [
      [0, 2],
      [2, 2],
      [3, 1],
      [7, 2 / 3],
    ] as const) {
      const out = await runWithState([], { step: { data: f32([step]), shape: [] }, onehot: { data: f32([1]), shape: [1, 1] } }, 1, 1, (ctx) => [
        emitEpochWeight(ctx, 'step', 2, 3),
      ]);
      close(Object.values(out)[0]?.[0] as number, want);
      close(out['next:step']?.[0] as number, step + 1);
    }
  });
});

describe('β as training state', () => {
  it('is not trained, moves during training, and is saved with the values', async () => {
    const random = seededRandom(5);
    const graph = toyFilterNet(random);
    insertMask(graph, 'r', [8, 4, 6, 6], { adaptiveBeta: true });
    const x = uniform(8 * 36, random, 0, 1);
    await using trainer = await Trainer.create(graph, [1, 6, 6], {
      runtime: nodeRuntime,
      optimizer: adam,
      freeze: ['fc*'],
      loss: [filterLoss({ tensor: 'r', categories: [0, 1, 0, 1], betaRate: 0.5 })],
    });
    assert.ok(!trainer.trainable.includes(maskBetaName('r')));
    assert.ok(!trainer.trainable.some((p) => p.startsWith('r/mask/')));
    for (let i = 0; i < 3; i++) await trainer.step({ data: x, shape: [8, 1, 6, 6] }, [0, 1, 0, 1, 0, 1, 0, 1], 0.05);
    const beta = trainer.values().get(maskBetaName('r')) as Float32Array;
    assert.equal(beta.length, 4);
    // every filter has images of its category here, so each β left 4 for its target in [1.5, 3]·2·6/5 = [3.6, 7.2]
    for (const v of beta) assert.ok(v !== 4 && v >= 3.6 - 1e-4 && v <= 7.2 + 1e-4, `β ${v}`);
  });
});
