/**
 * Node-side helpers shared by `visualize`, `invert` and `top-patches`: the objective curve files,
 * and image folders streamed one file at a time.
 */
import { readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { LucernaError } from '../../errors.js';
import { loadImageTensor } from '../../io/image.js';
import type { ResolvedPreprocessing } from '../../io/preprocess.js';
import type { StagedOutputs } from '../../io/write.js';
import { chartSvg } from '../../render/report/chart.js';
import type { ImageSource } from '../../visualization/top-patches.js';

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
 * await writeCurve(ctx.outputs, 'out/curve', result.curve, 'objective', { objective: result.objective });
 * ```
 */
export async function writeCurve(
  outputs: Pick<StagedOutputs, 'write'>,
  stem: string,
  values: readonly number[],
  label: string,
  extra: Record<string, unknown> = {},
): Promise<string[]> {
  const json = `${stem}.json`;
  const svg = `${stem}.svg`;
  await outputs.write(json, `${JSON.stringify({ ...extra, [label]: values }, null, 2)}\n`);
  await outputs.write(svg, curveSvg(values, label));
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
  if (!info.isDirectory()) throw new LucernaError('BAD_FILE', `${dir} is not a folder`, 'Pass a folder of images with --input');
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
