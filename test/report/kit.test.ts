/**
 * The report kit's pieces on their own: escaping, number formatting, tables and the settings table,
 * charts (value axis from 0, one colour per series across charts, escaping), tiles, callouts and the
 * page shell (self-contained, refuses external references).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  callout,
  chart,
  chartSvg,
  escapeHtml,
  formatCount,
  formatMs,
  formatPercent,
  formatValue,
  heatmapTile,
  humanKey,
  page,
  raw,
  settingsTable,
  settingText,
  table,
  tileGrid,
} from '../../src/render/report/index.js';
import { fixedRange } from '../../src/render/scale.js';

const PNG = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

/** The y-axis tick labels of a Plot chart, bottom to top as drawn. */
function yTicks(svg: string): number[] {
  const group = svg.match(/aria-label="y-axis tick label"[^>]*>(.*?)<\/g>/s)?.[1] ?? '';
  return [...group.matchAll(/>([−\-\d.]+)<\/text>/g)].map((m) => Number((m[1] as string).replace('−', '-')));
}

describe('escaping and formatting', () => {
  it('escapes the five HTML specials', () => {
    assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
  it('formats values, percentages, durations and counts', () => {
    assert.equal(formatValue(0.123456), '0.123');
    assert.equal(formatValue(123456), '1.23e5');
    assert.equal(formatValue(Number.NaN), '–');
    assert.equal(formatValue(Number.NEGATIVE_INFINITY), '-∞');
    assert.equal(formatPercent(0.5), '50.0%');
    assert.equal(formatMs(999), '999 ms');
    assert.equal(formatMs(1500), '1.5 s');
    assert.equal(formatCount(1, 'image'), '1 image');
    assert.equal(formatCount(1200, 'image'), '1,200 images');
  });
});

describe('table and settingsTable', () => {
  it('escapes text, formats and right-aligns numbers, keeps raw markup, marks row headings', () => {
    const html = table(
      [
        ['<b>', 0.000123456, raw('<i>ok</i>')],
        ['x', { value: 2, className: 'best' }, 'y'],
      ],
      { columns: ['name', 'value', 'note'], rowHeaders: true },
    );
    assert.ok(html.includes('<th>&lt;b&gt;</th><td class="num">1.23e-4</td><td><i>ok</i></td>'), html);
    assert.ok(html.includes('<td class="num best">2</td>'));
    assert.ok(html.includes('<thead><tr><th>name</th><th>value</th><th>note</th></tr></thead>'));
    assert.ok(html.startsWith('<div class="table-wrap">'), 'wide tables scroll in their own box');
  });
  it('writes settings as readable rows, one level of groups flattened, never JSON', () => {
    const html = settingsTable({
      batchSize: 16,
      target: 'argmax',
      methodOptions: {},
      curve: { steps: 100, deletionBaseline: { constant: 0.5 } },
      window: [3, 8, 8],
    });
    for (const row of [
      '<tr><th>batch size</th><td>16</td></tr>',
      '<tr><th>target</th><td>argmax</td></tr>',
      '<tr><th>method options</th><td>none</td></tr>',
      '<tr><th>curve <span class="muted">·</span> steps</th><td>100</td></tr>',
      '<tr><th>curve <span class="muted">·</span> deletion baseline</th><td>constant 0.5</td></tr>',
      '<tr><th>window</th><td>[3, 8, 8]</td></tr>',
    ]) {
      assert.ok(html.includes(row), row);
    }
    assert.doesNotMatch(html, /[{}]|&quot;/);
  });
  it('settingText and humanKey', () => {
    assert.equal(settingText([1, 2]), '[1, 2]');
    assert.equal(settingText({ kind: 'square', size: 4 }), 'kind square, size 4');
    assert.equal(settingText(undefined), 'none');
    assert.equal(humanKey('squareSize'), 'square size');
    assert.equal(humanKey('CAM layer'), 'CAM layer');
  });
});

describe('chart', () => {
  const points = [
    { x: 0, y: 0.6, series: 'a' },
    { x: 1, y: 0.9, series: 'a' },
    { x: 0, y: 0.7, series: 'b <c>' },
    { x: 1, y: 0.8, series: 'b <c>' },
  ];
  it('draws a line chart whose value axis starts at 0 even when the data do not', () => {
    const svg = chart({ kind: 'line', title: 'Deletion', data: points, y: { label: 'score' } });
    const ticks = yTicks(svg);
    assert.equal(ticks[0], 0, `ticks ${ticks}`);
    assert.ok((ticks.at(-1) as number) >= 0.9);
    assert.ok(svg.startsWith('<figure class="chart"><figcaption class="chart-title">Deletion</figcaption>'));
    assert.match(svg, /<svg[^>]*viewBox="0 0 1200 340"/, 'drawn at a fixed size, scaled by CSS to the full width');
    assert.ok(svg.includes('b &lt;c&gt;') && !svg.includes('<c>'), 'series names escaped in the legend');
  });
  it('goes below 0 only when the data do', () => {
    const ticks = yTicks(chart({ kind: 'line', data: [...points, { x: 2, y: -0.3, series: 'a' }] }));
    assert.ok((ticks[0] as number) <= -0.3, `ticks ${ticks.join(' ')}`);
  });
  it('keeps one colour per series across charts when given the series list', () => {
    const colourOf = (svg: string, name: string) => svg.match(new RegExp(`fill="(#[0-9a-f]{6})"[^>]*>.*?</svg>${name}`))?.[1];
    const both = chart({ kind: 'line', data: points, series: ['a', 'b <c>'] });
    const onlyB = chart({ kind: 'line', data: points.filter((p) => p.series !== 'a'), series: ['a', 'b <c>'] });
    assert.ok(colourOf(both, 'b &lt;c&gt;'));
    assert.equal(colourOf(both, 'b &lt;c&gt;'), colourOf(onlyB, 'b &lt;c&gt;'));
  });
  it('writes a stand-alone SVG file for one series, and refuses several', () => {
    const svg = chartSvg({ kind: 'line', title: 'loss <x>', data: [1, 0.5, 0.25].map((y, i) => ({ x: i + 1, y })), width: 640, height: 300 });
    assert.match(
      svg,
      /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="640" height="328" viewBox="0 0 640 328"><rect width="100%" height="100%" fill="white"\/>/,
    );
    assert.ok(svg.includes('>loss &lt;x&gt;</text>'));
    assert.equal(yTicks(svg)[0], 0);
    assert.throws(() => chartSvg({ kind: 'line', data: points }), /one series/);
  });
  it('writes several series to a stand-alone SVG when each line is labelled at its end', () => {
    const svg = chartSvg({ kind: 'line', data: points, labelSeries: true, width: 640, height: 300 });
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="640"/);
    assert.ok(!svg.includes('<div'), 'no HTML legend inside the SVG');
    assert.ok(svg.includes('>a</text>') && svg.includes('>b &lt;c&gt;</text>'), 'both series named');
  });
  it('refuses an unknown kind', () => {
    assert.throws(
      () => chart({ kind: 'pie' as 'line', data: points }),
      (e) => e instanceof Error && /Unknown chart kind "pie"/.test(e.message),
    );
  });
});

describe('tiles, callouts and the page shell', () => {
  it('a tile holds its image, colour bar and escaped caption, and never exceeds its box', () => {
    const tile = heatmapTile({
      image: { png: PNG, width: 224, height: 224 },
      alt: 'map <1>',
      title: 'grad-cam',
      imageClass: 'map',
      data: { method: 'grad-cam', target: 3 },
      scale: { colormap: 'inferno', range: fixedRange('positive', 2), clipped: 0, id: 't' },
      caption: ['a < b'],
    });
    assert.match(
      tile,
      /<img src="data:image\/png;base64,[^"]+" width="224" height="224" alt="map &lt;1&gt;" class="map" data-method="grad-cam" data-target="3">/,
    );
    assert.ok(tile.includes('<svg class="colorbar"'));
    assert.ok(tile.includes('<div>a &lt; b</div>'));
    assert.match(tileGrid([tile]), /grid-template-columns:repeat\(auto-fill,minmax\(min\(180px,100%\),1fr\)\)/);
  });
  it('a callout shows the warning and its hint, escaped', () => {
    const html = callout({ message: 'delta 2.0 > 5% of <logit>', hint: 'use --integration gauss-legendre' }, { title: 'integrated-gradients' });
    assert.ok(html.startsWith('<div class="callout warning" role="alert">'));
    assert.ok(html.includes('<b>integrated-gradients</b>: delta 2.0 &gt; 5% of &lt;logit&gt;'));
    assert.ok(html.includes('<div class="hint">use --integration gauss-legendre</div>'));
  });
  it('a page is one self-contained document with the title, sections and inline CSS', () => {
    const html = page('Run <1>', [{ title: 'Scores', id: 'scores', body: table([['a', 1]]) }, '<section>raw</section>'], {
      subtitle: 's & t',
      version: '9.9.9',
    });
    assert.ok(html.startsWith('<!DOCTYPE html>'));
    assert.ok(html.includes('<title>Run &lt;1&gt;</title>') && html.includes('<h1>Run &lt;1&gt;</h1>'));
    assert.ok(html.includes('<section id="scores"><h2>Scores</h2>'));
    assert.ok(html.includes('<section>raw</section>'));
    assert.ok(html.includes('<div class="muted">s &amp; t</div>'));
    assert.match(html, /<style>[^<]*\.tiles \{ display: grid;/);
    assert.throws(() => page('x', ['<img src="https://example.org/a.png">']), /external resources/);
  });
});
