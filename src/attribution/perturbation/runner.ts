/**
 * The shared engine of every perturbation method: generate perturbed inputs lazily, score them in
 * batches through a scorer, and hand back each chunk's target scores — with progress and
 * cancellation, and memory bounded by the batch size.
 */

import { forEachChunk } from '../../engine/batching.js';
import type { LocalEdit } from '../../engine/incremental/session.js';
import { LucernaError } from '../../errors.js';
import { sizeOf, type Tensor } from '../../tensor/tensor.js';
import type { Scorer } from './scorer.js';

/** A lazily generated set of perturbed inputs. */
export interface PerturbationSource {
  /** Number of perturbed inputs. */
  readonly count: number;
  /** Writes perturbed input `index` (one sample) into `out`. */
  fill(index: number, out: Float32Array): void;
  /** The class whose score is read for input `index`. */
  target(index: number): number;
  /**
   * Sees input `index`'s class scores just before its target is read, inputs in order: a source
   * whose first row of a sample is the unperturbed sample resolves that sample's target from it,
   * so the clean pass rides in a batch of perturbations instead of a padded batch of its own.
   */
  observe?(index: number, classes: Float32Array): void;
  /** Which sample input `index` edits and the box it changes, for scorers with `scoreEdits`. */
  edit?(index: number): LocalEdit;
}

/** Progress and cancellation of a run. */
export interface RunControl {
  readonly signal?: AbortSignal;
  readonly onProgress?: (done: number, total: number) => void;
}

/**
 * Scores every perturbed input; `onChunk(first, scores, rows, classes)` receives the target score of
 * each input of a chunk, and every class score (`rows`, [count, classes]) so several targets can
 * be read from the same forward passes. Returns nothing: methods accumulate chunk by chunk.
 *
 * @example
 * ```ts
 * await scorePerturbations(scorer, [3, 224, 224], source, (first, s) => { ... }, { signal });
 * ```
 */
export async function scorePerturbations(
  scorer: Scorer,
  sampleShape: readonly number[],
  source: PerturbationSource,
  onChunk: (first: number, scores: Float32Array, rows: ArrayLike<number>, classes: number) => void,
  control: RunControl = {},
): Promise<void> {
  const per = sizeOf(sampleShape);
  const batch = Math.max(1, Math.min(scorer.batchSize, source.count));
  const buffer = new Float32Array(batch * per);
  await forEachChunk(source.count, batch, control, async (first, count) => {
    for (let r = 0; r < count; r++) source.fill(first + r, buffer.subarray(r * per, (r + 1) * per));
    const input: Tensor = { data: count === batch ? buffer : buffer.subarray(0, count * per), shape: [count, ...sampleShape] };
    const edit = source.edit;
    const rows =
      edit && scorer.scoreEdits
        ? await scorer.scoreEdits(
            input,
            Array.from({ length: count }, (_, r) => edit(first + r)),
            control.signal,
          )
        : await scorer.score(input, control.signal);
    const k = rows.data.length / count;
    const scores = new Float32Array(count);
    for (let r = 0; r < count; r++) {
      source.observe?.(first + r, rows.data.subarray(r * k, (r + 1) * k));
      const t = source.target(first + r);
      if (t < 0 || t >= k) throw new LucernaError('BAD_TARGET', `Target ${t} is out of range: the scorer returned ${k} classes`);
      scores[r] = rows.data[r * k + t] as number;
    }
    onChunk(first, scores, rows.data, k);
  });
}

/**
 * Scores whole inputs (no perturbation): the class scores of each sample, for targets and baselines.
 *
 * @example
 * ```ts
 * const logits = await scoreInputs(scorer, x); // [N, K]
 * ```
 */
export async function scoreInputs(scorer: Scorer, x: Tensor, signal?: AbortSignal): Promise<Tensor> {
  const n = x.shape[0] as number;
  const per = sizeOf(x.shape.slice(1));
  const parts: Float32Array[] = [];
  let k = 0;
  await forEachChunk(n, scorer.batchSize, { signal }, async (first, count) => {
    const rows = await scorer.score({ data: x.data.subarray(first * per, (first + count) * per), shape: [count, ...x.shape.slice(1)] }, signal);
    k = rows.data.length / count;
    parts.push(Float32Array.from(rows.data));
  });
  const data = new Float32Array(n * k);
  let off = 0;
  for (const p of parts) {
    data.set(p, off);
    off += p.length;
  }
  return { data, shape: [n, k] };
}

/** Samples of a batch grouped by identical content: each group is perturbed and scored once. */
export interface SampleGroups {
  /** One sample index per group (its first member). */
  readonly representatives: readonly number[];
  /** The sample indices of each group, in order. */
  readonly members: readonly (readonly number[])[];
}

function sameRow(a: ArrayLike<number>, i: number, j: number, per: number): boolean {
  for (let k = 0; k < per; k++) if (a[i * per + k] !== a[j * per + k]) return false;
  return true;
}

/**
 * Groups the samples of `x` (and of the same-shaped `companions`, e.g. a baseline) whose values are
 * all identical. A batch that repeats one image for several targets (as `lucerna explain` does)
 * then needs one perturbation pass, whose class scores serve every target.
 *
 * @example
 * ```ts
 * groupIdenticalSamples(concatBatch([x, x, y])); // { representatives: [0, 2], members: [[0, 1], [2]] }
 * ```
 */
export function groupIdenticalSamples(x: Tensor, companions: readonly Tensor[] = []): SampleGroups {
  const n = x.shape[0] as number;
  const per = sizeOf(x.shape.slice(1));
  const representatives: number[] = [];
  const members: number[][] = [];
  for (let i = 0; i < n; i++) {
    const g = representatives.findIndex((r) => sameRow(x.data, r, i, per) && companions.every((c) => sameRow(c.data, r, i, per)));
    if (g >= 0) (members[g] as number[]).push(i);
    else {
      representatives.push(i);
      members.push([i]);
    }
  }
  return { representatives, members };
}
