/**
 * Offline comparison of control-variate Shapley estimators (issue #12 defect 12, session 10), not a
 * test: reads the dumps of scripts/dump-superpixel-scores.ts (`--method shap`) and scores, on the
 * SAME model rows as the default antithetic walks (≤ ⌊(2K + 2048) / 3⌋ scores, no extra model
 * call), estimators that subtract a surrogate's walk contributions and add back its exact Shapley
 * values (Goldwasser & Hooker 2023, "Stabilizing Estimates of Shapley Values with Control
 * Variates", https://arxiv.org/abs/2310.07672).
 *
 * Why a quadratic surrogate cannot help here: along an antithetic pair of walks, a pairwise term
 * b·z_i z_j credits i with b in exactly one of the two walks, so the pair's average contribution is
 * a_i + ½ Σ_j b_ij = φ_i(g) for every pair: the walks are already exact on any quadratic g, and
 * walks(f − g) + φ(g) = walks(f) to rounding (test/attribution/shapley-permutations.test.ts checks
 * that one pair is exact on such a game), so no quadratic candidate is scored. Only terms of order ≥ 3
 * reach the estimator's variance. For a term c·Π_{j∈T} z_j (|T| = m), player i ∈ T's pair
 * contribution is c·u with u = ½[all of T∖i before i] + ½[all of T∖i after i], E u = 1/m (= its
 * Shapley share), and Σ_{i∈T} u = 1 in every pair (efficiency is kept).
 *
 * Estimators (all from the dumped walk scores):
 * - `walks`: the default; `control-variate`: the shipped estimator (= `cv-path-loo-3`);
 * - `cv-tri`, `cv-path`: cross-fitted control variates on the pair contributions with
 *   order-3 terms over adjacent triangles / connected triples of SLIC superpixels (ridge; the
 *   coefficients of one half's pairs correct the other half's, so the estimate stays unbiased);
 * - `cv-tri-s`: the same fitted on all pairs (biased, for comparison); `cv-*-loo`: cross-fitted
 *   leaving one pair out (each pair corrected by θ of the other pairs: unbiased, 7/8 of the data).
 * The suffix is the ridge λ (relative to the normal matrix's mean diagonal; `LAMBDAS=1,3`). The
 * `ceiling` lines give the share of the walks' pair-contribution variance left when θ is fitted
 * in-sample on the reference's pairs (optimistic).
 *
 * @example
 * ```sh
 * node --import tsx scripts/select-cv.ts /tmp/shap12d/shap-camera.png.json /tmp/shap12d/shap-horse.png.json
 * ```
 */
import { readFileSync } from 'node:fs';
import { pairedDifference, spearman, topOverlap } from '../bench/superpixel-fidelity.js';
import { solveSymmetric } from '../src/attribution/perturbation/regression.js';
import { connectedTriples, controlVariateShapley, pairContributions } from '../src/attribution/perturbation/shapley-control-variates.js';
import { permutationWalks, walkShapley } from '../src/attribution/perturbation/shapley-permutations.js';

interface Dump {
  image: string;
  k: number;
  full: number;
  edges: [number, number][];
  reference: { seed: number; pairs: number; scores: number[]; phi: number[] };
  runs: { seed: number; pairs: number; earlier: number[]; scores: number[] }[];
}

/** The walks of one dumped run and each pair's contributions (the library's pairContributions). */
function pairsOf(k: number, pairs: number, seed: number, scores: ArrayLike<number>, full: number) {
  const walks = permutationWalks(k, pairs, seed);
  return { walks, c: pairContributions(walks, scores, full) };
}

/** Adjacency lists. */
function neighbours(k: number, edges: [number, number][]): Set<number>[] {
  const nb = Array.from({ length: k }, () => new Set<number>());
  for (const [a, b] of edges) {
    nb[a]?.add(b);
    nb[b]?.add(a);
  }
  return nb;
}

/** Triples of mutually adjacent superpixels (`tri`) or connected triples (`path`: a~b~c). */
function triples(k: number, edges: [number, number][], kind: 'tri' | 'path'): number[][] {
  const nb = neighbours(k, edges);
  const out = new Set<string>();
  for (let b = 0; b < k; b++) {
    const ns = [...(nb[b] as Set<number>)];
    for (let x = 0; x < ns.length; x++)
      for (let y = x + 1; y < ns.length; y++) {
        const a = ns[x] as number;
        const c = ns[y] as number;
        if (kind === 'tri' && !nb[a]?.has(c)) continue;
        out.add([a, b, c].sort((p, q) => p - q).join(','));
      }
  }
  return [...out].map((s) => s.split(',').map(Number));
}

