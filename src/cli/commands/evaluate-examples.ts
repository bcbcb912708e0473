/**
 * The example maps of the `evaluate` report: every method's attribution on the first images, drawn
 * over the image (channels summed, bilinear to the input size, signed maps on a diverging scale),
 * as inlined PNGs for the report kit. Only the first few images are kept, so a folder still streams.
 */
import type { ImageTensor } from '../../io/image.js';
import type { ImageEvaluation } from '../../metrics/evaluation.js';
import { pixelsToDataUri } from '../../render/node.js';
import { renderOverlay } from '../../render/overlay.js';
import type { EvaluationExample, ExampleMap } from '../../render/report/evaluation.js';
import { sliceBatch } from '../../tensor/tensor.js';
import { displayPlane } from './explain-maps.js';

/** How many images get example maps in the report. @example `new ExampleMaps(EXAMPLE_IMAGES)` */
export const EXAMPLE_IMAGES = 3;

/**
 * Collects the example maps of the first `limit` images.
 *
 * @example
 * ```ts
 * const examples = new ExampleMaps(3, sidecar?.labels);
 * await examples.add('a.png', image, await session.evaluate(method, image.tensor, mask, metrics));
 * evaluationPage(summary, { examples: examples.list });
 * ```
 */
export class ExampleMaps {
  private readonly byFile = new Map<string, { example: EvaluationExample; maps: ExampleMap[] }>();

  constructor(
    readonly limit = EXAMPLE_IMAGES,
    readonly labels?: readonly string[],
  ) {}

  /** Renders one method's map of an image, if the image is among the first `limit` (NCHW inputs only). */
  async add(file: string, image: ImageTensor, e: ImageEvaluation): Promise<void> {
    let entry = this.byFile.get(file);
    if (!entry) {
      if (this.byFile.size >= this.limit || image.preprocessing.layout !== 'NCHW' || e.attribution.shape.length !== 4) return;
      const { rgb, width, height } = image.image;
      const input = { png: await pixelsToDataUri({ rgb, width, height }), width, height };
      const label = this.labels?.[e.target];
      const maps: ExampleMap[] = [];
      entry = { example: { file, target: { index: e.target, ...(label ? { label } : {}) }, input, maps }, maps };
      this.byFile.set(file, entry);
    }
    const { width, height } = image.image;
    const { plane } = displayPlane(sliceBatch(e.attribution, 0, 1), 'sum', [height, width]);
    const overlay = renderOverlay(plane, image.image, { mode: 'blended' });
    entry.maps.push({
      method: e.method,
      image: { png: await pixelsToDataUri(overlay), width, height },
      range: overlay.range,
      ...(overlay.colormap ? { colormap: overlay.colormap } : {}),
      clipped: overlay.clipped,
    });
  }

  /** The examples, in the order their images came. */
  get list(): EvaluationExample[] {
    return [...this.byFile.values()].map((v) => v.example);
  }
}
