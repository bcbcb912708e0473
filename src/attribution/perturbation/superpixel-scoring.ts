/**
 * Streams superpixel coalitions through a scorer in batches (only the z vectors and the target
 * scores are kept, never the perturbed inputs). Either the clean pass came first
 * ({@link scoreCoalitions}), or each sample's first coalition is the unperturbed sample and its
 * class scores are the clean pass ({@link scoreWithCleanRows}: LIME's and KernelSHAP's default
 * path, so the clean inputs ride in a batch of coalitions instead of a padded batch of their own).
 */
import type { Segmentation } from '../../segmentation/slic.js';
import { checkTargetCount, resolveTargets } from '../targets.js';
import { contextOf } from './context.js';
import { scorePerturbations } from './runner.js';
import type { CoalitionSet, SegmentRuns, SuperpixelOptions, SuperpixelProblem, SuperpixelSetup } from './superpixel-sampling.js';

/**
 * Writes sample `i` with superpixels kept where `z[seg] = 1` and the baseline elsewhere: the
 * majority source is copied whole, then the other one's superpixels are copied run by run (no
 * per-pixel label lookup; the values are the same).
 */
function fillCoalition(problem: SuperpixelSetup, i: number, z: Uint8Array, zOffset: number, out: Float32Array): void {
  const seg = problem.segmentations[i] as Segmentation;
  const { offsets, starts, ends } = problem.runs[i] as SegmentRuns;
  const plane = seg.height * seg.width;
  const per = out.length;
  const channels = per / plane;
  let kept = 0;
  for (let k = 0; k < seg.count; k++) kept += z[zOffset + k]!;
  const mostlyKept = 2 * kept >= seg.count;
  const base = (mostlyKept ? problem.x.data : problem.baseline.data).subarray(i * per, (i + 1) * per);
  const other = (mostlyKept ? problem.baseline.data : problem.x.data).subarray(i * per, (i + 1) * per);
  const paint = mostlyKept ? 0 : 1;
  out.set(base);
  for (let k = 0; k < seg.count; k++) {
    if (z[zOffset + k] !== paint) continue;
    const last = offsets[k + 1]!;
    for (let j = offsets[k]!; j < last; j++) {
      const start = starts[j]!;
      const end = ends[j]!;
      for (let c = 0; c < channels; c++) {
        const o = c * plane;
        for (let q = o + start; q < o + end; q++) out[q] = other[q]!;
      }
    }
  }
}

/** Where each set starts in the concatenated stream and which sample owns each row. */
function rowOwners(sets: readonly CoalitionSet[]): { offsets: number[]; owner: Int32Array } {
  const offsets: number[] = [0];
  for (const s of sets) offsets.push((offsets.at(-1) as number) + s.count);
  const owner = new Int32Array(offsets.at(-1) as number);
  sets.forEach((s, i) => {
    owner.fill(i, offsets[i], offsets[i]! + s.count);
  });
  return { offsets, owner };
}

/** Scores every coalition of every set; `target(i)` is sample i's class, read once its `observe` ran. */
async function streamCoalitions(
  setup: SuperpixelSetup,
  sets: readonly CoalitionSet[],
  options: SuperpixelOptions,
  target: (sample: number) => number,
  observe?: (sample: number, row: number, classes: Float32Array) => void,
): Promise<Float64Array[]> {
  const { offsets, owner } = rowOwners(sets);
  const scores = sets.map((s) => new Float64Array(s.count));
  await scorePerturbations(
    setup.scorer,
    setup.x.shape.slice(1),
    {
      count: owner.length,
      fill(index, out) {
        const i = owner[index]!;
        const set = sets[i] as CoalitionSet;
        fillCoalition(setup, i, set.z, (index - offsets[i]!) * set.features, out);
      },
      target: (index) => target(owner[index]!),
      ...(observe && { observe: (index: number, classes: Float32Array) => observe(owner[index]!, index - offsets[owner[index]!]!, classes) }),
    },
    (first, chunk) => {
      for (let j = 0; j < chunk.length; j++) {
        const i = owner[first + j]!;
        (scores[i] as Float64Array)[first + j - offsets[i]!] = chunk[j]!;
      }
    },
    { signal: options.signal, onProgress: options.onProgress },
  );
  return scores;
}

