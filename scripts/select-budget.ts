/**
 * Budget selection for KernelSHAP's walk estimators (issue #12 defect 12, session 11), not a test:
 * reads dumps of scripts/dump-superpixel-scores.ts made with `--walk-pairs N` (N antithetic pairs
 * per seed; the walks of fewer pairs from the same seed are a prefix of those rows) and, for each
 * budget ⌊(2K + 2048) / d⌋ of `DIVISORS`, scores the plain walks (`permutation`) and the
 * connected-triple control variate (`control-variate`, the library's controlVariateShapley) on the
 * prefix that budget buys, against the earlier default (kernel regression on 2K + 2048).
 *
 * Two references per (image, seed), so that the selection sees the confirmation's scheme too:
 * - `walk120`: 120 antithetic pairs of seed 999 (unbiased for the Shapley values);
 * - `mixed`: bench/superpixel-paired.ts's leave-one-seed-out reference, the mean of the other
 *   seeds' regressions averaged with the mean of the other seeds' candidate estimates (needs ≥ 3
 *   seeds per image); `walks-loo` and `regression-loo` are its two halves alone.
 * Paired differences (candidate − earlier) get a 95 % t interval over every (image, seed).
 *
 * @example
 * ```sh
 * DIVISORS=3,2.5,2,1.8 node --import tsx scripts/select-budget.ts /tmp/shap12e/shap-camera.png.json
 * ```
 */
import { readFileSync } from 'node:fs';
import { pairedDifference, spearman, topOverlap } from '../bench/superpixel-fidelity.js';
import { defaultCoalitions } from '../src/attribution/perturbation/kernel-shap.js';
import { connectedTriples, controlVariateShapley } from '../src/attribution/perturbation/shapley-control-variates.js';
import { permutationWalks, walkPairs, walkShapley } from '../src/attribution/perturbation/shapley-permutations.js';

interface Dump {
  image: string;
  k: number;
  full: number;
  edges: [number, number][];
  reference: { phi: number[] };
  runs: { seed: number; pairs: number; earlier: number[]; scores: number[] }[];
}

type Measure = 'spearman' | 'top5' | 'top10';
type Agreement = Record<Measure, number>;
const MEASURES: readonly Measure[] = ['spearman', 'top5', 'top10'];
const REFERENCES = ['walk120', 'mixed', 'walks-loo', 'regression-loo'] as const;
type Reference = (typeof REFERENCES)[number];

const agree = (w: ArrayLike<number>, ref: ArrayLike<number>): Agreement => ({
  spearman: spearman(w, ref),
  top5: topOverlap(w, ref, 5),
  top10: topOverlap(w, ref, 10),
});

/** Element-wise mean of the vectors at every index but `skip`. */
function meanExcept(v: readonly Float64Array[], skip: number): Float64Array {
  const out = new Float64Array((v[0] as Float64Array).length);
  const n = v.length - 1;
  v.forEach((a, j) => {
    if (j !== skip) for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) + (a[i] as number) / n;
  });
  return out;
}

/** Each seed's references of one image for one candidate (estimates per seed). */
function references(d: Dump, earlier: Float64Array[], candidate: Float64Array[]): Record<Reference, Float64Array>[] {
  return candidate.map((_, s) => {
    const regression = meanExcept(earlier, s);
    const walks = meanExcept(candidate, s);
    return {
      walk120: Float64Array.from(d.reference.phi),
      mixed: regression.map((v, i) => (v + (walks[i] as number)) / 2),
      'walks-loo': walks,
      'regression-loo': regression,
    };
  });
}

/** The candidate's estimate of one run from the walks of `pairs` pairs (a prefix of the dumped rows). */
function estimate(d: Dump, run: Dump['runs'][number], pairs: number, kind: 'permutation' | 'control-variate'): Float64Array {
  if (pairs > run.pairs) throw new Error(`${d.image} seed ${run.seed}: ${pairs} pairs asked, ${run.pairs} dumped`);
  const walks = permutationWalks(d.k, pairs, run.seed);
  const scores = Float64Array.from(run.scores.slice(0, walks.set.count));
  if (kind === 'permutation') return walkShapley(walks, scores, d.full);
  return controlVariateShapley(walks, scores, d.full, connectedTriples(d.k, d.edges));
}

