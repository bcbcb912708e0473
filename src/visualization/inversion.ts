/**
 * Network inversion (Mahendran & Vedaldi 2015, "Understanding Deep Image Representations by
 * Inverting Them", https://arxiv.org/abs/1412.0035): reconstruct an image whose code at a layer
 * matches the code of a given image, by minimising
 *
 *   E(x) = ‖Φ(x) − Φ0‖² / ‖Φ0‖² + (λα/2 · Σ x^α + λV/2 · Σ ((∂x)² + (∂y)²)^(β/2)) / σ²
 *
 * over the image x in the paper's units (pixels in 0…255 minus the mean colour). Defaults are the
 * paper's CNN settings (as in its released code, aravindhm/deep-goggle): α = 6, λα = 8·10⁻¹⁰,
 * β = 2, and λV = 1, 10 or 100 for layers in the first, second or last third of the network.
 * σ normalises the regularisers by a typical image norm; the paper estimated it on a separate
 * dataset, here it is the norm of the image being inverted when it is given as `reference`, else
 * that of a typical image (60 levels per value). The optimiser is Adam (the paper used
 * momentum) with the paper's step schedule: full step for the first quarter, a tenth until three
 * quarters, a hundredth after.
 *
 * The code distance runs in the graph after the layer (one engine call per step); the two
 * regularisers depend only on x and run in TypeScript.
 */
import { Model } from '../engine/model.js';
import { LucernaError } from '../errors.js';
import type { PixelOptions } from '../io/preprocess.js';
import type { GraphBuilder } from '../onnx/builder.js';
import { normalFrom, seededRandom } from '../tensor/random.js';
import { formatShape, sizeOf, type Tensor } from '../tensor/tensor.js';
import { DEFAULT_PIXEL_OPTIONS, requireImageModel } from './model-input.js';
import { Objective } from './objectives.js';
import { Adam, checkSteps, throwIfCancelled } from './optimize.js';
import type { ImageParameterization } from './parameterizations.js';
import { compileImageProgram, resolveLayer, trunkGraph } from './program.js';

/** The mean colour (ImageNet, RGB in [0, 1]) that the paper's image units are centred on. */
const MEAN_RGB = [0.485, 0.456, 0.406];

/** Options of {@link invert}. */
export interface InversionOptions {
  /** Optimisation steps (default 400, the paper's CNN runs). */
  readonly steps?: number;
  /** Adam's initial step, in the paper's pixel units (default 4). */
  readonly learningRate?: number;
  /** Exponent α of the α-norm (default 6). */
  readonly alpha?: number;
  /** λα (default 8e-10). */
  readonly alphaWeight?: number;
  /** Exponent β of the total variation (default 2). */
  readonly tvBeta?: number;
  /** λV, or `auto` (default): 1, 10 or 100 by the layer's depth. */
  readonly tvWeight?: number | 'auto';
  /** Seed of the initial noise (default 0). */
  readonly seed?: number;
  /** The model's preprocessing; `input` must have been made with it (default ImageNet, NCHW, RGB). */
  readonly pixels?: PixelOptions;
  readonly signal?: AbortSignal;
  /** Called after each step with the total loss before the update. */
  readonly onStep?: (step: number, loss: number) => void;
}

/** What {@link invert} returns. */
export interface InversionResult {
  /** The reconstruction [1, 3, H, W], RGB in [0, 1] (clipped). */
  readonly image: Tensor;
  /** The total loss E at each step. */
  readonly loss: readonly number[];
  /** The normalised code distance ‖Φ(x) − Φ0‖² / ‖Φ0‖² at each step. */
  readonly codeDistance: readonly number[];
  /** The layer tensor inverted and the λV used. */
  readonly layer: string;
  readonly tvWeight: number;
}

/**
 * The objective −‖Φ − Φ0‖² / ‖Φ0‖² at a layer (maximised, so the code distance falls).
 *
 * @example
 * ```ts
 * const o = codeMatch('/layer1/layer1.0/relu/Relu_output_0', phi0);
 * ```
 */
export function codeMatch(layerName: string, target: Tensor): Objective {
  let norm2 = 0;
  for (const v of target.data) norm2 += v * v;
  if (!(norm2 > 0))
    throw new LucernaError('BAD_OPTION', `The code of the image at "${layerName}" is all zeros, so there is nothing to invert`, 'Pick another layer');
  return new Objective(`-codeDistance(${JSON.stringify(layerName)})`, { layers: [layerName], output: false }, (ctx) => {
    const info = ctx.activation(layerName);
    if (info.shape.join() !== target.shape.join()) {
      throw new LucernaError('BAD_SHAPE', `The target code has shape ${formatShape(target.shape)}, the layer ${formatShape(info.shape)}`);
    }
    const { b } = ctx;
    const diff = b.op('Sub', [info.name, b.constFloat(target.data, target.shape, 'target_code')]);
    const squared = b.op('ReduceSum', [b.op('Mul', [diff, diff])], { keepdims: 0 });
    return b.op('Mul', [squared, b.scalar(-1 / norm2, 'inverse_norm')]);
  });
}

