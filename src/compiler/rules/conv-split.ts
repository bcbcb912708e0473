/**
 * A Conv as two Convs over halves of its filters, concatenated along the channels. ONNX Runtime's
 * CPU Conv (MLAS) runs a batch image by image on all threads, one image per thread, only while a
 * conv has at most as many filters as output positions per image. With more filters (ResNet-18's
 * layer2 at 64×64 inputs: 128 filters, 8×8 positions) it builds each image's im2col on the
 * calling thread alone and runs one small threaded product per image, so a second thread helps
 * little. Halves take the batch-parallel path; every output channel is the same sum as before.
 * MLAS's choice: `MlasConvPrepare` in onnxruntime/core/mlas/lib/convolve.cpp
 * (https://github.com/microsoft/onnxruntime). The training step uses it (src/training/split-convs.ts).
 */
import type { AttrValue } from '../../onnx/attributes.js';
import type { GraphBuilder } from '../../onnx/builder.js';
import { type ConvAttrs, convWithPads, type Shaped } from './conv-lowering.js';

/**
 * How many filter parts a dense Conv with `filters` filters and `positions` output positions per
 * image runs as: 2 when it has more filters than positions but at most twice as many (an even
 * count), else 1 (unchanged). More parts would leave each product too narrow to pay.
 *
 * @example
 * ```ts
 * filterParts(128, 64, 1); // 2: ResNet-18's layer2 at 64×64 inputs
 * filterParts(64, 256, 1); // 1: layer1 already runs batch-parallel
 * ```
 */
export function filterParts(filters: number, positions: number, group: number): number {
  return group === 1 && filters > positions && filters <= 2 * positions && filters % 2 === 0 ? 2 : 1;
}

/**
 * Emits Conv(x, w[, bias]) as `parts` Convs over equal slices of the filters, concatenated along
 * the channel axis into `output` (a fresh name when absent); returns the output's name.
 *
 * @example
 * ```ts
 * const y = convByFilterParts(b, ['x', 'conv.weight'], { pads: [1, 1, 1, 1] }, 128, 2);
 * ```
 */
export function convByFilterParts(
  b: GraphBuilder,
  inputs: readonly string[],
  attrs: Readonly<Record<string, AttrValue | undefined>>,
  filters: number,
  parts: number,
  output?: string,
): string {
  const [x = '', w = '', bias] = inputs;
  const sizes = b.constInt64(
    Array.from({ length: parts }, () => filters / parts),
    [parts],
    'filter_parts',
  );
  const ws = b.ops('Split', [w, sizes], { axis: 0 }, { outputs: parts });
  const bs = bias ? b.ops('Split', [bias, sizes], { axis: 0 }, { outputs: parts }) : undefined;
  const ys = ws.map((wi, i) => b.op('Conv', [x, wi, ...(bs ? [bs[i] as string] : [])], attrs));
  return b.op('Concat', ys, { axis: 1 }, output === undefined ? {} : { outputs: [output] });
}

/**
 * A Conv emitted by {@link convWithPads}, or as filter parts when `split` is given, {@link filterParts}
 * splits its `filters` over `positions` output positions per image and no pad is negative (the
 * backward convs' one choice: `flipped` input gradients and swapped-roles weight gradients).
 *
 * @example
 * ```ts
 * const dx = splittableConv(b, spread, w, pads, attrs, { filters: 128, positions: 64 });
 * ```
 */
export function splittableConv(
  b: GraphBuilder,
  x: Shaped,
  w: string,
  pads: readonly number[],
  attrs: ConvAttrs,
  split?: { readonly filters: number; readonly positions: number },
): string {
  const parts = split ? filterParts(split.filters, split.positions, attrs.group) : 1;
  if (!split || parts === 1 || pads.some((q) => q < 0)) return convWithPads(b, x, w, pads, attrs);
  return convByFilterParts(b, [x.name, w], { ...attrs, pads: [...pads] }, split.filters, parts);
}
