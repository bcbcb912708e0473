/**
 * Graph composition: a prefix graph whose output feeds a model's input, merged into one graph.
 *
 * Methods that optimise something upstream of the model (a perturbation mask, a parameterised
 * image) build the upstream computation as a small ONNX prefix and compose it with the model, so
 * the gradient compiler differentiates straight through both and one session runs them.
 */
import { LucernaError } from '../errors.js';
import type { Graph, ValueInfo } from './graph.js';
import type { NodeProto } from './proto.js';
import { formatShapeList } from './shape-format.js';
import { upgradeOpset } from './upgrade.js';

/** Options of {@link composeGraphs}. */
export interface ComposeOptions {
  /** The prefix output that feeds the model (default: the prefix's only output). */
  readonly from?: string;
  /** The model input it replaces (default: the model's primary input). */
  readonly to?: string;
}

function resolveLink(prefix: Graph, model: Graph, options: ComposeOptions): { from: string; to: string } {
  const outputs = prefix.outputs.map((o) => o.name);
  const from = options.from ?? (outputs.length === 1 ? outputs[0] : undefined);
  if (!from || !outputs.includes(from)) {
    throw new LucernaError(
      'BAD_OPTION',
      options.from ? `The prefix graph has no output "${options.from}"` : `The prefix graph has ${outputs.length} outputs; say which one feeds the model`,
      `Prefix outputs: ${outputs.join(', ') || 'none'}`,
    );
  }
  const to = options.to ?? model.primaryInput().name;
  if (!model.inputs.some((i) => i.name === to)) {
    throw new LucernaError('BAD_OPTION', `The model has no input "${to}"`, `Model inputs: ${model.inputs.map((i) => i.name).join(', ')}`);
  }
  return { from, to };
}

/** Checks that the linked tensors agree wherever both shapes are known. */
function checkLinkShapes(from: ValueInfo | undefined, to: ValueInfo | undefined): void {
  if (!from || !to || from.dims.length === 0) return;
  const clash = from.dims.length !== to.dims.length || from.dims.some((d, i) => typeof d === 'number' && typeof to.dims[i] === 'number' && d !== to.dims[i]);
  if (clash) {
    throw new LucernaError(
      'BAD_SHAPE',
      `The prefix output "${from.name}" ${formatShapeList(from.dims)} cannot feed the model input "${to.name}" ${formatShapeList(to.dims)}`,
    );
  }
}

/** Every name a graph uses: tensors, initializers and node names. */
function usedNames(g: Graph): Set<string> {
  return new Set([...g.tensorNames(), ...g.initializers.keys(), ...g.nodes.map((n) => n.name ?? '')]);
}

/**
 * A renaming of the prefix's internal names (node outputs, initializers, node names) that clash
 * with `taken`. Prefix inputs keep their names: the caller feeds them, so a clash is an error.
 */
function clashRenaming(prefix: Graph, taken: Set<string>): Map<string, string> {
  for (const i of prefix.inputs) {
    if (taken.has(i.name)) throw new LucernaError('BAD_OPTION', `The prefix input "${i.name}" is also a name in the model`, 'Rename the prefix input');
  }
  const all = usedNames(prefix);
  const renaming = new Map<string, string>();
  for (const name of all) {
    if (!name || !taken.has(name)) continue;
    let fresh = `prefix/${name}`;
    for (let k = 1; taken.has(fresh) || all.has(fresh); k++) fresh = `prefix/${name}_${k}`;
    taken.add(fresh);
    renaming.set(name, fresh);
  }
  return renaming;
}

function renamed(prefix: Graph, renaming: Map<string, string>): { nodes: NodeProto[]; initializers: Graph['initializers'] } {
  const re = (n: string) => renaming.get(n) ?? n;
  const nodes = prefix.nodes.map((n) => ({ ...n, name: re(n.name ?? ''), input: (n.input ?? []).map(re), output: (n.output ?? []).map(re) }));
  const initializers: Graph['initializers'] = new Map();
  for (const [name, t] of prefix.initializers) initializers.set(re(name), renaming.has(name) ? { ...t, name: re(name) } : t);
  return { nodes, initializers };
}

/**
 * Composes `prefix` with `model`: the prefix output `from` feeds the model input `to`, through an
 * Identity that keeps `to` as a tensor name (so layer names, `wrt` names and reads of the model
 * still resolve). The result's inputs are the prefix inputs plus the model's other inputs; its
 * outputs are the model's. Both graphs are upgraded to the higher opset of the two; prefix names
 * that clash with the model's are renamed under `prefix/`. Neither argument is modified.
 *
 * @example
 * ```ts
 * const composed = composeGraphs(maskPrefix, prepared.graph); // input: the mask, output: the logits
 * const model = Model.fromGraph(composed, { runtime: nodeRuntime });
 * ```
 */
export function composeGraphs(prefix: Graph, model: Graph, options: ComposeOptions = {}): Graph {
  const { from, to } = resolveLink(prefix, model, options);
  checkLinkShapes(
    prefix.outputs.find((o) => o.name === from),
    model.inputs.find((i) => i.name === to),
  );
  const opset = Math.max(prefix.opset, model.opset);
  const head = upgradeOpset(prefix.clone(), opset);
  const out = upgradeOpset(model.clone(), opset);
  const taken = usedNames(out);
  const renaming = clashRenaming(head, taken);
  const { nodes, initializers } = renamed(head, renaming);
  let linkName = `prefix/link_to_${to}`;
  const prefixNames = usedNames(head);
  while (taken.has(linkName) || prefixNames.has(linkName)) linkName = `${linkName}_`;
  const link: NodeProto = { name: linkName, opType: 'Identity', domain: '', input: [renaming.get(from) ?? from], output: [to], attribute: [] };
  out.nodes = [...nodes, link, ...out.nodes];
  for (const [name, t] of initializers) out.initializers.set(name, t);
  out.inputs = [...head.inputs, ...out.inputs.filter((i) => i.name !== to)];
  out.invalidate();
  return out;
}
