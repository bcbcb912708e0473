/**
 * `lucerna explain [<model.onnx|model.json>] --image <file>... [--methods a,b] [--target argmax|n|label]
 * [--top k] [--layer name] [--out report.html] [--json]`: the main job. Runs several attribution
 * methods on one or more images and writes one self-contained HTML report (see `render/report`).
 *
 * Everything is checked before any work (flags, images, the output folder, the model's input), and
 * the report is written atomically at the end: a failed run leaves no partial report.
 */
import { resolve } from 'node:path';
import { defaultCamLayer, type LayerInfo, requireLayer } from '../../attribution/layers.js';
import { throwIfAborted } from '../../attribution/rows.js';
import { topK } from '../../attribution/targets.js';
import type { Model } from '../../engine/model.js';
import { readBytes } from '../../io/files.js';
import { type ImageTensor, loadImageTensor } from '../../io/image.js';
import { summarizeModel } from '../../onnx/inspect.js';
import { pixelsToDataUri } from '../../render/node.js';
import { formatMs, formatPercent } from '../../render/report/format.js';
import { renderReportHtml } from '../../render/report/html.js';
import { type ImageReport, type Prediction, type ReportData, type ReportModel, withoutImages } from '../../render/report/types.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { CommandContext, CommandResult } from '../command.js';
import { openModel, requireImageInput } from '../model.js';
import { packageVersion as lucernaVersion } from '../package-root.js';
import { resolveTarget, type TargetRequest } from '../targets.js';
import { explainWithMethod } from './explain-maps.js';
import { explainMethod, methodOverrides, type RecipeContext } from './explain-methods.js';
import { classLabels, outputKind, probabilities } from './explain-model.js';
import { type ExplainFlags, type ExplainOptions, parseExplainFlags } from './explain-options.js';

/** What `explain` returns: the report's data (images included) and where it was written. */
export interface ExplainResult {
  readonly report: string;
  readonly data: ReportData;
}

/**
 * The lines `explain` prints: the report's path, the CAM layer, and one line per image.
 *
 * @example
 * ```ts
 * formatExplainSummary('report.html', data); // 'report: report.html\nlayer: out_relu (default)\ncoffee.png: Neutral 99.3% …'
 * ```
 */
export function formatExplainSummary(report: string, data: ReportData): string {
  const lines = [`report: ${report}`];
  const layer = data.model.layer;
  if (layer) lines.push(`layer: ${layer.name}${layer.chosen === 'default' ? ' (default: the last 4-D activation before global pooling)' : ''}`);
  for (const image of data.images) {
    const top = image.predictions[0];
    const time = image.methods.reduce((t, m) => t + m.timeMs, 0);
    lines.push(`${image.file}: ${top ? `${top.label} ${formatPercent(top.probability)}` : '?'} (${image.methods.length} methods, ${formatMs(time)})`);
  }
  return lines.join('\n');
}

function resolveTargets(requests: readonly TargetRequest[], scores: Tensor, labels: readonly string[]): number[] {
  const indices = requests.map((r) => {
    const t = resolveTarget(r, labels, labels.length);
    return t === 'argmax' ? (topK(scores, 1)[0]?.[0] as number) : t;
  });
  return [...new Set(indices)];
}

function prediction(index: number, labels: readonly string[], scores: Tensor, probs: Float32Array): Prediction {
  return { index, label: labels[index] as string, probability: probs[index] as number, score: scores.data[index] as number };
}

function packageVersion(): string {
  return lucernaVersion();
}

async function cameraLayer(model: Model, options: ExplainOptions, inputShape: readonly number[]): Promise<ReportModel['layer']> {
  const needed = options.methods.some((m) => explainMethod(m).needs.layer);
  if (!needed && options.layer === undefined) return undefined;
  const info: LayerInfo = await requireLayer(model, options.layer ?? (await defaultCamLayer(model, inputShape)), inputShape);
  return { name: info.name, shape: [...info.shape], chosen: options.layer === undefined ? 'default' : 'given' };
}

function notes(kind: 'logits' | 'probabilities', output: string, options: ExplainOptions): string[] {
  const scores =
    kind === 'logits'
      ? `The model output "${output}" holds logits; probabilities are their softmax. Methods explain the target's logit, except RISE, which scores masks by probability as in its paper.`
      : `The model output "${output}" holds probabilities (rows are non-negative and sum to 1); methods explain the target's probability.`;
  const mode = {
    blended: 'Overlays: the coloured map blended at alpha 0.5 over the grey input.',
    heatmap: 'Maps are shown alone as heatmaps.',
    masked: 'Masked images: the input where the map is in its top 20% (black elsewhere); signed maps show their positive part.',
    'alpha-scaling': 'Alpha scaling: each pixel of the input is opaque in proportion to the map (over white); signed maps show their positive part.',
  }[options.mode];
  return [
    scores,
    mode,
    'Every map is scaled for display, never silently: the top of the colour scale is the 99th percentile of the values shown (values beyond are clipped to the end colour), and the colour bar and caption give the real values. RISE, whose maps carry a large constant offset, starts its scale at the 1st percentile instead of 0.',
    'Signs: "all" uses a diverging map centred at 0 (red for evidence for the target, blue against); "positive" and "absolute" use a sequential map.',
    'When several targets are explained, each method except RISE uses one scale for all of them, so magnitudes compare across targets; scales are not comparable across methods.',
    'Times are wall-clock and include compiling each gradient graph and creating ONNX Runtime sessions on first use.',
  ];
}

