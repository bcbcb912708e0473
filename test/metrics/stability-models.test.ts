/**
 * Location instability on hand-built models with known answers, end to end through the engine:
 * - a filter that detects the red marker drawn at the `eye` landmark has instability 0 (its peak
 *   is on the eye, and at a constant offset from the `tail`);
 * - a filter whose peak is uniformly random (it detects an independent blue dot) has the
 *   instability computed analytically by enumerating every (dot, eye) pair, within 4 standard
 *   errors of the population-std estimator (delta method) plus its O(1/n) bias;
 * - background-only images are ignored even when landmarks.csv has rows for them;
 * - with no class, landmarks of all classes pool (an exact two-point distribution);
 * - the ICNN protocol puts peaks at receptive-field centres (exact on a valid 3×3 conv), and
 * - agrees with the default one (times √(n/(n−1))) with K above n, ratio 1, on a
 *   1×1 stride-1 layer, and on a 2×2 stride-2 pool (whose cell and field centres coincide).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runStability } from '../../src/cli/commands/stability.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { setDefaultRuntime } from '../../src/engine/runtime.js';
import { buildModel } from '../../src/onnx/builder.js';
import { EYE_RANGE, markerModel, SIZE, TAIL_OFFSET, writeMarkerSet } from '../datasets/marker-set.js';

/** Exact mean, std and 4th central moment of d = ‖U − E − off‖/diag, U uniform on the grid, E on EYE_RANGE². */
function analytic(off: readonly [number, number]) {
  const diag = Math.hypot(SIZE, SIZE);
  const ds: number[] = [];
  for (let ex = EYE_RANGE[0]; ex <= EYE_RANGE[1]; ex++)
    for (let ey = EYE_RANGE[0]; ey <= EYE_RANGE[1]; ey++)
      for (let ux = 0; ux < SIZE; ux++) for (let uy = 0; uy < SIZE; uy++) ds.push(Math.hypot(ux - ex - off[0], uy - ey - off[1]) / diag);
  const mean = ds.reduce((s, v) => s + v, 0) / ds.length;
  const m2 = ds.reduce((s, v) => s + (v - mean) ** 2, 0) / ds.length;
  const m4 = ds.reduce((s, v) => s + (v - mean) ** 4, 0) / ds.length;
  return { sigma: Math.sqrt(m2), m2, m4 };
}

describe('location instability on hand-built models', () => {
  let dir: string;
  const N_BIRD = 240;
  const N_FISH = 60;
  const FISH_OFFSET = 3;
  before(async () => {
    setDefaultRuntime(nodeRuntime);
    dir = mkdtempSync(join(tmpdir(), 'lucerna-stability-'));
    writeFileSync(join(dir, 'marker.onnx'), markerModel());
    await writeMarkerSet(join(dir, 'set'), {
      classes: { bird: { count: N_BIRD, redOffset: 0, tail: true }, fish: { count: N_FISH, redOffset: FISH_OFFSET, tail: false } },
      none: 40,
      seed: 11,
    });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const run = (extra: Record<string, string> = {}) =>
    runStability(join(dir, 'marker.onnx'), { dataset: join(dir, 'set'), layer: 'relu', json: true, ...extra });

  it('a marker detector has instability 0; a random-peak filter has the analytic value', async () => {
    const s = await run({ class: 'bird' });
    const [red, blue] = s.json.filters;
    assert.equal(red?.images, N_BIRD);
    assert.ok(Math.abs(red?.instability as number) < 1e-12, `red filter ${red?.instability}`);
    assert.equal(blue?.images, N_BIRD);
    const eye = analytic([0, 0]);
    const tail = analytic(TAIL_OFFSET);
    const expected = (eye.sigma + tail.sigma) / 2;
    // SE of a population std over n draws ≈ √((μ4 − σ⁴) / (4 n σ²)); bias ≈ −σ/(4n)·(κ − 1) is far smaller.
    const se = (m: { m2: number; m4: number }) => Math.sqrt((m.m4 - m.m2 * m.m2) / (4 * N_BIRD * m.m2));
    const tolerance = 4 * Math.max(se(eye), se(tail));
    const got = blue?.instability as number;
    assert.ok(Math.abs(got - expected) < tolerance, `blue filter ${got} vs analytic ${expected} ± ${tolerance}`);
    assert.ok(tolerance < expected / 5, 'the tolerance is tight enough to tell a random filter from a stable one');
    assert.ok(Math.abs((s.json.instability as number) - got / 2) < 1e-12);
  });

  it('pools the landmarks of every class without --class and ignores images without an object', async () => {
    const s = await run();
    const [red] = s.json.filters;
    // eye: distance 0 for birds, 3 px for fish → population std 3·√(p(1 − p)); tail (birds only): 0.
    const p = N_BIRD / (N_BIRD + N_FISH);
    const expected = ((FISH_OFFSET / Math.hypot(SIZE, SIZE)) * Math.sqrt(p * (1 - p)) + 0) / 2;
    assert.equal(red?.images, N_BIRD + N_FISH);
    assert.ok(Math.abs((red?.instability as number) - expected) < 1e-9, `${red?.instability} vs ${expected}`);
  });

  it('the ICNN protocol places peaks at receptive-field centres (a valid 3×3 conv), the default at cell centres', async () => {
    // The red detector as the centre tap of a 3×3 kernel without padding: unit (i, j) sees pixels
    // i…i+2, so the red dot at pixel (x, y) peaks at unit (y − 1, x − 1), whose field centre is
    // the dot's centre (the eye) while its cell centre ((x − 0.5)·32/30) drifts with x.
    const weights = new Array(2 * 3 * 9).fill(0);
    [1, -1, -1, -1, -1, 1].forEach((v, k) => {
      weights[k * 9 + 4] = v;
    });
    writeFileSync(
      join(dir, 'valid.onnx'),
      buildModel({
        inputs: [{ name: 'x', dims: ['N', 3, SIZE, SIZE] }],
        outputs: ['valid'],
        build: (b) => {
          const c = b.op('Conv', ['x', b.weight('w', weights, [2, 3, 3, 3])]);
          b.op('Relu', [c], {}, { outputs: ['valid'] });
        },
      }),
    );
    const args = { dataset: join(dir, 'set'), layer: 'valid', class: 'bird', json: true };
    const icnn = await runStability(join(dir, 'valid.onnx'), { ...args, protocol: 'icnn', topImages: '1000' });
    const def = await runStability(join(dir, 'valid.onnx'), args);
    assert.ok(Math.abs(icnn.json.filters[0]?.instability as number) < 1e-12, `icnn ${icnn.json.filters[0]?.instability}`);
    assert.ok((def.json.filters[0]?.instability as number) > 1e-3, `default ${def.json.filters[0]?.instability}`);
  });

  for (const layer of ['relu', 'pool']) {
    it(`the ICNN protocol agrees with K ≥ n, ratio 1 (layer ${layer})`, async () => {
      const def = await run({ class: 'bird', layer });
      const icnn = await run({ class: 'bird', layer, protocol: 'icnn', topImages: '1000', selectRatio: '1' });
      const factor = Math.sqrt(N_BIRD / (N_BIRD - 1));
      def.json.filters.forEach((f, i) => {
        const other = icnn.json.filters[i]?.instability as number;
        assert.ok(Math.abs(other - (f.instability as number) * factor) < 1e-6, `${layer} filter ${i}: ${other} vs ${f.instability}·${factor}`);
      });
    });
  }
});
