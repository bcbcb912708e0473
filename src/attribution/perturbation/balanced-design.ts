/**
 * Balanced coalition designs for LIME: randomised Plackett–Burman (Paley) orthogonal arrays
 * folded over (Plackett & Burman 1946, https://doi.org/10.1093/biomet/33.4.305; randomised
 * orthogonal arrays as in Owen 1992, https://doi.org/10.5705/ss.1992.0014).
 *
 * A Paley design of prime order p ≡ 3 (mod 4) has p + 1 rows and p ±1 columns, each column balanced
 * and every pair of columns orthogonal (an orthogonal array of strength 2). Each block of the
 * design picks K of the p columns at random and flips each chosen column with a fair coin, so every
 * row, on its own, is K independent fair coins: the distribution the `lime` package samples. The
 * block is then folded over (each row followed by its complement), which makes it an orthogonal
 * array of strength 3: over a whole block, every superpixel is on in exactly half of the rows,
 * every pair and every triple of superpixels takes each of its on/off patterns equally often. The
 * regression sees exactly balanced columns instead of balanced-on-average ones, so its
 * coefficients vary much less from seed to seed at the same number of forward passes.
 */
import { seededRandom } from '../../tensor/random.js';
import type { CoalitionSet } from './superpixel-sampling.js';

function isPrime(n: number): boolean {
  if (n < 2) return false;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return true;
}

/**
 * The primes p ≡ 3 (mod 4) with `min` ≤ p ≤ `max`, in increasing order: the orders p + 1 of the
 * Paley designs.
 *
 * @example
 * ```ts
 * paleyPrimes(40, 50); // [43, 47]
 * ```
 */
export function paleyPrimes(min: number, max: number): number[] {
  const out: number[] = [];
  for (let p = Math.max(3, min); p <= max; p++) if (p % 4 === 3 && isPrime(p)) out.push(p);
  return out;
}

/** The smallest prime p ≡ 3 (mod 4) with p ≥ `min`. */
function nextPaleyPrime(min: number): number {
  let p = Math.max(3, min);
  while (!(p % 4 === 3 && isPrime(p))) p++;
  return p;
}

/**
 * Row `r` (0 ≤ r ≤ p) of the cyclic Plackett–Burman design of order p + 1 as 0/1 bits: row r < p
 * is the quadratic-residue indicator of (j + r) mod p over columns j (0 counted as a residue), the
 * last row is all 0. Each column then has (p + 1) / 2 ones and any two columns agree in exactly
 * (p + 1) / 2 rows.
 *
 * @example
 * ```ts
 * const residue = quadraticResidues(7);
 * paleyRow(residue, 0); // [1, 1, 1, 0, 1, 0, 0]
 * ```
 */
export function paleyRow(residue: Uint8Array, r: number): Uint8Array {
  const p = residue.length;
  const row = new Uint8Array(p);
  if (r < p) for (let j = 0; j < p; j++) row[j] = residue[(j + r) % p] as number;
  return row;
}

/**
 * `residue[j] = 1` when j is a square modulo p (0 included), else 0.
 *
 * @example
 * ```ts
 * quadraticResidues(7); // [1, 1, 1, 0, 1, 0, 0]
 * ```
 */
export function quadraticResidues(p: number): Uint8Array {
  const residue = new Uint8Array(p);
  for (let j = 0; j < p; j++) residue[(j * j) % p] = 1;
  return residue;
}

/** The Paley prime of the blocks: the largest whose folded block (2(p + 1) rows) fits `rows`, and at least `features`. */
function blockPrime(features: number, rows: number): number {
  const smallest = nextPaleyPrime(features);
  const fitting = paleyPrimes(smallest, Math.floor(rows / 2) - 1);
  return fitting.at(-1) ?? smallest;
}

/**
 * `count` coalitions over `features` superpixels: the first keeps every superpixel (as the `lime`
 * package's first sample), the others are randomised, folded-over Paley blocks (see the module
 * comment). The block order is the largest Paley order whose folded block fits the rows; later
 * blocks are drawn afresh, and a last partial block takes a random subset of its row pairs. Every
 * row after the first is marginally `features` fair coins; over each whole block every column is
 * on exactly half the time, and the columns are pairwise (and three-way) balanced.
 *
 * @example
 * ```ts
 * const { z } = balancedCoalitions(44, 305, 1); // 1 + 2 · 152 rows: one folded block of order 152
 * ```
 */
export function balancedCoalitions(features: number, count: number, seed: number): CoalitionSet {
  const z = new Uint8Array(count * features);
  z.fill(1, 0, Math.min(count, 1) * features);
  const next = seededRandom(seed);
  const p = blockPrime(features, count - 1);
  const residue = quadraticResidues(p);
  let row = 1;
  while (row < count) {
    // Random K of the p columns, each with a random flip.
    const columns = Int32Array.from({ length: p }, (_, j) => j);
    for (let j = 0; j < features; j++) {
      const pick = j + Math.floor(next() * (p - j));
      [columns[j], columns[pick]] = [columns[pick] as number, columns[j] as number];
    }
    const flips = Uint8Array.from({ length: features }, () => (next() < 0.5 ? 1 : 0));
    // Random order of the block's p + 1 rows (only matters for a partial block).
    const order = Int32Array.from({ length: p + 1 }, (_, j) => j);
    for (let j = p; j > 0; j--) {
      const pick = Math.floor(next() * (j + 1));
      [order[j], order[pick]] = [order[pick] as number, order[j] as number];
    }
    for (let b = 0; b <= p && row < count; b++) {
      const source = paleyRow(residue, order[b] as number);
      const at = row * features;
      for (let k = 0; k < features; k++) z[at + k] = (source[columns[k] as number] as number) ^ (flips[k] as number);
      row++;
      if (row < count) {
        for (let k = 0; k < features; k++) z[row * features + k] = 1 - (z[at + k] as number);
        row++;
      }
    }
  }
  return { z, count, features };
}
