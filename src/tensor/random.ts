/**
 * Seeded pseudo-random numbers, so every stochastic method (SmoothGrad, RISE, LIME…) is reproducible.
 */

/**
 * A uniform [0, 1) generator (mulberry32) from a 32-bit seed.
 *
 * @example
 * ```ts
 * const next = seededRandom(42);
 * next(); // 0.6011...
 * ```
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A standard normal generator (Box–Muller) from a uniform one.
 *
 * @example
 * ```ts
 * const normal = normalFrom(seededRandom(7));
 * const z = normal();
 * ```
 */
export function normalFrom(uniform: () => number): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    let u = 0;
    while (u <= Number.EPSILON) u = uniform();
    const v = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

/** Fills an array with N(0, stdev²) samples. @example `fillNormal(new Float32Array(10), normalFrom(seededRandom(1)), 0.1)` */
export function fillNormal(out: Float32Array, normal: () => number, stdev: number): Float32Array {
  for (let i = 0; i < out.length; i++) out[i] = normal() * stdev;
  return out;
}
