/**
 * The node rewrites of the opset upgrade (see `upgrade.ts`), one per signature change between
 * opset 11 and 18 of the default ONNX domain. Each takes one node and returns the nodes that
 * replace it; the last replacement node keeps the original output names, so consumers never change.
 *
 * Reference: the ONNX operator changelog, https://github.com/onnx/onnx/blob/main/docs/Changelog.md
 */
import { LucernaError } from '../errors.js';
import { type AttrValue, attrInt, attrInts, attrString, hasAttr, makeAttributes, withoutAttrs } from './attributes.js';
import { DataType, type NodeProto } from './proto.js';
import { typedTensor } from './tensors.js';

/** What a rewrite may ask of the graph it works in. */
export interface RewriteContext {
  /** A tensor or node name not used anywhere in the model yet. */
  unique(hint: string): string;
  /** Adds an int64 1-D constant and returns its name. */
  int64(values: readonly number[], hint: string): string;
  /** The rank of a tensor when it is known without running the graph. */
  rankOf(tensor: string): number | undefined;
  /** True when a node (at any depth) or a graph output reads `tensor`. */
  isUsed(tensor: string): boolean;
  /** True when `tensor` is a constant with no elements (the opset-11 way to say "not given"). */
  isEmptyConstant(tensor: string): boolean;
}

/** Rewrites one node into the nodes that replace it. */
export type NodeRewrite = (node: NodeProto, cx: RewriteContext) => NodeProto[];

/** A copy of `node` with some attributes removed and others set. */
function withAttrs(node: NodeProto, remove: readonly string[], set: Readonly<Record<string, AttrValue | undefined>> = {}): NodeProto {
  const names = [...remove, ...Object.keys(set)];
  return { ...node, attribute: [...withoutAttrs(node, names), ...makeAttributes(set)] };
}

/** A new default-domain node. */
function makeNode(name: string, opType: string, input: string[], output: string[], attrs: Readonly<Record<string, AttrValue>> = {}): NodeProto {
  return { name, opType, domain: '', input, output, attribute: makeAttributes(attrs) };
}

/** Drops trailing empty ("not given") input names. */
function trimInputs(inputs: readonly string[]): string[] {
  const out = [...inputs];
  while (out.length > 0 && !out[out.length - 1]) out.pop();
  return out;
}

/**
 * `axes` attribute → int64 input 1 (Squeeze/Unsqueeze/ReduceSum at 13, the other Reduce ops at 18).
 * A node without `axes` (or with an empty list) keeps its default: all axes, or all 1-dims.
 *
 * @example
 * ```ts
 * axesToInput(unsqueezeNode, cx); // Unsqueeze(x) {axes:[0]} → Unsqueeze(x, [0])
 * ```
 */
export const axesToInput: NodeRewrite = (node, cx) => {
  if (!hasAttr(node, 'axes')) return [node];
  const axes = attrInts(node, 'axes', []);
  const rest = withAttrs(node, ['axes']);
  if (axes.length === 0) return [rest];
  const data = node.input?.[0] ?? '';
  return [{ ...rest, input: [data, cx.int64(axes, `${node.name}/axes`)] }];
};

/**
 * Split at 13: the `split` attribute becomes input 1.
 *
 * @example
 * ```ts
 * splitToInput(splitNode, cx); // Split(x) {split:[2,3]} → Split(x, [2,3])
 * ```
 */
export const splitToInput: NodeRewrite = (node, cx) => {
  if (!hasAttr(node, 'split')) return [node];
  const split = attrInts(node, 'split', []);
  const rest = withAttrs(node, ['split']);
  if (split.length === 0) return [rest];
  return [{ ...rest, input: [node.input?.[0] ?? '', cx.int64(split, `${node.name}/split`)] }];
};

/**
 * Split at 18: without a `split` input, the new `num_outputs` attribute is required.
 *
 * @example
 * ```ts
 * splitNumOutputs(splitNode, cx); // Split(x) with 3 outputs → Split(x) {num_outputs: 3}
 * ```
 */
