/**
 * Types of the explanatory graph (Zhang, Cao, Shi, Wu & Zhu 2018, "Interpreting CNN Knowledge via
 * an Explanatory Graph", AAAI, https://arxiv.org/abs/1708.01785) and its file format, `graph.json`.
 *
 * ## `graph.json`, format version 1
 * ```jsonc
 * {
 *   "format": "lucerna-explanatory-graph", "version": 1,
 *   "model": { "id": "sha256:…", "name": "/abs/net.onnx" }, // the mined model; another model is refused
 *   "class": "bird",                                     // optional: the images' class
 *   "inputSize": [H, W],                                 // model input, pixels
 *   "layers": [{ "name": "relu3", "channels": 16, "height": 8, "width": 8 }, …], // lower → top
 *   "settings": { …GraphSettings },                      // every hyper-parameter, resolved
 *   "nodes": [{ "id": 0, "layer": 0, "filter": 3, "prior": [x, y], "variance": v, "support": n }, …],
 *   "edges": [{ "child": 0, "parent": 41, "displacement": [dx, dy], "variance": v }, …]
 * }
 * ```
 * Positions are model-input pixels (x right, y down); `prior` is the node's mean position,
 * `variance` its isotropic per-axis variance (px²); an edge's `displacement` is the expected
 * child position minus the parent position, `variance` the per-axis variance of that difference;
 * `support` counts the training images on which the node fired. Node ids are indices into `nodes`.
 */

/** Peaks of one filter on one image: positions (model-input pixels) and activation values. */
export interface FilterPeaks {
  readonly x: readonly number[];
  readonly y: readonly number[];
  readonly value: readonly number[];
}

/** One image as the graph sees it: per layer (lower → top), per filter, its peaks. */
export type ImagePeaks = readonly (readonly FilterPeaks[])[];

/** One activation map of one image, `[C, h, w]` row-major. */
export interface ActivationMap {
  readonly data: ArrayLike<number>;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
}

/** Hyper-parameters, plain data (see `resolveSettings` for defaults and the paper's values). */
export interface GraphSettings {
  /** Part patterns (nodes) per filter, per layer from the lower to the top layer. */
  readonly patternsPerFilter: readonly number[];
  /** Parents per node in the layer above (paper: 15). */
  readonly parents: number;
  /** Local maxima kept per filter and image, largest first. */
  readonly peaksPerFilter: number;
  /** EM iterations per layer. */
  readonly iterations: number;
  /** Weight of the activation term log(value) against the geometric term. */
  readonly unaryWeight: number;
  /** Smallest standard deviation, as a fraction of the input diagonal. */
  readonly minSigma: number;
  /** A node takes a peak only within this many standard deviations of where it expects it. */
  readonly gate: number;
  /** A node is kept only if it fired on at least this many training images. */
  readonly minSupport: number;
}

/** One node: a part pattern of one filter. */
export interface GraphNode {
  readonly id: number;
  /** Index into `layers` (0 = lowest). */
  readonly layer: number;
  readonly filter: number;
  /** Mean position over the training images where it fired, `[x, y]`. */
  readonly prior: readonly [number, number];
  /** Per-axis variance of its position (px²). */
  readonly variance: number;
  /** Training images on which it fired. */
  readonly support: number;
}

/** An edge from a node to a parent in the layer above. */
export interface GraphEdge {
  readonly child: number;
  readonly parent: number;
  /** Expected child position − parent position, `[dx, dy]`. */
  readonly displacement: readonly [number, number];
  /** Per-axis variance of that difference (px²). */
  readonly variance: number;
}

/** A layer the graph was mined from. */
export interface GraphLayer {
  readonly name: string;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
}

/** The fitted graph, as stored in `graph.json`. */
export interface ExplanatoryGraph {
  readonly format: 'lucerna-explanatory-graph';
  readonly version: 1;
  readonly model: { readonly id: string; readonly name: string };
  /** The class of the images it was mined from, when known. */
  readonly class?: string;
  readonly inputSize: readonly [number, number];
  readonly layers: readonly GraphLayer[];
  readonly settings: GraphSettings;
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
}

/** Where every node sits on one image: NaN and value 0 where it did not fire. */
export interface NodePositions {
  readonly x: Float64Array;
  readonly y: Float64Array;
  readonly value: Float64Array;
}
