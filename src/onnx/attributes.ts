/**
 * Reading and writing ONNX node attributes with plain JS values.
 */
import onnxProto from 'onnx-proto';
import { type AttributeProto, type NodeProto, type TensorProto, toNumber, toNumbers } from './proto.js';

const AttrType = onnxProto.onnx.AttributeProto.AttributeType;

/** A float attribute value; plain numbers are written as ints. @example `{ alpha: float(0.2) }` */
export interface FloatAttr {
  readonly float: number;
}
/** A list-of-floats attribute value. @example `{ scales: floats([1, 2]) }` */
export interface FloatsAttr {
  readonly floats: readonly number[];
}
/** An attribute value: number → INT, number[] → INTS, string → STRING, float()/floats(), or a TensorProto. */
export type AttrValue = number | readonly number[] | string | FloatAttr | FloatsAttr | { readonly tensor: TensorProto };

/** Wraps a number as a FLOAT attribute. */
export const float = (v: number): FloatAttr => ({ float: v });
/** Wraps numbers as a FLOATS attribute. */
export const floats = (v: readonly number[]): FloatsAttr => ({ floats: v });

/** Builds an AttributeProto from a name and a plain value. */
export function makeAttribute(name: string, value: AttrValue): AttributeProto {
  if (typeof value === 'number') return { name, type: AttrType.INT, i: value };
  if (typeof value === 'string') return { name, type: AttrType.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: AttrType.INTS, ints: [...(value as number[])] };
  if ('float' in (value as object)) return { name, type: AttrType.FLOAT, f: (value as FloatAttr).float };
  if ('floats' in (value as object)) return { name, type: AttrType.FLOATS, floats: [...(value as FloatsAttr).floats] };
  return { name, type: AttrType.TENSOR, t: (value as { tensor: TensorProto }).tensor };
}

/** Builds the attribute list of a node. */
export function makeAttributes(attrs: Readonly<Record<string, AttrValue | undefined>> | undefined): AttributeProto[] {
  if (!attrs) return [];
  return Object.entries(attrs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => makeAttribute(k, v as AttrValue));
}

function find(node: NodeProto, name: string): AttributeProto | undefined {
  return node.attribute?.find((a) => a.name === name);
}

/** True when the node sets attribute `name`. */
export function hasAttr(node: NodeProto, name: string): boolean {
  return find(node, name) !== undefined;
}

/** An INT attribute, or `fallback`. */
export function attrInt(node: NodeProto, name: string, fallback: number): number {
  const a = find(node, name);
  return a && a.i !== undefined && a.i !== null ? toNumber(a.i) : fallback;
}

/** A FLOAT attribute, or `fallback`. */
export function attrFloat(node: NodeProto, name: string, fallback: number): number {
  const a = find(node, name);
  return a && typeof a.f === 'number' ? a.f : fallback;
}

/** An INTS attribute, or `fallback`. */
export function attrInts(node: NodeProto, name: string, fallback: number[]): number[] {
  const a = find(node, name);
  return a?.ints && a.ints.length > 0 ? toNumbers(a.ints) : a && a.type === AttrType.INTS ? [] : fallback;
}

/** A FLOATS attribute, or `fallback`. */
export function attrFloats(node: NodeProto, name: string, fallback: number[]): number[] {
  const a = find(node, name);
  return a?.floats && a.floats.length > 0 ? [...a.floats] : fallback;
}

/** A STRING attribute, or `fallback`. */
export function attrString(node: NodeProto, name: string, fallback: string): string {
  const a = find(node, name);
  return a?.s ? new TextDecoder().decode(a.s) : fallback;
}

/** A TENSOR attribute, or undefined. */
export function attrTensor(node: NodeProto, name: string): TensorProto | undefined {
  return find(node, name)?.t ?? undefined;
}

/** Returns a copy of the node's attributes without the named ones. */
export function withoutAttrs(node: NodeProto, names: readonly string[]): AttributeProto[] {
  return (node.attribute ?? []).filter((a) => !names.includes(a.name ?? ''));
}
