/**
 * `tree.json`, the saved decision tree of rationales (format version 1):
 * ```
 * { "format": "lucerna-rationale-tree", "version": 1,
 *   "model": { "sha256": "<hex of the ONNX file>" },   // a tree is refused for any other model
 *   "layer": "<tensor>", "class": { "name": "bird", "index": 2 }, "sampleShape": [3, 64, 64],
 *   "options": { "beta": 1, "lambda0": null, "neighbours": 8 },
 *   "filters": C, "root": id,
 *   "scale": [C per-filter scales s_c],                 // optional: cosines compare ĝ∘s and w∘s
 *   "modes": [node ids],                                // optional: where the paper stops merging
 *   "nodes": [ { "id", "children": [ids], "samples": [training image indices], "mode": [C weights], "bias", "size" } ],
 *   "images": [ "<data-set index of training image i>", … ] }
 * ```
 * Node ids index `nodes`; leaves come first (one per training image, in `images` order), each
 * merge appends its parent, so the root is the last node.
 */
import { LucernaError } from '../../errors.js';
import type { DecisionTree, TreeNode } from './types.js';

/** The file's contents. */
export interface TreeFile extends DecisionTree {
  readonly format: 'lucerna-rationale-tree';
  readonly version: 1;
  readonly model: { readonly sha256: string };
  readonly layer: string;
  readonly class: { readonly name: string; readonly index: number };
  readonly sampleShape: readonly number[];
  readonly options: { readonly beta: number; readonly lambda0: number | null; readonly neighbours: number | null };
  readonly images: readonly string[];
}

const isNumberArray = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => typeof x === 'number');

function checkNode(n: unknown, i: number, filters: number, count: number): TreeNode {
  const node = n as Partial<TreeNode>;
  const ok =
    node !== null &&
    typeof node === 'object' &&
    node.id === i &&
    isNumberArray(node.children) &&
    node.children.every((c) => Number.isInteger(c) && c >= 0 && c < i) &&
    (node.children.length === 0 || node.children.length === 2) &&
    isNumberArray(node.samples) &&
    isNumberArray(node.mode) &&
    node.mode.length === filters &&
    typeof node.bias === 'number' &&
    typeof node.size === 'number' &&
    count > i;
  if (!ok) throw new LucernaError('BAD_FILE', `tree.json: node ${i} is malformed`, 'Rebuild the tree with lucerna tree build');
  return node as TreeNode;
}

/**
 * Parses and validates a tree file; `modelSha256`, when given, must be the tree's model.
 *
 * @example
 * ```ts
 * const tree = parseTreeFile(text, sha256OfModel);
 * ```
 */
export function parseTreeFile(text: string, modelSha256?: string): TreeFile {
  let raw: Partial<TreeFile>;
  try {
    raw = JSON.parse(text) as Partial<TreeFile>;
  } catch {
    throw new LucernaError('BAD_FILE', 'The tree file is not JSON', 'Pass the tree.json written by lucerna tree build');
  }
  if (raw?.format !== 'lucerna-rationale-tree')
    throw new LucernaError('BAD_FILE', 'This is not a rationale tree file', 'Pass the tree.json written by lucerna tree build');
  if (raw.version !== 1) throw new LucernaError('BAD_FILE', `Unsupported tree file version ${String(raw.version)}`, 'This Lucerna reads version 1');
  if (modelSha256 !== undefined && raw.model?.sha256 !== modelSha256) {
    throw new LucernaError('BAD_FILE', 'The tree was built for another model', 'Pass the model the tree was built from, or rebuild the tree for this one');
  }
  const filters = raw.filters;
  if (typeof filters !== 'number' || !Array.isArray(raw.nodes) || raw.nodes.length === 0 || raw.root !== raw.nodes.length - 1) {
    throw new LucernaError('BAD_FILE', 'tree.json is malformed', 'Rebuild the tree with lucerna tree build');
  }
  const count = raw.nodes.length;
  if (raw.scale !== undefined && !(isNumberArray(raw.scale) && raw.scale.length === filters && raw.scale.every((v) => v > 0))) {
    throw new LucernaError('BAD_FILE', 'tree.json: "scale" must hold one positive number per filter', 'Rebuild the tree with lucerna tree build');
  }
  if (raw.modes !== undefined && !(isNumberArray(raw.modes) && raw.modes.every((m) => Number.isInteger(m) && m >= 0 && m < raw.nodes!.length))) {
    throw new LucernaError('BAD_FILE', 'tree.json: "modes" must hold node ids', 'Rebuild the tree with lucerna tree build');
  }
  raw.nodes.forEach((n, i) => {
    checkNode(n, i, filters, count);
  });
  return raw as TreeFile;
}

/**
 * Serialises a tree file (stable key order, one line per node).
 *
 * @example
 * ```ts
 * await writeFileAtomic('tree.json', formatTreeFile(file));
 * ```
 */
export function formatTreeFile(file: TreeFile): string {
  const { nodes, ...head } = file;
  const lines = nodes.map((n) => `    ${JSON.stringify({ id: n.id, children: n.children, samples: n.samples, mode: n.mode, bias: n.bias, size: n.size })}`);
  const top = JSON.stringify(head, null, 2).replace(/\n}$/, '');
  return `${top},\n  "nodes": [\n${lines.join(',\n')}\n  ]\n}\n`;
}
