import { readFile } from 'node:fs/promises';
import { type LandmarkImage, readLandmarkSet } from '../../datasets/node/landmark-set.js';
import { collectGraphPeaks } from '../../disentangle/graph/collect.js';
import { checkGraphModel, parseGraph } from '../../disentangle/graph/graph-file.js';
import type { ActivationMap, ExplanatoryGraph, ImagePeaks } from '../../disentangle/graph/types.js';
import type { Model } from '../../engine/model.js';
import { LucernaError } from '../../errors.js';
import { loadImageTensor } from '../../io/image.js';
import type { ResolvedPreprocessing } from '../../io/preprocess.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { CommandContext } from '../command.js';
import { modelSha256, type OpenedModel, openModel, pixelSettings } from '../model.js';
import { progressBar } from '../progress.js';

const GRAPH_FORMAT = 'lucerna-explanatory-graph';

/**
 * `sha256:<hex>` of the file behind an opened model: the identity a graph records.
 *
 * @example
 * ```ts
 * await graphModelId(opened); // 'sha256:…'
 * ```
 */
export async function graphModelId(opened: Pick<OpenedModel, 'file' | 'given'>): Promise<string> {
  return `sha256:${await modelSha256(opened)}`;
}

/**
 * Whether `path` is a `graph.json` written by `lucerna graph build` (a `.json` file whose `format`
 * is the graph's), as opposed to a model: a TF.js `model.json` or an ONNX file.
 *
 * @example
 * ```ts
 * await isGraphFile('g/graph.json'); // true
 * ```
 */
export async function isGraphFile(path: string | undefined): Promise<boolean> {
  if (path === undefined || !path.toLowerCase().endsWith('.json')) return false;
  try {
    return (JSON.parse(await readFile(path, 'utf8')) as { format?: unknown })?.format === GRAPH_FORMAT;
  } catch {
    return false;
  }
}

/** One image of the class, ready for the engine, with landmarks in model-input pixels. */
export interface ClassImage {
  readonly image: string;
  /** The image file. */
  readonly path: string;
  load(): Promise<Tensor>;
  readonly landmarks: ReadonlyMap<string, readonly [number, number]>;
  /** Image pixels → model-input pixels, `[sx, sy]`. */
  readonly scale: readonly [number, number];
}

/**
 * The images of `className` in a landmark data set, at least `needed` of them.
 *
 * @example
 * ```ts
 * const images = await classImages('data/parts', 'bird', 4, model, preprocessing);
 * ```
 */
export async function classImages(
  dataset: string,
  className: string,
  needed: number,
  model: Model,
  preprocessing: ResolvedPreprocessing,
): Promise<ClassImage[]> {
  const all = await readLandmarkSet(dataset);
  const chosen = all.filter((i: LandmarkImage) => i.objects.has(className));
  if (chosen.length === 0) {
    const found = [...new Set(all.flatMap((i) => [...i.objects]))].sort();
    throw new LucernaError(
      'BAD_OPTION',
      `No image of ${dataset} has an object of class "${className}"`,
      found.length ? `Classes found: ${found.join(', ')}` : undefined,
    );
  }
  if (chosen.length < needed)
    throw new LucernaError('BAD_OPTION', `Class "${className}" has ${chosen.length} image${chosen.length === 1 ? '' : 's'}; at least ${needed} are needed`);
  const [height, width] = preprocessing.size;
  return chosen.map((i) => ({
    image: i.image,
    path: i.path,
    load: async () => (await loadImageTensor(i.path, { ...preprocessing, inputDims: model.input.dims })).tensor,
    landmarks: new Map([...i.landmarks].map(([k, [x, y]]) => [k, [(x * width) / i.width, (y * height) / i.height] as const])),
    scale: [width / i.width, height / i.height],
  }));
}

/**
 * Reads and checks `graph.json`.
 *
 * @example
 * ```ts
 * const graph = await readGraph('out/graph.json');
 * ```
 */
export async function readGraph(path: string): Promise<ExplanatoryGraph> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new LucernaError('FILE_NOT_FOUND', `No graph file at ${path}`, 'Build one with lucerna graph build');
    throw new LucernaError('BAD_FILE', `Cannot read ${path} (${code ?? (e as Error).message})`);
  }
  return parseGraph(text, path);
}

/**
 * Opens the model a graph was mined from (`--model`, else the path the graph records), refuses a
 * model whose bytes differ from the graph's, and gives the stretch preprocessing every graph
 * command uses. The caller owns (and disposes) `opened`.
 *
 * @example
 * ```ts
 * const { opened, preprocessing } = await openGraphModel(graph, flags.model, 'lucerna graph locate');
 * ```
 */
export async function openGraphModel(
  graph: ExplanatoryGraph,
  modelFlag: string | undefined,
  command: string,
): Promise<{ opened: OpenedModel; preprocessing: ResolvedPreprocessing }> {
  const opened = await openModel(modelFlag ?? graph.model.name);
  try {
    checkGraphModel(graph, await graphModelId(opened), opened.given);
    return { opened, preprocessing: { ...pixelSettings(opened, command).preprocessing, resize: 'stretch' } };
  } catch (error) {
    await opened[Symbol.asyncDispose]();
    throw error;
  }
}

/**
 * The peaks of every graph layer on `images`, in batches, with a progress bar on a terminal;
 * `onMaps` sees each image's full maps before they are dropped.
 *
 * @example
 * ```ts
 * const peaks = await graphPeaks(ctx, 'stability', graph, model, images, preprocessing, 8, flags.json);
 * ```
 */
export async function graphPeaks(
  ctx: CommandContext,
  label: string,
  graph: ExplanatoryGraph,
  model: Model,
  images: readonly ClassImage[],
  preprocessing: ResolvedPreprocessing,
  batchSize: number,
  json: boolean | undefined,
  onMaps?: (image: number, maps: readonly ActivationMap[]) => void,
): Promise<readonly ImagePeaks[]> {
  const [height, width] = preprocessing.size;
  const progress = progressBar(label, !json && ctx.io.isTTY);
  const { peaks } = await collectGraphPeaks(model, images, {
    layers: graph.layers.map((l) => l.name),
    inputSize: [height, width],
    peaksPerFilter: graph.settings.peaksPerFilter,
    batchSize,
    signal: ctx.signal,
    onProgress: progress.onProgress,
    ...(onMaps ? { onMaps } : {}),
  }).finally(() => progress.stop());
  return peaks;
}
