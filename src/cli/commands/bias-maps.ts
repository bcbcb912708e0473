/**
 * Grad-CAM maps for the bias report (Zhang, Wang, Zhu, AAAI 2018, arXiv:1710.10577, asks to show
 * the evidence of each flagged relation): for a flagged class–attribute relation, the val images
 * where the cue and the class disagree (the class without the cue, or the cue without the class),
 * each with Grad-CAM (Selvaraju et al. 2017, arXiv:1610.02391; ReLU, bilinear) for the relation's
 * class at the dissected layer, so a reader sees whether the network looks at the cue or the object.
 */
import { gradCam } from '../../attribution/cam/grad-cam.js';
import type { Model } from '../../engine/model.js';
import { encodeRgbPng, loadImageTensor } from '../../io/image.js';
import { pngDataUri } from '../../render/node.js';
import { renderOverlay } from '../../render/overlay.js';
import type { BiasExample } from '../../render/report/bias.js';

/** One val image as the bias command holds it. */
export interface BiasMapItem {
  readonly image: string;
  readonly path: string;
  readonly label: number;
}

/** Where the maps come from. */
export interface BiasMapOptions {
  readonly model: Model;
  readonly layer: string;
  readonly classes: readonly string[];
  readonly preprocessing: Parameters<typeof loadImageTensor>[1];
  /** The relation's class (the Grad-CAM target). */
  readonly target: number;
  readonly signal?: AbortSignal;
}

/**
 * Renders up to `count` examples: the image and its Grad-CAM overlay for `options.target`.
 *
 * @example
 * ```ts
 * const examples = await biasExamples(conflicting, predictions, hasCue, { model, layer: 'Relu_3', classes, preprocessing, target: 1 }, 4);
 * ```
 */
export async function biasExamples(
  items: readonly BiasMapItem[],
  predicted: readonly number[],
  hasCue: readonly boolean[],
  options: BiasMapOptions,
  count: number,
): Promise<BiasExample[]> {
  const out: BiasExample[] = [];
  for (const [k, item] of items.slice(0, count).entries()) {
    options.signal?.throwIfAborted();
    const { tensor, image } = await loadImageTensor(item.path, options.preprocessing);
    const { attribution } = await gradCam.attribute(options.model, tensor, { target: options.target, layer: options.layer, relu: true, upsample: 'bilinear' });
    const overlay = renderOverlay(attribution, image, { mode: 'blended', sign: 'positive' });
    const png = async (rgb: Uint8Array) => pngDataUri(await encodeRgbPng(rgb, image.width, image.height));
    out.push({
      name: item.image,
      className: options.classes[item.label] ?? String(item.label),
      predicted: options.classes[predicted[k] as number] ?? String(predicted[k]),
      cue: hasCue[k] === true,
      width: image.width,
      height: image.height,
      image: await png(image.rgb),
      cam: await png(overlay.rgb),
    });
  }
  return out;
}
