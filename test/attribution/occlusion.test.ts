import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { forEachWindowRun, occlude, occlusion, occlusionGrid } from '../../src/attribution/perturbation/occlusion.js';
import { functionScorer } from '../../src/attribution/perturbation/scorer.js';
import { Model } from '../../src/engine/model.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { LucernaError } from '../../src/errors.js';
import { seededRandom } from '../../src/tensor/random.js';
import { concatBatch, sizeOf, sliceBatch, type Tensor } from '../../src/tensor/tensor.js';
import { assertClose } from '../helpers/compare.js';
import { caseInput, oracle, oracleModelBytes, reference } from '../helpers/oracle.js';
import { positiveShareInside, regionModel } from '../helpers/perturbation.js';

// Forward-only parity; lowered optimisation keeps ORT's rounding closest to PyTorch's (as the gradient tests).
const load = (c: { onnx: string }) => Model.load(oracleModelBytes(c), { runtime: nodeRuntime, optimization: 'disabled' });
const captum = { window: [3, 8, 8], strides: [3, 4, 4], baseline: 'zeros' } as const;

function randomTensor(shape: number[], seed: number): Tensor {
  const next = seededRandom(seed);
  return { data: Float32Array.from({ length: sizeOf(shape) }, () => next() * 2 - 1), shape };
}

/**
 * Occlusion straight from the definition, for one sample [1, ...] of rank 4: every window start
 * k·stride (k = 0 … ⌈(dim − window)/stride⌉, windows cut at the edge), mean drop per element.
 */
async function slowOcclusion(f: (x: Tensor) => number, x: Tensor, b: Tensor, window: number[], strides: number[]): Promise<Float64Array> {
  const [, c, h, w] = x.shape as number[] as [number, number, number, number];
  const starts = (dim: number, win: number, s: number) => Array.from({ length: Math.ceil((dim - win) / s) + 1 }, (_, k) => k * s);
  const sums = new Float64Array(c * h * w);
  const counts = new Float64Array(c * h * w);
  const clean = f(x);
  for (const c0 of starts(c, window[0]!, strides[0]!)) {
    for (const y0 of starts(h, window[1]!, strides[1]!)) {
      for (const x0 of starts(w, window[2]!, strides[2]!)) {
        const inWindow = (k: number) => {
          const cc = Math.floor(k / (h * w));
          const yy = Math.floor(k / w) % h;
          const xx = k % w;
          return cc >= c0 && cc < c0 + window[0]! && yy >= y0 && yy < y0 + window[1]! && xx >= x0 && xx < x0 + window[2]!;
        };
        const data = x.data.map((v, k) => (inWindow(k) ? (b.data[k] as number) : v));
        const drop = clean - f({ data, shape: x.shape });
        for (let k = 0; k < data.length; k++) {
          if (!inWindow(k)) continue;
          sums[k] = (sums[k] as number) + drop;
          counts[k] = (counts[k] as number) + 1;
        }
      }
    }
  }
  return sums.map((s, k) => s / (counts[k] as number));
}

/** A nonlinear black box on one-sample rows: class 0 = Σ w·x², class 1 = Σ x. */
function blackBox(weights: Float32Array) {
  const score = (row: Float32Array) => {
    let a = 0;
    let s = 0;
    for (let k = 0; k < row.length; k++) {
      a += (weights[k] as number) * (row[k] as number) ** 2;
      s += row[k] as number;
    }
    return [a, s];
  };
  const per = weights.length;
  return {
    one: (x: Tensor) => score(x.data)[0] as number,
    scorer: (batchSize: number) =>
      functionScorer(async (batch) => Array.from({ length: batch.shape[0] as number }, (_, r) => score(batch.data.subarray(r * per, (r + 1) * per))), {
        batchSize,
      }),
  };
}

