import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rise, riseMasks, riseSaliency } from '../../src/attribution/perturbation/rise.js';
import { functionScorer } from '../../src/attribution/perturbation/scorer.js';
import { upsampleBilinear } from '../../src/attribution/upsample.js';
import { Model } from '../../src/engine/model.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { LucernaError } from '../../src/errors.js';
import { seededRandom } from '../../src/tensor/random.js';
import { concatBatch, sizeOf, sliceBatch, type Tensor } from '../../src/tensor/tensor.js';
import { assertClose } from '../helpers/compare.js';
import { caseInput, oracle, oracleModelBytes } from '../helpers/oracle.js';
import { abortAfter, positiveShareInside, type Region, regionModel } from '../helpers/perturbation.js';

const load = (c: { onnx: string }) => Model.load(oracleModelBytes(c), { runtime: nodeRuntime });

function randomTensor(shape: number[], seed: number, lo = -1, hi = 1): Tensor {
  const next = seededRandom(seed);
  return { data: Float32Array.from({ length: sizeOf(shape) }, () => lo + (hi - lo) * next()), shape };
}

/** A black box on rows: class 0 = Σ w·x, class 1 = Σ x²; counts the rows it scored. */
function blackBox(weights: Float32Array, batchSize = 8) {
  const per = weights.length;
  const score = (row: Float32Array) => {
    let a = 0;
    let q = 0;
    for (let k = 0; k < per; k++) {
      a += (weights[k] as number) * (row[k] as number);
      q += (row[k] as number) ** 2;
    }
    return [a, q];
  };
  const box = {
    rows: 0,
    scorer: functionScorer(
      async (batch) => {
        box.rows += batch.shape[0] as number;
        return Array.from({ length: batch.shape[0] as number }, (_, r) => score(batch.data.subarray(r * per, (r + 1) * per)));
      },
      { batchSize },
    ),
    score,
  };
  return box;
}