/** Centred control features ũ_{p,i,t} = u − 1/m for pair order `order` (sparse: per player, list of [t, value]). */
function features(order: Int32Array, terms: number[][], k: number): [number, number][][] {
  const pos = new Int32Array(k);
  order.forEach((p, t) => {
    pos[p] = t;
  });
  const f: [number, number][][] = Array.from({ length: k }, () => []);
  terms.forEach((term, t) => {
    for (const i of term) {
      let before = 0;
      for (const j of term) if (j !== i && (pos[j] as number) < (pos[i] as number)) before++;
      const m = term.length;
      const u = (before === m - 1 ? 0.5 : 0) + (before === 0 ? 0.5 : 0);
      f[i]?.push([t, u - 1 / m]);
    }
  });
  return f;
}

/** Ridge coefficients θ of c[p][i] − mean_p c[·][i] on the centred features over `pairs` (λ relative to the mean diagonal). */
function fitTheta(c: Float64Array[], feats: [number, number][][][], pairs: number[], n: number, k: number, lambda: number): Float64Array {
  const a = new Float64Array(n * n);
  const b = new Float64Array(n);
  const mean = new Float64Array(k);
  for (const p of pairs) for (let i = 0; i < k; i++) mean[i] = (mean[i] as number) + (c[p]?.[i] as number) / pairs.length;
  // Player-wise centring of the features too (a per-player intercept).
  const fmean: Map<number, number>[] = Array.from({ length: k }, () => new Map());
  for (const p of pairs) for (let i = 0; i < k; i++) for (const [t, v] of feats[p]?.[i] ?? []) fmean[i]?.set(t, (fmean[i]?.get(t) ?? 0) + v / pairs.length);
  for (const p of pairs)
    for (let i = 0; i < k; i++) {
      const row = (feats[p]?.[i] ?? []).map(([t, v]) => [t, v - (fmean[i]?.get(t) ?? 0)] as const);
      const y = (c[p]?.[i] as number) - (mean[i] as number);
      for (const [t, v] of row) {
        b[t] = (b[t] as number) + v * y;
        for (const [s, w] of row) a[t * n + s] = (a[t * n + s] as number) + v * w;
      }
    }
  let trace = 0;
  for (let t = 0; t < n; t++) trace += a[t * n + t] as number;
  const ridge = (lambda * trace) / Math.max(1, n);
  for (let t = 0; t < n; t++) a[t * n + t] = (a[t * n + t] as number) + ridge + 1e-12;
  return solveSymmetric(a, n, b).x;
}

/** Control-variate estimate: mean over `pairs` of c − θ·ũ. */
function corrected(c: Float64Array[], feats: [number, number][][][], pairs: number[], theta: Float64Array, k: number): Float64Array {
  const phi = new Float64Array(k);
  for (const p of pairs)
    for (let i = 0; i < k; i++) {
      let v = c[p]?.[i] as number;
      for (const [t, u] of feats[p]?.[i] ?? []) v -= (theta[t] as number) * u;
      phi[i] = (phi[i] as number) + v / pairs.length;
    }
  return phi;
}

/** Cross-fitted (halves) or same-sample control-variate estimate. */
function cvEstimate(c: Float64Array[], feats: [number, number][][][], n: number, k: number, lambda: number, cross: boolean | 'loo'): Float64Array {
  const all = c.map((_, p) => p);
  if (!cross) return corrected(c, feats, all, fitTheta(c, feats, all, n, k, lambda), k);
  if (cross === 'loo') {
    // Leave one pair out: each pair corrected with θ fitted on the other pairs (unbiased).
    const phi = new Float64Array(k);
    for (const p of all) {
      const one = corrected(
        c,
        feats,
        [p],
        fitTheta(
          c,
          feats,
          all.filter((q) => q !== p),
          n,
          k,
          lambda,
        ),
        k,
      );
      for (let i = 0; i < k; i++) phi[i] = (phi[i] as number) + (one[i] as number) / all.length;
    }
    return phi;
  }
  const a = all.filter((p) => p % 2 === 0);
  const b = all.filter((p) => p % 2 === 1);
  const fromA = corrected(c, feats, b, fitTheta(c, feats, a, n, k, lambda), k);
  const fromB = corrected(c, feats, a, fitTheta(c, feats, b, n, k, lambda), k);
  return fromA.map((v, i) => (v * b.length + (fromB[i] as number) * a.length) / all.length);
}

