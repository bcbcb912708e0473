/**
 * The evaluation page from a synthetic summary: a title from the model's name (not its path), the
 * score table with the best cell marked, example maps per method, full-width charts, callouts for
 * per-method warnings, and the settings as a table rather than JSON.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EvaluationSummary } from '../../src/metrics/summary.js';
import { metricInfo } from '../../src/metrics/summary.js';
import { evaluationPage } from '../../src/render/report/evaluation.js';
import { externalReferences } from '../../src/render/report/self-contained.js';
import { fixedRange } from '../../src/render/scale.js';

const PNG = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

const summary: EvaluationSummary = {
  model: '/home/u/.cache/lucerna/models/0123abcd/model.onnx',
  methods: ['saliency', 'grad-cam'],
  metrics: [metricInfo('deletion'), metricInfo('randomization')],
  images: { evaluated: 2, skipped: [{ file: 'bad.png', reason: 'Cannot decode' }] },
  settings: { target: 'argmax', batchSize: 16, methodOptions: {}, curve: { steps: 4, score: 'probability', deletionBaseline: 'zeros' } },
  table: [
    { method: 'saliency', metric: 'deletion', mean: 0.4, stderr: 0.01, n: 2, better: 'lower' },
    { method: 'saliency', metric: 'randomization', mean: 0.5, stderr: 0.02, n: 2, better: 'lower' },
    { method: 'grad-cam', metric: 'deletion', mean: 0.3, stderr: 0.01, n: 2, better: 'lower' },
    { method: 'grad-cam', metric: 'randomization', mean: 0.6, stderr: 0.02, n: 1, better: 'lower' },
  ],
  curves: { deletion: { x: [0, 0.5, 1], methods: { saliency: [0.9, 0.6, 0.5], 'grad-cam': [0.9, 0.4, 0.5] } } },
  randomization: {
    cascading: {
      layers: ['dense', 'conv'],
      methods: {
        saliency: { spearman: [0.5, 0.2], spearmanAbs: [0.6, 0.3], ssim: [0.4, 0.1] },
        'grad-cam': { spearman: [-0.2, 0.1], spearmanAbs: [0.3, 0.2], ssim: [0.2, 0.1] },
      },
    },
  },
};

const examples = ['a.png', 'b.png'].map((file) => ({
  file,
  target: { index: 2, label: 'cat' },
  input: { png: PNG, width: 16, height: 16 },
  maps: summary.methods.map((method) => ({ method, image: { png: PNG, width: 16, height: 16 }, range: fixedRange('all', 1), colormap: 'rdbu', clipped: 0 })),
}));

describe('evaluationPage', () => {
  const html = evaluationPage(summary, {
    modelName: 'bundled MobileNetV2',
    examples,
    warnings: { saliency: [{ message: 'delta is 48% of the logit', hint: 'use more steps' }] },
  });

  it('is titled by the model name, not its cache path, and is self-contained', () => {
    assert.ok(html.includes('<title>Lucerna evaluation: bundled MobileNetV2</title>'));
    assert.doesNotMatch(html.slice(0, html.indexOf('</header>')), /\.cache/);
    assert.deepEqual(externalReferences(html), []);
    assert.ok(evaluationPage(summary).includes('<title>Lucerna evaluation: model.onnx</title>'), 'default: the file name');
  });

  it('marks the best mean of each column and notes a smaller n', () => {
    assert.match(html, /<td class="num best">0\.3 ± 0\.01<\/td>/);
    assert.match(html, /<td class="num best">0\.5 ± 0\.02<\/td>/);
    assert.ok(html.includes('(n=1)'));
  });

  it('shows every method on the first images, with colour bars', () => {
    const maps = [...html.matchAll(/class="map" data-method="([^"]+)" data-image="([^"]+)"/g)].map((m) => `${m[2]}:${m[1]}`);
    assert.deepEqual(maps, ['a.png:saliency', 'a.png:grad-cam', 'b.png:saliency', 'b.png:grad-cam']);
    assert.equal(html.match(/<svg class="colorbar"/g)?.length, 4);
    assert.ok(html.includes('explaining cat (class 2)'));
  });

  it('draws the curves and the three randomization measures as full-width charts', () => {
    assert.equal(html.match(/<figure class="chart">/g)?.length, 1 + 3);
    assert.equal(html.match(/viewBox="0 0 1200 340"/g)?.length, 4);
  });

  it('shows method warnings as callouts and the skipped inputs', () => {
    assert.ok(html.includes('<div class="callout warning" role="alert">'));
    assert.ok(html.includes('<b>saliency</b>: delta is 48% of the logit<div class="hint">use more steps</div>'));
    assert.ok(html.includes('1 skipped input'));
  });

  it('lists the settings as a table, not JSON', () => {
    assert.doesNotMatch(html, /<pre>|&quot;/);
    assert.ok(html.includes('<tr><th>batch size</th><td>16</td></tr>'));
    assert.ok(html.includes('<tr><th>curve <span class="muted">·</span> deletion baseline</th><td>zeros</td></tr>'));
    assert.ok(html.includes('<tr><th>methods</th><td>saliency, grad-cam</td></tr>'));
  });
});
