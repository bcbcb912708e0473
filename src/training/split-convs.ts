/**
 * The training step's forward convs with more filters than output positions per image run as two
 * Convs over halves of the filters (conv-split.ts says why); values are unchanged. The convs that
 * compute input and weight gradients are split by the Conv rule itself (`convRuleWith`'s
 * `splitFilters`). The rewrite runs after differentiation, so the backward graph is the unsplit
 * Conv's. Measured on ResNet-18's step (2 threads): neutral when both cores are free, 2–3 ms less
 * per split conv when another job takes the second core at times (BENCHMARKS.md, "Training step", session 12).
 */

import { convByFilterParts, filterParts } from '../compiler/rules/conv-split.js';
import { product } from '../compiler/rules/static-inputs.js';
import { type AttrValue, attrInt, attrInts, attrString, hasAttr } from '../onnx/attributes.js';
import { GraphBuilder } from '../onnx/builder.js';
import type { Graph } from '../onnx/graph.js';
import type { NodeProto } from '../onnx/proto.js';

/**
 * Rewrites every dense Conv in `only` that {@link filterParts} splits into its filter parts (static
 * shapes from `shape`; 1×1 stride-1 unpadded convs, one direct product in MLAS, stay); the output
 * keeps its name. Returns how many were rewritten.
 *
 * @example
 * ```ts
 * splitFilterHeavyConvs(stepGraph, (t) => prepared.shapes.get(t) ?? stepGraph.initializerDims(t), forwardConvNames);
 * ```
 */
export function splitFilterHeavyConvs(graph: Graph, shape: (tensor: string) => readonly number[], only: ReadonlySet<string>): number {
  const b = new GraphBuilder(graph, 'split');
  const replaced = new Set<NodeProto>();
  for (const node of [...graph.nodes]) {
    if (node.opType !== 'Conv' || !only.has(node.name ?? '')) continue;
    const output = node.output?.[0] ?? '';
    const wShape = shape(node.input?.[1] ?? '');
    const yShape = shape(output);
    if (wShape.length < 3 || yShape.length !== wShape.length) continue;
    // a 1×1 stride-1 unpadded Conv is one direct product already (MLAS's GemmDirect)
    const direct =
      wShape.slice(2).every((k) => k === 1) && attrInts(node, 'strides', []).every((v) => v === 1) && attrInts(node, 'pads', []).every((v) => v === 0);
    if (direct) continue;
    const filters = wShape[0] as number;
    const parts = filterParts(filters, product(yShape.slice(2)), attrInt(node, 'group', 1));
    if (parts === 1) continue;
    convByFilterParts(b, node.input ?? [], convAttributes(node), filters, parts, output);
    replaced.add(node);
  }
  if (replaced.size > 0) {
    graph.nodes = graph.nodes.filter((n) => !replaced.has(n));
    graph.invalidate();
  }
  return replaced.size;
}

/** A Conv node's attributes as plain values (the ones ONNX defines for Conv, when set). */
function convAttributes(node: NodeProto): Record<string, AttrValue> {
  const attrs: Record<string, AttrValue> = {};
  for (const name of ['dilations', 'kernel_shape', 'pads', 'strides']) if (hasAttr(node, name)) attrs[name] = attrInts(node, name, []);
  if (hasAttr(node, 'group')) attrs.group = attrInt(node, 'group', 1);
  if (hasAttr(node, 'auto_pad')) attrs.auto_pad = attrString(node, 'auto_pad', 'NOTSET');
  return attrs;
}
