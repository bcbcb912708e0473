/**
 * Deterministic 2-D k-means, used to initialise a filter's nodes (the explanatory graph, Zhang et
 * al. 2018, https://arxiv.org/abs/1708.01785, leaves the initialisation open): farthest-point
 * seeding from the first point, then Lloyd iterations.
 */

/**
 * Cluster index of every point (at most `k` clusters, fewer when there are fewer distinct points).
 *
 * @example
 * ```ts
 * kmeans2d([0, 1, 10, 11], [0, 0, 0, 0], 2); // [0, 0, 1, 1]
 * ```
 */
export function kmeans2d(xs: readonly number[], ys: readonly number[], k: number, iterations = 20): number[] {
  const n = xs.length;
  if (n === 0) return [];
  const cx: number[] = [xs[0] as number];
  const cy: number[] = [ys[0] as number];
  const d2 = (i: number, c: number) => ((xs[i] as number) - (cx[c] as number)) ** 2 + ((ys[i] as number) - (cy[c] as number)) ** 2;
  while (cx.length < k) {
    let far = -1;
    let farD = 0;
    for (let i = 0; i < n; i++) {
      let m = Number.POSITIVE_INFINITY;
      for (let c = 0; c < cx.length; c++) m = Math.min(m, d2(i, c));
      if (m > farD) {
        farD = m;
        far = i;
      }
    }
    if (far < 0) break;
    cx.push(xs[far] as number);
    cy.push(ys[far] as number);
  }
  const label = new Array<number>(n).fill(0);
  for (let it = 0; it < iterations; it++) {
    let changed = false;
    for (let i = 0; i < n; i++) {
      let b = 0;
      for (let c = 1; c < cx.length; c++) if (d2(i, c) < d2(i, b)) b = c;
      if (label[i] !== b) {
        label[i] = b;
        changed = true;
      }
    }
    for (let c = 0; c < cx.length; c++) {
      let sx = 0;
      let sy = 0;
      let m = 0;
      for (let i = 0; i < n; i++) {
        if (label[i] !== c) continue;
        sx += xs[i] as number;
        sy += ys[i] as number;
        m++;
      }
      if (m) {
        cx[c] = sx / m;
        cy[c] = sy / m;
      }
    }
    if (!changed && it > 0) break;
  }
  return label;
}
