/**
 * Offline comparison of surrogate control variates for LIME (issue #12 defect 12, session 10), not
 * a test: reads the dumps of scripts/dump-superpixel-scores.ts (`--method lime`). LIME's weights are
 * linear in the scores for a fixed design, so for any surrogate g of the score,
 * LIME_X(f) = LIME_∞(g) + LIME_X(f − g) + (LIME_X(g) − LIME_∞(g)); the control-variate estimate
 * drops the last bracket: LIME_∞(g) is LIME of g on many cheap surrogate samples (no model call),
 * LIME_X(f − g) the fit of the residual on the model's rows (Goldwasser & Hooker 2023,
 * https://arxiv.org/abs/2310.07672, applied to LIME's regression). Surrogates: ridge fits of
 * linear + adjacent-pair (`quad`), + adjacent-triangle (`cubic`) or + connected-triple (`path`) terms, on all the rows
 * (`-s`) or cross-fitted over the halves of the design (`-x`).
 *
 * @example
 * ```sh
 * node --import tsx scripts/select-cv-lime.ts /tmp/shap12d/lime-camera.png.json
 * ```
 */
import { readFileSync } from 'node:fs';
import { pairedDifference, spearman, topOverlap } from '../bench/superpixel-fidelity.js';
import { limeCoalitions, limeWeights } from '../src/attribution/perturbation/lime.js';
import { weightedRidge } from '../src/attribution/perturbation/regression.js';
import type { CoalitionSet } from '../src/attribution/perturbation/superpixel-sampling.js';

interface Dump {
  image: string;
  k: number;
  edges: [number, number][];
  reference: number[];
  runs: { seed: number; earlier: number[]; z: number[]; count: number; scores: number[] }[];
}

/** Interaction terms: adjacent pairs, plus adjacent triangles (`cubic`) or connected triples a~b~c (`path`). */
function terms(k: number, edges: [number, number][], kind: 'quad' | 'cubic' | 'path'): number[][] {
  const out: number[][] = edges.map(([a, b]) => [a, b]);
  if (kind === 'quad') return out;
  const nb = Array.from({ length: k }, () => new Set<number>());
  for (const [a, b] of edges) {
    nb[a]?.add(b);
    nb[b]?.add(a);
  }
  const seen = new Set<string>();
  for (let b = 0; b < k; b++)
    for (const a of nb[b] as Set<number>)
      for (const c of nb[b] as Set<number>) {
        if (c <= a || (kind === 'cubic' && !nb[a]?.has(c))) continue;
        const key = [a, b, c].sort((x, y) => x - y).join(',');
        if (!seen.has(key)) seen.add(key);
      }
  for (const key of seen) out.push(key.split(',').map(Number));
  return out;
}

/** Design matrix [z | Π z over each term] of rows `rows` of `set`. */
function expand(set: CoalitionSet, rows: number[], ts: number[][]): Float64Array {
  const k = set.features;
  const cols = k + ts.length;
  const x = new Float64Array(rows.length * cols);
  rows.forEach((r, i) => {
    for (let j = 0; j < k; j++) x[i * cols + j] = set.z[r * k + j] as number;
    ts.forEach((t, j) => {
      x[i * cols + k + j] = t.every((p) => set.z[r * k + p] === 1) ? 1 : 0;
    });
  });
  return x;
}

/** The surrogate: weighted ridge (LIME's weights, α relative to the weight mass) on rows `rows`; returns g evaluated on a set. */
function fitSurrogate(set: CoalitionSet, y: ArrayLike<number>, w: Float64Array, rows: number[], ts: number[][], alpha: number) {
  const x = expand(set, rows, ts);
  const cols = set.features + ts.length;
  const mass = rows.reduce((s, r) => s + (w[r] as number), 0);
  const fit = weightedRidge(
    { rows: rows.length, cols, data: x },
    rows.map((r) => y[r] as number),
    rows.map((r) => w[r] as number),
    { alpha: alpha * mass },
  );
  return (other: CoalitionSet) => {
    const all = Array.from({ length: other.count }, (_, r) => r);
    const xo = expand(other, all, ts);
    return Float64Array.from(all, (r) => {
      let v = fit.intercept;
      for (let j = 0; j < cols; j++) v += (fit.coef[j] as number) * (xo[r * cols + j] as number);
      return v;
    });
  };
}

