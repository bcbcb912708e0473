/**
 * Learning the explanatory graph (Zhang, Cao, Shi, Wu & Zhu 2018, "Interpreting CNN Knowledge via
 * an Explanatory Graph", AAAI, https://arxiv.org/abs/1708.01785): each filter of each chosen conv
 * layer is split into several part patterns (nodes); each node gets parents in the layer above
 * with expected displacements and variances. Layers are learnt top-down, one at a time, by an
 * EM-like loop: the E-step places every node on every image (`assign.ts`); the M-step re-estimates
 * each node's prior displacement and variance and re-picks its parents.
 *
 * Pure: activation peaks in (the caller streams images through the network and keeps only each
 * filter's few peaks, see `peaks.ts`), graph out.
 *
 * Choices the paper leaves open, ours:
 * - Geometry is isotropic: one variance per node and per edge, the mean of the x and y variances,
 *   floored at (minSigma · input diagonal)².
 * - Every image has a reference point r (mean of the strongest peak of each top-layer filter);
 *   a node's prior is its mean displacement from r, and it scores peaks when none of its parents
 *   fired (always for the top layer, which has no parents).
 * - Initialisation: per filter, k-means (deterministic, farthest-point seeding) of all its peaks
 *   over the images, each peak taken relative to the mean position of the layer above's fired
 *   nodes on its image (for the top layer, relative to r); a cluster's initial position on an image
 *   is its strongest peak there. The loop then starts with an M-step.
 * - Parents of a node V: among all nodes U of the layer above that fired with V on ≥ 2 images,
 *   Δ_UV is the mean of p_V − p_U and σ²_UV its variance; U's fit is the mean over V's images of
 *   log N(p_V − p_U; Δ_UV, σ²_UV), counting an image where U did not fire as a point at the gate
 *   radius; the `parents` best fits are kept (`parents.ts`).
 * - After the last iteration, nodes that fired on fewer than `minSupport` images are dropped and
 *   the layer's positions are recomputed without them before the layer below is learnt.
 */
import { LucernaError } from '../../errors.js';
import { throwIfCancelled } from '../../visualization/optimize.js';
import { assignLayer, emptyPositions, referencePoint, type WorkNode } from './assign.js';
import { kmeans2d } from './kmeans.js';
import { fitParents, type ParentPool, parentPool } from './parents.js';
import { resolveSettings } from './settings.js';
import type { ExplanatoryGraph, GraphEdge, GraphLayer, GraphNode, GraphSettings, ImagePeaks, NodePositions } from './types.js';

/** What the graph records about where it came from. */
export interface GraphSource {
  /** The mined model's identity (for example `sha256:` of its file) and a display name. */
  readonly model: { readonly id: string; readonly name: string };
  /** Model input `[height, width]`. */
  readonly inputSize: readonly [number, number];
  /** The layers, lower → top; `channels` must match the peaks. */
  readonly layers: readonly GraphLayer[];
}

/** Options of {@link fitExplanatoryGraph}. */
export interface GraphFitOptions {
  readonly signal?: AbortSignal;
  /** Called after each EM iteration of each layer. */
  readonly onProgress?: (done: number, total: number) => void;
}

interface LayerFit {
  readonly nodes: WorkNode[];
  readonly support: number[];
  readonly positions: NodePositions[];
}

function byFilterOf(nodes: readonly WorkNode[], channels: number): number[][] {
  const out: number[][] = Array.from({ length: channels }, () => []);
  nodes.forEach((n, k) => {
    out[n.filter]?.push(k);
  });
  return out;
}

function firedMean(p: NodePositions | null, fallback: readonly [number, number]): [number, number] {
  if (!p) return [fallback[0], fallback[1]];
  let sx = 0;
  let sy = 0;
  let n = 0;
  for (let k = 0; k < p.value.length; k++) {
    if (!((p.value[k] as number) > 0)) continue;
    sx += p.x[k] as number;
    sy += p.y[k] as number;
    n++;
  }
  return n ? [sx / n, sy / n] : [fallback[0], fallback[1]];
}

