/**
 * The report's model section: what the model is, what it outputs, how images are prepared, and
 * (folded) every node with its output shape, from `summarizeModel`.
 */
import type { ModelSummary, NodeSummary } from '../../onnx/inspect.js';
import { escapeHtml } from './escape.js';
import { settingsTable } from './table.js';
import type { ReportModel, SettingValue } from './types.js';

function shapeText(shape: readonly (number | string)[] | undefined): string {
  return shape ? `[${shape.join(', ')}]` : '?';
}

function ioRows(list: ModelSummary['inputs']): string {
  return list
    .map((t) => `<tr><td><code>${escapeHtml(t.name)}</code></td><td>${escapeHtml(t.type)}</td><td>${escapeHtml(shapeText(t.dims))}</td></tr>`)
    .join('');
}

function nodeRows(nodes: readonly NodeSummary[]): string {
  return nodes
    .map((n, i) => {
      const outs = n.outputs.map(
        (o) => `<code>${escapeHtml(o.name)}</code> ${escapeHtml(shapeText(o.shape))}${o.cam === 'default' ? ' <b>(CAM default)</b>' : ''}`,
      );
      return `<tr><td>${i + 1}</td><td>${escapeHtml(n.opType)}</td><td><code>${escapeHtml(n.name)}</code></td><td>${outs.join('<br>')}</td></tr>`;
    })
    .join('');
}

/**
 * The model section's HTML.
 *
 * @example
 * ```ts
 * const html = modelSection(report.model);
 * ```
 */
export function modelSection(model: ReportModel): string {
  const s = model.summary;
  const source = { bundled: 'bundled model', onnx: 'ONNX file', tfjs: 'TF.js LayersModel, converted to ONNX for this run' }[model.source];
  const facts: Record<string, SettingValue> = {
    model: `${model.name} (${source})`,
    producer: [s.producer || 'unknown', s.producerVersion].filter((x) => x).join(' '),
    format: `ONNX IR ${s.irVersion}, opset ${s.opset}`,
    parameters: `${s.parameters.toLocaleString('en-US')} in ${s.initializers} initializers`,
    output: `${model.output.name} (${model.output.kind})`,
    classes: `${model.labels.length}: ${model.labels.slice(0, 12).join(', ')}${model.labels.length > 12 ? ', …' : ''}`,
    ...(model.layer
      ? {
          'CAM layer': `${model.layer.name} ${shapeText(model.layer.shape)}${model.layer.chosen === 'default' ? ' (default: last 4-D activation before global pooling)' : ' (given)'}`,
        }
      : {}),
  };
  const ops = Object.entries(s.opCounts)
    .map(([op, n]) => `${escapeHtml(op)} ${n}`)
    .join(', ');
  return `<section class="model"><h2>Model</h2><div class="row">
<div>${settingsTable(facts)}</div>
<div><h3>Preprocessing</h3>${settingsTable(model.preprocessing)}</div>
<div><h3>Inputs and outputs</h3><div class="table-wrap"><table class="list"><tr><th>name</th><th>type</th><th>shape</th></tr>${ioRows(s.inputs)}${ioRows(s.outputs)}</table></div></div>
</div>
<details><summary>${s.nodes.length} nodes (${ops})</summary><div class="table-wrap"><table class="list nodes"><tr><th>#</th><th>op</th><th>node</th><th>outputs</th></tr>${nodeRows(s.nodes)}</table></div></details>
</section>`;
}
