/**
 * The HTML report of `lucerna train`, written beside the checkpoint as `<name>.report.html`:
 * loss and accuracy curves, loss terms, the validation confusion matrix and the settings (drawn by
 * the report kit's {@link trainingPage}).
 */
import { basename } from 'node:path';
import type { Dataset } from '../../datasets/types.js';
import { trainingPage } from '../../render/report/training.js';
import type { FitResult } from '../../training/fit.js';

/** What the report is built from. */
export interface TrainReportInput {
  readonly model: string;
  readonly data: string;
  readonly train: Dataset;
  readonly val?: Dataset;
  readonly valSource?: string;
  readonly result: FitResult;
  readonly totalSteps: number;
  readonly seconds: number;
  readonly classNames?: readonly string[];
  readonly settings: Readonly<Record<string, unknown>>;
}

/**
 * The report's path for a checkpoint path: `trained.onnx` → `trained.report.html`.
 *
 * @example `trainReportPath('out/m.onnx'); // 'out/m.report.html'`
 */
export function trainReportPath(checkpoint: string): string {
  return `${checkpoint.replace(/\.onnx$/i, '')}.report.html`;
}

/**
 * The report file (path and page) of a run.
 *
 * @example
 * ```ts
 * files.push(trainReportFile('trained.onnx', { model: 'm.onnx', data: 'data/parts', train, val, result, totalSteps, seconds, settings }));
 * ```
 */
export function trainReportFile(checkpoint: string, r: TrainReportInput): [string, string] {
  const html = trainingPage({
    model: basename(r.model),
    data: r.data,
    trainSamples: r.train.size,
    valSamples: r.val?.size ?? 0,
    valSource: r.valSource,
    steps: r.result.steps,
    totalSteps: r.totalSteps,
    seconds: r.seconds,
    interrupted: r.result.interrupted,
    losses: r.result.losses,
    accuracies: r.result.accuracies,
    termLosses: r.result.termLosses,
    epochs: r.result.epochs,
    confusion: r.result.confusion,
    classNames: r.classNames,
    settings: r.settings,
  });
  return [trainReportPath(checkpoint), html];
}
