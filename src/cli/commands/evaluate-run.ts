/**
 * The work of `lucerna evaluate [MODEL] --input <dir> [--ground-truth <dir>] --methods <list> --metrics <list> --out <report.html>`:
 * evaluates attribution methods over a folder of images with faithfulness, localisation and
 * sanity-check metrics, and writes a self-contained HTML report with the same table as JSON and
 * CSV beside it. Images stream through one at a time; Ctrl-C stops cleanly and writes nothing.
 */
import { basename } from 'node:path';
import { throwIfAborted } from '../../attribution/rows.js';
import { isLucernaError, LucernaError } from '../../errors.js';
import { type ImageTensor, type ImageTensorOptions, loadImageTensor } from '../../io/image.js';
import { EvaluationSession } from '../../metrics/evaluation.js';
import { EvaluationAccumulator, type EvaluationSummary, tableCsv } from '../../metrics/summary.js';
import { evaluationPage } from '../../render/report/evaluation.js';
import type { CommandContext, CommandResult } from '../command.js';
import { openModel } from '../model.js';
import { formatTable } from '../table.js';
import { singleTarget } from '../targets.js';
import { ExampleMaps } from './evaluate-examples.js';
import { type EvaluationInput, evaluationInputs, loadMask } from './evaluate-inputs.js';
import { type EvaluateFlags, evaluationPlan } from './evaluate-options.js';
import { type RunFeedback, runFeedback } from './evaluate-progress.js';

/**
 * The report's companion paths: same stem, `.json` and `.csv`.
 *
 * @example
 * ```ts
 * companionPaths('out/report.html'); // { json: 'out/report.json', csv: 'out/report.csv' }
 * ```
 */
export function companionPaths(out: string): { json: string; csv: string } {
  const stem = out.replace(/\.html?$/i, '');
  return { json: `${stem}.json`, csv: `${stem}.csv` };
}

/** Loads one image for the model, or says why it was skipped (with a warning) when it cannot be read. */
async function readImage(path: string, options: ImageTensorOptions, feedback: RunFeedback): Promise<ImageTensor | { skipped: string }> {
  try {
    return await loadImageTensor(path, options);
  } catch (e) {
    if (!isLucernaError(e, 'BAD_FILE') && !isLucernaError(e, 'FILE_NOT_FOUND')) throw e;
    feedback.warn(`skipping ${basename(path)}: ${e.message}`);
    return { skipped: e.message };
  }
}

interface LoopContext {
  readonly session: EvaluationSession;
  readonly plan: ReturnType<typeof evaluationPlan>;
  readonly accumulator: EvaluationAccumulator;
  readonly feedback: RunFeedback;
  readonly signal: AbortSignal;
  readonly imageOptions: ImageTensorOptions;
  readonly examples: ExampleMaps;
}

async function evaluateOne(input: EvaluationInput, c: LoopContext): Promise<void> {
  const name = basename(input.image);
  c.feedback.show(name);
  const image = await readImage(input.image, c.imageOptions, c.feedback);
  if ('skipped' in image) {
    c.accumulator.skip(name, image.skipped);
    for (const _ of c.plan.methods) c.feedback.tick(name);
    return;
  }
  const mask = input.mask ? await loadMask(input.mask, image.preprocessing) : undefined;
  for (const method of c.plan.methods) {
    throwIfAborted(c.signal);
    c.feedback.show(`${name} · ${method.name}`);
    const evaluation = await c.session.evaluate(method, image.tensor, mask, c.plan.metrics, c.signal);
    c.accumulator.add(name, evaluation);
    await c.examples.add(name, image, evaluation);
    c.feedback.tick(`${name} · ${method.name}`);
  }
}

function humanMessage(summary: EvaluationSummary, paths: string[]): string {
  const rows = summary.table.map((c) => [
    c.method,
    c.metric,
    Number.isFinite(c.mean) ? c.mean.toPrecision(4) : '–',
    Number.isFinite(c.stderr) ? c.stderr.toPrecision(2) : '–',
    String(c.n),
  ]);
  const table = formatTable(
    [{ header: 'method' }, { header: 'metric' }, { header: 'mean', align: 'right' }, { header: '± se', align: 'right' }, { header: 'n', align: 'right' }],
    rows,
  );
  const skipped = summary.images.skipped.length;
  return `${table}\n${summary.images.evaluated} image(s) evaluated${skipped ? `, ${skipped} skipped` : ''} → ${paths.join(', ')}`;
}

/**
 * Runs the command and returns what it prints, for tests and the JSON mode.
 *
 * @example
 * ```ts
 * const { summary } = await runEvaluate(ctx, 'm.onnx', { input: 'in/', methods: 'saliency', metrics: 'deletion', out: 'r.html' });
 * ```
 */
export async function runEvaluate(
  ctx: CommandContext,
  modelPath: string | undefined,
  flags: EvaluateFlags,
): Promise<CommandResult & { summary: EvaluationSummary }> {
  const planned = evaluationPlan(flags);
  const inputs = await evaluationInputs(flags.input, flags.groundTruth);
  await using opened = await openModel(modelPath);
  const { model } = opened;
  const target = singleTarget(planned.targets, opened.labels);
  const plan = { ...planned, settings: { ...planned.settings, target } };
  await using session = new EvaluationSession(model, plan.settings);
  const accumulator = new EvaluationAccumulator(
    plan.methods.map((m) => m.name),
    plan.metrics,
  );
  const feedback = runFeedback(ctx.io.isTTY && !flags.json, inputs.length * plan.methods.length, ctx.io.stderr);
  const imageOptions: ImageTensorOptions = { ...opened.preprocessing, inputDims: model.input.dims };
  const signal = ctx.signal;
  const examples = new ExampleMaps(undefined, opened.labels);
  const context: LoopContext = { session, plan, accumulator, feedback, signal, imageOptions, examples };
  try {
    for (const input of inputs) {
      throwIfAborted(signal);
      await evaluateOne(input, context);
    }
  } finally {
    feedback.stop();
  }
  if (accumulator.evaluated === 0)
    throw new LucernaError('BAD_FILE', `None of the ${inputs.length} images in ${flags.input} could be read`, 'See the warnings above');
  const summary = accumulator.summary({ model: opened.given, settings: { ...plan.settings } });
  const { json, csv } = companionPaths(flags.out);
  // Render everything first, then stage: the three files are renamed into place together.
  const files: [string, string][] = [
    [flags.out, evaluationPage(summary, { modelName: basename(opened.given), examples: examples.list })],
    [json, `${JSON.stringify(summary, null, 2)}\n`],
    [csv, tableCsv(summary.table)],
  ];
  for (const [path, text] of files) await ctx.outputs.write(path, text);
  const paths = files.map(([path]) => path);
  return {
    summary,
    json: { report: flags.out, json, csv, images: summary.images, table: summary.table },
    message: humanMessage(summary, paths),
  };
}