/**
 * Scores every coalition of every sample through the scorer, in batches, and returns the target
 * score of each coalition (one array per sample).
 *
 * @example
 * ```ts
 * const scores = await scoreCoalitions(problem, sets, options); // scores[i][r] = f(x_i with z_r)
 * ```
 */
export function scoreCoalitions(problem: SuperpixelProblem, sets: readonly CoalitionSet[], options: SuperpixelOptions): Promise<Float64Array[]> {
  return streamCoalitions(problem, sets, options, (i) => problem.context.targets[i] as number);
}

/** Whether row 0 of a set keeps every superpixel (the unperturbed sample). */
function firstRowKeepsAll(set: CoalitionSet): boolean {
  for (let k = 0; k < set.features; k++) if (set.z[k] !== 1) return false;
  return set.count > 0;
}

/**
 * Scores each sample's coalitions when the first one of every set keeps every superpixel: that
 * row is the unperturbed sample, so its class scores are the clean pass. Each sample's target
 * (`options.target`, else its top class) is resolved from it before any of its other rows is read.
 * Returns the problem (with the context those rows make) and the target scores, row 0 the clean one.
 *
 * @example
 * ```ts
 * const { problem, scores } = await scoreWithCleanRows(setupSuperpixels(model, x, options, 'LIME'), sets, options);
 * ```
 */
export async function scoreWithCleanRows(
  setup: SuperpixelSetup,
  sets: readonly CoalitionSet[],
  options: SuperpixelOptions,
): Promise<{ problem: SuperpixelProblem; scores: Float64Array[] }> {
  if (!sets.every(firstRowKeepsAll)) throw new Error('scoreWithCleanRows: the first coalition of every set must keep every superpixel');
  checkTargetCount(options.target, sets.length);
  const clean: Float32Array[] = [];
  const targets: number[] = [];
  const observe = (i: number, row: number, classes: Float32Array) => {
    if (row !== 0) return;
    clean[i] = Float32Array.from(classes);
    const spec = Array.isArray(options.target) ? [options.target[i] as number] : options.target;
    targets[i] = resolveTargets(spec, { data: clean[i] as Float32Array, shape: [1, classes.length] })[0] as number;
  };
  const scores = await streamCoalitions(setup, sets, options, (i) => targets[i] as number, observe);
  const k = (clean[0] as Float32Array).length;
  const all = new Float32Array(sets.length * k);
  clean.forEach((row, i) => {
    all.set(row, i * k);
  });
  const context = contextOf(setup.scorer, { data: all, shape: [sets.length, k] }, targets);
  return { problem: { ...setup, context }, scores };
}

/**
 * `set` with rows in front: one per entry of `leading`, every superpixel kept (1) or removed (0).
 *
 * @example
 * ```ts
 * withLeadingRows({ z: Uint8Array.of(0, 1), count: 1, features: 2 }, [1, 0]).z; // [1, 1, 0, 0, 0, 1]
 * ```
 */
export function withLeadingRows(set: CoalitionSet, leading: readonly (0 | 1)[]): CoalitionSet {
  const n = leading.length;
  const z = new Uint8Array((set.count + n) * set.features);
  leading.forEach((bit, r) => {
    z.fill(bit, r * set.features, (r + 1) * set.features);
  });
  z.set(set.z.subarray(0, set.count * set.features), n * set.features);
  return { z, count: set.count + n, features: set.features };
}

/**
 * `set` with a first row that keeps every superpixel (the unperturbed sample), for
 * {@link scoreWithCleanRows}; the scores of the original rows are then `scores.subarray(1)`.
 *
 * @example
 * ```ts
 * withCleanRow({ z: Uint8Array.of(0, 1), count: 1, features: 2 }).z; // [1, 1, 0, 1]
 * ```
 */
export function withCleanRow(set: CoalitionSet): CoalitionSet {
  return withLeadingRows(set, [1]);
}
