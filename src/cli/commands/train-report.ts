/**
 * The HTML report of `lucerna train`, written beside the checkpoint as `<name>.report.html`:
 * loss and accuracy curves, loss terms, the validation confusion matrix and the settings (drawn by
 * the report kit's {@link trainingPage}).
 */
import { basename } from 'node:path';
import type { Dataset } from '../../datasets/types.js';
import { nodeRuntime } from '../../engine/node.js';
import type { SessionOptions } from '../../engine/runtime.js';
import { LucernaError } from '../../errors.js';
import { graphFromBytes } from '../../onnx/builder.js';
import type { TrainingReport } from '../../render/report/training.js';
import { trainingPage } from '../../render/report/training.js';
import type { FitResult } from '../../training/fit.js';
import { filterMaps } from '../../training/interpretable/filter-maps.js';

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
  readonly filterMaps?: TrainingReport['filterMaps'];
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
    filterMaps: r.filterMaps,
  });
  return [trainReportPath(checkpoint), html];
}

/**
 * The interpretable-CNN part of the report: for each masked layer and each class that owns filters,
 * the mean activation maps and top images of those filters over that class's images, read from
 * the trained checkpoint `model` (Zhang, Wu & Zhu 2018, https://arxiv.org/abs/1710.00935).
 * Undefined when `signal` fires (before or while the maps are read): a stopped run still writes its
 * checkpoint and a report, without the maps.
 *
 * @example
 * ```ts
 * const maps = await interpretableMaps(bytes, new Map([['Relu_33', Array(64).fill(0)]]), data, {}, ctx.signal);
 * ```
 */
export async function interpretableMaps(
  model: Uint8Array,
  categories: ReadonlyMap<string, readonly number[]>,
  data: Dataset,
  session: SessionOptions,
  signal?: AbortSignal,
): Promise<TrainingReport['filterMaps']> {
  const graph = graphFromBytes(model);
  const out: NonNullable<TrainingReport['filterMaps']>[number][] = [];
  try {
    for (const [tensor, cats] of categories) {
      for (const k of [...new Set(cats)].sort((a, b) => a - b)) {
        const maps = await filterMaps(nodeRuntime, graph, tensor, data, k, { session, signal });
        const filters = cats.flatMap((c, f) => (c === k ? [f] : []));
        out.push({ maps, className: data.classNames?.[k] ?? `class ${k}`, filters });
      }
    }
  } catch (e) {
    if (e instanceof LucernaError && e.code === 'ABORTED') return undefined;
    throw e;
  }
  return out;
}