describe('RISE', () => {
  it('computes Σ score_i · M_i / (N · p) over the inputs x ⊙ M_i', async () => {
    const [c, h, w] = [2, 12, 10];
    const x = randomTensor([1, c, h, w], 1);
    const box = blackBox(randomTensor([1, c, h, w], 2).data);
    const options = { masks: 40, cell: 3, keep: 0.3, seed: 5 };
    const r = await riseSaliency(box.scorer, x, { ...options, target: 1 });
    assert.deepEqual(r.attribution.shape, [1, 1, h, w]);
    const masks = riseMasks({ count: 40, height: h, width: w, cell: 3, keep: 0.3, seed: 5 });
    const expected = new Float64Array(h * w);
    for (let i = 0; i < 40; i++) {
      const m = masks.render(i);
      const masked = x.data.map((v, k) => v * (m[k % (h * w)] as number));
      const s = box.score(masked)[1] as number;
      for (let k = 0; k < h * w; k++) expected[k] = (expected[k] as number) + (s * (m[k] as number)) / (40 * 0.3);
    }
    assertClose(r.attribution, { data: Float32Array.from(expected), shape: [1, 1, h, w] }, 1e-5, 'formula');
    assert.equal(box.rows, 1 + 40);
  });

  it('draws smooth binary-grid masks: values in [0, 1], mean ≈ keep, slopes bounded by the cell size', () => {
    const [h, w, cell, keep] = [30, 20, 6, 0.3];
    const masks = riseMasks({ count: 400, height: h, width: w, cell, keep, seed: 9 });
    assert.deepEqual(masks.grid, [5, 4]);
    let sum = 0;
    let steepest = 0;
    for (let i = 0; i < masks.count; i++) {
      const m = masks.render(i);
      for (let k = 0; k < m.length; k++) {
        const v = m[k] as number;
        assert.ok(v >= 0 && v <= 1 + 1e-6, `mask ${i} value ${v}`);
        sum += v;
        if (k % w < w - 1) steepest = Math.max(steepest, Math.abs((m[k + 1] as number) - v));
      }
    }
    const mean = sum / (masks.count * h * w);
    assert.ok(Math.abs(mean - keep) < 0.02, `mean mask value ${mean}`);
    // A grid of 4 columns upsampled to (4 + 1)·6 = 30 pixels: one cell spans 7.5 pixels, so a step is ≤ 1/7.5.
    assert.ok(steepest <= 1 / 7.5 + 1e-6 && steepest > 0.1, `steepest step ${steepest}`);
  });

  it('renders each mask as its grid upsampled bilinearly to (grid + 1)·cell and cropped at its shift', () => {
    const [h, w, cell] = [13, 21, 5];
    const masks = riseMasks({ count: 20, height: h, width: w, cell, keep: 0.5, seed: 4 });
    const [rows, cols] = masks.grid;
    assert.deepEqual([rows, cols], [3, 5]);
    const shifts = new Set<string>();
    for (let i = 0; i < masks.count; i++) {
      const { grid, shift } = masks.cells(i);
      shifts.add(shift.join());
      assert.ok(shift.every((s) => Number.isInteger(s) && s >= 0 && s < cell));
      const up = upsampleBilinear({ data: Float32Array.from(grid), shape: [1, 1, rows, cols] }, [(rows + 1) * cell, (cols + 1) * cell]);
      const crop = new Float32Array(h * w);
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) crop[y * w + x] = up.data[(y + shift[0]) * (cols + 1) * cell + x + shift[1]] as number;
      assertClose({ data: masks.render(i), shape: [h, w] }, { data: crop, shape: [h, w] }, 1e-6, `mask ${i}`);
    }
    assert.ok(shifts.size > 5, 'shifts vary between masks');
  });

  it('is deterministic for a seed and differs for another seed', async () => {
    const x = randomTensor([1, 3, 16, 16], 3);
    const box = blackBox(randomTensor([1, 3, 16, 16], 4).data);
    const a = await riseSaliency(box.scorer, x, { masks: 64, cell: 4, seed: 11, target: 0 });
    const b = await riseSaliency(box.scorer, x, { masks: 64, cell: 4, seed: 11, target: 0 });
    const other = await riseSaliency(box.scorer, x, { masks: 64, cell: 4, seed: 12, target: 0 });
    assert.deepEqual(b.attribution.data, a.attribution.data);
    assert.notDeepEqual(other.attribution.data, a.attribution.data);
  });

  it('batch size 1 and 64 give identical maps', async () => {
    const c = oracle().cases.find((k) => k.model === 'tiny_cnn')!;
    await using m = await load(c);
    const x = caseInput(c);
    const one = await rise.attribute(m, x, { masks: 150, cell: 4, seed: 2, batchSize: 1 });
    const many = await rise.attribute(m, x, { masks: 150, cell: 4, seed: 2, batchSize: 64 });
    assert.deepEqual(many.attribution.data, one.attribution.data);
  });

  it('a batch of two samples with two targets gives [2, 1, H, W] equal to two single calls', async () => {
    const cases = oracle().cases.filter((k) => k.model === 'tiny_cnn');
    await using m = await load(cases[0]!);
    const x = concatBatch(cases.map(caseInput));
    const options = { masks: 100, cell: 8, seed: 3, batchSize: 24 };
    const batch = await rise.attribute(m, x, { ...options, target: [2, 6] });
    assert.deepEqual(batch.attribution.shape, [2, 1, 32, 32]);
    assert.deepEqual(batch.targets, [2, 6]);
    for (let i = 0; i < 2; i++) {
      const single = await rise.attribute(m, sliceBatch(x, i, 1), { ...options, target: [2, 6][i] });
      assertClose(sliceBatch(batch.attribution, i, 1), single.attribution, 1e-6, `sample ${i}`);
    }
  });

  it('center subtracts the mean masked score: Σ (score_i − mean) · M_i / (N · p)', async () => {
    const [c, h, w] = [2, 9, 11];
    const x = randomTensor([1, c, h, w], 13);
    const box = blackBox(randomTensor([1, c, h, w], 14).data);
    const options = { masks: 30, cell: 4, keep: 0.4, seed: 8, target: 0 };
    const r = await riseSaliency(box.scorer, x, { ...options, center: true });
    const masks = riseMasks({ count: 30, height: h, width: w, cell: 4, keep: 0.4, seed: 8 });
    const scores = Array.from({ length: 30 }, (_, i) => {
      const m = masks.render(i);
      return box.score(x.data.map((v, k) => v * (m[k % (h * w)] as number)))[0] as number;
    });
    const mean = scores.reduce((a, b) => a + b, 0) / 30;
    const expected = new Float64Array(h * w);
    scores.forEach((s, i) => {
      const m = masks.render(i);
      for (let k = 0; k < h * w; k++) expected[k] = (expected[k] as number) + ((s - mean) * (m[k] as number)) / (30 * 0.4);
    });
    assertClose(r.attribution, { data: Float32Array.from(expected), shape: [1, 1, h, w] }, 1e-5, 'centred RISE');
    assert.equal(r.details?.center, true);
  });

  /** RISE (centred) of the model whose score is the sum of x over `region` only. */
  async function regionRise(o: { size: number; region: Region; cell: number; masks: number; seed: number }) {
    const x = randomTensor([1, 1, o.size, o.size], 5, 0.5, 1);
    await using model = await Model.load(regionModel(1, o.size, o.size, o.region), { runtime: nodeRuntime });
    return await rise.attribute(model, x, { masks: o.masks, cell: o.cell, keep: 0.5, seed: o.seed, target: 0, center: true, batchSize: 256 });
  }

  it('puts ≥ 90% of its positive mass inside the one region the score depends on', async () => {
    // RISE's map is the score-weighted average mask, so its resolution is the cell: bilinear masks
    // carry a region's credit up to about one cell past its edge. With cells 1/16 of the region's
    // side (2 px for 32 px) that spill stays small, and 64,000 masks keep the sampling noise
    // outside the region low. Centring removes the paper map's floor of about the mean score.
    const region: Region = { y0: 16, y1: 48, x0: 16, x1: 48 };
    const r = await regionRise({ size: 64, region, cell: 2, masks: 64000, seed: 21 });
    const share = positiveShareInside(r.attribution, region);
    assert.ok(share >= 0.9, `positive mass inside the region: ${share.toFixed(3)}`);
  });

  it('with coarser cells spreads credit about one cell past the region, and no further', async () => {
    const [cell, region] = [4, { y0: 12, y1: 44, x0: 20, x1: 52 }];
    const r = await regionRise({ size: 64, region, cell, masks: 8000, seed: 21 });
    const grown = { y0: region.y0 - cell, y1: region.y1 + cell, x0: region.x0 - cell, x1: region.x1 + cell };
    const share = positiveShareInside(r.attribution, grown);
    assert.ok(share >= 0.9, `positive mass within one cell of the region: ${share.toFixed(3)}`);
    const strict = positiveShareInside(r.attribution, region);
    assert.ok(strict >= 0.75, `positive mass inside the region: ${strict.toFixed(3)}`);
  });

  it('rejects bad options with one-line errors before any forward pass', async () => {
    const box = blackBox(randomTensor([1, 3, 8, 8], 6).data);
    const x = randomTensor([1, 3, 8, 8], 7);
    const bad: [string, object][] = [
      ['zero masks', { masks: 0 }],
      ['fractional masks', { masks: 2.5 }],
      ['zero cell', { cell: 0 }],
      ['cell larger than the image', { cell: 9 }],
      ['keep 0', { keep: 0 }],
      ['keep above 1', { keep: 1.5 }],
      ['keep NaN', { keep: Number.NaN }],
      ['negative seed', { seed: -1 }],
      ['fractional seed', { seed: 0.5 }],
      ['center not a boolean', { center: 'yes' }],
    ];
    for (const [what, options] of bad) {
      await assert.rejects(riseSaliency(box.scorer, x, options as never), (e: unknown) => {
        assert.ok(e instanceof LucernaError, what);
        assert.equal(e.code, 'BAD_OPTION', what);
        assert.ok(!e.oneLine().includes('\n'), `${what}: ${e.oneLine()}`);
        return true;
      });
    }
    await assert.rejects(riseSaliency(box.scorer, { data: x.data, shape: [3, 8, 8] }), (e: unknown) => e instanceof LucernaError && e.code === 'BAD_SHAPE');
    assert.equal(box.rows, 0, 'validation runs before the scorer');
  });

  it('an AbortSignal fired mid-run rejects quickly with ABORTED', async () => {
    const abort = abortAfter(8);
    const box = blackBox(randomTensor([1, 3, 16, 16], 8).data, 4);
    const run = riseSaliency(box.scorer, randomTensor([1, 3, 16, 16], 9), {
      masks: 10_000,
      cell: 4,
      signal: abort.signal,
      onProgress: abort.onProgress,
    });
    await abort.assertAborted(run);
    assert.equal(box.rows, 1 + 8, 'no chunk was scored after the abort');
  });
});
