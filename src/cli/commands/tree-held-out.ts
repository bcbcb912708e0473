/**
 * Held-out fidelity for `lucerna tree build` (Zhang et al., "Interpreting CNNs via Decision Trees",
 * CVPR 2019, https://arxiv.org/abs/1802.00121, Sec. 4): held-out images are routed down the tree by
 * cosine and their class score predicted at the root, at the decision modes and at the leaves. Two
 * measures (`src/disentangle/tree/fidelity.ts`), on the held-out images of the tree's class and on
 * all held-out images: the paper's error, mean |ŷ − y| over the range of y, and Σ|ŷ − y| / Σ|y|.
 * Also the check that the class scores vary at all (a barely trained network gives every image the
 * same score, and then there is nothing for the tree to explain).
 */
import { basename } from 'node:path';
import type { Dataset } from '../../datasets/types.js';
import { type DepthFidelity, layerFidelity } from '../../disentangle/tree/fidelity.js';
import type { DecisionTree, Rationale } from '../../disentangle/tree/types.js';

/** Held-out fidelity at one of the paper's tree layers. */
export interface HeldOutRow {
  /** `root`, `modes` or `leaves`. */
  readonly layer: string;
  /** The paper's error on the held-out images of the class (null when undefined: no such image, or all scores equal). */
  readonly classError: number | null;
  readonly classRelativeError: number | null;
  /** The same on all held-out images. */
  readonly error: number | null;
  readonly relativeError: number | null;
}

/** What `tree build` reports about its held-out images. */
export interface HeldOutFidelity {
  /** Where they came from: the data set's `val` split, or `--held-out <dir>`. */
  readonly source: string;
  readonly images: number;
  readonly classImages: number;
  readonly layers: readonly HeldOutRow[];
}

const LAYERS = [1, 2, Number.POSITIVE_INFINITY];
const LAYER_NAMES = ['root', 'modes', 'leaves'];

/**
 * Sample indices in the `val` split of a Broden folder's `index.csv` (files without a row are not held out).
 *
 * @example
 * ```ts
 * valIndices(view.splitOf, data.files); // [3, 7, …]
 * ```
 */
export function valIndices(splitOf: ReadonlyMap<string, string>, files: readonly string[]): number[] {
  return [...files.keys()].filter((i) => splitOf.get(basename(files[i] as string)) === 'val');
}

const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);

/**
 * Fidelity of `tree` on held-out rationales (each image's rationale for the tree's class), at the
 * root, the modes and the leaves; `positive[i]` says whether image i is of the class.
 *
 * @example
 * ```ts
 * const f = heldOutFidelity(tree, rationales, labels.map((l) => l === target), 'val split');
 * ```
 */
export function heldOutFidelity(tree: DecisionTree, rationales: readonly Rationale[], positive: readonly boolean[], source: string): HeldOutFidelity {
  const all = rationales.map((rationale) => ({ rationale }));
  const mine = all.filter((_im, i) => positive[i]);
  const rows = (images: typeof all): DepthFidelity[] => layerFidelity(tree, images, LAYERS) ?? [];
  const [a, c] = [rows(all), rows(mine)];
  return {
    source,
    images: all.length,
    classImages: mine.length,
    layers: LAYER_NAMES.map((layer, k) => ({
      layer,
      classError: finite(c[k]?.rangeError ?? Number.NaN),
      classRelativeError: finite(c[k]?.relativeError ?? Number.NaN),
      error: finite(a[k]?.rangeError ?? Number.NaN),
      relativeError: finite(a[k]?.relativeError ?? Number.NaN),
    })),
  };
}

const num = (v: number | null): string => (v === null ? '–' : v.toFixed(4));

/**
 * The lines `tree build` prints for its held-out fidelity.
 *
 * @example
 * ```ts
 * formatHeldOut(f, 'bird'); // 'held-out fidelity (val split), root → modes → leaves: …'
 * ```
 */
export function formatHeldOut(f: HeldOutFidelity, className: string): string {
  const line = (label: string, pick: (r: HeldOutRow) => number | null): string => `${label} ${f.layers.map((r) => num(pick(r))).join(' → ')}`;
  return [
    `held-out fidelity (${f.source}), root → modes → leaves; error = mean |ŷ − y| / (max y − min y), relative = Σ|ŷ − y| / Σ|y|:`,
    `  ${f.classImages} images of "${className}": ${line('error', (r) => r.classError)}; ${line('relative', (r) => r.classRelativeError)}`,
    `  all ${f.images} held-out images: ${line('error', (r) => r.error)}; ${line('relative', (r) => r.relativeError)}`,
  ].join('\n');
}

/**
 * A warning when the class scores do not vary (within 1e-6 of their size): the tree then has
 * nothing to explain and the paper's error is undefined. Undefined when they vary.
 *
 * @example
 * ```ts
 * const w = sameScoreWarning(rationales, 'bird'); // 'every one of the 40 images of "bird" has the same score …'
 * ```
 */
export function sameScoreWarning(rationales: readonly Rationale[], className: string): string | undefined {
  const scores = rationales.map((r) => r.score);
  const lo = Math.min(...scores);
  const hi = Math.max(...scores);
  if (!(hi - lo <= 1e-6 * Math.max(1, Math.abs(lo), Math.abs(hi)))) return undefined;
  return `every one of the ${scores.length} images of "${className}" has the same score (${lo.toPrecision(6)}): the network does not tell them apart, so the tree has nothing to explain (is the network trained?)`;
}

/** A data set and the indices of its held-out images. */
export interface HeldOutSet {
  readonly data: Dataset;
  readonly indices: readonly number[];
  readonly source: string;
}