/** k-means of each filter's peaks: initial nodes and their positions per image. */
function initialise(
  l: number,
  images: readonly ImagePeaks[],
  roots: readonly [number, number][],
  above: readonly NodePositions[] | null,
  settings: GraphSettings,
  channels: number,
) {
  const filters: number[] = [];
  const seeds: number[][][] = []; // per node, per image: peak index or -1
  const refs = images.map((_, i) => firedMean(above ? (above[i] as NodePositions) : null, roots[i] as [number, number]));
  for (let f = 0; f < channels; f++) {
    const xs: number[] = [];
    const ys: number[] = [];
    const where: [number, number][] = [];
    images.forEach((img, i) => {
      const fp = img[l]?.[f];
      if (!fp) return;
      const ref = refs[i] as [number, number];
      for (let p = 0; p < fp.value.length; p++) {
        xs.push((fp.x[p] as number) - ref[0]);
        ys.push((fp.y[p] as number) - ref[1]);
        where.push([i, p]);
      }
    });
    if (xs.length === 0) continue;
    const label = kmeans2d(xs, ys, settings.patternsPerFilter[l] as number);
    const clusters = Math.max(...label) + 1;
    for (let c = 0; c < clusters; c++) {
      filters.push(f);
      const perImage = new Array<number>(images.length).fill(-1);
      label.forEach((lab, q) => {
        if (lab !== c) return;
        const [i, p] = where[q] as [number, number];
        const fp = images[i]?.[l]?.[f] as ImagePeaks[number][number];
        const cur = perImage[i] as number;
        if (cur < 0 || (fp.value[p] as number) > (fp.value[cur] as number)) perImage[i] = p;
      });
      seeds.push([perImage]);
    }
  }
  return images.map((img, i) => {
    const pos = emptyPositions(filters.length);
    filters.forEach((f, k) => {
      const p = seeds[k]?.[0]?.[i] as number;
      const fp = img[l]?.[f];
      if (p < 0 || !fp) return;
      pos.x[k] = fp.x[p] as number;
      pos.y[k] = fp.y[p] as number;
      pos.value[k] = fp.value[p] as number;
    });
    return { pos, filters };
  });
}

function mStep(
  nodes: readonly WorkNode[],
  positions: readonly NodePositions[],
  roots: readonly [number, number][],
  pool: ParentPool | null,
  settings: GraphSettings,
  floor: number,
) {
  const support: number[] = [];
  const next = nodes.map((node, k) => {
    const fired = positions.map((_, i) => i).filter((i) => ((positions[i] as NodePositions).value[k] as number) > 0);
    support.push(fired.length);
    if (fired.length === 0) return node;
    const dx = fired.map((i) => ((positions[i] as NodePositions).x[k] as number) - (roots[i] as [number, number])[0]);
    const dy = fired.map((i) => ((positions[i] as NodePositions).y[k] as number) - (roots[i] as [number, number])[1]);
    const mx = dx.reduce((s, v) => s + v, 0) / fired.length;
    const my = dy.reduce((s, v) => s + v, 0) / fired.length;
    const ss = dx.reduce((s, v, j) => s + (v - mx) ** 2 + ((dy[j] as number) - my) ** 2, 0);
    const parents = pool ? fitParents(pool, k, fired, positions, settings, floor) : [];
    return { filter: node.filter, prior: [mx, my] as const, variance: Math.max(floor, ss / (2 * fired.length)), parents };
  });
  return { nodes: next, support };
}

function* fitLayer(
  l: number,
  images: readonly ImagePeaks[],
  roots: readonly [number, number][],
  above: readonly NodePositions[] | null,
  settings: GraphSettings,
  source: GraphSource,
  step: () => void,
): Generator<void, LayerFit> {
  const channels = (source.layers[l] as GraphLayer).channels;
  const diag = Math.hypot(source.inputSize[0], source.inputSize[1]);
  const floor = (settings.minSigma * diag) ** 2;
  const pool = above ? parentPool(above) : null;
  const init = initialise(l, images, roots, above, settings, channels);
  let positions = init.map((r) => r.pos);
  let nodes: WorkNode[] = (init[0]?.filters ?? []).map((filter) => ({ filter, prior: [0, 0], variance: floor, parents: [] }));
  const options = { unaryWeight: settings.unaryWeight, gate: settings.gate };
  const eStep = () => {
    const byFilter = byFilterOf(nodes, channels);
    positions = images.map((img, i) =>
      assignLayer(img[l] ?? [], nodes, byFilter, roots[i] as [number, number], above ? (above[i] as NodePositions) : null, options),
    );
  };
  for (let it = 0; it < settings.iterations; it++) {
    nodes = mStep(nodes, positions, roots, pool, settings, floor).nodes;
    yield;
    eStep();
    step();
    yield;
  }
  const last = mStep(nodes, positions, roots, pool, settings, floor);
  yield;
  const keep = last.nodes.map((_, k) => k).filter((k) => (last.support[k] as number) >= settings.minSupport);
  nodes = keep.map((k) => last.nodes[k] as WorkNode);
  eStep();
  return { nodes, support: keep.map((k) => last.support[k] as number), positions };
}