async function explainImage(
  model: Model,
  file: string,
  loaded: ImageTensor,
  options: ExplainOptions,
  ctx: { labels?: readonly string[]; layer?: string; overrides?: RecipeContext['overrides']; signal?: AbortSignal },
): Promise<{ report: ImageReport; kind: 'logits' | 'probabilities'; output: string; labels: string[] }> {
  const x = loaded.tensor;
  const output = model.outputNames[0] as string;
  const scores = (await model.run(x))[output] as Tensor;
  const labels = classLabels(ctx.labels, scores.data.length);
  const kind = outputKind(scores);
  const probs = probabilities(scores, kind);
  const top = topK({ data: probs, shape: [1, probs.length] }, Math.min(options.top, labels.length))[0] ?? [];
  const targets = resolveTargets(options.targets, scores, labels).map((i) => prediction(i, labels, scores, probs));
  const recipeCtx = { layer: ctx.layer, inputShape: x.shape, outputKind: kind, params: options.params, overrides: ctx.overrides };
  const methods = [];
  for (const name of options.methods) {
    throwIfAborted(ctx.signal);
    methods.push(await explainWithMethod(model, x, loaded.image, targets, name, recipeCtx, options.mode, ctx.signal));
  }
  const report: ImageReport = {
    file,
    original: loaded.original,
    input: { png: await pixelsToDataUri(loaded.image), width: loaded.image.width, height: loaded.image.height },
    predictions: top.map((i) => prediction(i, labels, scores, probs)),
    targets,
    methods,
  };
  return { report, kind, output, labels };
}

function preprocessingSettings(p: object): Record<string, string | number | boolean | number[]> {
  return Object.fromEntries(Object.entries(p).map(([k, v]) => [k, typeof v === 'object' && !Array.isArray(v) ? JSON.stringify(v) : v]));
}

/**
 * Runs `explain` and stages the report; returns its path and data (for tests and `--json`).
 *
 * @example
 * ```ts
 * const { report, data } = await runExplain(ctx, undefined, { input: ['cat.jpg'], out: 'report.html' });
 * ```
 */
export async function runExplain(ctx: CommandContext, modelPath: string | undefined, flags: ExplainFlags): Promise<ExplainResult> {
  const t0 = performance.now();
  const options = parseExplainFlags(flags);
  const overrides = await methodOverrides(options.methods, flags);
  for (const file of options.images) await readBytes(file, 'the image');
  await using opened = await openModel(modelPath);
  const { model } = opened;
  requireImageInput(model, opened.preprocessing, 'lucerna explain');
  // Decode every image before any method runs, so a bad file fails the run at once.
  const loaded: ImageTensor[] = [];
  for (const file of options.images) loaded.push(await loadImageTensor(file, { ...opened.preprocessing, inputDims: model.input.dims }));
  const first = loaded[0] as ImageTensor;
  const inputShape = first.tensor.shape;
  const layer = await cameraLayer(model, options, inputShape);
  const reports: ImageReport[] = [];
  let facts: { kind: 'logits' | 'probabilities'; output: string; labels: string[] } | undefined;
  for (const [i, file] of options.images.entries()) {
    throwIfAborted(ctx.signal);
    const r = await explainImage(model, file, loaded[i] as ImageTensor, options, { labels: opened.labels, layer: layer?.name, overrides, signal: ctx.signal });
    reports.push(r.report);
    facts ??= { kind: r.kind, output: r.output, labels: r.labels };
  }
  const prepared = await model.prepare(inputShape);
  const defaultLayer = await defaultCamLayer(model, inputShape).catch(() => undefined);
  const kind = facts?.kind ?? 'logits';
  const output = facts?.output ?? (model.outputNames[0] as string);
  const data: ReportData = {
    title: `Lucerna explanation: ${reports.map((r) => r.file.split(/[\\/]/).pop()).join(', ')}`,
    generated: new Date().toISOString(),
    lucernaVersion: packageVersion(),
    model: {
      name: opened.name,
      source: opened.source,
      summary: summarizeModel(model.graph, { prepared, ...(defaultLayer ? { defaultCamLayer: defaultLayer } : {}) }),
      output: { name: output, kind },
      preprocessing: preprocessingSettings(first.preprocessing),
      labels: facts?.labels ?? [],
      ...(layer ? { layer } : {}),
    },
    images: reports,
    totalMs: 0,
    notes: notes(kind, output, options),
  };
  const finished: ReportData = { ...data, totalMs: performance.now() - t0 };
  await ctx.outputs.write(options.out, renderReportHtml(finished));
  return { report: resolve(options.out), data: finished };
}

/**
 * The command's run: the report staged for writing, and what is printed.
 *
 * @example
 * ```ts
 * const { message } = await explainRun(ctx, undefined, { out: 'report.html' });
 * ```
 */
export async function explainRun(ctx: CommandContext, modelPath: string | undefined, flags: ExplainFlags): Promise<CommandResult> {
  const { report, data } = await runExplain(ctx, modelPath, flags);
  return { json: { report, ...withoutImages(data) }, message: formatExplainSummary(report, data) };
}
