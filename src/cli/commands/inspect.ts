/**
 * `lucerna inspect <model.onnx> [--json] [--shape 1x3x224x224]`: what is in a model. Inputs and
 * outputs, every node with its output shapes (learned by one probe run), parameter count and the
 * layers Grad-CAM can explain, with the one CAM methods pick by default.
 */
import type { Command } from 'commander';
import { defaultCamLayer } from '../../attribution/layers.js';
import { defaultModelPath } from '../../convert/nsfwjs.js';
import { Model } from '../../engine/model.js';
import { nodeRuntime } from '../../engine/node.js';
import { isLucernaError } from '../../errors.js';
import { readBytes } from '../../io/files.js';
import { graphFromBytes } from '../../onnx/builder.js';
import type { ValueInfo } from '../../onnx/graph.js';
import { type ModelSummary, type NodeSummary, type OutputSummary, type SummaryOptions, summarizeModel, symbolicInputDims } from '../../onnx/inspect.js';
import { formatShapeList } from '../../onnx/shape-format.js';
import { parseShape } from '../options.js';
import { formatCount, formatPairs, formatTable } from '../table.js';

/** Options of `lucerna inspect`. */
export interface InspectOptions {
  readonly json?: boolean;
  /** Input shape to probe with; needed when a non-batch input dim is symbolic. */
  readonly shape?: string;
}

/**
 * Registers `inspect` on the program.
 *
 * @example
 * ```ts
 * registerInspect(program); // lucerna inspect model.onnx --json
 * ```
 */
export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description('show inputs, outputs, every node with its output shape, the parameter count and Grad-CAM layers')
    .argument('[model]', 'ONNX model file (default: the bundled MobileNetV2 from nsfwjs)')
    .option('--json', 'print the summary as JSON')
    .option('--shape <dims>', 'input shape to probe with, e.g. 1x3x224x224 (needed when H or W is symbolic)')
    .action(async (given: string | undefined, options: InspectOptions) => {
      const file = given ?? (await defaultModelPath({ logits: true }));
      const summary = await inspectModelFile(file, options);
      process.stdout.write(options.json ? `${JSON.stringify({ file, ...summary }, null, 2)}\n` : `${formatSummary(file, summary)}\n`);
    });
}

/**
 * Reads and summarises a model file. Files that are not ONNX fail; a model that cannot be run
 * still gets a summary, with the reason its shapes are unknown.
 *
 * @example
 * ```ts
 * const summary = await inspectModelFile('resnet18.onnx');
 * summary.defaultCamLayer; // '/layer4/layer4.1/relu_1/Relu_output_0'
 * ```
 */
export async function inspectModelFile(file: string, options: InspectOptions = {}): Promise<ModelSummary> {
  const shape = options.shape === undefined ? undefined : parseShape(options.shape, '--shape');
  const bytes = await readBytes(file, 'the model');
  const graph = graphFromBytes(bytes, file);
  return summarizeModel(graph, await probeShapes(bytes, file, shape));
}

function symbolicReason(input: ValueInfo): string | undefined {
  const symbolic = symbolicInputDims(input);
  if (symbolic.length === 0) return undefined;
  const example = input.dims.map((d, i) => (i === 0 ? '1' : typeof d === 'number' ? String(d) : `<${d.startsWith('?') ? `dim${i}` : d}>`)).join('x');
  return `the input ${formatShapeList(input.dims)} has symbolic non-batch dims (${symbolic.map((s) => s.name).join(', ')}); pass --shape ${example} to probe them`;
}

/** Prepares the model for one input shape; without --shape, failures become "shapes unknown". */
async function probeShapes(bytes: Uint8Array, file: string, shape: number[] | undefined): Promise<SummaryOptions> {
  const unknown = (e: unknown): SummaryOptions => {
    if (shape || !isLucernaError(e)) throw e;
    return { shapesUnknown: e.message };
  };
  let model: Model;
  try {
    model = await Model.load(bytes, { runtime: nodeRuntime, name: file });
  } catch (e) {
    return unknown(e);
  }
  try {
    const reason = shape ? undefined : symbolicReason(model.input);
    if (reason) return { shapesUnknown: reason };
    const inputShape = shape ?? model.inputShape(1);
    const prepared = await model.prepare(inputShape);
    const camLayer = await defaultCamLayer(model, inputShape).catch(() => undefined);
    return { prepared, ...(camLayer ? { defaultCamLayer: camLayer } : {}) };
  } catch (e) {
    return unknown(e);
  } finally {
    await model.dispose();
  }
}

function shapeText(shape: readonly (number | string)[] | undefined): string {
  return shape ? formatShapeList(shape) : '?';
}

function note(o: OutputSummary): string {
  if (o.cam === 'default') return 'grad-cam (default)';
  if (o.cam === 'layer') return 'grad-cam';
  return o.constant ? 'constant' : '';
}

function nodeRows(nodes: readonly NodeSummary[]): string[][] {
  return nodes.flatMap((n, i) =>
    (n.outputs.length ? n.outputs : [undefined]).map((o, k) => [
      k === 0 ? String(i + 1) : '',
      k === 0 ? (n.domain ? `${n.domain}.${n.opType}` : n.opType) : '',
      k === 0 ? n.name : '',
      o?.name ?? '',
      o?.type ?? '',
      o ? shapeText(o.shape) : '',
      o ? note(o) : '',
    ]),
  );
}

/**
 * The human-readable report of `lucerna inspect`.
 *
 * @example
 * ```ts
 * console.log(formatSummary('model.onnx', summary));
 * ```
 */
export function formatSummary(file: string, s: ModelSummary): string {
  const producer = [s.producer || 'unknown', s.producerVersion].filter((x) => x).join(' ');
  const others = s.otherOpsets.map((o) => `, ${o.domain} ${o.version}`).join('');
  const header = formatPairs([
    ['model', file],
    ['producer', producer],
    ['format', `ONNX IR ${s.irVersion}, opset ${s.opset}${others}`],
    ['parameters', `${formatCount(s.parameters)} in ${s.initializers} initializers`],
  ]);
  const io = (title: string, list: ModelSummary['inputs']) =>
    `${title}\n${formatTable(
      [{ header: 'name' }, { header: 'type' }, { header: 'declared' }, { header: 'shape' }],
      list.map((t) => [t.name, t.type, formatShapeList(t.dims), shapeText(t.shape)]),
      '  ',
    )}`;
  const shapes = s.shapes.probed ? `shapes for input ${formatShapeList(s.shapes.inputShape)}` : `shapes unknown: ${s.shapes.reason}`;
  const ops = Object.entries(s.opCounts)
    .map(([op, n]) => `${op} ${n}`)
    .join(', ');
  const table = formatTable(
    [{ header: '#', align: 'right' }, { header: 'op' }, { header: 'node' }, { header: 'output' }, { header: 'type' }, { header: 'shape' }, { header: 'note' }],
    nodeRows(s.nodes),
    '  ',
  );
  const cam = s.shapes.probed
    ? `grad-cam layers: ${s.camLayers.length} (float 4-D activations with h·w > 1)${s.defaultCamLayer ? `; default ${s.defaultCamLayer}` : '; no default'}`
    : 'grad-cam layers: unknown until the shapes are known';
  return [header, '', io('inputs', s.inputs), io('outputs', s.outputs), '', `nodes: ${s.nodes.length} (${ops}); ${shapes}`, table, '', cam].join('\n');
}