/** Pixels x in the paper's units → RGB in [0, 1]: x / 255 + mean colour. */
function paperPixels(h: number, w: number): ImageParameterization {
  return {
    description: 'pixels (0…255, mean-centred)',
    shape: [1, 3, h, w],
    imageShape: [1, 3, h, w],
    initial(uniform) {
      const normal = normalFrom(uniform);
      return Float32Array.from({ length: 3 * h * w }, () => normal());
    },
    emit(b: GraphBuilder, parameters: string) {
      return b.op('Add', [b.op('Mul', [parameters, b.scalar(1 / 255, 'per_level')]), b.constFloat(MEAN_RGB, [1, 3, 1, 1], 'mean_rgb')]);
    },
  };
}

/**
 * Adds λ/2 · Σ |x|^α and its gradient (scaled by `norm`) into `grad`; returns the term.
 *
 * @example
 * ```ts
 * const r = addAlphaNorm(x, 6, 8e-10, 1 / sigma2, grad);
 * ```
 */
export function addAlphaNorm(x: Float32Array, alpha: number, weight: number, norm: number, grad: Float32Array): number {
  let value = 0;
  const k = (weight / 2) * norm;
  for (let i = 0; i < x.length; i++) {
    const v = x[i] as number;
    const a = Math.abs(v);
    value += a ** alpha;
    grad[i] = (grad[i] as number) + k * alpha * a ** (alpha - 1) * Math.sign(v);
  }
  return k * value;
}

/**
 * Adds λ/2 · Σ ((x[y, x+1] − x)² + (x[y+1, x] − x)²)^(β/2) over the planes of `x` [C, H, W]
 * (differences past the last row or column are 0) and its gradient (scaled by `norm`) into `grad`.
 *
 * @example
 * ```ts
 * const r = addTotalVariation(x, [3, 64, 64], 2, 1, 1 / sigma2, grad);
 * ```
 */
export function addTotalVariation(x: Float32Array, [c, h, w]: readonly number[], beta: number, weight: number, norm: number, grad: Float32Array): number {
  const k = (weight / 2) * norm;
  let value = 0;
  for (let p = 0; p < (c as number); p++) {
    const base = p * (h as number) * (w as number);
    for (let i = 0; i < (h as number); i++) {
      for (let j = 0; j < (w as number); j++) {
        const at = base + i * (w as number) + j;
        const v = x[at] as number;
        const dx = j + 1 < (w as number) ? (x[at + 1] as number) - v : 0;
        const dy = i + 1 < (h as number) ? (x[at + (w as number)] as number) - v : 0;
        const s = dx * dx + dy * dy;
        if (s === 0) continue;
        value += s ** (beta / 2);
        const g = k * beta * s ** (beta / 2 - 1);
        if (dx !== 0) {
          grad[at + 1] = (grad[at + 1] as number) + g * dx;
          grad[at] = (grad[at] as number) - g * dx;
        }
        if (dy !== 0) {
          grad[at + (w as number)] = (grad[at + (w as number)] as number) + g * dy;
          grad[at] = (grad[at] as number) - g * dy;
        }
      }
    }
  }
  return k * value;
}

/** λV by depth, the paper's three layer groups: 1, 10, 100. */
function tvWeightByDepth(model: Model, tensor: string): number {
  const nodes = model.graph.topoSorted();
  const at = nodes.findIndex((n) => (n.output ?? []).includes(tensor));
  const depth = at < 0 ? 0 : (at + 1) / nodes.length;
  return depth <= 1 / 3 ? 1 : depth <= 2 / 3 ? 10 : 100;
}

/** The paper's step schedule: 1 for the first quarter, 0.1 until three quarters, 0.01 after. */
function stepScale(step: number, steps: number): number {
  return step < steps / 4 ? 1 : step < (3 * steps) / 4 ? 0.1 : 0.01;
}

/** The code of `input` at `tensor`. */
async function codeOf(model: Model, tensor: string, input: Tensor): Promise<Tensor> {
  await using trunk = Model.fromGraph(trunkGraph(model.graph, [tensor], input.shape), { runtime: model.runtime, ...model.options, name: model.name });
  const out = await trunk.run(input);
  return out[tensor] as Tensor;
}

