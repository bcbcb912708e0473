/**
 * The top-k predictions as an inline SVG bar chart (no script, no fonts, no external files).
 */

import { escapeHtml, formatPercent } from './escape.js';
import type { Prediction } from './types.js';

/** Options of {@link predictionBarChart}. */
export interface BarChartOptions {
  readonly width?: number;
  /** The class to highlight (the predicted one). */
  readonly highlight?: number;
}

/**
 * Horizontal bars, one per prediction (best first): label, bar ∝ probability, percentage.
 *
 * @example
 * ```ts
 * const svg = predictionBarChart([{ index: 2, label: 'Neutral', probability: 0.99, score: 6.0 }], { highlight: 2 });
 * ```
 */
export function predictionBarChart(predictions: readonly Prediction[], options: BarChartOptions = {}): string {
  const width = options.width ?? 380;
  const row = 24;
  const labelWidth = Math.min(150, Math.max(60, 7 * Math.max(0, ...predictions.map((p) => p.label.length)) + 10));
  const valueWidth = 56;
  const barSpace = width - labelWidth - valueWidth;
  const height = row * predictions.length + 4;
  const bars = predictions
    .map((p, i) => {
      const y = i * row + 2;
      const w = Math.max(1, Math.round(barSpace * Math.min(1, Math.max(0, p.probability))));
      const cls = p.index === options.highlight ? 'bar top' : 'bar';
      return (
        `<text x="${labelWidth - 6}" y="${y + 15}" text-anchor="end">${escapeHtml(p.label)}</text>` +
        `<rect class="${cls}" x="${labelWidth}" y="${y + 3}" width="${w}" height="${row - 8}" rx="2"/>` +
        `<text x="${labelWidth + w + 5}" y="${y + 15}">${formatPercent(p.probability)}</text>`
      );
    })
    .join('');
  return (
    `<svg class="bars" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" ` +
    `aria-label="top ${predictions.length} predictions"><g font-size="12" fill="#222">${bars}</g></svg>`
  );
}