/** LIME's fit (ridge 1, kernel width 0.25) of values `y` on rows `rows` of `set`. */
function lime(set: CoalitionSet, y: ArrayLike<number>, rows?: number[]): Float64Array {
  const k = set.features;
  const r = rows ?? Array.from({ length: set.count }, (_, i) => i);
  const z = new Uint8Array(r.length * k);
  r.forEach((row, i) => {
    z.set(set.z.subarray(row * k, row * k + k), i * k);
  });
  const sub = { z, count: r.length, features: k };
  return weightedRidge(
    { rows: r.length, cols: k, data: z },
    Float64Array.from(r, (row) => y[row] as number),
    limeWeights(sub, 0.25),
    { alpha: 1 },
  ).coef;
}

const big = Number(process.env.BIG ?? 20000);
const alphas = (process.env.ALPHAS ?? '0.01,0.1').split(',').map(Number);
const rowsOut: Record<string, { spearman: number; top5: number; top10: number }>[] = [];
for (const file of process.argv.slice(2)) {
  const d = JSON.parse(readFileSync(file, 'utf8')) as Dump;
  const { k } = d;
  const ref = Float64Array.from(d.reference);
  const cheap = limeCoalitions(k, big, 4242);
  for (const run of d.runs) {
    const set: CoalitionSet = { z: Uint8Array.from(run.z), count: run.count, features: k };
    const y = Float64Array.from(run.scores);
    const w = limeWeights(set, 0.25);
    const est: Record<string, Float64Array> = { earlier: Float64Array.from(run.earlier), balanced: lime(set, y) };
    const all = Array.from({ length: set.count }, (_, r) => r);
    // Halves keep the folded pairs (rows 2j−1, 2j) together; row 0 (the clean input) goes to both.
    const half = (h: number) => all.filter((r) => r === 0 || Math.floor((r - 1) / 2) % 2 === h);
    for (const kind of ['quad', 'cubic', 'path'] as const) {
      const ts = terms(k, d.edges, kind);
      for (const alpha of alphas) {
        const name = `${kind}-${alpha}`;
        const g = fitSurrogate(set, y, w, all, ts, alpha);
        const gy = g(set);
        const res = y.map((v, r) => v - (gy[r] as number));
        const gInf = lime(cheap, g(cheap));
        est[`${name}-s`] = gInf.map((v, j) => v + (lime(set, res)[j] as number));
        const parts = [0, 1].map((h) => {
          const gh = fitSurrogate(set, y, w, half(h), ts, alpha);
          const gset = gh(set);
          const resid = y.map((v, r) => v - (gset[r] as number));
          const other = half(1 - h);
          const inf = lime(cheap, gh(cheap));
          const corr = lime(set, resid, other);
          return inf.map((v, j) => v + (corr[j] as number));
        });
        est[`${name}-x`] = (parts[0] as Float64Array).map((v, j) => (v + (parts[1]?.[j] as number)) / 2);
      }
    }
    const line: Record<string, { spearman: number; top5: number; top10: number }> = {};
    for (const [name, phi] of Object.entries(est))
      line[name] = { spearman: spearman(phi, ref), top5: topOverlap(phi, ref, 5), top10: topOverlap(phi, ref, 10) };
    rowsOut.push(line);
    console.log(
      `${d.image} ${run.seed}: ${Object.entries(line)
        .map(([n, v]) => `${n} ${v.spearman.toFixed(3)}/${v.top5.toFixed(1)}`)
        .join('  ')}`,
    );
  }
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const fmt = (p: { mean: number; low: number; high: number }) => `${p.mean >= 0 ? '+' : ''}${p.mean.toFixed(3)} [${p.low.toFixed(3)}, ${p.high.toFixed(3)}]`;
console.log(`\n${rowsOut.length} (image, seed) pairs; d = candidate − earlier (1,000 independent), mean [95 % t interval]`);
console.log('| candidate | Spearman | d | top-5 | d | top-10 | d |');
for (const n of Object.keys(rowsOut[0] ?? {})) {
  const get = (key: 'spearman' | 'top5' | 'top10', m: string) => rowsOut.map((r) => r[m]?.[key] as number);
  const cells = (['spearman', 'top5', 'top10'] as const).map(
    (key) => `${mean(get(key, n)).toFixed(3)} | ${n === 'earlier' ? '' : fmt(pairedDifference(get(key, 'earlier'), get(key, n)))}`,
  );
  console.log(`| ${n} | ${cells.join(' | ')} |`);
}
