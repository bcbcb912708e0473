/**
 * Theoretical receptive fields, read from the graph: the input pixels a unit of a layer can see,
 * composed along every path from the input through the kernel sizes, strides, paddings and
 * dilations of Conv and pooling nodes (Araujo, Norris & Sim 2019, "Computing Receptive Fields of
 * Convolutional Neural Networks", https://distill.pub/2019/computing-receptive-fields/).
 *
 * Along one axis a tensor's field is (jump j, first l, last r): unit i sees input pixels
 * l + i·j … r + i·j. A window op with dilated extent K = (k − 1)·d + 1, stride s and begin pad p
 * maps it to (j·s, l − p·j, r + (K − 1 − p)·j). Where paths merge (Add, Concat, Mul…) the field is
 * the union; inputs broadcast over the grid (a [N, C, 1, 1] gate such as squeeze-and-excitation)
 * are treated as gates and left out. Ops that keep the spatial grid pass it through; global pools,
 * Flatten and dense layers see the whole input. Coordinates may fall outside the image: that part of the field is padding.
 */

import { dilatedExtent, windowGeometry } from '../compiler/rules/conv-geometry.js';
import type { PreparedGraph } from '../engine/prepare.js';
import { LucernaError } from '../errors.js';
import { attrInts } from '../onnx/attributes.js';
import type { NodeProto } from '../onnx/proto.js';
import { readInts } from '../onnx/tensors.js';

/** The receptive field of a layer's units, in input pixels, per axis [rows, columns]. */
export interface ReceptiveField {
  /** Input pixels between neighbouring units. */
  readonly stride: readonly [number, number];
  /** First input row and column seen by unit (0, 0); negative values lie in the padding. */
  readonly start: readonly [number, number];
  /** Extent in input pixels. */
  readonly size: readonly [number, number];
  /** True when every unit sees the whole input (after a global pool or a dense layer). */
  readonly global: boolean;
}

/** A unit's field: rows top…bottom and columns left…right, inclusive. */
export interface FieldBox {
  readonly top: number;
  readonly left: number;
  readonly bottom: number;
  readonly right: number;
}

interface AxisField {
  readonly jump: number;
  readonly first: number;
  readonly last: number;
}

type Field = { readonly axes: readonly [AxisField, AxisField] } | 'global';

const WINDOW_OPS = new Set(['Conv', 'MaxPool', 'AveragePool', 'LpPool']);
const GLOBAL_OPS = new Set(['GlobalAveragePool', 'GlobalMaxPool', 'GlobalLpPool', 'Flatten', 'Gemm']);

function unsupported(node: NodeProto, why: string): LucernaError {
  return new LucernaError('UNSUPPORTED_MODEL', `Cannot compute the receptive field through node "${node.name}" (${node.opType}): ${why}`);
}

function union(node: NodeProto, fields: readonly Field[]): Field {
  if (fields.some((f) => f === 'global')) return 'global';
  const list = fields as readonly { axes: readonly [AxisField, AxisField] }[];
  const axes = [0, 1].map((a) => {
    const parts = list.map((f) => f.axes[a] as AxisField);
    const jump = (parts[0] as AxisField).jump;
    if (parts.some((p) => p.jump !== jump)) throw unsupported(node, 'its inputs are on grids with different strides');
    return { jump, first: Math.min(...parts.map((p) => p.first)), last: Math.max(...parts.map((p) => p.last)) };
  });
  return { axes: axes as unknown as [AxisField, AxisField] };
}

function windowKernel(node: NodeProto, prepared: PreparedGraph): number[] {
  if (node.opType !== 'Conv') return attrInts(node, 'kernel_shape', []);
  const w = node.input?.[1] ?? '';
  const dims = prepared.graph.isInitializer(w) ? prepared.graph.initializerDims(w) : [...(prepared.shapes.get(w) ?? [])];
  return dims.slice(2);
}

function throughWindow(node: NodeProto, field: Field, prepared: PreparedGraph): Field {
  if (field === 'global') return field;
  const inShape = prepared.shapes.get(node.input?.[0] ?? '') ?? [];
  const kernel = windowKernel(node, prepared);
  if (inShape.length !== 4 || kernel.length !== 2) throw unsupported(node, 'only 2-D windows over [N, C, H, W] are supported');
  const g = windowGeometry(node, inShape.slice(2), kernel);
  const axes = [0, 1].map((a) => {
    const f = field.axes[a] as AxisField;
    const extent = dilatedExtent(g.kernel[a] as number, g.dilations[a] as number);
    const pad = g.pads[a] as number;
    return { jump: f.jump * (g.strides[a] as number), first: f.first - pad * f.jump, last: f.last + (extent - 1 - pad) * f.jump };
  });
  return { axes: axes as unknown as [AxisField, AxisField] };
}

/** Pad: the grid shifts by the begin pads of H and W. */
function throughPad(node: NodeProto, field: Field, prepared: PreparedGraph): Field {
  if (field === 'global') return field;
  const padsName = node.input?.[1] ?? '';
  const pads = padsName ? readInts(prepared.graph.initializer(padsName)) : attrInts(node, 'pads', []);
  if (pads.length !== 8) throw unsupported(node, 'only pads of a 4-D tensor are supported');
  const axes = [0, 1].map((a) => {
    const f = field.axes[a] as AxisField;
    const shift = (pads[2 + a] as number) * f.jump;
    return { jump: f.jump, first: f.first - shift, last: f.last - shift };
  });
  return { axes: axes as unknown as [AxisField, AxisField] };
}

