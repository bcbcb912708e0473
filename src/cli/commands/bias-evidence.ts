/**
 * The evidence filters of `lucerna bias`, shown as the bias issue asks (Zhang, Wang, Zhu,
 * "Examining CNN Representations with respect to Dataset Bias", AAAI 2018,
 * https://arxiv.org/abs/1710.10577): for each evidence filter of a flagged relation, its top patches
 * (Zeiler & Fergus 2014, https://arxiv.org/abs/1311.2901: the receptive fields where the filter
 * fires most) over the val images that show the relation's cue, and, when a `result.json` of
 * `lucerna dissect` is given (Bau et al. 2017, https://arxiv.org/abs/1704.05796), the filter's
 * best concept label and its IoU.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Model } from '../../engine/model.js';
import { LucernaError } from '../../errors.js';
import { encodeRgbPng, loadImageTensor, type RgbImage } from '../../io/image.js';
import { readError } from '../../io/read-error.js';
import { pngDataUri } from '../../render/node.js';
import type { FilterEvidence } from '../../render/report/bias.js';
import { parseDissection, type UnitLabel, unitLabels } from '../../studio/shape/dissection.js';
import { resolveLayer } from '../../visualization/program.js';
import { topPatches } from '../../visualization/top-patches.js';

/** Top patches kept per evidence filter. */
export const PATCHES_PER_FILTER = 4;

/**
 * The unit labels of `layer` in a dissection `result.json` (or the folder holding it), by 0-based
 * channel. The layer matches by name or by the tensor both names resolve to in `model`; a result
 * without that layer is a `BAD_OPTION` error that lists the layers it holds.
 *
 * @example
 * ```ts
 * const labels = await readDissectionLabels('dissect/', '/relu3/Relu_output_0', model);
 * labels.get(5)?.label; // 'head'
 * ```
 */
export async function readDissectionLabels(path: string, layer: string, model: Model): Promise<Map<number, UnitLabel>> {
  const file = (await stat(path).catch(() => null))?.isDirectory() ? join(path, 'result.json') : path;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw readError(e, `the dissection ${file}`, 'Pass the result.json (or folder) that lucerna dissect wrote');
  }
  const dissection = parseDissection(text);
  const resolved = (name: string) => {
    try {
      return resolveLayer(model.graph, name);
    } catch {
      return undefined;
    }
  };
  const target = resolved(layer) ?? layer;
  const found = dissection.layers.find((l) => l.layer === layer) ?? dissection.layers.find((l) => resolved(l.layer) === target);
  if (!found)
    throw new LucernaError(
      'BAD_OPTION',
      `The dissection ${file} has no layer "${layer}"; it holds ${dissection.layers.map((l) => `"${l.layer}"`).join(', ') || 'none'}`,
      'Dissect the layer that --layer names',
    );
  return unitLabels(dissection, found.layer) as Map<number, UnitLabel>;
}

/** Nearest-neighbour enlargement by a whole factor, so small patches show their pixels. */
function enlarge(image: RgbImage, factor: number): RgbImage {
  if (factor <= 1) return image;
  const width = image.width * factor;
  const height = image.height * factor;
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const from = (Math.floor(y / factor) * image.width + Math.floor(x / factor)) * 3;
      rgb.set(image.rgb.subarray(from, from + 3), (y * width + x) * 3);
    }
  return { rgb, width, height };
}

/** What {@link filterEvidence} needs. */
export interface FilterEvidenceOptions {
  readonly model: Model;
  readonly layer: string;
  readonly preprocessing: Parameters<typeof loadImageTensor>[1];
  /** Unit labels from a dissection, by 0-based channel. */
  readonly labels?: ReadonlyMap<number, UnitLabel>;
  readonly batchSize?: number;
  readonly signal?: AbortSignal;
}

/**
 * The evidence filters with their top patches over `images` (the val images that show the cue),
 * best first, a montage of them per filter, and their dissection labels when given.
 *
 * @example
 * ```ts
 * const shown = await filterEvidence([12, 3], cueImages, { model, layer: 'Relu_3', preprocessing, labels });
 * shown[0].patches[0].image; // 'parts_00017.png'
 * ```
 */
export async function filterEvidence(
  filters: readonly number[],
  images: readonly { readonly image: string; readonly path: string }[],
  options: FilterEvidenceOptions,
): Promise<FilterEvidence[]> {
  const labelOf = (f: number) => {
    const u = options.labels?.get(f);
    return u ? { label: u.label, category: u.category, iou: u.iou, interpretable: u.interpretable } : {};
  };
  if (filters.length === 0) return [];
  if (images.length === 0) return filters.map((filter) => ({ filter, ...labelOf(filter), patches: [] }));
  const sources = images.map((i) => ({ name: i.image, load: () => loadImageTensor(i.path, options.preprocessing) }));
  const found = await topPatches(options.model, sources, {
    layer: options.layer,
    channels: filters,
    k: PATCHES_PER_FILTER,
    batchSize: options.batchSize,
    signal: options.signal,
  });
  const montages = new Map<number, { png: string; width: number; height: number }>();
  await found.renderMontages(
    async (channel, image) => {
      const big = enlarge(image, Math.ceil(64 / Math.max(1, image.height))); // one row of patches, each at least 64 px tall
      montages.set(channel, { png: pngDataUri(await encodeRgbPng(big.rgb, big.width, big.height)), width: big.width, height: big.height });
    },
    { columns: PATCHES_PER_FILTER, signal: options.signal },
  );
  return found.channels.map(({ channel, patches }) => ({
    filter: channel,
    ...labelOf(channel),
    patches: patches.map((p) => ({ image: p.image, score: p.score, box: p.box })),
    ...(montages.has(channel) ? { montage: montages.get(channel) } : {}),
  }));
}
