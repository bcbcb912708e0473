/**
 * The report page from synthetic data: self-contained (nothing to fetch), every method × target
 * cell present with its image, colour bar and stated scale, text escaped, and the external
 * reference check itself able to catch what it must.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildModel, graphFromBytes } from '../../src/onnx/builder.js';
import { summarizeModel } from '../../src/onnx/inspect.js';
import { renderReportHtml } from '../../src/render/report/html.js';
import { predictionChart } from '../../src/render/report/image-section.js';
import { externalReferences } from '../../src/render/report/self-contained.js';
import { type MapCell, type MethodReport, type Prediction, type ReportData, withoutImages } from '../../src/render/report/types.js';
import { fixedRange } from '../../src/render/scale.js';

const PNG = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

const summary = summarizeModel(
  graphFromBytes(buildModel({ inputs: [{ name: 'x', dims: [1, 3, 4, 4] }], outputs: ['y'], build: (b) => b.op('Relu', ['x'], {}, { outputs: ['y'] }) })),
);

const cat: Prediction = { index: 0, label: 'cat <tabby>', probability: 0.8, score: 2 };
const dog: Prediction = { index: 1, label: 'dog', probability: 0.2, score: 0.6 };

function cell(target: Prediction, delta?: number): MapCell {
  return {
    target,
    image: { png: PNG, width: 1, height: 1 },
    range: fixedRange('all', 0.5),
    colormap: 'rdbu',
    clipped: 0.01,
    stats: { min: -1, max: 1, sum: 0.25 },
    ...(delta === undefined ? {} : { delta }),
  };
}

function method(name: string, delta?: number): MethodReport {
  return {
    name,
    description: `${name} (paper)`,
    kind: 'gradient',
    settings: { steps: 7, baseline: 'zeros', window: [3, 8, 8] },
    display: { mode: 'blended', sign: 'all', reduction: 'sum', sharedAcrossTargets: true },
    timeMs: 1234,
    cells: [cell(cat, delta), cell(dog, delta)],
  };
}

const data: ReportData = {
  title: 'Test report',
  generated: '2025-01-01T00:00:00.000Z',
  lucernaVersion: '0.0.0',
  model: {
    name: 'tiny.onnx',
    source: 'onnx',
    summary,
    output: { name: 'y', kind: 'logits' },
    preprocessing: { size: [4, 4], normalization: 'unit' },
    labels: ['cat <tabby>', 'dog'],
    layer: { name: 'relu', shape: [1, 3, 4, 4], chosen: 'default' },
  },
  images: ['a.png', 'b & c.png'].map((file) => ({
    file,
    original: { width: 8, height: 8 },
    input: { png: PNG, width: 1, height: 1 },
    predictions: [cat, dog],
    targets: [cat, dog],
    methods: [method('integrated-gradients', 0.0123), method('grad-cam')],
  })),
  totalMs: 4321,
  notes: ['Scores are <logits>.'],
};

describe('renderReportHtml', () => {
  const html = renderReportHtml(data);

  it('references nothing outside the page: images are data URIs, no URLs, no fonts, no scripts', () => {
    assert.deepEqual(externalReferences(html), []);
    assert.doesNotMatch(html, /https?:|<script|<link|@import|@font-face|url\((?!#)/i);
    for (const m of html.matchAll(/<img [^>]*src="([^"]+)"/g)) assert.ok(m[1]?.startsWith('data:image/png;base64,'));
  });

  it('has one section per image and one map per method and target, besides the inputs', () => {
    assert.equal(html.match(/<section class="image"/g)?.length, 2);
    assert.equal(html.match(/<img [^>]*class="input"/g)?.length, 2);
    const maps = [...html.matchAll(/<img [^>]*class="map" data-method="([^"]+)" data-target="(\d+)"/g)].map((m) => `${m[1]}:${m[2]}`);
    assert.equal(maps.length, 2 * 2 * 2);
    assert.deepEqual([...new Set(maps)].sort(), ['grad-cam:0', 'grad-cam:1', 'integrated-gradients:0', 'integrated-gradients:1']);
    assert.equal(html.match(/<svg class="colorbar"/g)?.length, 8);
    assert.equal(html.match(/<figure class="chart">/g)?.length, 2, 'one prediction chart per image');
  });

  it('states settings, times, scales, clipping and the convergence delta', () => {
    for (const text of [
      '<b>steps</b> 7',
      '<b>window</b> [3, 8, 8]',
      '1.2 s',
      'signed, ±0.5 (fixed scale)',
      '1.0% of pixels beyond the scale',
      'convergence delta 0.0123',
      'integrated-gradients (paper)',
    ]) {
      assert.ok(html.includes(text), text);
    }
    assert.ok(html.includes('relu [1, 3, 4, 4] (default: last 4-D activation before global pooling)'));
  });

  it('escapes labels, file names and notes', () => {
    assert.ok(html.includes('cat &lt;tabby&gt;'));
    assert.ok(html.includes('b &amp; c.png'));
    assert.ok(html.includes('Scores are &lt;logits&gt;.'));
    assert.ok(!html.includes('<tabby>'));
  });

  it('gives every colour bar gradient a unique id', () => {
    const ids = [...html.matchAll(/<linearGradient id="([^"]+)"/g)].map((m) => m[1]);
    assert.equal(new Set(ids).size, ids.length);
  });

  it('the JSON form drops the images and keeps everything else', () => {
    const json = withoutImages(data);
    assert.equal(JSON.stringify(json).includes('data:image'), false);
    assert.equal(json.images[0]?.methods[0]?.cells[0]?.delta, 0.0123);
    assert.deepEqual(json.images[0]?.methods[0]?.cells[0]?.range, fixedRange('all', 0.5));
  });
});

describe('renderReportHtml: warnings', () => {
  it('draws a method warning (with its hint) and a run warning as callouts, escaped', () => {
    const warned: ReportData = {
      ...data,
      warnings: [{ message: 'one run <note>' }],
      images: data.images.map((image) => ({
        ...image,
        methods: image.methods.map((m) =>
          m.name === 'integrated-gradients'
            ? { ...m, warnings: [{ message: 'convergence delta 2.0 is 48% of the logit 4.2', hint: 'use --integration gauss-legendre or more --steps' }] }
            : m,
        ),
      })),
    };
    const html = renderReportHtml(warned);
    assert.equal(html.match(/<div class="callout warning" role="alert">/g)?.length, 2 + 1, 'one per image section, one in the header');
    assert.ok(
      html.includes(
        '<b>integrated-gradients</b>: convergence delta 2.0 is 48% of the logit 4.2<div class="hint">use --integration gauss-legendre or more --steps</div>',
      ),
    );
    assert.ok(html.includes('one run &lt;note&gt;'));
    assert.ok(!renderReportHtml(data).includes('class="callout'), 'no callout without warnings');
  });
});

describe('predictionChart', () => {
  it('draws one bar per prediction, proportional to its probability, and highlights the top one', () => {
    const svg = predictionChart([cat, dog]);
    const rects = [...svg.matchAll(/<rect [^>]*>/g)].map((m) => m[0]).filter((r) => /fill="#/.test(r));
    assert.equal(rects.length, 2, svg);
    const attr = (r: string, name: string) => (r.match(new RegExp(` ${name}="([^"]+)"`)) as RegExpMatchArray)[1] as string;
    const widths = rects.map((r) => Number(attr(r, 'width')));
    const fills = rects.map((r) => attr(r, 'fill'));
    assert.ok(Math.abs((widths[0] as number) / (widths[1] as number) - 4) < 0.05, `widths ${widths}`);
    assert.notEqual(fills[0], fills[1], 'the top prediction has its own colour');
    assert.ok(svg.includes('>80.0%<') && svg.includes('>20.0%<'));
    assert.ok(svg.includes('cat &lt;tabby&gt;') && !svg.includes('<tabby>'), 'labels escaped');
  });
});

describe('externalReferences', () => {
  it('finds links, scripts, stylesheets, CSS urls, imports and bare URLs; accepts data URIs and fragments', () => {
    const cases: [string, string[]][] = [
      ['<img src="data:image/png;base64,AAAA"><a href="#image-1">x</a><rect fill="url(#g)"/>', []],
      ['<img src="photo.png">', ['photo.png']],
      ['<link rel="stylesheet" href="https://cdn.example/a.css">', ['https://cdn.example/a.css']],
      ['<script src="//cdn.example/x.js"></script>', ['//cdn.example/x.js']],
      ['<style>body { background: url("bg.png") }</style>', ['bg.png']],
      ["<style>@import 'fonts.css';</style>", ['fonts.css']],
      ['<p>see http://example.org</p>', ['http://example.org']],
    ];
    for (const [html, expected] of cases) assert.deepEqual(externalReferences(html), expected, html);
  });

  it('makes renderReportHtml refuse to produce a page with an external image', () => {
    const bad: ReportData = {
      ...data,
      images: [{ ...(data.images[0] as ReportData['images'][0]), input: { png: 'http://example.org/x.png', width: 1, height: 1 } }],
    };
    assert.throws(() => renderReportHtml(bad), /external resources \(http:\/\/example\.org\/x\.png\)/);
  });
});
