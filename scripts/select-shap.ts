/**
 * Selection runs for KernelSHAP's default (issue #12 defect 12), not a test: on images and seeds
 * that the bench does not report (../shared/images camera, horse, rocket; seeds ≥ 101), each
 * candidate estimator's superpixel weights are compared with a high-budget reference of unbiased
 * antithetic permutation walks (Spearman, top-5 and top-10 overlap, squared error), one JSON line
 * per (image, seed). Candidates (`--candidates`), all but `earlier` within ⌊(2K + 2048) / 3⌋ scores:
 * - `earlier`: the earlier default, kernel regression on 2K + 2048 coalitions (`shap`'s `auto`);
 * - `walks` (the default) and `stratified`: antithetic walks, independent or with stratified
 *   depths (Castro, Gómez, Molina & Tejada 2017, Comput. Oper. Res. 82:180–188); each also gives
 *   `walkreg` / `swalkreg`, the kernel regression on the walks' own rows, and their mean `walkmix`;
 * - `leverage`, `kernel712`: the regression with leverage-score (Musco & Witter 2024,
 *   https://arxiv.org/abs/2410.01917) or kernel size sampling (paired, Covert & Lee 2021,
 *   https://arxiv.org/abs/2012.01536);
 * - `anchored` / `sanchored`: walks anchored on every singleton and leave-one-out coalition (as
 *   `shap` enumerates the sizes that fit the budget), independent or stratified.
 * Findings (session 9; BENCHMARKS.md, "LIME and KernelSHAP at their defaults"): none reached the earlier default's top-5.
 *
 * @example
 * ```sh
 * node --import tsx scripts/select-shap.ts --images camera.png,horse.png,rocket.jpg --seeds 101,102
 * ```
 */
import { appendFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { scriptArgs } from './script-args.js';
import '../src/node.js';
import { shapEstimate, spearman, topOverlap } from '../bench/superpixel-fidelity.js';
import { constrainedLeastSquares } from '../src/attribution/perturbation/regression.js';
import { type PermutationWalks, permutationWalks, randomOrder, walkPairs, walkShapley } from '../src/attribution/perturbation/shapley-permutations.js';
import { prepareSuperpixels, type SuperpixelProblem } from '../src/attribution/perturbation/superpixel-sampling.js';
import { scoreCoalitions } from '../src/attribution/perturbation/superpixel-scoring.js';
import { openModel } from '../src/cli/model.js';
import { loadImageTensor } from '../src/io/image.js';
import { seededRandom } from '../src/tensor/random.js';

const { values } = scriptArgs('scripts/select-shap.ts', {
  images: { type: 'string', default: 'camera.png,horse.png,rocket.jpg' },
  seeds: { type: 'string', default: '101,102,103,104' },
  reference: { type: 'string', default: '120' },
  candidates: { type: 'string', default: 'earlier,walks,stratified,walkreg,leverage' },
  out: { type: 'string', default: '/tmp/select-shap.jsonl' },
  /** Budget as a multiple of the earlier default 2K + 2048 (default: a third). */
  share: { type: 'string', default: '0.3333333333' },
});

const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** How the walks' orders are drawn: independently, or with stratified depths ({@link stratifiedOrders}). */
type WalkDesign = 'independent' | 'stratified';

/** A uniformly random integer in [0, n). */
const randomBelow = (n: number, next: () => number) => Math.floor(next() * n);

/**
 * `pairs` orders of `n` players whose antithetic positions are stratified: position t of a walk
 * and position n − 1 − t of its reverse are one "depth" min(t, n − 1 − t), the depths are cut into
 * `pairs` equal bins, and each player's bin moves by one per pair from a random start (a cyclic
 * Latin rectangle), so over the pairs every player joins its walks at every depth band once
 * instead of at random depths. A player whose bin is full takes the nearest bin with room; the
 * positions inside a bin, and which side of the walk they are on, are random. Players, starts and
 * positions are drawn with no regard to the players' labels, so each order on its own is a uniformly
 * random permutation (Castro, Gómez, Molina & Tejada 2017, Comput. Oper. Res. 82:180–188, stratified
 * sampling by position): the estimate stays unbiased.
 */
function stratifiedOrders(n: number, pairs: number, next: () => number): Int32Array[] {
  const depths = Math.ceil(n / 2);
  const binOf = (t: number) => Math.floor((Math.min(t, n - 1 - t) * pairs) / depths);
  const players = randomOrder(n, next);
  const start = new Int32Array(n);
  players.forEach((player, j) => {
    start[player] = j % pairs;
  });
  const orders: Int32Array[] = [];
  for (let p = 0; p < pairs; p++) {
    const free: number[][] = Array.from({ length: pairs }, () => []);
    for (const t of randomOrder(n, next)) free[binOf(t)]?.push(t);
    const order = new Int32Array(n);
    for (const player of randomOrder(n, next)) {
      const want = ((start[player] as number) + p) % pairs;
      const bin = nearestWithRoom(free, want, next);
      const slots = free[bin] as number[];
      order[slots.pop() as number] = player;
    }
    orders.push(order);
  }
  return orders;
}

/** The bin with room nearest to `want` (ties broken at random). */
function nearestWithRoom(free: readonly number[][], want: number, next: () => number): number {
  for (let d = 0; d < free.length; d++) {
    const candidates = [want - d, want + d].filter((b, i) => b >= 0 && b < free.length && (free[b] as number[]).length > 0 && (d > 0 || i === 0));
    if (candidates.length > 0) return candidates[randomBelow(candidates.length, next)] as number;
  }
  throw new Error('no free position left');
}

/** The rows of antithetic walks along given orders, laid out as {@link permutationWalks} does. */
function walksFromOrders(k: number, orders: Int32Array[]): PermutationWalks {
  const inner = k - 1;
  const count = 1 + 2 * orders.length * inner;
  const z = new Uint8Array(count * k);
  let row = 1;
  for (const order of orders) {
    for (const reverse of [false, true]) {
      const mask = new Uint8Array(k);
      for (let t = 0; t < inner; t++) {
        mask[order[reverse ? k - 1 - t : t] as number] = 1;
        z.set(mask, row++ * k);
      }
    }
  }
  return { set: { z, count, features: k }, orders };
}

/** `pairs` antithetic walks of the given design, reproducible from `seed`. */
function designWalks(k: number, pairs: number, seed: number, design: WalkDesign): PermutationWalks {
  if (design === 'independent') return permutationWalks(k, pairs, seed);
  return walksFromOrders(k, stratifiedOrders(k, pairs, seededRandom(seed)));
}

/** Walks and, from the same scores, the regression on the walks' coalitions. */
async function walks(problem: SuperpixelProblem, samples: number, seed: number, design: WalkDesign) {
  const k = problem.segmentations[0]?.count as number;
  const w = designWalks(k, walkPairs(k, samples), seed, design);
  const [scores] = await scoreCoalitions(problem, [w.set], { target: 0, batchSize: 32 });
  const s = scores as Float64Array;
  const full = problem.context.scores[0] as number;
  return { phi: walkShapley(w, s, full), reg: walkRegression(w.set.z, w.set.count, k, s, full), rows: w.set.count };
}

/** Regression on walk rows: each size visited equally often, so the kernel weight over the draw probability is ∝ 1/(s(K − s)). */
function walkRegression(z: Uint8Array, count: number, k: number, scores: Float64Array, full: number): Float64Array {
  const rows = count - 1;
  const y = new Float64Array(rows);
  const w = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let size = 0;
    for (let j = 0; j < k; j++) size += z[(r + 1) * k + j] as number;
    w[r] = 1 / (size * (k - size));
    y[r] = (scores[r + 1] as number) - (scores[0] as number);
  }
  return constrainedLeastSquares({ rows, cols: k, data: z.subarray(k) }, y, w, full - (scores[0] as number)).x;
}

/**
 * Walks anchored on the enumerated ends: every singleton and every leave-one-out coalition is scored
 * (2K rows), so each player's contributions at depth 0 (joining the empty set, leaving the full one)
 * are exact; walks then score only sizes 2..K − 2 and estimate the middle depths.
 */
