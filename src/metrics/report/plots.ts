/**
 * The report's figures as SVG markup, drawn with Observable Plot (https://observablehq.com/plot/)
 * on a small server-side DOM (linkedom), so the HTML report stays one self-contained file. Both
 * libraries are plain JavaScript: this runs in Node and in a browser.
 */
import * as Plot from '@observablehq/plot';
import { parseHTML } from 'linkedom';
import type { MeanCurves, MeanRandomization } from '../summary.js';

/** A fresh document for Plot to draw into. */
function plotDocument(): unknown {
  return parseHTML('<!doctype html><html><head></head><body></body></html>').document;
}

/** Renders a Plot figure to markup. */
function render(options: Plot.PlotOptions): string {
  const node = Plot.plot({ ...options, document: plotDocument() as Plot.PlotOptions['document'] }) as unknown as { outerHTML: string };
  return node.outerHTML;
}

/** Colours that stay the same for a method in every figure. */
function colorScale(methods: readonly string[]): Plot.ScaleOptions {
  return { domain: [...methods], scheme: 'tableau10', legend: true };
}

/**
 * Mean deletion or insertion curves, one line per method, as SVG.
 *
 * @example
 * ```ts
 * const svg = curvePlot(summary.curves.deletion, 'Deletion', summary.methods);
 * ```
 */
export function curvePlot(curves: MeanCurves, title: string, methods: readonly string[], yLabel = 'target score'): string {
  const rows = Object.entries(curves.methods).flatMap(([method, ys]) => ys.map((y, i) => ({ method, x: curves.x[i] as number, y })));
  return render({
    title,
    width: 520,
    height: 300,
    marginLeft: 56,
    grid: true,
    x: { label: 'fraction of pixels', domain: [0, 1] },
    y: { label: yLabel },
    color: colorScale(methods),
    marks: [Plot.line(rows, { x: 'x', y: 'y', stroke: 'method', strokeWidth: 1.8 }), Plot.ruleX([0])],
  });
}

/** The three similarity measures of a randomization run, with their axis labels. */
const SIMILARITY_LABELS = [
  ['spearmanAbs', 'Spearman rank correlation of |map|'],
  ['spearman', 'Spearman rank correlation (signed)'],
  ['ssim', 'SSIM of |map|'],
] as const;

/**
 * Randomization curves as in Adebayo et al. 2018, Fig. 2: similarity to the original map (1 at
 * "original") by the last layer randomized, top layers first; one figure per measure.
 *
 * @example
 * ```ts
 * const svgs = randomizationPlots(summary.randomization.cascading, 'Cascading randomization', summary.methods);
 * ```
 */
export function randomizationPlots(r: MeanRandomization, title: string, methods: readonly string[]): string[] {
  const labels = ['original', ...r.layers];
  return SIMILARITY_LABELS.map(([key, label]) => {
    const rows = Object.entries(r.methods).flatMap(([method, curves]) => [
      { method, layer: 'original', y: 1 },
      ...curves[key].map((y, i) => ({ method, layer: r.layers[i] as string, y })),
    ]);
    return render({
      title: `${title}: ${label}`,
      width: 560,
      height: 320,
      marginLeft: 56,
      marginBottom: 90,
      grid: true,
      x: { type: 'point', domain: labels, label: 'randomized up to (top first)', tickRotate: -40 },
      y: { label, domain: [-1, 1] },
      color: colorScale(methods),
      marks: [
        Plot.ruleY([0]),
        Plot.line(rows, { x: 'layer', y: 'y', stroke: 'method', strokeWidth: 1.8 }),
        Plot.dot(rows, { x: 'layer', y: 'y', fill: 'method', r: 2.5 }),
      ],
    });
  });
}
