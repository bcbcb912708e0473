/**
 * `lucerna evaluate <model> --images <dir> [--masks <dir>] --methods <list> --metrics <list> --out <report.html>`:
 * evaluates attribution methods over a folder of images with faithfulness, localisation and
 * sanity-check metrics, and writes a self-contained HTML report with the same table as JSON and
 * CSV beside it. Images stream through one at a time; Ctrl-C stops cleanly and writes nothing.
 */
import { basename } from 'node:path';
import type { Command } from 'commander';
import { methodNames } from '../../attribution/methods.js';
import { throwIfAborted } from '../../attribution/rows.js';
import { isLucernaError, LucernaError } from '../../errors.js';
import { loadModelFile } from '../../io/files.js';
import { type ImageTensor, type ImageTensorOptions, loadImageTensor } from '../../io/image.js';
import { readSidecar } from '../../io/sidecar.js';
import { writeFileAtomic } from '../../io/write.js';
import { EvaluationSession } from '../../metrics/evaluation.js';
import { metricNames } from '../../metrics/registry.js';
import { EvaluationAccumulator, type EvaluationSummary, tableCsv } from '../../metrics/summary.js';
import { evaluationPage } from '../../render/report/evaluation.js';
import { withInterrupt } from '../progress.js';
import { formatTable } from '../table.js';
import { ExampleMaps } from './evaluate-examples.js';
import { type EvaluationInput, evaluationInputs, loadMask } from './evaluate-inputs.js';
import { type EvaluateFlags, evaluationPlan } from './evaluate-options.js';
import { type RunFeedback, runFeedback } from './evaluate-progress.js';

/**
 * Registers `evaluate` on the program.
 *
 * @example
 * ```ts
 * registerEvaluate(program); // lucerna evaluate model.onnx --images in/ --methods saliency --metrics deletion --out r.html
 * ```
 */
export function registerEvaluate(program: Command): void {
  program
    .command('evaluate')
    .description('score attribution methods over a folder of images and write an HTML report (+ JSON and CSV)')
    .argument('<model>', 'ONNX model file')
    .requiredOption('--images <dir>', 'folder of images (PNG, JPEG, WebP…)')
    .option('--masks <dir>', 'folder of PNG masks, same file stem as the images; nonzero means object')
    .requiredOption('--methods <list>', `comma-separated methods: ${methodNames().join(', ')}`)
    .requiredOption('--metrics <list>', `comma-separated metrics: ${metricNames().join(', ')}`)
    .requiredOption('--out <report.html>', 'the HTML report; .json and .csv are written beside it')
    .option('--target <class>', 'class index, or argmax (default)')
    .option('--layer <tensor>', 'layer for CAM methods')
    .option('--curve-steps <n>', 'deletion/insertion steps per curve (default 100)')
    .option('--deletion-baseline <spec>', 'what deleted pixels become: zeros (default), blur or a number')
    .option('--insertion-baseline <spec>', 'what insertion starts from: blur (default), zeros or a number')
    .option('--score <kind>', 'deletion/insertion score: probability (default) or logit')
    .option('--tolerance <px>', 'pointing game tolerance in pixels (default 15)')
    .option('--stages <n>', 'randomization stages spread over the layers (default 5)')
    .option('--samples <n>', 'infidelity perturbations per image (default 32)')
    .option('--stdev <x>', 'infidelity Gaussian noise standard deviation (default 0.1)')
    .option('--square <px>', 'infidelity square side in pixels (default a quarter of the image)')
    .option('--raw-infidelity', "infidelity without fitting the attribution scale (the paper's raw form)")
    .option('--radius <r>', 'max-sensitivity L∞ radius in input units (default 0.02)')
    .option('--sensitivity-samples <n>', 'max-sensitivity samples per image (default 10)')
    .option('--seed <n>', 'seed of every random draw (default 0)')
    .option('--batch-size <n>', 'rows per engine call (default 16)')
    .option('--json', 'print the summary as JSON (no progress bar)')
    .action(async (modelPath: string, flags: EvaluateFlags) => {
      const result = await runEvaluate(modelPath, flags);
      process.stdout.write(flags.json ? `${JSON.stringify(result.json, null, 2)}\n` : `${result.message}\n`);
    });
}

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

function cancelled(e: unknown, signal: AbortSignal): boolean {
  return signal.aborted && (isLucernaError(e, 'ABORTED') || (e as Error)?.name === 'AbortError');
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
 * const { summary } = await runEvaluate('m.onnx', { images: 'in/', methods: 'saliency', metrics: 'deletion', out: 'r.html' });
 * ```
 */
export async function runEvaluate(modelPath: string, flags: EvaluateFlags) {
  const plan = evaluationPlan(flags);
  const inputs = await evaluationInputs(flags.images, flags.masks);
  await using model = await loadModelFile(modelPath);
  await using session = new EvaluationSession(model, plan.settings);
  const accumulator = new EvaluationAccumulator(
    plan.methods.map((m) => m.name),
    plan.metrics,
  );
  const feedback = runFeedback(Boolean(process.stderr.isTTY) && !flags.json, inputs.length * plan.methods.length);
  const sidecar = await readSidecar(modelPath);
  const imageOptions: ImageTensorOptions = { ...(sidecar?.preprocessing ?? {}), inputDims: model.input.dims };
  const examples = new ExampleMaps(undefined, sidecar?.labels);
  await withInterrupt(async (signal) => {
    const context: LoopContext = { session, plan, accumulator, feedback, signal, imageOptions, examples };
    try {
      for (const input of inputs) {
        throwIfAborted(signal);
        await evaluateOne(input, context);
      }
    } catch (e) {
      if (cancelled(e, signal)) throw new LucernaError('ABORTED', 'Cancelled (SIGINT); no report was written');
      throw e;
    } finally {
      feedback.stop();
    }
  });
  if (accumulator.evaluated === 0)
    throw new LucernaError('BAD_FILE', `None of the ${inputs.length} images in ${flags.images} could be read`, 'See the warnings above');
  const summary = accumulator.summary({ model: modelPath, settings: { ...plan.settings } });
  const { json, csv } = companionPaths(flags.out);
  await writeFileAtomic(json, `${JSON.stringify(summary, null, 2)}\n`);
  await writeFileAtomic(csv, tableCsv(summary.table));
  await writeFileAtomic(flags.out, evaluationPage(summary, { modelName: basename(modelPath), examples: examples.list }));
  const paths = [flags.out, json, csv];
  return {
    summary,
    json: { report: flags.out, json, csv, images: summary.images, table: summary.table },
    message: humanMessage(summary, paths),
  };
}