/** Agreement lists per candidate, reference and measure (one entry per image × seed). */
type Table = Map<string, Record<Reference, Agreement[]>>;

function push(table: Table, name: string, ref: Reference, a: Agreement): void {
  const entry = table.get(name) ?? (Object.fromEntries(REFERENCES.map((r) => [r, []])) as unknown as Record<Reference, Agreement[]>);
  entry[ref].push(a);
  table.set(name, entry);
}

const divisors = (process.env.DIVISORS ?? '3,2.5,2,1.8').split(',').map(Number);
const kinds = ['permutation', 'control-variate'] as const;
const table: Table = new Map();
const rowsOf = new Map<string, number[]>();
for (const file of process.argv.slice(2)) {
  const d = JSON.parse(readFileSync(file, 'utf8')) as Dump;
  const earlier = d.runs.map((r) => Float64Array.from(r.earlier));
  // Check the prefix property the offline budgets rely on.
  const probe = d.runs[0] as Dump['runs'][number];
  const small = permutationWalks(d.k, 2, probe.seed).set.z;
  if (!small.every((v, i) => v === permutationWalks(d.k, probe.pairs, probe.seed).set.z[i])) throw new Error('walks are not nested');
  for (const div of divisors) {
    const pairs = walkPairs(d.k, Math.floor(defaultCoalitions(d.k) / div));
    rowsOf.set(`÷${div}`, [...(rowsOf.get(`÷${div}`) ?? []), 1 + 2 * pairs * (d.k - 1)]);
    console.log(`${d.image}: K ${d.k}, ÷${div} → ${pairs} pairs (${1 + 2 * pairs * (d.k - 1)} scores)`);
    for (const kind of kinds) {
      const cand = d.runs.map((r) => estimate(d, r, pairs, kind));
      const refs = references(d, earlier, cand);
      const name = `${kind} ÷${div}`;
      refs.forEach((ref, s) => {
        for (const r of REFERENCES) {
          push(table, name, r, agree(cand[s] as Float64Array, ref[r]));
          push(table, `earlier (vs ${name})`, r, agree(earlier[s] as Float64Array, ref[r]));
        }
      });
    }
  }
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const fmt = (p: { mean: number; low: number; high: number }) => `${p.mean >= 0 ? '+' : ''}${p.mean.toFixed(3)} [${p.low.toFixed(3)}, ${p.high.toFixed(3)}]`;
for (const ref of REFERENCES) {
  console.log(`\nreference ${ref}; d = candidate − earlier, mean [95 % t interval]; pass = every interval's upper end ≥ 0`);
  console.log('| candidate | scores (per image) | n | Spearman | d | top-5 | d | top-10 | d | pass |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const [name, entry] of table) {
    if (name.startsWith('earlier')) continue;
    const base = (table.get(`earlier (vs ${name})`) as Record<Reference, Agreement[]>)[ref];
    const mine = entry[ref];
    const diffs = MEASURES.map((m) =>
      pairedDifference(
        base.map((a) => a[m]),
        mine.map((a) => a[m]),
      ),
    );
    const cells = MEASURES.map(
      (m, j) =>
        `${mean(mine.map((a) => a[m])).toFixed(3)} (earlier ${mean(base.map((a) => a[m])).toFixed(3)}) | ${fmt(diffs[j] as { mean: number; low: number; high: number })}`,
    );
    const pass = diffs.every((p) => p.high >= 0) ? 'yes' : 'no';
    console.log(`| ${name} | ${rowsOf.get(name.split(' ')[1] as string)?.join(', ')} | ${mine.length} | ${cells.join(' | ')} | ${pass} |`);
  }
}