/** The RGB image in the paper's units: 255 · (rgb − mean). */
function toPaperUnits(rgb: Float32Array): Float32Array {
  const plane = rgb.length / 3;
  return rgb.map((v, i) => 255 * (v - (MEAN_RGB[Math.floor(i / plane)] as number)));
}

/**
 * Inverts the code of `input` (a preprocessed model input [1, C, H, W], made with `pixels`) at
 * `layer`. `reference` (optional, RGB [1, 3, H, W] in [0, 1]) sets σ; without it σ is the norm of
 * a mid-grey-centred random image of the same size.
 *
 * @example
 * ```ts
 * const { image, loss } = await invert(model, x, '/layer1/layer1.0/relu/Relu_output_0', { reference: rgb });
 * ```
 */
export async function invert(
  model: Model,
  input: Tensor,
  layerName: string,
  options: InversionOptions & { reference?: Tensor } = {},
): Promise<InversionResult> {
  const steps = checkSteps(options.steps ?? 400);
  const pixels = options.pixels ?? DEFAULT_PIXEL_OPTIONS;
  requireImageModel(model, pixels, 'Network inversion');
  const dims = input.shape;
  if (dims.length !== 4 || dims[0] !== 1) throw new LucernaError('BAD_SHAPE', `Inversion takes one image [1, C, H, W], got ${formatShape(dims)}`);
  const [h, w] = (pixels.layout === 'NHWC' ? [dims[1], dims[2]] : [dims[2], dims[3]]) as [number, number];
  const tensor = resolveLayer(model.graph, layerName);
  const target = await codeOf(model, tensor, input);
  const alpha = options.alpha ?? 6;
  const alphaWeight = options.alphaWeight ?? 8e-10;
  const beta = options.tvBeta ?? 2;
  const tvWeight = options.tvWeight === undefined || options.tvWeight === 'auto' ? tvWeightByDepth(model, tensor) : options.tvWeight;
  for (const [v, what] of [
    [alpha, 'α'],
    [alphaWeight, 'λα'],
    [beta, 'β'],
    [tvWeight, 'λV'],
  ] as const) {
    if (!Number.isFinite(v) || v < 0) throw new LucernaError('BAD_OPTION', `${what} must be a number ≥ 0, got ${v}`);
  }
  const parameterization = paperPixels(h, w);
  await using program = await compileImageProgram(model, { parameterization, objective: codeMatch(tensor, target), pixels });
  const uniform = seededRandom(options.seed ?? 0);
  const x = parameterization.initial(uniform);
  const sigma2 = referenceNorm2(options.reference, sizeOf(parameterization.shape));
  const adam = new Adam(x.length, { learningRate: options.learningRate ?? 4 });
  const loss: number[] = [];
  const codeDistance: number[] = [];
  for (let step = 0; step < steps; step++) {
    throwIfCancelled(options.signal);
    const { value, gradient } = await program.step(x, uniform);
    for (let i = 0; i < gradient.length; i++) gradient[i] = -(gradient[i] as number);
    const ra = addAlphaNorm(x, alpha, alphaWeight, 1 / sigma2, gradient);
    const rv = addTotalVariation(x, [3, h, w], beta, tvWeight, 1 / sigma2, gradient);
    codeDistance.push(-value);
    loss.push(-value + ra + rv);
    adam.step(x, gradient, adam.learningRate * stepScale(step, steps));
    options.onStep?.(step + 1, loss[loss.length - 1] as number);
  }
  const rgb = (await program.render(x)).map((v) => Math.min(1, Math.max(0, v)));
  return { image: { data: rgb, shape: [1, 3, h, w] }, loss, codeDistance, layer: tensor, tvWeight };
}

/** σ²: the squared norm of the reference in the paper's units, or of a typical image (std 60 per value). */
function referenceNorm2(reference: Tensor | undefined, size: number): number {
  if (!reference) return size * 60 * 60;
  let s = 0;
  for (const v of toPaperUnits(reference.data)) s += v * v;
  return Math.max(s, 1);
}

/**
 * Peak signal-to-noise ratio in dB between two images of the same size with values in [0, peak].
 *
 * @example
 * ```ts
 * psnr(reconstruction.data, original.data); // e.g. 24.3
 * ```
 */
export function psnr(a: ArrayLike<number>, b: ArrayLike<number>, peak = 1): number {
  if (a.length !== b.length || a.length === 0)
    throw new LucernaError('BAD_SHAPE', `PSNR needs two images of the same size, got ${a.length} and ${b.length} values`);
  let se = 0;
  for (let i = 0; i < a.length; i++) se += ((a[i] as number) - (b[i] as number)) ** 2;
  const mse = se / a.length;
  return mse === 0 ? Number.POSITIVE_INFINITY : 10 * Math.log10((peak * peak) / mse);
}