describe('occlusion', () => {
  for (const c of oracle().cases) {
    it(`matches Captum's Occlusion (window 3×8×8, stride 3×4×4, baseline 0): ${c.id}`, async () => {
      await using m = await load(c);
      const r = await occlusion.attribute(m, caseInput(c), { ...captum, target: c.target, batchSize: 32 });
      assertClose(r.attribution, reference(c, 'occlusion'), 1e-4, c.id);
      assert.deepEqual(r.targets, [c.target]);
      assert.equal(r.details?.positions, c.input_shape[2] === 32 ? 49 : 225);
    });
  }

  it("lays out window positions by Captum's rule, cutting the last window at the edge", () => {
    const grid = occlusionGrid([2, 7, 11], [1, 3, 4], [1, 2, 3]);
    assert.deepEqual(grid.counts, [2, 3, 4]); // ⌈(11 − 4)/3⌉ + 1 = 4: starts 0, 3, 6, 9; the last is 2 wide
    const runs: [number, number][] = [];
    forEachWindowRun([2, 7, 11], grid, grid.positions - 1, (offset, length) => runs.push([offset, length]));
    assert.deepEqual(runs, [
      [77 + 4 * 11 + 9, 2],
      [77 + 5 * 11 + 9, 2],
      [77 + 6 * 11 + 9, 2],
    ]);
  });

  it('equals a slow reference written from the definition (cut-off windows, tensor baseline, nonlinear black box)', async () => {
    const x = randomTensor([1, 2, 7, 11], 1);
    const b = randomTensor([1, 2, 7, 11], 2);
    const box = blackBox(randomTensor([1, 2, 7, 11], 3).data);
    const r = await occlude(box.scorer(5), x, { window: [1, 3, 4], strides: [1, 2, 3], baseline: b, target: 0 });
    const expected = await slowOcclusion(box.one, x, b, [1, 3, 4], [1, 2, 3]);
    assertClose(r.attribution, { data: Float32Array.from(expected), shape: x.shape }, 1e-5, 'slow reference');
  });

  it('batch size 1 and 64 give identical maps', async () => {
    const c = oracle().cases.find((k) => k.model === 'small_mobilenet')!;
    await using m = await load(c);
    const x = caseInput(c);
    const one = await occlusion.attribute(m, x, { ...captum, batchSize: 1 });
    const many = await occlusion.attribute(m, x, { ...captum, batchSize: 64 });
    assert.deepEqual(many.attribution.data, one.attribution.data);
  });

  it('a batch of two samples with two targets equals two single calls', async () => {
    const cases = oracle().cases.filter((k) => k.model === 'tiny_cnn');
    await using m = await load(cases[0]!);
    const x = concatBatch(cases.map(caseInput));
    const batch = await occlusion.attribute(m, x, { ...captum, target: [3, 7], batchSize: 20 });
    assert.deepEqual(batch.attribution.shape, x.shape);
    for (let i = 0; i < 2; i++) {
      const single = await occlusion.attribute(m, sliceBatch(x, i, 1), { ...captum, target: [3, 7][i], batchSize: 20 });
      assertClose(sliceBatch(batch.attribution, i, 1), single.attribution, 1e-6, `sample ${i}`);
    }
  });

  it('a functionScorer black box gives the same map as the model scorer', async () => {
    const c = oracle().cases.find((k) => k.model === 'small_resnet')!;
    await using m = await load(c);
    const x = caseInput(c);
    // Full forward passes on both sides (the incremental path rounds differently, ≈ 1e-5 relative).
    const viaModel = await occlusion.attribute(m, x, { ...captum, target: c.target, batchSize: 16, incremental: false });
    const box = functionScorer(async (batch) => (await m.run(batch)).logits as Tensor, { batchSize: 16 });
    const viaFunction = await occlude(box, x, { ...captum, target: c.target });
    assertClose(viaFunction.attribution, viaModel.attribution, 1e-6, 'function scorer');
    const viaOption = await occlusion.attribute(m, x, { ...captum, target: c.target, scorer: box });
    assert.deepEqual(viaOption.attribution.data, viaFunction.attribution.data);
  });

  it('puts ≥ 90% of its positive mass inside the one region the score depends on', async () => {
    const region = { y0: 12, y1: 44, x0: 20, x1: 52 };
    await using m = await Model.load(regionModel(3, 64, 64, region), { runtime: nodeRuntime });
    const next = seededRandom(3);
    const x: Tensor = { data: Float32Array.from({ length: 3 * 64 * 64 }, () => 0.5 + 0.5 * next()), shape: [1, 3, 64, 64] };
    const r = await occlusion.attribute(m, x, { window: [3, 4, 4], strides: [3, 2, 2], target: 0 });
    const share = positiveShareInside(r.attribution, region);
    assert.ok(share >= 0.9, `positive mass inside the region: ${share.toFixed(3)}`);
  });

  it('rejects bad options with one-line errors before any forward pass', async () => {
    let calls = 0;
    const scorer = functionScorer(async (batch) => {
      calls++;
      return new Float32Array(batch.shape[0] as number).fill(1);
    });
    const x = randomTensor([1, 3, 16, 16], 4);
    const bad: [string, object, string][] = [
      ['window of the wrong rank', { window: [8, 8] }, 'BAD_OPTION'],
      ['zero window', { window: [3, 0, 8] }, 'BAD_OPTION'],
      ['fractional stride', { window: [3, 8, 8], strides: [3, 2.5, 4] }, 'BAD_OPTION'],
      ['window larger than the input', { window: [3, 32, 8] }, 'BAD_OPTION'],
      ['stride larger than the window', { window: [3, 4, 4], strides: [3, 8, 4] }, 'BAD_OPTION'],
      ['unknown baseline', { baseline: 'mean' }, 'BAD_OPTION'],
      ['baseline of the wrong shape', { baseline: randomTensor([1, 3, 8, 8], 5) }, 'BAD_SHAPE'],
    ];
    for (const [what, options, code] of bad) {
      await assert.rejects(occlude(scorer, x, options as never), (e: unknown) => {
        assert.ok(e instanceof LucernaError, what);
        assert.equal(e.code, code, what);
        assert.ok(!e.oneLine().includes('\n'), `${what}: ${e.oneLine()}`);
        return true;
      });
    }
    assert.equal(calls, 0, 'validation runs before the scorer');
    await assert.rejects(occlude(scorer, x, { window: [3, 4, 4], target: 5 }), (e: unknown) => e instanceof LucernaError && e.code === 'BAD_TARGET');
  });

  it('an AbortSignal fired mid-run rejects quickly with ABORTED', async () => {
    const x = randomTensor([1, 3, 32, 32], 6);
    const controller = new AbortController();
    let abortedAt = 0;
    let chunksAfterAbort = 0;
    const scorer = functionScorer(
      async (batch) => {
        if (controller.signal.aborted) chunksAfterAbort++;
        await new Promise((resolve) => setTimeout(resolve, 5));
        return new Float32Array(batch.shape[0] as number).fill(1);
      },
      { batchSize: 4 },
    );
    const run = occlude(scorer, x, {
      window: [3, 4, 4],
      strides: [3, 1, 1],
      signal: controller.signal,
      onProgress: (done) => {
        if (done >= 8 && !controller.signal.aborted) {
          controller.abort();
          abortedAt = performance.now();
        }
      },
    });
    await assert.rejects(run, (e: unknown) => e instanceof LucernaError && e.code === 'ABORTED');
    assert.ok(abortedAt > 0, 'the run was aborted mid-way');
    assert.ok(performance.now() - abortedAt < 500, 'rejected quickly');
    assert.equal(chunksAfterAbort, 0, 'no chunk was scored after the abort');
  });
});
