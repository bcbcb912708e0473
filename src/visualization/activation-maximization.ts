/**
 * Activation maximisation: synthesise images that excite a unit, a channel, a layer or any
 * objective of the algebra in `objectives.ts`.
 *
 * - Erhan, Bengio, Courville & Vincent 2009, "Visualizing Higher-Layer Features of a Deep Network"
 * - Simonyan, Vedaldi & Zisserman 2013, "Deep Inside Convolutional Networks", https://arxiv.org/abs/1312.6034
 * - Olah, Mordvintsev & Schubert 2017, "Feature Visualization", https://distill.pub/2017/feature-visualization/
 *
 * Each step is one engine call (parameters → image → transforms → model → objective → gradient,
 * see `program.ts`) followed by an Adam update in TypeScript. A batch optimises several images at
 * once: give each its own objective with `{ batch: i }`, or add `diversity` to spread them apart.
 */
import type { Model } from '../engine/model.js';
import { LucernaError, positiveInteger } from '../errors.js';
import type { PixelOptions } from '../io/preprocess.js';
import { seededRandom } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkMemoryEstimate, defaultMemoryLimit, estimateImageProgramMemory } from './memory.js';
import { requireImageModel } from './model-input.js';
import { parseObjective } from './objective-parser.js';
import type { Objective } from './objectives.js';
import { Adam, checkSteps, throwIfCancelled } from './optimize.js';
import { imageParameterization, type SpatialParameterization } from './parameterizations.js';
import { compileImageProgram } from './program.js';
import { standardTransforms, type Transform } from './transforms.js';

/** Options of {@link visualize}. */
export interface VisualizeOptions {
  /** Optimisation steps (default 512). */
  readonly steps?: number;
  /** Image size, one number or [height, width] (default: the model's input size, else 224). */
  readonly size?: number | readonly [number, number];
  /** Images optimised together (default 1). */
  readonly batch?: number;
  /** `fourier` (default) or `pixel`. */
  readonly parameterization?: SpatialParameterization;
  /** Decorrelated colour (default true). */
  readonly decorrelate?: boolean;
  /** `standard` (default: {@link standardTransforms}), `none`, or a list. */
  readonly transforms?: 'standard' | 'none' | readonly Transform[];
  /** Adam's step size (default 0.05). */
  readonly learningRate?: number;
  /** Seed of the initial parameters and the random transforms (default 0). */
  readonly seed?: number;
  /** The model's preprocessing (default ImageNet normalisation, NCHW, RGB). */
  readonly pixels?: PixelOptions;
  /**
   * Refuse to start when the estimated peak memory of a step exceeds this many bytes (default:
   * {@link defaultMemoryLimit}, half of the machine's memory under Node). See `memory.ts`.
   */
  readonly memoryLimit?: number;
  /** Cancels before the compile, between its stages and between steps (the promise rejects with ABORTED). */
  readonly signal?: AbortSignal;
  /**
   * Steps at the start whose ReLU gradients are redirected (default {@link DEFAULT_RELU_REDIRECT_STEPS},
   * as Lucid): a deep channel is usually off everywhere on the grey starting image, and without the
   * redirect its gradient is zero and the image never changes. 0 turns it off.
   */
  readonly reluRedirectSteps?: number;
  /** Called after each step with the objective before the update. */
  readonly onStep?: (step: number, value: number) => void;
  /** Called once, in one line, when the objective's gradient is exactly zero at some step. */
  readonly onWarning?: (message: string) => void;
}

/** Steps with redirected ReLU gradients by default (Lucid's `relu_gradient_override` lasts 16 steps). */
export const DEFAULT_RELU_REDIRECT_STEPS = 16;

function allZero(values: Float32Array): boolean {
  for (let i = 0; i < values.length; i++) if (values[i] !== 0) return false;
  return true;
}