export const splitNumOutputs: NodeRewrite = (node) => {
  if (node.input?.[1] || hasAttr(node, 'num_outputs')) return [node];
  return [withAttrs(node, [], { num_outputs: (node.output ?? []).length })];
};

/**
 * Softmax, LogSoftmax and Hardmax at 13. Before 13 they coerce the input to 2-D at `axis`
 * (default 1) and normalise each row: over *all* trailing axes, not one axis. The exact rewrite is
 * Flatten(axis) → op(axis = −1) → Reshape back to Shape(input); the Shape is folded once the input
 * shape is fixed. When `axis` is provably the last axis the two semantics agree and only the
 * attribute changes.
 *
 * @example
 * ```ts
 * coercedToAxis(softmaxNode, cx); // Softmax-11 {axis:1} on [N,C,H,W] → Shape, Flatten, Softmax, Reshape
 * ```
 */
export const coercedToAxis: NodeRewrite = (node, cx) => {
  const axis = attrInt(node, 'axis', 1);
  const x = node.input?.[0] ?? '';
  const rank = cx.rankOf(x);
  const lastAxis = axis === -1 || (rank !== undefined && (axis < 0 ? rank + axis : axis) === rank - 1);
  if (lastAxis) return [withAttrs(node, ['axis'], { axis: -1 })];
  const base = node.name ?? node.opType ?? 'softmax';
  const shape = cx.unique(`${base}/input_shape`);
  const flat = cx.unique(`${base}/flat_input`);
  const flatOut = cx.unique(`${base}/flat_output`);
  return [
    makeNode(cx.unique(`${base}/Shape`), 'Shape', [x], [shape]),
    makeNode(cx.unique(`${base}/Flatten`), 'Flatten', [x], [flat], { axis }),
    { ...withAttrs(node, ['axis'], { axis: -1 }), input: [flat], output: [flatOut] },
    makeNode(cx.unique(`${base}/Reshape`), 'Reshape', [flatOut, shape], [node.output?.[0] ?? '']),
  ];
};

/**
 * Dropout at 12: `ratio` moves from an attribute to an input. At inference Dropout is the identity,
 * so it becomes Identity. A mask that something reads is rebuilt as ONNX Runtime computes it before
 * opset 12 at inference: all false, of the input's shape (opset 12+ would say all true instead).
 *
 * @example
 * ```ts
 * dropoutToIdentity(dropoutNode, cx); // Dropout(x) {ratio: 0.3} → Identity(x)
 * ```
 */
export const dropoutToIdentity: NodeRewrite = (node, cx) => {
  const [y = '', mask = ''] = node.output ?? [];
  const x = node.input?.[0] ?? '';
  const identity: NodeProto = { ...node, opType: 'Identity', input: [x], output: [y], attribute: [] };
  if (!mask || !cx.isUsed(mask)) return [identity];
  const base = node.name ?? 'Dropout';
  const shape = cx.unique(`${base}/input_shape`);
  const allFalse = { tensor: typedTensor('value', DataType.BOOL, [0], [1]) };
  return [
    identity,
    makeNode(cx.unique(`${base}/Shape`), 'Shape', [x], [shape]),
    makeNode(cx.unique(`${base}/mask`), 'ConstantOfShape', [shape], [mask], { value: allFalse }),
  ];
};

/**
 * BatchNormalization at 14: the training outputs changed (5 → 3, behind `training_mode`). Opset < 14
 * infers training mode from the output count, so only the one-output (inference) form is accepted.
 *
 * @example
 * ```ts
 * inferenceBatchNorm(bnNode, cx); // unchanged when it has one output; throws otherwise
 * ```
 */
