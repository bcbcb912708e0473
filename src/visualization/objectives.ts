/**
 * Objectives of feature visualization, as an algebra: `channel`, `neuron`, `layer`, `direction`,
 * `classLogit` and `diversity`, combined with `.plus()`, `.minus()`, `.times()` and `sum([...])`.
 * The string shorthand `"layer:channel"` and whole expressions are parsed by `objective-parser.ts`.
 *
 * An objective sees only activations, by tensor name, never the network. It is emitted as ONNX
 * nodes after those activations and yields one scalar, the value to maximise. The optimiser seeds
 * that scalar, so the gradient of nonlinear objectives (the mean square of `layer`, the Gram
 * penalty of `diversity`) is exact and every step is one engine call: image → model → objective →
 * gradient with respect to the parameters.
 *
 * Olah, Mordvintsev & Schubert 2017, "Feature Visualization", https://distill.pub/2017/feature-visualization/
 */
import { LucernaError } from '../errors.js';
import type { GraphBuilder } from '../onnx/builder.js';
import { formatShape } from '../tensor/tensor.js';

/** An activation an objective reads: its tensor name and static shape. */
export interface ActivationInfo {
  readonly name: string;
  readonly shape: readonly number[];
}

/** What an objective sees while it is emitted: activations by name and a node builder. */
export interface ObjectiveContext {
  /** Emits the objective's nodes. */
  readonly b: GraphBuilder;
  /** The activation called `layer`, validated (unknown names get close matches). */
  activation(layer: string): ActivationInfo;
  /** The model's output (logits), for {@link classLogit}. */
  output(): ActivationInfo;
}

/** What an objective reads. */
export interface ObjectiveNeeds {
  /** Activation tensor names. */
  readonly layers: readonly string[];
  /** True when it reads the model output. */
  readonly output: boolean;
}

type Emitter = (ctx: ObjectiveContext) => string;

/**
 * A scalar objective to maximise, emitted as ONNX nodes over activations. Combine objectives with
 * {@link Objective.plus}, {@link Objective.minus}, {@link Objective.times} and {@link sum}.
 *
 * @example
 * ```ts
 * const o = channel('/layer3/layer3.0/relu/Relu_output_0', 12).minus(diversity('/layer3/layer3.0/relu/Relu_output_0').times(100));
 * ```
 */
export class Objective {
  constructor(
    /** A readable form, such as `channel("conv1", 3) + 0.5 * layer("conv2")`. */
    readonly description: string,
    /** What it reads. */
    readonly needs: ObjectiveNeeds,
    private readonly emitter: Emitter,
  ) {}

  /** Emits the objective and returns the name of its scalar tensor. */
  emit(ctx: ObjectiveContext): string {
    return this.emitter(ctx);
  }

  /** This objective plus another. @example `channel(l, 1).plus(channel(l, 2))` */
  plus(other: Objective): Objective {
    return sum([this, other]);
  }

  /** This objective minus another. @example `channel(l, 1).minus(diversity(l))` */
  minus(other: Objective): Objective {
    return new Objective(`${this.description} - ${wrap(other.description)}`, merge([this, other]), (ctx) => ctx.b.op('Sub', [this.emit(ctx), other.emit(ctx)]));
  }

  /** This objective scaled by a number. @example `layer(l).times(0.1)` */
  times(factor: number): Objective {
    if (!Number.isFinite(factor)) throw new LucernaError('BAD_OPTION', `An objective can only be scaled by a finite number, got ${factor}`);
    return new Objective(`${factor} * ${wrap(this.description)}`, this.needs, (ctx) => ctx.b.op('Mul', [this.emit(ctx), ctx.b.scalar(factor, 'factor')]));
  }

  /** The negated objective (minimise it). @example `channel(l, 3).negate()` */
  negate(): Objective {
    return this.times(-1);
  }

  toString(): string {
    return this.description;
  }
}

/** True when `description` has a " + " or " - " outside parentheses and quotes. */
function isSum(description: string): boolean {
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < description.length; i++) {
    const ch = description[i];
    if (ch === '"' && description[i - 1] !== '\\') quoted = !quoted;
    if (quoted) continue;
    if (ch === '(' || ch === '[') depth++;
    else if (ch === ')' || ch === ']') depth--;
    else if (depth === 0 && (ch === '+' || ch === '-') && description[i - 1] === ' ' && description[i + 1] === ' ') return true;
  }
  return false;
}

function wrap(description: string): string {
  return isSum(description) ? `(${description})` : description;
}

function merge(parts: readonly Objective[]): ObjectiveNeeds {
  return { layers: [...new Set(parts.flatMap((p) => p.needs.layers))], output: parts.some((p) => p.needs.output) };
}

/**
 * The sum of several objectives.
 *
 * @example
 * ```ts
 * const o = sum([channel(l, 1, { batch: 0 }), channel(l, 2, { batch: 1 })]);
 * ```
 */
