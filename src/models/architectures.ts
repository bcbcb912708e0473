/**
 * The model zoo of `lucerna model create`: small, well-known CNNs with BatchNorm kept and
 * parameters named as PyTorch names them, built as ONNX from scratch.
 * - `small-cnn`: two Conv-BN-ReLU-MaxPool blocks (32, 64 channels) and two Linear layers, for
 *   28×28 grey images (Fashion-MNIST); any input divisible by 4.
 * - `vgg11-bn`: the convolutional part of VGG-11 with BatchNorm (Simonyan & Zisserman 2015,
 *   https://arxiv.org/abs/1409.1556), named as torchvision's `features.<i>`, then global average
 *   pooling and a two-layer classifier (`classifier.0`, `classifier.2`).
 * - `resnet18`: ResNet-18 (He et al. 2016, https://arxiv.org/abs/1512.03385), named as torchvision's.
 */
import { LucernaError } from '../errors.js';
import { buildModel } from '../onnx/builder.js';
import { seededRandom } from '../tensor/random.js';
import { batchNorm, conv, globalPoolFlat, type LayerContext, linear, maxPool, relu } from './layers.js';

/** What to create. */
export interface ArchitectureOptions {
  readonly classes: number;
  /** Sample shape [C, H, W]. */
  readonly input: readonly [number, number, number];
  readonly seed?: number;
  /**
   * Channel multiplier (default 1): every conv and hidden linear layer gets round(width × its
   * channels), at least 1, as in width-scaled VGGs. Below 1 it makes a net small enough to train on
   * a small data set in minutes on a CPU (e.g. vgg11-bn at 1/8: 8…64 channels).
   */
  readonly width?: number;
}

/** Channels scaled by the width multiplier. */
const scaled = (o: ArchitectureOptions, channels: number): number => Math.max(1, Math.round(channels * (o.width ?? 1)));

type Body = (ctx: LayerContext, input: string, o: ArchitectureOptions) => void;

const LOGITS = 'logits';

const smallCnn: Body = (ctx, x, o) => {
  const [c, h, w] = o.input;
  if (h % 4 !== 0 || w % 4 !== 0) throw new LucernaError('BAD_OPTION', `small-cnn needs H and W divisible by 4, got ${h}x${w}`);
  const [c1, c2, hidden] = [scaled(o, 32), scaled(o, 64), scaled(o, 128)];
  let t = maxPool(ctx, relu(ctx, batchNorm(ctx, conv(ctx, x, { name: 'conv1', inC: c, outC: c1, k: 3, pad: 1, bias: false }), 'bn1', c1)), 2);
  t = maxPool(ctx, relu(ctx, batchNorm(ctx, conv(ctx, t, { name: 'conv2', inC: c1, outC: c2, k: 3, pad: 1, bias: false }), 'bn2', c2)), 2);
  const flat = ctx.b.op('Flatten', [t], { axis: 1 });
  const features = c2 * (h / 4) * (w / 4);
  linear(ctx, relu(ctx, linear(ctx, flat, 'fc1', features, hidden)), 'fc2', hidden, o.classes, LOGITS);
};

const VGG11 = [64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'] as const;

const vgg11bn: Body = (ctx, x, o) => {
  const [c, h, w] = o.input;
  if (h < 32 || w < 32) throw new LucernaError('BAD_OPTION', `vgg11-bn pools five times and needs at least 32x32 inputs, got ${h}x${w}`);
  let t = x;
  let inC = c;
  let index = 0;
  for (const v of VGG11) {
    if (v === 'M') {
      t = maxPool(ctx, t, 2);
      index += 1;
      continue;
    }
    const outC = scaled(o, v);
    t = conv(ctx, t, { name: `features.${index}`, inC, outC, k: 3, pad: 1, bias: true });
    t = relu(ctx, batchNorm(ctx, t, `features.${index + 1}`, outC));
    inC = outC;
    index += 3;
  }
  const hidden = scaled(o, 512);
  linear(ctx, relu(ctx, linear(ctx, globalPoolFlat(ctx, t), 'classifier.0', inC, hidden)), 'classifier.2', hidden, o.classes, LOGITS);
};

function basicBlock(ctx: LayerContext, x: string, name: string, inC: number, outC: number, stride: number): string {
  let t = relu(ctx, batchNorm(ctx, conv(ctx, x, { name: `${name}.conv1`, inC, outC, k: 3, stride, pad: 1 }), `${name}.bn1`, outC));
  t = batchNorm(ctx, conv(ctx, t, { name: `${name}.conv2`, inC: outC, outC, k: 3, pad: 1 }), `${name}.bn2`, outC);
  const shortcut =
    stride !== 1 || inC !== outC ? batchNorm(ctx, conv(ctx, x, { name: `${name}.downsample.0`, inC, outC, k: 1, stride }), `${name}.downsample.1`, outC) : x;
  return relu(ctx, ctx.b.op('Add', [t, shortcut]));
}

const resnet18: Body = (ctx, x, o) => {
  const stem = scaled(o, 64);
  let t = relu(ctx, batchNorm(ctx, conv(ctx, x, { name: 'conv1', inC: o.input[0], outC: stem, k: 7, stride: 2, pad: 3 }), 'bn1', stem));
  t = maxPool(ctx, t, 3, 2, 1);
  let inC = stem;
  for (const [i, outC] of [64, 128, 256, 512].map((c) => scaled(o, c)).entries()) {
    const stride = i === 0 ? 1 : 2;
    t = basicBlock(ctx, t, `layer${i + 1}.0`, inC, outC, stride);
    t = basicBlock(ctx, t, `layer${i + 1}.1`, outC, outC, 1);
    inC = outC;
  }
  linear(ctx, globalPoolFlat(ctx, t), 'fc', inC, o.classes, LOGITS);
};

/** Every architecture, by its CLI name. @example `Object.keys(architectures) // ['small-cnn', 'vgg11-bn', 'resnet18']` */
export const architectures: Readonly<Record<string, Body>> = { 'small-cnn': smallCnn, 'vgg11-bn': vgg11bn, resnet18 };

/**
 * Builds an architecture as ONNX bytes (opset 17, input `input` [batch, C, H, W], output `logits`).
 *
 * @example
 * ```ts
 * const bytes = createModel('resnet18', { classes: 10, input: [3, 64, 64], seed: 0 });
 * const tiny = createModel('vgg11-bn', { classes: 3, input: [3, 64, 64], width: 1 / 8 });
 * ```
 */
export function createModel(arch: string, o: ArchitectureOptions): Uint8Array {
  const body = architectures[arch];
  if (!body) throw new LucernaError('BAD_OPTION', `Unknown architecture "${arch}"`, `Use one of: ${Object.keys(architectures).join(', ')}`);
  if (!Number.isInteger(o.classes) || o.classes < 2) throw new LucernaError('BAD_OPTION', `--classes ${o.classes} must be an integer of at least 2`);
  if (o.width !== undefined && !(o.width > 0 && o.width <= 4)) throw new LucernaError('BAD_OPTION', `--width ${o.width} must be a number in (0, 4]`);
  return buildModel({
    opset: 17,
    inputs: [{ name: 'input', dims: ['batch', ...o.input] }],
    outputs: [LOGITS],
    build: (b) => body({ b, random: seededRandom(o.seed ?? 0) }, 'input', o),
  });
}
