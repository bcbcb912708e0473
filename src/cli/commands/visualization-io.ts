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
import type { ImageSource } from '../../visualization/top-patches.js';

/**
 * A small SVG line chart of a curve (steps on x, values on y), for a quick look at an optimisation.
 *
 * @example
 * ```ts
 * const svg = curveSvg(result.curve, 'objective');
 * ```
 */
export function curveSvg(values: readonly number[], label: string): string {
  const [w, h, m] = [480, 240, 32];
  const finite = values.filter(Number.isFinite);
  const lo = finite.length ? Math.min(...finite) : 0;
  const hi = finite.length ? Math.max(...finite) : 1;
  const span = hi - lo || 1;
  const x = (i: number) => m + ((w - 2 * m) * i) / Math.max(1, values.length - 1);
  const y = (v: number) => h - m - ((h - 2 * m) * (v - lo)) / span;
  const points = values.map((v, i) => `${x(i).toFixed(1)},${y(Number.isFinite(v) ? v : lo).toFixed(1)}`).join(' ');
  const text = (tx: number, ty: number, s: string, anchor = 'start') => `<text x="${tx}" y="${ty}" font-size="11" text-anchor="${anchor}">${s}</text>`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif">`,
    `<rect width="${w}" height="${h}" fill="white"/>`,
    `<polyline fill="none" stroke="#1f77b4" stroke-width="1.5" points="${points}"/>`,
    `<line x1="${m}" y1="${h - m}" x2="${w - m}" y2="${h - m}" stroke="#888"/>`,
    `<line x1="${m}" y1="${m}" x2="${m}" y2="${h - m}" stroke="#888"/>`,
    text(m, m - 8, `${label}: ${hi.toPrecision(4)} max`),
    text(m, h - m + 14, `${lo.toPrecision(4)} min, step 1`),
    text(w - m, h - m + 14, `step ${values.length}`, 'end'),
    '</svg>',
    '',
  ].join('\n');
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