export function sum(parts: readonly Objective[]): Objective {
  if (parts.length === 0) throw new LucernaError('BAD_OPTION', 'sum() needs at least one objective');
  if (parts.length === 1) return parts[0] as Objective;
  return new Objective(parts.map((p) => p.description).join(' + '), merge(parts), (ctx) => {
    const names = parts.map((p) => p.emit(ctx));
    return names.slice(1).reduce((acc, n) => ctx.b.op('Add', [acc, n]), names[0] as string);
  });
}

/** Which image of the batch an objective looks at (default: all of them, averaged). */
export interface BatchOption {
  readonly batch?: number;
}

function quote(layer: string): string {
  return JSON.stringify(layer);
}

function batchSuffix(o: BatchOption): string {
  return o.batch === undefined ? '' : `, batch ${o.batch}`;
}

function require4D(info: ActivationInfo, what: string): [number, number, number, number] {
  if (info.shape.length !== 4) {
    throw new LucernaError(
      'BAD_SHAPE',
      `${what} needs a 4-D [N, C, H, W] layer, but "${info.name}" has shape ${formatShape(info.shape)}`,
      'Pick a convolutional layer',
    );
  }
  return info.shape as unknown as [number, number, number, number];
}

/**
 * Checks a channel index against a layer's channel count; the error names the valid range.
 *
 * @example
 * ```ts
 * requireChannel({ name: 'conv1', shape: [1, 16, 32, 32] }, 20); // throws: Channel 20 is out of range…
 * ```
 */
export function requireChannel(info: ActivationInfo, channel: number): void {
  const channels = info.shape[1] as number;
  if (!Number.isInteger(channel) || channel < 0 || channel >= channels) {
    throw new LucernaError(
      'BAD_OPTION',
      `Channel ${channel} is out of range: layer "${info.name}" has ${channels} channels`,
      `Pick a channel from 0 to ${channels - 1}`,
    );
  }
}

function requireIndex(value: number, size: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value >= size) {
    throw new LucernaError('BAD_OPTION', `The ${what} ${value} is out of range`, `Pick one from 0 to ${size - 1}`);
  }
}

function sliceAxes(b: GraphBuilder, x: string, axes: readonly number[], starts: readonly number[]): string {
  return b.op('Slice', [
    x,
    b.constInt64(starts, [starts.length], 'starts'),
    b.constInt64(
      starts.map((s) => s + 1),
      [starts.length],
      'ends',
    ),
    b.constInt64(axes, [axes.length], 'axes'),
  ]);
}

/** Keeps batch item `batch` (axis 0) when one is chosen. */
function pickBatch(b: GraphBuilder, x: string, batchSize: number, o: BatchOption): string {
  if (o.batch === undefined) return x;
  requireIndex(o.batch, batchSize, 'batch index');
  return sliceAxes(b, x, [0], [o.batch]);
}

function meanAll(b: GraphBuilder, x: string): string {
  return b.op('ReduceMean', [x], { keepdims: 0 });
}

/**
 * The mean activation of one channel over positions (and over the batch, unless `batch` picks one
 * image): Erhan et al. 2009 and Olah et al. 2017's `channel`.
 *
 * @example
 * ```ts
 * const o = channel('/layer2/layer2.1/relu_1/Relu_output_0', 7);
 * ```
 */
export function channel(layer: string, index: number, options: BatchOption = {}): Objective {
  return new Objective(`channel(${quote(layer)}, ${index}${batchSuffix(options)})`, { layers: [layer], output: false }, (ctx) => {
    const info = ctx.activation(layer);
    const [n] = require4D(info, 'channel()');
    requireChannel(info, index);
    return meanAll(ctx.b, pickBatch(ctx.b, sliceAxes(ctx.b, info.name, [1], [index]), n, options));
  });
}

/** Options of {@link neuron}: the position (default: the centre of the map) and batch item. */
export interface NeuronOptions extends BatchOption {
  readonly y?: number;
  readonly x?: number;
}

/**
 * One unit: channel `index` at position (y, x), the centre by default.
 *
 * @example
 * ```ts
 * const o = neuron('/layer1/layer1.0/relu/Relu_output_0', 3, { y: 8, x: 8 });
 * ```
 */
export function neuron(layer: string, index: number, options: NeuronOptions = {}): Objective {
  const at = options.y === undefined && options.x === undefined ? '' : `, ${options.y ?? 'centre'}, ${options.x ?? 'centre'}`;
  return new Objective(`neuron(${quote(layer)}, ${index}${at}${batchSuffix(options)})`, { layers: [layer], output: false }, (ctx) => {
    const info = ctx.activation(layer);
    const [n, , h, w] = require4D(info, 'neuron()');
    requireChannel(info, index);
    const y = options.y ?? Math.floor(h / 2);
    const x = options.x ?? Math.floor(w / 2);
    requireIndex(y, h, `row of layer "${info.name}"`);
    requireIndex(x, w, `column of layer "${info.name}"`);
    return meanAll(ctx.b, pickBatch(ctx.b, sliceAxes(ctx.b, info.name, [1, 2, 3], [index, y, x]), n, options));
  });
}