/** Share of Σ_i Var_p c[p][i] left after subtracting θ·ũ with θ fitted in-sample (optimistic ceiling). */
function varianceLeft(c: Float64Array[], feats: [number, number][][][], n: number, k: number, lambda: number): number {
  const all = c.map((_, p) => p);
  const theta = fitTheta(c, feats, all, n, k, lambda);
  const v = (g: (p: number, i: number) => number) => {
    let s = 0;
    for (let i = 0; i < k; i++) {
      let m = 0;
      for (const p of all) m += g(p, i) / all.length;
      for (const p of all) s += (g(p, i) - m) ** 2;
    }
    return s;
  };
  const raw = v((p, i) => c[p]?.[i] as number);
  const res = v((p, i) => {
    let x = c[p]?.[i] as number;
    for (const [t, u] of feats[p]?.[i] ?? []) x -= (theta[t] as number) * u;
    return x;
  });
  return res / raw;
}

const lambdas = (process.env.LAMBDAS ?? '0.01,0.1,1').split(',').map(Number);
const rows: Record<string, { spearman: number; top5: number; top10: number; se: number }>[] = [];
for (const file of process.argv.slice(2)) {
  const d = JSON.parse(readFileSync(file, 'utf8')) as Dump;
  const { k, full } = d;
  const ref = Float64Array.from(d.reference.phi);
  const termSets = { tri: triples(k, d.edges, 'tri'), path: triples(k, d.edges, 'path') };
  console.log(`${d.image}: K ${k}, edges ${d.edges.length}, triangles ${termSets.tri.length}, connected triples ${termSets.path.length}`);
  // Ceiling: in-sample share of the reference walks' pair-contribution variance left.
  const rc = pairsOf(k, d.reference.pairs, d.reference.seed, d.reference.scores, full);
  for (const [name, terms] of Object.entries(termSets)) {
    const feats = rc.walks.orders.map((o) => features(o, terms, k));
    console.log(`  ceiling ${name}: variance left ${lambdas.map((l) => `λ ${l}: ${varianceLeft(rc.c, feats, terms.length, k, l).toFixed(3)}`).join(', ')}`);
  }
  for (const run of d.runs) {
    const { walks, c } = pairsOf(k, run.pairs, run.seed, run.scores, full);
    const est: Record<string, Float64Array> = {
      earlier: Float64Array.from(run.earlier),
      walks: walkShapley(walks, run.scores, full),
      // The estimator as shipped (src/attribution/perturbation/shapley-control-variates.ts).
      'control-variate': controlVariateShapley(walks, run.scores, full, connectedTriples(k, d.edges)),
    };
    for (const [name, terms] of Object.entries(termSets)) {
      const feats = walks.orders.map((o) => features(o, terms, k));
      for (const l of lambdas) {
        est[`cv-${name}-${l}`] = cvEstimate(c, feats, terms.length, k, l, true);
        est[`cv-${name}-s-${l}`] = cvEstimate(c, feats, terms.length, k, l, false);
        est[`cv-${name}-loo-${l}`] = cvEstimate(c, feats, terms.length, k, l, 'loo');
      }
    }
    const line: Record<string, { spearman: number; top5: number; top10: number; se: number }> = {};
    for (const [name, phi] of Object.entries(est)) {
      let se = 0;
      for (let i = 0; i < k; i++) se += ((phi[i] as number) - (ref[i] as number)) ** 2;
      line[name] = { spearman: spearman(phi, ref), top5: topOverlap(phi, ref, 5), top10: topOverlap(phi, ref, 10), se };
    }
    rows.push(line);
  }
}
const names = Object.keys(rows[0] ?? {});
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const fmt = (p: { mean: number; low: number; high: number }) => `${p.mean >= 0 ? '+' : ''}${p.mean.toFixed(3)} [${p.low.toFixed(3)}, ${p.high.toFixed(3)}]`;
console.log(`\n${rows.length} (image, seed) pairs; d = candidate − earlier, mean [95 % t interval]`);
console.log('| candidate | Spearman | d | top-5 | d | top-10 | d | se |');
for (const n of names) {
  const get = (key: 'spearman' | 'top5' | 'top10' | 'se', m: string) => rows.map((r) => r[m]?.[key] as number);
  const cells = (['spearman', 'top5', 'top10'] as const).map(
    (key) => `${mean(get(key, n)).toFixed(3)} | ${n === 'earlier' ? '' : fmt(pairedDifference(get(key, 'earlier'), get(key, n)))}`,
  );
  console.log(`| ${n} | ${cells.join(' | ')} | ${mean(get('se', n)).toFixed(3)} |`);
}
