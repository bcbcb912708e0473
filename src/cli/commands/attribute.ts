/**
 * `lucerna attribute <model.onnx> --input <x.npy|image> --method <name> --out <out.npy|out.png>`:
 * runs one attribution method and writes the raw map (.npy) or a heatmap (.png).
 */
import { extname } from 'node:path';
import type { Command } from 'commander';
import { getMethod, methodNames } from '../../attribution/methods.js';
import { absolute, reduceChannels, relu } from '../../attribution/postprocess.js';
import type { AttributionResult } from '../../attribution/types.js';
import type { Model } from '../../engine/model.js';
import { LucernaError } from '../../errors.js';
import { loadModelFile, readBytes } from '../../io/files.js';
import { loadImageTensor, type RgbImage } from '../../io/image.js';
import { npyToFloat32, parseNpy, serializeNpy } from '../../io/npy.js';
import { readSidecar } from '../../io/sidecar.js';
import { writeFileAtomic } from '../../io/write.js';
import { type OverlayMode, parseOverlayMode } from '../../render/overlay.js';
import { mapPng } from '../../render/png.js';
import { sliceBatch, type Tensor } from '../../tensor/tensor.js';
import { progressBar, withInterrupt } from '../progress.js';
import { buildMethodOptions, type RawMethodFlags } from './attribute-options.js';
import { displayPlane } from './explain-maps.js';

/** Flags of `lucerna attribute`. */
export interface AttributeFlags extends RawMethodFlags {
  readonly input: string;
  readonly method: string;
  readonly out: string;
  readonly mode?: string;
  readonly json?: boolean;
}

/** Methods whose `abs` changes the computation itself (mean of |g| ≠ |mean of g|). */
const ABS_AWARE = new Set(['saliency', 'smoothgrad', 'smoothgrad-sq', 'vargrad']);
/** Methods that own `relu` and `upsample` (the CAM family). */
const LAYER_METHODS = new Set(['grad-cam', 'grad-cam-plus-plus', 'layer-cam', 'hires-cam', 'cam']);

/**
 * Registers `attribute` on the program.
 *
 * @example
 * ```ts
 * registerAttribute(program); // lucerna attribute model.onnx --input x.npy --method saliency --out a.npy
 * ```
 */
export function registerAttribute(program: Command): void {
  program
    .command('attribute')
    .description('compute one attribution map and write it as .npy (raw) or .png (heatmap)')
    .argument('<model>', 'ONNX model file')
    .requiredOption('--input <file>', 'input: .npy used as is, or an image (PNG, JPEG, WebP)')
    .requiredOption('--method <name>', `method: ${methodNames().join(', ')}`)
    .requiredOption('--out <file>', 'output: .npy for the raw attribution, .png for a heatmap')
    .option(
      '--mode <mode>',
      'PNG output: heatmap (default), blended, masked or alpha-scaling over the input image, as in explain; a colour bar is drawn under heatmap and blended',
    )
    .option('--target <class>', 'class index, or argmax (default)')
    .option('--layer <tensor>', 'layer tensor name for CAM methods (default: the last 4-D activation before pooling)')
    .option('--steps <n>', 'integration steps (integrated-gradients)')
    .option('--integration <rule>', 'riemann-left, riemann-right, riemann-middle, riemann-trapezoid or gauss-legendre')
    .option('--baseline <spec>', 'zeros, blur, uniform, a number, or a .npy file')
    .option('--samples <n>', 'noisy samples (smoothgrad, smoothgrad-sq, vargrad)')
    .option('--stdev <x>', 'noise standard deviation')
    .option('--noise <file>', 'exact noise [samples, C, H, W] as .npy')
    .option('--seed <n>', 'random seed')
    .option('--abs', 'absolute attributions')
    .option('--relu', 'keep only positive attributions (CAM: ReLU of the map)')
    .option('--upsample', 'upsample layer maps to the input size (bilinear)')
    .option('--window <c,h,w>', 'occlusion window per dimension')
    .option('--stride <c,h,w>', 'occlusion stride per dimension')
    .option('--full-passes', 'occlusion, feature-ablation: run every perturbation through the whole model (no incremental inference)')
    .option('--feature-mask <file.npy>', 'integer segment ids for feature-ablation ([1,1,H,W] shared by channels, or [1,C,H,W])')
    .option('--masks <n>', 'number of random masks (rise)')
    .option('--cell <n>', 'mask cell size in pixels (rise)')
    .option('--keep <p>', 'probability of keeping a cell (rise)')
    .option('--center', 'subtract the mean masked score, so pixels the score ignores get 0 (rise)')
    .option('--segments <n>', 'number of superpixels (lime, kernel-shap)')
    .option('--batch-size <n>', 'rows per engine call')
    .option('--json', 'print target, score, delta, timings and the output path as JSON')
    .action(async (modelPath: string, flags: AttributeFlags) => {
      const summary = await runAttribute(modelPath, flags);
      process.stdout.write(flags.json ? `${JSON.stringify(summary, null, 2)}\n` : `${summary.message}\n`);
    });
}

