/**
 * Convolution and pooling geometry: kernel, strides, dilations and explicit pads, including auto_pad.
 */
import { LucernaError } from '../../errors.js';
import { attrInt, attrInts, attrString } from '../../onnx/attributes.js';
import type { NodeProto } from '../../onnx/proto.js';

/** Spatial geometry of a Conv/Pool node with every default resolved. */
export interface WindowGeometry {
  readonly kernel: number[];
  readonly strides: number[];
  readonly dilations: number[];
  /** ONNX order: all begins, then all ends. */
  readonly pads: number[];
  readonly group: number;
}

/**
 * Resolves a node's geometry for an input of spatial size `inSpatial` and a kernel of spatial size
 * `kernel`, turning auto_pad (SAME_UPPER, SAME_LOWER, VALID) into explicit pads.
 *
 * @example
 * ```ts
 * const g = windowGeometry(node, [32, 32], [3, 3]);
 * ```
 */
export function windowGeometry(node: NodeProto, inSpatial: readonly number[], kernel: readonly number[]): WindowGeometry {
  const r = inSpatial.length;
  const strides = attrInts(node, 'strides', new Array(r).fill(1));
  const dilations = attrInts(node, 'dilations', new Array(r).fill(1));
  const autoPad = attrString(node, 'auto_pad', 'NOTSET');
  let pads = attrInts(node, 'pads', new Array(2 * r).fill(0));
  if (autoPad === 'VALID') pads = new Array(2 * r).fill(0);
  else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    pads = new Array(2 * r).fill(0);
    for (let i = 0; i < r; i++) {
      const inSize = inSpatial[i] as number;
      const s = strides[i] as number;
      const out = Math.ceil(inSize / s);
      const eff = ((kernel[i] as number) - 1) * (dilations[i] as number) + 1;
      const total = Math.max(0, (out - 1) * s + eff - inSize);
      const small = Math.floor(total / 2);
      const big = total - small;
      pads[i] = autoPad === 'SAME_UPPER' ? small : big;
      pads[i + r] = autoPad === 'SAME_UPPER' ? big : small;
    }
  } else if (autoPad !== 'NOTSET') {
    throw new LucernaError('UNSUPPORTED_MODEL', `Node "${node.name}" has unknown auto_pad "${autoPad}"`);
  }
  return { kernel: [...kernel], strides, dilations, pads, group: attrInt(node, 'group', 1) };
}
