/**
 * The work of `lucerna receptive-field`: the layer's theoretical field from the graph
 * (`receptive-field.ts`) and its empirical one by occlusion on the first `--count` images of a folder
 * (`empirical-receptive-field.ts`).
 */
import { resolve } from 'node:path';
import { empiricalReceptiveField, type FieldImage } from '../../visualization/empirical-receptive-field.js';
import { resolveLayer } from '../../visualization/program.js';
import { receptiveField } from '../../visualization/receptive-field.js';
import type { CommandContext, CommandResult } from '../command.js';
import { openModel, pixelSettings } from '../model.js';
import { parseInteger } from '../parse.js';
import { progressBar } from '../progress.js';
import { imageFolder } from './visualization-io.js';

/** Flags of `lucerna receptive-field`. */
export interface ReceptiveFieldFlags {
  readonly input: string;
  readonly layer: string;
  readonly count?: string;
  readonly patch?: string;
  readonly stride?: string;
  readonly batchSize?: string;
  readonly out?: string;
  readonly json?: boolean;
}

/** `n` rounded to `digits` significant digits, as a number. @example `round(21.3456, 3) // 21.3` */
const round = (n: number, digits = 4) => Number(n.toPrecision(digits));

/**
 * Runs the command and returns its summary.
 *
 * @example
 * ```ts
 * const s = await runReceptiveField(ctx, 'model.onnx', { input: 'photos', layer: 'Relu_33' });
 * ```
 */
export async function runReceptiveField(ctx: CommandContext, modelPath: string | undefined, flags: ReceptiveFieldFlags): Promise<CommandResult> {
  const count = parseInteger(flags.count, '--count', 1) ?? 16;
  const patch = parseInteger(flags.patch, '--patch', 1);
  const stride = parseInteger(flags.stride, '--stride', 1);
  const batchSize = parseInteger(flags.batchSize, '--batch-size', 1) ?? 32;
  const t0 = performance.now();
  await using opened = await openModel(modelPath);
  const { model } = opened;
  const loaded = pixelSettings(opened, 'lucerna receptive-field');
  const sources = (await imageFolder(flags.input, loaded.preprocessing, model.input.dims)).slice(0, count);
  // Loaded one at a time by the estimate: a large --count is never all in memory.
  const load = (source: (typeof sources)[number]) => async () => (await source.load()).tensor;
  const first = await load(sources[0] as (typeof sources)[number])();
  const images: FieldImage[] = [first, ...sources.slice(1).map(load)];
  const layer = resolveLayer(model.graph, flags.layer);
  const theoretical = receptiveField(await model.prepare([1, ...first.shape.slice(1)]), layer);
  const progress = progressBar('receptive-field', !flags.json && ctx.io.isTTY);
  const field = await empiricalReceptiveField(model, layer, images, {
    patch,
    stride,
    batchSize,
    signal: ctx.signal,
    onProgress: (done, total) => progress.onProgress?.(done, total),
  }).finally(() => progress.stop());
  const summary = {
    model: opened.given,
    layer,
    images: images.length,
    theoretical: { size: theoretical.size, stride: theoretical.stride, global: theoretical.global },
    empirical: { radius: round(field.radius), area: field.area, peaks: field.peaks, patch: field.patch, stride: field.stride },
  };
  const out = flags.out ? resolve(flags.out) : undefined;
  if (out) {
    const drop = {
      size: [2 * field.size[0] + 1, 2 * field.size[1] + 1],
      centre: field.size,
      values: Array.from(field.drop, (v) => (Number.isNaN(v) ? null : round(v))),
    };
    await ctx.outputs.write(out, `${JSON.stringify({ ...summary, drop }, null, 1)}\n`);
  }
  const seconds = Math.round((performance.now() - t0) / 100) / 10;
  const [th, tw] = theoretical.size;
  const empirical =
    field.area > 0
      ? `empirical radius ${round(field.radius, 3)} px (${field.area} px, ${field.peaks} unit peaks on ${images.length} images, ${field.patch}-px occluder at stride ${field.stride})`
      : `no empirical field: no unit's peak dropped under the ${field.patch}-px occluder on ${images.length === 1 ? 'this image' : `these ${images.length} images`} (${field.peaks} unit peaks)`;
  const advice = field.area > 0 ? `; pass --association-radius ${round(field.radius, 3)} to dissect` : '';
  const message = `receptive-field: ${layer}: theoretical ${th}×${tw} px (stride ${theoretical.stride.join('×')}); ${empirical}${out ? ` → ${out}` : ''} (${seconds} s)${advice}`;
  return { json: { ...summary, ...(out ? { out } : {}), seconds }, message };
}