/** Reads the input: an .npy as is, or an image preprocessed for the model (with the image as the model sees it). */
export async function readInput(model: Model, modelPath: string, inputPath: string): Promise<{ tensor: Tensor; image?: RgbImage }> {
  if (isNpy(inputPath)) return { tensor: npyToFloat32(parseNpy(await readBytes(inputPath, 'the input'), inputPath)) };
  const sidecar = await readSidecar(modelPath);
  const loaded = await loadImageTensor(inputPath, { ...(sidecar?.preprocessing ?? {}), inputDims: model.input.dims });
  return { tensor: loaded.tensor, image: loaded.image };
}

function isNpy(path: string): boolean {
  return extname(path).toLowerCase() === '.npy';
}

/** `--mode`: for PNG output only; every mode but `heatmap` needs an image input. Checked before any compute. */
function pngMode(flags: AttributeFlags): OverlayMode {
  const mode = parseOverlayMode(flags.mode, 'heatmap');
  if (flags.mode !== undefined && outputKind(flags.out) !== 'png')
    throw new LucernaError('BAD_OPTION', '--mode applies to a .png output only', 'Drop --mode, or write --out map.png');
  if (mode !== 'heatmap' && isNpy(flags.input)) {
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

/** Applies the CLI's post-processing flags that the method did not take itself. */
function postprocess(method: string, result: AttributionResult, flags: AttributeFlags): Tensor {
  let t = result.attribution;
  if (flags.abs && !ABS_AWARE.has(method)) t = absolute(t);
  if (flags.relu && !LAYER_METHODS.has(method)) t = relu(t);
  return t;
}

async function writeOutput(out: string, t: Tensor, mode: OverlayMode, image: RgbImage | undefined): Promise<string[]> {
  if (outputKind(out) === 'npy') {
    await writeFileAtomic(out, serializeNpy({ data: t.data, shape: t.shape }));
    return [out];
  }
  const n = t.shape[0] as number;
  const paths: string[] = [];
  for (let i = 0; i < n; i++) {
    const sample = sliceBatch(t, i, 1);
    // Over an image: channels summed and a layer-resolution map upsampled (bilinear) to the image.
    const plane = image ? displayPlane(sample, 'sum', [image.height, image.width]).plane : sample.shape[1] === 1 ? sample : reduceChannels(sample, 'sum');
    const { png } = await mapPng(plane, { mode, ...(image ? { image } : {}) });
    const path = n === 1 ? out : out.replace(/\.png$/i, `-${i}.png`);
    await writeFileAtomic(path, png);
    paths.push(path);
  }
  return paths;
}

/**
 * Runs the command and returns what it printed, for tests and the JSON mode.
 *
 * @example
 * ```ts
 * const s = await runAttribute('model.onnx', { input: 'x.npy', method: 'saliency', out: 'a.npy' });
 * ```
 */
export async function runAttribute(modelPath: string, flags: AttributeFlags) {
  const method = getMethod(flags.method);
  outputKind(flags.out);
  const mode = pngMode(flags);
  const t0 = performance.now();
  await using model = await loadModelFile(modelPath);
  const { tensor: input, image } = await readInput(model, modelPath, flags.input);
  const options = await buildMethodOptions(method.name, flags, ABS_AWARE, LAYER_METHODS);
  const t1 = performance.now();
  const progress = progressBar(method.name, !flags.json);
  let result: AttributionResult;
  try {
    result = await withInterrupt((signal) => method.attribute(model, input, { ...options, signal, onProgress: progress.onProgress }));
  } finally {
    progress.stop();
  }
  const t2 = performance.now();
  const attribution = postprocess(method.name, result, flags);
  const outputs = await writeOutput(flags.out, attribution, mode, image);
  const totalMs = performance.now() - t0;
  const targets = [...result.targets];
  const labels = (await readSidecar(modelPath))?.labels;
  return {
    method: method.name,
    model: modelPath,
    input: flags.input,
    targets,
    labels: labels ? targets.map((t) => labels[t] ?? String(t)) : undefined,
    scores: [...result.scores],
    delta: result.delta ? [...result.delta] : undefined,
    shape: [...attribution.shape],
    outputs,
    details: result.details,
    timings: { loadMs: Math.round(t1 - t0), attributeMs: Math.round(t2 - t1), totalMs: Math.round(totalMs) },
    message: `${method.name}: target ${targets.map((t) => (labels?.[t] ? `${t} (${labels[t]})` : String(t))).join(', ')} → ${outputs.join(', ')} (${attribution.shape.join('×')}, ${Math.round(totalMs)} ms)`,
  };
}
