/**
 * `lucerna attribute [MODEL] --input <x.npy|image> --method <name> --out <out.npy|out.png>`: runs one
 * attribution method and writes the raw map (.npy) or a heatmap (.png). MODEL defaults to the
 * bundled model; `--target` takes a class index or a label from the model's sidecar.
 */
import { extname } from 'node:path';
import { methodNames } from '../../attribution/methods.js';
import type { AttributionMethod, AttributionResult, MapDisplay } from '../../attribution/types.js';
import type { Model } from '../../engine/model.js';
import { LucernaError } from '../../errors.js';
import type { RgbImage } from '../../io/image.js';
import type { OverlayMode } from '../../render/overlay.js';
import type { Tensor } from '../../tensor/tensor.js';
import { type CommandContext, defineCommand } from '../command.js';
import * as flags from '../flags.js';
import { parseInteger } from '../parse.js';
import { parseTargets } from '../targets.js';
import { methodFlagSpecs } from './attribute-options.js';

/** Flags of `lucerna attribute`. */
export interface AttributeFlags {
  readonly input: string;
  readonly method: string;
  readonly out: string;
  readonly mode?: string;
  readonly target?: string;
  readonly batchSize?: string;
  readonly json?: boolean;
  readonly abs?: boolean;
  readonly relu?: boolean;
  /** The method's own flags (see `attribute-options.ts`). */
  readonly [flag: string]: unknown;
}

function isNpy(path: string): boolean {
  return extname(path).toLowerCase() === '.npy';
}

/** `--mode`: for PNG output only; every mode but `heatmap` needs an image input. Checked before any compute. */
async function pngMode(f: AttributeFlags): Promise<OverlayMode> {
  const { parseOverlayMode } = await import('../../render/overlay.js');
  const mode = parseOverlayMode(f.mode, 'heatmap');
  if (f.mode !== undefined && outputKind(f.out) !== 'png')
    throw new LucernaError('BAD_OPTION', '--mode applies to a .png output only', 'Drop --mode, or write --out map.png');
  if (mode !== 'heatmap' && isNpy(f.input)) {
    throw new LucernaError(
      'BAD_OPTION',
      `--mode ${mode} draws the map over its image, but the input is an .npy array`,
      'Give an image as --input, or use --mode heatmap',
    );
  }
  return mode;
}

function outputKind(out: string): 'npy' | 'png' {
  const ext = extname(out).toLowerCase();
  if (ext === '.npy' || ext === '.png') return ext.slice(1) as 'npy' | 'png';
  throw new LucernaError('BAD_OPTION', `--out must end in .npy or .png, got "${out}"`);
}

/**
 * Reads the input: an .npy as is, or an image preprocessed for the model (with the image as the model sees it).
 *
 * @example
 * ```ts
 * const { tensor, image } = await readInput(model, { preprocessing: {} }, 'cat.jpg');
 * ```
 */
export async function readInput(model: Model, opened: { readonly preprocessing: object }, inputPath: string): Promise<{ tensor: Tensor; image?: RgbImage }> {
  if (isNpy(inputPath)) {
    const [{ readBytes }, { npyToFloat32, parseNpy }] = await Promise.all([import('../../io/files.js'), import('../../io/npy.js')]);
    return { tensor: npyToFloat32(parseNpy(await readBytes(inputPath, 'the input'), inputPath)) };
  }
  const { loadImageTensor } = await import('../../io/image.js');
  const loaded = await loadImageTensor(inputPath, { ...opened.preprocessing, inputDims: model.input.dims });
  return { tensor: loaded.tensor, image: loaded.image };
}

/** Applies the post-processing flags that the method did not take itself. */
async function postprocess(method: { readonly absAware?: boolean; readonly output?: string }, result: AttributionResult, f: AttributeFlags): Promise<Tensor> {
  const { absolute, relu } = await import('../../attribution/postprocess.js');
  let t = result.attribution;
  if (f.abs && !method.absAware) t = absolute(t);
  if (f.relu && method.output !== 'layer-map') t = relu(t);
  return t;
}

/**
 * How the PNG draws the map: the method's `display` for the options it ran with, one-sided when
 * the command applied `--abs` or `--relu` to the result itself.
 */
async function pngDisplay(method: AttributionMethod, options: Readonly<Record<string, unknown>>, f: AttributeFlags): Promise<MapDisplay> {
  const { mapDisplay } = await import('../../attribution/types.js');
  const display = mapDisplay(method, { ...options, abs: f.abs === true, relu: f.relu === true });
  return (f.abs || f.relu) && display.sign === 'all' ? { ...display, sign: 'positive' } : display;
}

