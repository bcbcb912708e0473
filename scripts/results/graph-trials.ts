/**
 * 3-shot part localisation over many random shot sets, for RESULTS.md's explanatory-graph section
 * (Zhang et al. 2018, https://arxiv.org/abs/1708.01785). `lucerna graph locate --shots 3` annotates
 * the first 3 images of the class, one draw; which single filter fits those 3 best, and how well,
 * varies a lot from draw to draw. Here the same rule as `graph locate` (its default node count,
 * firing-rate rule and baselines, `src/disentangle/graph/locate.ts`) runs on `trials` random 3-shot
 * sets per part (seeded), on the same images, and each set's errors are averaged over the images
 * not annotated. The feature-template baseline is left out (it needs every image's full maps).
 */
import { classImages, graphPeaks, openGraphModel, readGraph } from '../../src/cli/commands/graph-io.js';
import { DEFAULT_LOCATE_NODES } from '../../src/cli/commands/graph-locate-run.js';
import { inferNodePositions } from '../../src/disentangle/graph/infer.js';
import { firingFractions, fitPartLocator, locatePart, normalisedDistance, type UnitPositions } from '../../src/disentangle/graph/locate.js';
import { filterUnits } from '../../src/disentangle/qa/units.js';
import { seededRandom } from '../../src/tensor/random.js';

/** One part's result over the shot sets. */
export interface TrialRow {
  readonly part: string;
  readonly trials: number;
  /** Mean over the shot sets of each method's mean error. */
  readonly error: { readonly graph: number; readonly filter: number; readonly filterWithPrior: number; readonly mean: number };
  /** Shot sets on which the graph beat both the best filter and the mean position. */
  readonly wins: number;
}

interface Image {
  readonly nodes: UnitPositions;
  readonly filters: UnitPositions;
  readonly landmarks: ReadonlyMap<string, readonly [number, number]>;
}

function draw(n: number, k: number, random: () => number): number[] {
  const picked = new Set<number>();
  while (picked.size < k) picked.add(Math.floor(random() * n));
  return [...picked];
}

function oneSet(images: readonly Image[], shotIndex: readonly number[], part: string, size: readonly [number, number]) {
  const isShot = new Set(shotIndex);
  const shots = shotIndex.map((i) => images[i] as Image);
  const held = images.filter((_, i) => !isShot.has(i));
  const truth = (im: Image) => im.landmarks.get(part) as readonly [number, number];
  const fit = (kind: 'nodes' | 'filters', count: number) =>
    fitPartLocator(
      shots.map((im) => ({ units: im[kind], part: truth(im) })),
      count,
      size,
      { rates: firingFractions(images.map((im) => im[kind])) },
    );
  const g = fit('nodes', DEFAULT_LOCATE_NODES);
  const f = fit('filters', 1);
  const err = (at: (im: Image) => readonly [number, number]) => held.reduce((s, im) => s + normalisedDistance(at(im), truth(im), size), 0) / held.length;
  return {
    graph: err((im) => locatePart(g, im.nodes)),
    filter: err((im) => locatePart(f, im.filters, { prior: false })),
    filterWithPrior: err((im) => locatePart(f, im.filters)),
    mean: err(() => g.fallback),
  };
}

/**
 * Runs `trials` random 3-shot sets per part on the class images of `dataset` (those with the part).
 *
 * @example
 * ```ts
 * const rows = await locateTrials('g/graph.json', 'parts', ['head'], 10, 0);
 * rows[0].wins; // shot sets on which the graph beat both baselines
 * ```
 */
export async function locateTrials(graphPath: string, dataset: string, parts: readonly string[], trials: number, seed: number): Promise<TrialRow[]> {
  const graph = await readGraph(graphPath);
  const { opened: graphModel, preprocessing } = await openGraphModel(graph, undefined, 'results');
  await using opened = graphModel;
  const images = await classImages(dataset, graph.class as string, 4, opened.model, preprocessing);
  const ctx = { io: { isTTY: false } } as Parameters<typeof graphPeaks>[0];
  const peaks = await graphPeaks(ctx, 'trials', graph, opened.model, images, preprocessing, 8, true);
  const all: Image[] = images.map((im, i) => {
    const p = peaks[i] as Parameters<typeof filterUnits>[0];
    return { nodes: inferNodePositions(graph, p), filters: filterUnits(p), landmarks: im.landmarks };
  });
  const size = preprocessing.size;
  return parts.map((part, j) => {
    const have = all.filter((im) => im.landmarks.has(part));
    const random = seededRandom(seed + j);
    const sets = Array.from({ length: trials }, () => oneSet(have, draw(have.length, 3, random), part, size));
    const mean = (k: keyof (typeof sets)[number]) => sets.reduce((s, e) => s + e[k], 0) / sets.length;
    return {
      part,
      trials,
      error: { graph: mean('graph'), filter: mean('filter'), filterWithPrior: mean('filterWithPrior'), mean: mean('mean') },
      wins: sets.filter((e) => e.graph < Math.min(e.filter, e.mean)).length,
    };
  });
}