async function anchored(problem: SuperpixelProblem, budget: number, seed: number, design: WalkDesign): Promise<Float64Array> {
  const k = problem.segmentations[0]?.count as number;
  const pairs = Math.max(1, Math.floor((budget - 1 - 2 * k) / (2 * (k - 3))));
  const orders = designWalks(k, pairs, seed, design).orders;
  const middle = k - 3;
  const count = 1 + 2 * k + 2 * pairs * middle;
  const z = new Uint8Array(count * k);
  for (let i = 0; i < k; i++) {
    z[(1 + i) * k + i] = 1;
    z.fill(1, (1 + k + i) * k, (2 + k + i) * k);
    z[(1 + k + i) * k + i] = 0;
  }
  let row = 1 + 2 * k;
  for (const order of orders) {
    for (const reverse of [false, true]) {
      const mask = new Uint8Array(k);
      for (let t = 0; t < k - 2; t++) {
        mask[order[reverse ? k - 1 - t : t] as number] = 1;
        if (t >= 1) z.set(mask, row++ * k);
      }
    }
  }
  const [scores] = await scoreCoalitions(problem, [{ z, count, features: k }], { target: 0, batchSize: 32 });
  const s = scores as Float64Array;
  const full = problem.context.scores[0] as number;
  const empty = s[0] as number;
  const single = (i: number) => s[1 + i] as number;
  const leaveOut = (i: number) => s[1 + k + i] as number;
  const sum = new Float64Array(k);
  const n = new Float64Array(k);
  row = 1 + 2 * k;
  for (const order of orders) {
    for (const reverse of [false, true]) {
      const at = (t: number) => order[reverse ? k - 1 - t : t] as number;
      let before = single(at(0));
      for (let t = 1; t <= k - 2; t++) {
        const after = t === k - 2 ? leaveOut(at(k - 1)) : (s[row++] as number);
        sum[at(t)] = (sum[at(t)] as number) + after - before;
        n[at(t)] = (n[at(t)] as number) + 1;
        before = after;
      }
    }
  }
  const phi = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    const ends = single(i) - empty + full - leaveOut(i);
    const mid = (n[i] as number) > 0 ? (sum[i] as number) / (n[i] as number) : ends / 2;
    phi[i] = ends / k + ((k - 2) / k) * mid;
  }
  const gap = (full - empty - phi.reduce((a, b) => a + b, 0)) / k;
  return phi.map((v) => v + gap);
}

const model0 = await openModel('bundled');
const { model } = model0;
const candidates = (values.candidates as string).split(',');
for (const name of (values.images as string).split(',')) {
  const file = fileURLToPath(new URL(`../../shared/images/${name}`, import.meta.url));
  const { tensor: x } = await loadImageTensor(file, { ...model0.preprocessing, inputDims: model.input.dims });
  const problem = await prepareSuperpixels(model, x, { batchSize: 32 }, 'KernelSHAP');
  const k = problem.segmentations[0]?.count as number;
  const pairs = Number(values.reference);
  const ref = (await walks(problem, pairs * 2 * (k - 1), 999, 'independent')).phi;
  const budget = Math.floor((2 * k + 2048) * Number(values.share));
  console.log(`${name}: K ${k}, target ${problem.context.targets[0]}, budget ${budget}`);
  for (const seed of (values.seeds as string).split(',').map(Number)) {
    const results: Record<string, { phi: Float64Array; cpu: number }> = {};
    for (const c of candidates) {
      const c0 = cpu();
      if (c === 'earlier') results[c] = { phi: await shapEstimate(problem, 2 * k + 2048, seed, 'kernel'), cpu: 0 };
      else if (c === 'leverage') results[c] = { phi: await shapEstimate(problem, budget, seed, 'leverage'), cpu: 0 };
      else if (c === 'kernel712') results[c] = { phi: await shapEstimate(problem, budget, seed, 'kernel'), cpu: 0 };
      else if (c === 'anchored' || c === 'sanchored')
        results[c] = { phi: await anchored(problem, budget, seed, c === 'anchored' ? 'independent' : 'stratified'), cpu: 0 };
      else if (c === 'walks' || c === 'stratified') {
        const r = await walks(problem, budget, seed, c === 'walks' ? 'independent' : 'stratified');
        results[c] = { phi: r.phi, cpu: 0 };
        results[c === 'walks' ? 'walkreg' : 'swalkreg'] = { phi: r.reg, cpu: 0 };
        const mix = r.phi.map((v, i) => (v + (r.reg[i] as number)) / 2);
        results[c === 'walks' ? 'walkmix' : 'swalkmix'] = { phi: mix, cpu: 0 };
      }
      if (results[c]) results[c] = { ...(results[c] as { phi: Float64Array }), cpu: cpu() - c0 };
    }
    const line: Record<string, unknown> = { image: name, seed, k };
    for (const [c, r] of Object.entries(results)) {
      let se = 0;
      for (let i = 0; i < k; i++) se += ((r.phi[i] as number) - (ref[i] as number)) ** 2;
      line[c] = { spearman: spearman(r.phi, ref), top5: topOverlap(r.phi, ref, 5), top10: topOverlap(r.phi, ref, 10), se, cpu: r.cpu };
    }
    appendFileSync(values.out as string, `${JSON.stringify(line)}\n`);
    console.log(
      `${name} seed ${seed}: ${Object.entries(line)
        .filter(([, v]) => typeof v === 'object')
        .map(([c, v]) => {
          const a = v as { spearman: number; top5: number; se: number };
          return `${c} ${a.spearman.toFixed(3)}/${a.top5.toFixed(1)}/${a.se.toExponential(2)}`;
        })
        .join('  ')}`,
    );
  }
}
await model0[Symbol.asyncDispose]();
