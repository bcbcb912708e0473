/**
 * Node-side helpers shared by `visualize`, `invert` and `top-patches`: the model with its
 * preprocessing, list flags, the objective curve files, and image folders streamed one file at a
 * time.
 */
import { readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { Model } from '../../engine/model.js';
import { LucernaError } from '../../errors.js';
import { loadModelFile } from '../../io/files.js';
import { loadImageTensor } from '../../io/image.js';
import type { PixelOptions, ResolvedPreprocessing } from '../../io/preprocess.js';
import { resolvePreprocessing } from '../../io/preprocess.js';
import { readSidecar } from '../../io/sidecar.js';
import { writeFileAtomic } from '../../io/write.js';
import { chartSvg } from '../../render/report/chart.js';
import { requireImageModel } from '../../visualization/model-input.js';
import type { ImageSource } from '../../visualization/top-patches.js';

/** A model with the preprocessing its sidecar (or its input shape) implies. */
export interface ModelWithPixels {
  readonly model: Model;
  readonly preprocessing: ResolvedPreprocessing;
  readonly pixels: PixelOptions;
}

/**
 * Loads a model, checks that it takes images (`command` names who needs them in the error), and
 * resolves its preprocessing (sidecar first, then the input shape). The size
 * falls back to 224×224 when the input's H and W are symbolic.
 *
 * @example
 * ```ts
 * const { model, pixels } = await loadModelWithPixels('resnet18.onnx');
 * ```
 */
export async function loadModelWithPixels(path: string, command = 'This command'): Promise<ModelWithPixels> {
  const model = await loadModelFile(path);
  try {
    requireImageModel(model, undefined, command);
    const sidecar = await readSidecar(path);
    const given = sidecar?.preprocessing ?? {};
    let preprocessing: ResolvedPreprocessing;
    try {
      preprocessing = resolvePreprocessing(given, model.input.dims);
    } catch {
      preprocessing = resolvePreprocessing({ size: [224, 224], ...given }, model.input.dims);
    }
    const { normalization, layout, channelOrder, channels } = preprocessing;
    return { model, preprocessing, pixels: { normalization, layout, channelOrder, channels } };
  } catch (e) {
    await model.dispose();
    throw e;
  }
}

/**
 * Parses a comma-separated list of non-negative integers, such as `--channel 3,7,12`.
 *
 * @example
 * ```ts
 * parseIntegerList('3,7, 12', '--channel'); // [3, 7, 12]
 * ```
 */
export function parseIntegerList(text: string, flag: string): number[] {
  const parts = text.split(',').map((p) => p.trim());
  const values = parts.map(Number);
  if (parts.some((p) => p === '') || values.some((v) => !Number.isInteger(v) || v < 0)) {
    throw new LucernaError('BAD_OPTION', `${flag} must be whole numbers ≥ 0 separated by commas, got "${text}"`);
  }
  return values;
}

/**
 * A line chart of a curve (steps on x, values on y) as a stand-alone SVG, drawn by the report kit.
 *
 * @example
 * ```ts
 * const svg = curveSvg(result.curve, 'objective');
 * ```
 */
export function curveSvg(values: readonly number[], label: string): string {
  const data = values.map((y, i) => ({ x: i + 1, y }));
  return chartSvg({ kind: 'line', title: `${label} by step`, data, x: { label: 'step' }, y: { label }, width: 640, height: 300 });
}

/**
 * Writes a curve as `<stem>.json` (with extra fields) and `<stem>.svg`; returns both paths.
 *
 * @example
 * ```ts
 * await writeCurve('out/curve', result.curve, 'objective', { objective: result.objective });
 * ```
 */
export async function writeCurve(stem: string, values: readonly number[], label: string, extra: Record<string, unknown> = {}): Promise<string[]> {
  const json = `${stem}.json`;
  const svg = `${stem}.svg`;
  await writeFileAtomic(json, `${JSON.stringify({ ...extra, [label]: values }, null, 2)}\n`);
  await writeFileAtomic(svg, curveSvg(values, label));
  return [json, svg];
}

/** File extensions read as images. @example `IMAGE_EXTENSIONS.has('.png') // true` */
export const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp', '.gif', '.tif', '.tiff', '.avif', '.bmp']);

/**
 * The images of a folder (by extension, sorted by name, not recursive) as lazily loaded sources:
 * each file is decoded and preprocessed only when the ranking reaches it. A missing folder, a file
 * instead of a folder and a folder without images are one-line errors.
 *
 * @example
 * ```ts
 * const sources = await imageFolder('photos', preprocessing, model.input.dims);
 * ```
 */
export async function imageFolder(dir: string, preprocessing: ResolvedPreprocessing, inputDims: readonly (number | string)[]): Promise<ImageSource[]> {
  const info = await stat(dir).catch(() => undefined);
  if (!info) throw new LucernaError('FILE_NOT_FOUND', `Cannot find the image folder: ${dir}`, 'Check the path');
  if (!info.isDirectory()) throw new LucernaError('BAD_FILE', `${dir} is not a folder`, 'Pass a folder of images with --images');
  const entries = await readdir(dir, { withFileTypes: true });
  const files = entries
    .filter((e) => e.isFile() && IMAGE_EXTENSIONS.has(extname(e.name).toLowerCase()))
    .map((e) => e.name)
    .sort();
  if (files.length === 0) throw new LucernaError('BAD_FILE', `The folder ${dir} has no images`, `Add ${[...IMAGE_EXTENSIONS].slice(0, 4).join(', ')} files`);
  return files.map((name) => ({
    name,
    load: async () => {
      const { tensor, image } = await loadImageTensor(join(dir, name), { ...preprocessing, inputDims });
      return { tensor, image };
    },
  }));
}