/** Slice of H or W: the grid starts later and may skip units. */
function throughSlice(node: NodeProto, field: Field, prepared: PreparedGraph): Field {
  if (field === 'global') return field;
  const ints = (i: number) => (node.input?.[i] ? readInts(prepared.graph.initializer(node.input[i] as string)) : undefined);
  const starts = ints(1) ?? [];
  const rank = (prepared.shapes.get(node.input?.[0] ?? '') ?? []).length;
  const axesList = (ints(3) ?? starts.map((_, i) => i)).map((a) => (a < 0 ? a + rank : a));
  const steps = ints(4) ?? starts.map(() => 1);
  const inShape = prepared.shapes.get(node.input?.[0] ?? '') ?? [];
  const axes = [0, 1].map((a) => {
    const f = field.axes[a] as AxisField;
    const k = axesList.indexOf(a + 2);
    if (k < 0) return f;
    const size = inShape[a + 2] as number;
    const step = steps[k] as number;
    if (step < 1) throw unsupported(node, 'negative slice steps are not supported');
    const start = Math.min(Math.max((starts[k] as number) < 0 ? (starts[k] as number) + size : (starts[k] as number), 0), size);
    return { jump: f.jump * step, first: f.first + start * f.jump, last: f.last + start * f.jump };
  });
  return { axes: axes as unknown as [AxisField, AxisField] };
}

/**
 * The inputs of a node that carry the output's spatial grid (same H and W), or undefined when the
 * output is not such a grid. Inputs broadcast over the grid (a [N, C, 1, 1] gate) are left out.
 */
function gridInputs(node: NodeProto, prepared: PreparedGraph): string[] | undefined {
  const out = prepared.shapes.get(node.output?.[0] ?? '') ?? [];
  if (out.length !== 4) return undefined;
  const same = (node.input ?? []).filter((i) => {
    const s = prepared.shapes.get(i);
    return s !== undefined && s.length === 4 && s[2] === out[2] && s[3] === out[3];
  });
  return same.length > 0 ? same : undefined;
}

function fieldOfNode(node: NodeProto, fields: ReadonlyMap<string, Field>, prepared: PreparedGraph): Field | undefined {
  const op = node.opType ?? '';
  const first = fields.get(node.input?.[0] ?? '');
  if (WINDOW_OPS.has(op)) return first && throughWindow(node, first, prepared);
  if (GLOBAL_OPS.has(op)) return 'global';
  if (op === 'Pad') return first && throughPad(node, first, prepared);
  if (op === 'Slice') return first && throughSlice(node, first, prepared);
  const grid = gridInputs(node, prepared)
    ?.map((i) => fields.get(i))
    .filter((f): f is Field => f !== undefined);
  if (grid && grid.length > 0) return union(node, grid);
  const out = prepared.shapes.get(node.output?.[0] ?? '') ?? [];
  if (out.length < 3 || op.startsWith('Reduce') || op === 'Reshape') return 'global';
  throw unsupported(node, 'it changes the spatial grid in a way Lucerna does not model');
}

/**
 * The theoretical receptive field of the units of `layer` (a tensor of the prepared graph).
 *
 * @example
 * ```ts
 * const prepared = await model.prepare(model.inputShape(1));
 * receptiveField(prepared, '/layer1/layer1.0/relu/Relu_output_0'); // { stride: [4, 4], size: [19, 19], start: [-9, -9], … }
 * ```
 */
export function receptiveField(prepared: PreparedGraph, layer: string): ReceptiveField {
  prepared.graph.requireTensor(layer);
  const input = prepared.graph.primaryInput().name;
  const identity: AxisField = { jump: 1, first: 0, last: 0 };
  const fields = new Map<string, Field>([[input, { axes: [identity, identity] }]]);
  for (const node of prepared.graph.topoSorted()) {
    if ((node.output ?? []).every((o) => fields.has(o))) continue;
    if (!(node.input ?? []).some((i) => fields.has(i))) continue;
    const field = fieldOfNode(node, fields, prepared);
    if (field === undefined) continue;
    for (const o of node.output ?? []) if (o) fields.set(o, field);
    if (fields.has(layer)) break;
  }
  const f = fields.get(layer);
  if (!f) throw new LucernaError('BAD_OPTION', `Layer "${layer}" does not depend on the model input`);
  const [h, w] = (prepared.inputShape.length === 4 ? prepared.inputShape.slice(2) : [1, 1]) as [number, number];
  if (f === 'global') return { stride: [h, w], start: [0, 0], size: [h, w], global: true };
  const [ry, rx] = f.axes;
  return { stride: [ry.jump, rx.jump], start: [ry.first, rx.first], size: [ry.last - ry.first + 1, rx.last - rx.first + 1], global: false };
}

/**
 * The field of unit (y, x), unclipped (it may extend past the image).
 *
 * @example
 * ```ts
 * fieldBox(rf, 3, 5); // { top: rf.start[0] + 3 · rf.stride[0], … }
 * ```
 */
export function fieldBox(rf: ReceptiveField, y: number, x: number): FieldBox {
  if (rf.global) return { top: 0, left: 0, bottom: rf.size[0] - 1, right: rf.size[1] - 1 };
  const top = rf.start[0] + y * rf.stride[0];
  const left = rf.start[1] + x * rf.stride[1];
  return { top, left, bottom: top + rf.size[0] - 1, right: left + rf.size[1] - 1 };
}