export const inferenceBatchNorm: NodeRewrite = (node) => {
  const outputs = (node.output ?? []).filter((o) => o);
  if (outputs.length <= 1) return [node];
  throw new LucernaError(
    'UNSUPPORTED_MODEL',
    `BatchNormalization "${node.name}" has ${outputs.length} outputs, so it runs in training mode`,
    'Export the model in eval mode (model.eval() before torch.onnx.export)',
  );
};

/** Nearest modes that keep tf_half_pixel_for_nn exact when it becomes half_pixel (x' = x + 0.5). */
const TF_HALF_PIXEL_NEAREST: Readonly<Record<string, string>> = {
  // floor(x + 0.5) is round-half-up of x.
  floor: 'round_prefer_ceil',
  // round-half-down(x + 0.5) is ceil(x).
  round_prefer_floor: 'ceil',
};

/**
 * Resize at 13: roi and scales became optional and `tf_half_pixel_for_nn` was removed. Empty roi or
 * scales constants become "not given"; `tf_half_pixel_for_nn` (nearest only) maps to `half_pixel`
 * with a shifted rounding mode, exactly; other combinations are refused with a clear error.
 *
 * @example
 * ```ts
 * resizeTo13(resizeNode, cx); // Resize(x, <empty roi>, scales) → Resize(x, '', scales)
 * ```
 */
export const resizeTo13: NodeRewrite = (node, cx) => {
  const [x = '', roi = '', scales = '', sizes = ''] = node.input ?? [];
  const keepRoi = roi && !cx.isEmptyConstant(roi) ? roi : '';
  const keepScales = scales && !(sizes && cx.isEmptyConstant(scales)) ? scales : '';
  const inputs = trimInputs([x, keepRoi, keepScales, sizes]);
  if (attrString(node, 'coordinate_transformation_mode', 'half_pixel') !== 'tf_half_pixel_for_nn') return [{ ...node, input: inputs }];
  const mode = attrString(node, 'mode', 'nearest');
  const nearest = attrString(node, 'nearest_mode', 'round_prefer_floor');
  const mapped = mode === 'nearest' ? TF_HALF_PIXEL_NEAREST[nearest] : undefined;
  if (!mapped) {
    throw new LucernaError(
      'UNSUPPORTED_MODEL',
      `Resize "${node.name}" uses coordinate_transformation_mode "tf_half_pixel_for_nn" with mode "${mode}" and nearest_mode "${nearest}", which opset 13 removed and which has no exact replacement`,
      'Re-export the model with opset 13 or newer',
    );
  }
  return [
    {
      ...withAttrs(node, ['coordinate_transformation_mode', 'nearest_mode'], { coordinate_transformation_mode: 'half_pixel', nearest_mode: mapped }),
      input: inputs,
    },
  ];
};

/**
 * RoiAlign at 16: the new `coordinate_transformation_mode` defaults to half_pixel; the old behaviour
 * is `output_half_pixel`, set explicitly.
 *
 * @example
 * ```ts
 * roiAlignKeepsPixelMode(roiAlignNode, cx); // adds coordinate_transformation_mode: 'output_half_pixel'
 * ```
 */
export const roiAlignKeepsPixelMode: NodeRewrite = (node) => {
  if (hasAttr(node, 'coordinate_transformation_mode')) return [node];
  return [withAttrs(node, [], { coordinate_transformation_mode: 'output_half_pixel' })];
};

/**
 * Ops deprecated before opset 11 that no valid opset ≥ 11 model contains; named for a clear error.
 *
 * @example
 * ```ts
 * refuseDeprecated(upsampleNode, cx); // throws UNSUPPORTED_MODEL
 * ```
 */
export const refuseDeprecated: NodeRewrite = (node) => {
  const replacement = node.opType === 'Upsample' ? 'Resize' : 'ScatterElements';
  throw new LucernaError(
    'UNSUPPORTED_MODEL',
    `Node "${node.name}" uses ${node.opType}, which ONNX deprecated before opset 11`,
    `Re-export the model so it uses ${replacement}`,
  );
};