/** What {@link visualize} returns. */
export interface VisualizationResult {
  /** The optimised images [N, 3, H, W], RGB in (0, 1). */
  readonly images: Tensor;
  /** The objective at each step, before its update. */
  readonly curve: readonly number[];
  /** The objective, in readable form. */
  readonly objective: string;
}

function imageSize(model: Model, size: VisualizeOptions['size'], pixels: PixelOptions | undefined): [number, number] {
  if (typeof size === 'number') return [size, size];
  if (size) return [size[0], size[1]];
  const dims = model.input.dims;
  const [h, w] = pixels?.layout === 'NHWC' ? [dims[1], dims[2]] : [dims[2], dims[3]];
  return typeof h === 'number' && typeof w === 'number' ? [h, w] : [224, 224];
}

function transformList(spec: VisualizeOptions['transforms'], [h, w]: readonly [number, number]): readonly Transform[] {
  if (spec === undefined || spec === 'standard') return standardTransforms([h, w]);
  if (spec === 'none') return [];
  if (Array.isArray(spec)) return spec;
  throw new LucernaError('BAD_OPTION', `Unknown transforms ${JSON.stringify(spec)}`, 'Use "standard", "none" or a list of transforms');
}

/**
 * Optimises images to maximise an objective (an {@link Objective} or an expression such as
 * `"conv3:12"`). The model runs at the image size (a static input size is overridden, which works
 * for the convolutional part of a model).
 *
 * @example
 * ```ts
 * const { images, curve } = await visualize(model, '/layer3/layer3.0/relu/Relu_output_0:12', { steps: 256, size: 128 });
 * ```
 */
export async function visualize(model: Model, objective: Objective | string, options: VisualizeOptions = {}): Promise<VisualizationResult> {
  requireImageModel(model, options.pixels, 'Activation maximisation');
  const target = typeof objective === 'string' ? parseObjective(objective) : objective;
  const steps = checkSteps(options.steps ?? 512);
  const batch = options.batch ?? 1;
  positiveInteger(batch, 'The batch');
  const size = imageSize(model, options.size, options.pixels);
  throwIfCancelled(options.signal);
  const estimate = await estimateImageProgramMemory(model, target, size, batch, options.pixels);
  checkMemoryEstimate(estimate, options.memoryLimit ?? defaultMemoryLimit(model.runtime), size, batch);
  throwIfCancelled(options.signal);
  const parameterization = imageParameterization(batch, size, { spatial: options.parameterization, decorrelate: options.decorrelate });
  const uniform = seededRandom(options.seed ?? 0);
  const adam = new Adam(
    parameterization.shape.reduce((a, d) => a * d, 1),
    { learningRate: options.learningRate ?? 0.05 },
  );
  await using program = await compileImageProgram(model, {
    parameterization,
    transforms: transformList(options.transforms, size),
    objective: target,
    pixels: options.pixels,
    signal: options.signal,
    reluRedirectSteps: options.reluRedirectSteps ?? DEFAULT_RELU_REDIRECT_STEPS,
  });
  let warned = false;
  const parameters = parameterization.initial(uniform);
  const curve: number[] = [];
  for (let step = 0; step < steps; step++) {
    throwIfCancelled(options.signal);
    const { value, gradient } = await program.step(parameters, uniform);
    if (!Number.isFinite(value)) throw new LucernaError('RUNTIME_ERROR', `The objective became ${value} at step ${step + 1}`, 'Lower the learning rate');
    curve.push(value);
    if (!warned && allZero(gradient)) {
      warned = true;
      options.onWarning?.(
        `The gradient of ${target.description} is zero at step ${step + 1}: the image stops changing (the objective's units are all off, or all at a ReLU6 ceiling)`,
      );
    }
    for (let i = 0; i < gradient.length; i++) gradient[i] = -(gradient[i] as number);
    adam.step(parameters, gradient);
    options.onStep?.(step + 1, value);
  }
  const images = await program.render(parameters);
  return { images: { data: images, shape: [...parameterization.imageShape] }, curve, objective: target.description };
}