function checkPeaks(images: readonly ImagePeaks[], source: GraphSource): void {
  if (images.length === 0) throw new LucernaError('BAD_OPTION', 'The explanatory graph needs at least one image');
  for (const img of images) {
    if (img.length !== source.layers.length)
      throw new LucernaError('BAD_SHAPE', `Every image needs peaks of ${source.layers.length} layers, got ${img.length}`);
    img.forEach((layer, l) => {
      const c = (source.layers[l] as GraphLayer).channels;
      if (layer.length !== c) throw new LucernaError('BAD_SHAPE', `Layer ${source.layers[l]?.name} has ${c} filters, the peaks have ${layer.length}`);
    });
  }
}

/** The whole fit as steps: it pauses (yields) after each M-step and E-step of each layer. */
function* fitSteps(
  images: readonly ImagePeaks[],
  source: GraphSource,
  partial: Partial<GraphSettings>,
  options: GraphFitOptions,
): Generator<void, ExplanatoryGraph> {
  const settings = resolveSettings(partial, source.layers.length);
  checkPeaks(images, source);
  const top = source.layers.length - 1;
  const roots = images.map((img) => referencePoint(img[top] ?? [], source.inputSize));
  const total = settings.iterations * source.layers.length;
  let done = 0;
  const step = () => {
    throwIfCancelled(options.signal);
    options.onProgress?.(++done, total);
  };
  const fits: LayerFit[] = [];
  let above: NodePositions[] | null = null;
  for (let l = top; l >= 0; l--) {
    throwIfCancelled(options.signal);
    const fit: LayerFit = yield* fitLayer(l, images, roots, above, settings, source, step);
    fits[l] = fit;
    above = fit.positions;
  }
  const offsets: number[] = [];
  let next = 0;
  for (const f of fits) {
    offsets.push(next);
    next += f.nodes.length;
  }
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  fits.forEach((f, l) => {
    f.nodes.forEach((n, k) => {
      const id = (offsets[l] as number) + k;
      nodes.push({ id, layer: l, filter: n.filter, prior: [n.prior[0], n.prior[1]], variance: n.variance, support: f.support[k] as number });
      for (const e of n.parents)
        edges.push({ child: id, parent: (offsets[l + 1] as number) + e.parent, displacement: [e.displacement[0], e.displacement[1]], variance: e.variance });
    });
  });
  return {
    format: 'lucerna-explanatory-graph',
    version: 1,
    model: { id: source.model.id, name: source.model.name },
    inputSize: [source.inputSize[0], source.inputSize[1]],
    layers: source.layers.map((l) => ({ ...l })),
    settings,
    nodes,
    edges,
  };
}

/**
 * Learns the explanatory graph from the peaks of `images` (each: per layer lower → top, per
 * filter, its peaks in model-input pixels, from {@link imagePeaks}).
 *
 * @example
 * ```ts
 * const peaks = images.map((maps) => imagePeaks(maps, [64, 64], 5));
 * const graph = fitExplanatoryGraph(peaks, { model: { id, name: 'net.onnx' }, inputSize: [64, 64], layers }, { patternsPerFilter: [4, 2] });
 * graph.nodes.length;
 * ```
 */
export function fitExplanatoryGraph(
  images: readonly ImagePeaks[],
  source: GraphSource,
  partial: Partial<GraphSettings> = {},
  options: GraphFitOptions = {},
): ExplanatoryGraph {
  const steps = fitSteps(images, source, partial, options);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * {@link fitExplanatoryGraph} that lets the event loop turn after every M-step and E-step, so a
 * progress bar redraws and a cancel (Ctrl-C, a worker message) lands within one step, not after
 * the whole fit. Same result.
 *
 * @example
 * ```ts
 * const graph = await fitExplanatoryGraphAsync(peaks, source, { patternsPerFilter: [4, 2] }, { signal, onProgress });
 * ```
 */
export async function fitExplanatoryGraphAsync(
  images: readonly ImagePeaks[],
  source: GraphSource,
  partial: Partial<GraphSettings> = {},
  options: GraphFitOptions = {},
): Promise<ExplanatoryGraph> {
  const steps = fitSteps(images, source, partial, options);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    await new Promise((resolve) => setTimeout(resolve, 0));
    throwIfCancelled(options.signal);
  }
}
