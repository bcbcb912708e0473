/**
 * The peaks of a filter's activation map, the explanatory graph's raw material (Zhang et al. 2018,
 * "Interpreting CNN Knowledge via an Explanatory Graph", https://arxiv.org/abs/1708.01785).
 *
 * Choices the paper leaves open: a peak is a unit > 0 that is ≥ its 8 neighbours and > those
 * before it in row-major order (so a plateau gives one peak); the largest `peaksPerFilter` are
 * kept; unit (i, j) of an h×w map stands for the point ((j + 0.5)·W/w, (i + 0.5)·H/h).
 */
import type { ActivationMap, FilterPeaks, ImagePeaks } from './types.js';

/**
 * Peaks of every channel of one map.
 *
 * @example
 * ```ts
 * const p = mapPeaks({ data: [0, 1, 0, 0, 0, 0, 0, 2, 0], channels: 1, height: 3, width: 3 }, [30, 30], 5);
 * p[0].value; // [2, 1]: two peaks, at x = 15 (y 25) and x = 15 (y 5)
 * ```
 */
export function mapPeaks(map: ActivationMap, inputSize: readonly [number, number], keep: number): FilterPeaks[] {
  const { data, channels: c, height: h, width: w } = map;
  const [H, W] = inputSize;
  const out: FilterPeaks[] = [];
  for (let ch = 0; ch < c; ch++) {
    const base = ch * h * w;
    const found: { x: number; y: number; v: number }[] = [];
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) {
        const v = data[base + i * w + j] as number;
        if (!(v > 0)) continue;
        let peak = true;
        for (let di = -1; di <= 1 && peak; di++) {
          for (let dj = -1; dj <= 1; dj++) {
            const a = i + di;
            const b = j + dj;
            if ((di === 0 && dj === 0) || a < 0 || b < 0 || a >= h || b >= w) continue;
            const u = data[base + a * w + b] as number;
            const before = di < 0 || (di === 0 && dj < 0);
            if (u > v || (before && u === v)) {
              peak = false;
              break;
            }
          }
        }
        if (peak) found.push({ x: ((j + 0.5) * W) / w, y: ((i + 0.5) * H) / h, v });
      }
    }
    found.sort((a, b) => b.v - a.v);
    const kept = found.slice(0, keep);
    out.push({ x: kept.map((p) => p.x), y: kept.map((p) => p.y), value: kept.map((p) => p.v) });
  }
  return out;
}

/**
 * Peaks of every layer of one image (maps from the lower to the top layer).
 *
 * @example
 * ```ts
 * const peaks = imagePeaks([lowerMap, topMap], [64, 64], 5);
 * ```
 */
export function imagePeaks(maps: readonly ActivationMap[], inputSize: readonly [number, number], keep: number): ImagePeaks {
  return maps.map((m) => mapPeaks(m, inputSize, keep));
}