async function writeOutput(
  ctx: CommandContext,
  out: string,
  t: Tensor,
  mode: OverlayMode,
  image: RgbImage | undefined,
  display: MapDisplay,
): Promise<string[]> {
  if (outputKind(out) === 'npy') {
    const { serializeNpy } = await import('../../io/npy.js');
    await ctx.outputs.write(out, serializeNpy({ data: t.data, shape: t.shape }));
    return [out];
  }
  const [{ mapPng }, { displayPlane }, { sliceBatch }] = await Promise.all([
    import('../../render/png.js'),
    import('./explain-maps.js'),
    import('../../tensor/tensor.js'),
  ]);
  const n = t.shape[0] as number;
  const paths: string[] = [];
  for (let i = 0; i < n; i++) {
    const sample = sliceBatch(t, i, 1);
    // Channels combined as the method's display says; over an image, a layer-resolution map is
    // upsampled (bilinear) to the image.
    const size: [number, number] = image ? [image.height, image.width] : [sample.shape[2] as number, sample.shape[3] as number];
    const plane = sample.shape.length === 4 ? displayPlane(sample, display.reduction, size).plane : sample;
    const { png } = await mapPng(plane, { mode, sign: display.sign, ...(display.floor ? { floor: display.floor } : {}), ...(image ? { image } : {}) });
    const path = n === 1 ? out : out.replace(/\.png$/i, `-${i}.png`);
    await ctx.outputs.write(path, png);
    paths.push(path);
  }
  return paths;
}

async function run(ctx: CommandContext, [given]: readonly (string | undefined)[], f: AttributeFlags) {
  outputKind(f.out);
  const mode = await pngMode(f);
  const requests = parseTargets(f.target);
  const batchSize = parseInteger(f.batchSize, '--batch-size', 1);
  const [{ getMethod }, { buildMethodOptions }, { openModel }, { singleTarget }, { progressBar }] = await Promise.all([
    import('../../attribution/methods.js'),
    import('./attribute-options.js'),
    import('../model.js'),
    import('../targets.js'),
    import('../progress.js'),
  ]);
  const method = getMethod(f.method);
  const t0 = performance.now();
  const options = await buildMethodOptions(method, f as Readonly<Record<string, unknown>>);
  await using opened = await openModel(given);
  const { model, labels } = opened;
  const target = singleTarget(requests, labels);
  const { tensor: input, image } = await readInput(model, opened, f.input);
  const t1 = performance.now();
  const progress = progressBar(method.name, !f.json && ctx.io.isTTY);
  let result: AttributionResult;
  try {
    result = await method.attribute(model, input, {
      ...options,
      ...(batchSize ? { batchSize } : {}),
      target,
      signal: ctx.signal,
      onProgress: progress.onProgress,
    });
  } finally {
    progress.stop();
  }
  const t2 = performance.now();
  const attribution = await postprocess(method, result, f);
  const display = await pngDisplay(method, options, f);
  const outputs = await writeOutput(ctx, f.out, attribution, mode, image, display);
  const totalMs = performance.now() - t0;
  const targets = [...result.targets];
  const named = (t: number) => (labels?.[t] ? `${t} (${labels[t]})` : String(t));
  return {
    json: {
      method: method.name,
      model: opened.given,
      input: f.input,
      targets,
      labels: labels ? targets.map((t) => labels[t] ?? String(t)) : undefined,
      scores: [...result.scores],
      delta: result.delta ? [...result.delta] : undefined,
      shape: [...attribution.shape],
      outputs,
      ...(outputKind(f.out) === 'png'
        ? { display: { sign: display.sign, reduction: display.reduction, ...(display.floor ? { floor: display.floor } : {}) } }
        : {}),
      details: result.details,
      timings: { loadMs: Math.round(t1 - t0), attributeMs: Math.round(t2 - t1), totalMs: Math.round(totalMs) },
    },
    message: `${method.name}: target ${targets.map(named).join(', ')} → ${outputs.join(', ')} (${attribution.shape.join('×')}, ${Math.round(totalMs)} ms)`,
  };
}

/**
 * `lucerna attribute`: one attribution map as .npy (raw) or .png (heatmap).
 *
 * @example
 * ```sh
 * lucerna attribute bundled --input cat.jpg --method saliency --out saliency.png
 * ```
 */
export const attributeCommand = defineCommand<AttributeFlags>({
  name: 'attribute',
  description: 'compute one attribution map and write it as .npy (raw) or .png (heatmap)',
  arguments: [flags.modelArgument()],
  output: { kind: 'file' },
  options: [
    flags.input({ value: '<file>', description: 'input: .npy used as is, or an image (PNG, JPEG, WebP)', required: true, deprecated: ['--image'] }),
    { flags: '--method <name>', description: `method: ${methodNames().join(', ')}`, required: true },
    flags.out('<file>', 'output: .npy for the raw attribution, .png for a heatmap', true),
    {
      flags: '--mode <mode>',
      description:
        'PNG output: heatmap (default), blended, masked or alpha-scaling over the input image, as in explain; a colour bar is drawn under heatmap and blended',
    },
    flags.target(),
    ...methodFlagSpecs(),
    flags.batchSize(),
    flags.json('print target, score, delta, timings and the output path as JSON'),
  ],
  run,
});
