/**
 * Loads, for the QA experiment, every image of a graph's class with its units (graph nodes and
 * raw filters) and its true landmark: the model is the one the graph records, the peaks come from
 * one batched pass (`collectGraphPeaks`), nodes are placed by graph inference.
 */
import { classImages, openGraphModel, readGraph } from '../../src/cli/commands/graph-io.js';
import { collectGraphPeaks } from '../../src/disentangle/graph/collect.js';
import { qaImages, type TruthImage } from '../../src/disentangle/qa/index.js';

/**
 * Images of the graph's class with their node and filter units, in data-set order.
 *
 * @example
 * ```ts
 * const { nodes, filters, inputSize } = await loadUnits('g/graph.json', 'parts', 'head');
 * ```
 */
export async function loadUnits(
  graphPath: string,
  dataset: string,
  part: string,
): Promise<{ nodes: TruthImage[]; filters: TruthImage[]; inputSize: [number, number] }> {
  const graph = await readGraph(graphPath);
  const { opened, preprocessing } = await openGraphModel(graph, undefined, 'results-qa');
  await using model = opened;
  const images = await classImages(dataset, graph.class as string, 1, model.model, preprocessing);
  const { peaks } = await collectGraphPeaks(model.model, images, {
    layers: graph.layers.map((l) => l.name),
    inputSize: graph.inputSize,
    peaksPerFilter: graph.settings.peaksPerFilter,
  });
  const rows = images.map((im, i) => ({ id: im.image, peaks: peaks[i] as NonNullable<(typeof peaks)[number]>, scale: im.scale }));
  const truth = images.map((im) => {
    const t = im.landmarks.get(part);
    return t ? ([t[0] / (im.scale[0] as number), t[1] / (im.scale[1] as number)] as const) : null;
  });
  const withTruth = (list: ReturnType<typeof qaImages>) => list.map((im, i) => ({ ...im, truth: truth[i] ?? null }));
  return { nodes: withTruth(qaImages(graph, rows)), filters: withTruth(qaImages(null, rows)), inputSize: [graph.inputSize[0], graph.inputSize[1]] };
}
