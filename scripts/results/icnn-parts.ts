/**
 * The part interpretability of the interpretable-CNN paper (Zhang, Wu & Zhu, CVPR 2018,
 * https://arxiv.org/abs/1710.00935, §5.2.1), for RESULTS.md's comparison: each filter's feature maps
 * *after ReLU/mask* (the masked tensor in an interpretable net, the layer itself in an ordinary one),
 * on the images of the filter's category, P_f = max_k P_{f,k}, where P_{f,k} is the share of the
 * images showing part k on which the filter's top-0.5 % region has IoU > 0.2 with k
 * (`lucerna dissect --where object=<class>`, `partAssociations`); the layer's value is the mean over
 * its filters. Multi-category: each filter's category is the object class that activates it most,
 * argmax_c of the mean over the class's images of Σ_ij x_ij, as the paper assigns it.
 *
 * The paper draws a filter's region on an image as a round receptive field around every activation
 * above the threshold (its footnote 5), without giving the radius. With a `radius`, the region is
 * that (`lucerna dissect --association-radius`); the section sets it to the net's empirical
 * receptive field ({@link empiricalRadius}, Zhou et al. 2015). Without one, it is NetDissect's
 * upsampled mask.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runJson } from '../../src/cli/in-process.js';
import { imageFolder } from '../../src/datasets/node/image-folder.js';
import { Model } from '../../src/engine/model.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { graphFromBytes } from '../../src/onnx/builder.js';
import { sliceBatch } from '../../src/tensor/tensor.js';
import { assignFilters } from '../../src/training/interpretable/filter-loss.js';
import { maskedTensorName } from '../../src/training/interpretable/mask.js';
import { meanActivations } from '../../src/training/interpretable/setup.js';
import { empiricalReceptiveField } from '../../src/visualization/empirical-receptive-field.js';

/** Where the paper measures a net's filters: after the mask when there is one. */
export const evaluatedTensor = (layer: string, interpretable: boolean): string => (interpretable ? maskedTensorName(layer) : layer);

/** Per filter (in unit order), its P_f on the images of `cls` (`lucerna dissect … --where object=<cls>`). */
async function perFilterP(model: string, parts: string, tensor: string, cls: string, out: string, radius?: number): Promise<number[]> {
  await runJson(
    'dissect',
    model,
    '--dataset',
    parts,
    '--layer',
    tensor,
    '--categories',
    'part',
    '--where',
    `object=${cls}`,
    '--out',
    out,
    '--report-units',
    '0',
    ...(radius === undefined ? [] : ['--association-radius', String(radius)]),
  );
  const layer = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')).layers[0] as { partAssociations?: { unit: number; p: number }[] };
  if (!layer.partAssociations) throw new Error(`${out}/result.json has no partAssociations`);
  return [...layer.partAssociations].sort((a, b) => a.unit - b.unit).map((a) => a.p);
}

/**
 * The mean over `assigned` filters' categories of their P_f, `perClass` holding each class's per-filter P.
 *
 * @example
 * ```ts
 * meanOwnP([0, 1], new Map([[0, [0.2, 0.1]], [1, [0.0, 0.4]]])); // (0.2 + 0.4) / 2
 * ```
 */
export function meanOwnP(assigned: readonly number[], perClass: ReadonlyMap<number, readonly number[]>): number {
  const values = assigned.map((k, f) => perClass.get(k)?.[f] ?? Number.NaN);
  return values.reduce((a, v) => a + v, 0) / values.length;
}

/**
 * The paper's part interpretability of `model`'s `layer` (mean P_f over its filters): on the images
 * of `cls` (single-category rows), or, without `cls`, each filter on the object class that
 * activates it most (the `classes` folder's classes other than `none`).
 *
 * @example
 * ```ts
 * await paperPartInterpretability('icnn.onnx', true, 'Relu_33', 'parts', 'parts/classes', 128, 'work/p', 'bird');
 * ```
 */
export async function paperPartInterpretability(
  model: string,
  interpretable: boolean,
  layer: string,
  parts: string,
  classes: string,
  size: number,
  out: string,
  cls?: string,
  radius?: number,
): Promise<number> {
  const tensor = evaluatedTensor(layer, interpretable);
  if (cls) {
    const p = await perFilterP(model, parts, tensor, cls, `${out}-${cls}`, radius);
    return p.reduce((a, v) => a + v, 0) / p.length;
  }
  const data = await imageFolder(classes, { sampleShape: [3, size, size] });
  const names = data.classNames ?? [];
  const means = (
    await meanActivations(
      nodeRuntime,
      graphFromBytes(readFileSync(model)),
      [tensor],
      data,
      names.length,
      { tensors: [layer], mode: 'multi', assignSamples: 512 },
      {},
    )
  ).get(tensor) as Float64Array;
  const assigned = assignFilters(means, names.length, means.length / names.length, [names.indexOf('none')]);
  const perClass = new Map<number, number[]>();
  for (const k of new Set(assigned)) perClass.set(k, await perFilterP(model, parts, tensor, names[k] as string, `${out}-${names[k]}`, radius));
  return meanOwnP(assigned, perClass);
}

/** Images per object class whose empirical receptive field sets the round region's radius. */
export const RF_IMAGES_PER_CLASS = 8;

/**
 * The empirical receptive field radius (input pixels) of `layer` in `model` (Zhou et al. 2015,
 * `empiricalReceptiveField` with its default occluder, 11 px at stride 3 of 227 scaled to the input):
 * on the first {@link RF_IMAGES_PER_CLASS} images of each object class of the `classes` folder
 * (`none` left out), every unit with a positive peak.
 *
 * @example
 * ```ts
 * await empiricalRadius('icnn.onnx', 'Relu_33', 'parts/classes', 128); // e.g. 21.4
 * ```
 */
export async function empiricalRadius(model: string, layer: string, classes: string, size: number): Promise<number> {
  const data = await imageFolder(classes, { sampleShape: [3, size, size] });
  const names = data.classNames ?? [];
  const labels = await data.labels();
  const picked = names.flatMap((name, k) => (name === 'none' ? [] : firstOfClass(labels, k, RF_IMAGES_PER_CLASS)));
  const batch = await data.read(picked, 0);
  const images = picked.map((_, i) => sliceBatch(batch.x, i, 1));
  await using net = await Model.load(new Uint8Array(readFileSync(model)), { runtime: nodeRuntime, name: model });
  const { radius } = await empiricalReceptiveField(net, layer, images);
  if (!(radius > 0)) throw new Error(`${model}: no empirical receptive field on ${layer} (no unit's peak dropped under occlusion)`);
  return radius;
}

/**
 * The first `count` sample indices whose label is `k`.
 *
 * @example
 * ```ts
 * firstOfClass(Int32Array.of(1, 0, 1, 1), 1, 2); // [0, 2]
 * ```
 */
export function firstOfClass(labels: ArrayLike<number>, k: number, count: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < labels.length && out.length < count; i++) if (labels[i] === k) out.push(i);
  return out;
}
