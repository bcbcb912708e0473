/**
 * The dissection report's per-category charts: drawn for a layer with interpretable units; a layer
 * with none says so in a sentence and draws no empty chart.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dissectionReportHtml, type ReportLayer } from '../../src/dissection/report.js';
import { countDetectors } from '../../src/dissection/score.js';
import { unitRow } from '../helpers/dissect-fixtures.js';

function layer(name: string, scores: readonly number[]): ReportLayer {
  const rows = scores.map((s, k) => unitRow(k + 1, k % 2 ? 'part' : 'color', k % 2 ? 'head' : 'red', s, 1));
  return { layer: name, counts: countDetectors(rows, ['color', 'part'], 0.04), rows, images: new Map() };
}

/** The HTML of the section with `id`, up to the next section. */
function section(html: string, id: string): string {
  const start = html.indexOf(`id="${id}"`);
  assert.ok(start >= 0, `no section ${id}`);
  const end = html.indexOf('<section', start);
  return html.slice(start, end < 0 ? undefined : end);
}

describe('dissection report charts', () => {
  it('a layer without interpretable units gets a sentence, not empty charts', async () => {
    const html = await dissectionReportHtml('m.onnx', [layer('weak', [0.01, 0.03, 0.0])]);
    const weak = section(html, 'layer-0');
    assert.match(weak, /None of the 3 units reaches IoU ≥ 0\.04, so no unit is interpretable/);
    assert.doesNotMatch(weak, /<svg/);
    assert.doesNotMatch(weak, /Interpretable units per category/);
  });

  it('a layer with interpretable units gets both bar charts; its neighbour without any still gets the sentence', async () => {
    const html = await dissectionReportHtml('m.onnx', [layer('strong', [0.3, 0.12, 0.01]), layer('weak', [0.02])]);
    const strong = section(html, 'layer-0');
    assert.match(strong, /Interpretable units per category/);
    assert.match(strong, /Unique detectors per category/);
    assert.equal(strong.match(/<svg/g)?.length, 2);
    assert.doesNotMatch(strong, /no unit is interpretable/);
    const weak = section(html, 'layer-1');
    assert.match(weak, /The one unit of this layer does not reach IoU ≥ 0\.04, so no unit is interpretable/);
    assert.doesNotMatch(weak, /<svg/);
  });
});