/**
 * The mean square of a whole layer: DeepDream (Mordvintsev et al. 2015).
 *
 * @example
 * ```ts
 * const o = layer('/layer3/layer3.1/relu_1/Relu_output_0');
 * ```
 */
export function layer(name: string, options: BatchOption = {}): Objective {
  return new Objective(`layer(${quote(name)}${batchSuffix(options)})`, { layers: [name], output: false }, (ctx) => {
    const info = ctx.activation(name);
    const x = pickBatch(ctx.b, info.name, info.shape[0] as number, options);
    return meanAll(ctx.b, ctx.b.op('Mul', [x, x]));
  });
}

/**
 * The dot product of the activation vector at each position with `vector` (one weight per
 * channel), averaged over positions: a direction in activation space.
 *
 * @example
 * ```ts
 * const o = direction('/layer4/layer4.1/relu_1/Relu_output_0', weights); // weights.length === 512
 * ```
 */
export function direction(layerName: string, vector: ArrayLike<number>, options: BatchOption = {}): Objective {
  const v = Float32Array.from(vector);
  if (!v.every(Number.isFinite)) throw new LucernaError('BAD_OPTION', 'direction() needs finite numbers');
  return new Objective(`direction(${quote(layerName)}, [${v.length} values]${batchSuffix(options)})`, { layers: [layerName], output: false }, (ctx) => {
    const info = ctx.activation(layerName);
    const [n, c] = require4D(info, 'direction()');
    if (v.length !== c) {
      throw new LucernaError(
        'BAD_OPTION',
        `direction() got ${v.length} values but layer "${info.name}" has ${c} channels`,
        `Give one value per channel (${c})`,
      );
    }
    const weighted = ctx.b.op('Mul', [info.name, ctx.b.constFloat(v, [1, c, 1, 1], 'direction')]);
    const dot = ctx.b.op('ReduceSum', [weighted, ctx.b.constInt64([1])], { keepdims: 0 });
    return meanAll(ctx.b, pickBatch(ctx.b, dot, n, options));
  });
}

/**
 * The model output (a logit) of class `k`: Simonyan et al. 2013's class visualization.
 *
 * @example
 * ```ts
 * const o = classLogit(1);
 * ```
 */
export function classLogit(k: number, options: BatchOption = {}): Objective {
  return new Objective(`classLogit(${k}${batchSuffix(options)})`, { layers: [], output: true }, (ctx) => {
    const info = ctx.output();
    const axis = info.shape.length - 1;
    const classes = info.shape[axis] as number;
    if (info.shape.length < 2)
      throw new LucernaError('BAD_SHAPE', `classLogit() needs a [N, classes] output, but "${info.name}" has shape ${formatShape(info.shape)}`);
    if (!Number.isInteger(k) || k < 0 || k >= classes) {
      throw new LucernaError(
        'BAD_OPTION',
        `Class ${k} is out of range: the output "${info.name}" has ${classes} classes`,
        `Pick a class from 0 to ${classes - 1}`,
      );
    }
    return meanAll(ctx.b, pickBatch(ctx.b, sliceAxes(ctx.b, info.name, [axis], [k]), info.shape[0] as number, options));
  });
}

/**
 * The Gram-matrix similarity between the images of a batch at a layer (Olah et al. 2017): the mean
 * over images of the summed cosine similarity of its Gram matrix with the others'. It is a
 * penalty: subtract it to make a batch diverse, e.g. `channel(l, 3).minus(diversity(l).times(100))`.
 *
 * @example
 * ```ts
 * const o = channel(l, 3).minus(diversity(l).times(100));
 * ```
 */
export function diversity(layerName: string): Objective {
  return new Objective(`diversity(${quote(layerName)})`, { layers: [layerName], output: false }, (ctx) => {
    const info = ctx.activation(layerName);
    const [n, c, h, w] = require4D(info, 'diversity()');
    if (n < 2)
      throw new LucernaError('BAD_OPTION', 'diversity() compares the images of a batch, so it needs at least 2 images', 'Visualize several images at once');
    const { b } = ctx;
    const flat = b.op('Reshape', [info.name, b.constInt64([n, c, h * w])]);
    const gram = b.op('MatMul', [flat, b.op('Transpose', [flat], { perm: [0, 2, 1] })]);
    const norm2 = b.op('ReduceSum', [b.op('Mul', [gram, gram]), b.constInt64([1, 2])], { keepdims: 1 });
    const unit = b.op('Div', [gram, b.op('Sqrt', [b.op('Add', [norm2, b.scalar(1e-10, 'eps')])])]);
    // Σ_{i≠j} ⟨g_i, g_j⟩ = ‖Σ_i g_i‖² − Σ_i ‖g_i‖²
    const total = b.op('ReduceSum', [unit, b.constInt64([0])], { keepdims: 0 });
    const all = b.op('ReduceSum', [b.op('Mul', [total, total])], { keepdims: 0 });
    const self = b.op('ReduceSum', [b.op('Mul', [unit, unit])], { keepdims: 0 });
    return b.op('Mul', [b.op('Sub', [all, self]), b.scalar(1 / n, 'per_image')]);
  });
}
