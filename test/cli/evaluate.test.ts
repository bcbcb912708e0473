/**
 * `lucerna evaluate` end to end on a small CNN and a folder of generated images and masks: the
 * report with its JSON and CSV, a skipped unreadable image, one-line errors for bad input, and a
 * clean stop on Ctrl-C that writes nothing.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { encodeRgbPng } from '../../src/io/image.js';
import { metricNames } from '../../src/metrics/registry.js';
import { buildModel } from '../../src/onnx/builder.js';
import { normalFrom, seededRandom } from '../../src/tensor/random.js';
import { assertOneLineError, lucerna, lucernaWith, stderrLines } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'lucerna-eval-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A CNN [N, 3, 16, 16] → [N, 3]: Conv 3×3 → Relu → GlobalAveragePool → Flatten → Gemm. */
function smallCnn(): Uint8Array {
  const normal = normalFrom(seededRandom(9));
  const conv = Float32Array.from({ length: 4 * 3 * 9 }, () => normal() * 0.4);
  const dense = Float32Array.from({ length: 4 * 3 }, () => normal());
  return buildModel({
    inputs: [{ name: 'x', dims: ['N', 3, 16, 16] }],
    outputs: ['logits'],
    build: (b) => {
      const c = b.op(
        'Conv',
        ['x', b.weight('conv.w', conv, [4, 3, 3, 3]), b.weight('conv.b', [0.1, 0, -0.1, 0.2], [4])],
        { pads: [1, 1, 1, 1] },
        { name: 'conv' },
      );
      const r = b.op('Relu', [c], {}, { outputs: ['features'] });
      const g = b.op('GlobalAveragePool', [r]);
      const f = b.op('Flatten', [g], { axis: 1 });
      b.op('Gemm', [f, b.weight('dense.w', dense, [4, 3]), b.weight('dense.b', [0, 0.1, -0.1], [3])], {}, { outputs: ['logits'], name: 'dense' });
    },
  });
}

/** A random RGB image (with a bright square) as PNG bytes. */
async function imagePng(width: number, height: number, seed: number): Promise<Uint8Array> {
  const next = seededRandom(seed);
  const rgb = Uint8Array.from({ length: width * height * 3 }, () => Math.floor(next() * 120));
  for (let y = 2; y < 8; y++) for (let x = 2; x < 8; x++) for (let c = 0; c < 3; c++) rgb[(y * width + x) * 3 + c] = 250;
  return encodeRgbPng(rgb, width, height);
}

/** A mask PNG: white in rows and columns 2..7, black elsewhere. */
async function maskPng(width: number, height: number): Promise<Uint8Array> {
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 2; y < 8; y++) for (let x = 2; x < 8; x++) rgb.fill(255, (y * width + x) * 3, (y * width + x) * 3 + 3);
  return encodeRgbPng(rgb, width, height);
}

const model = join(dir, 'cnn.onnx');
writeFileSync(model, smallCnn());
const images = join(dir, 'images');
const masks = join(dir, 'masks');
mkdirSync(images);
mkdirSync(masks);
for (const [name, w, h] of [
  ['a', 16, 16],
  ['b', 16, 16],
  ['c', 20, 18],
] as const) {
  writeFileSync(join(images, `${name}.png`), await imagePng(w, h, name.charCodeAt(0)));
  writeFileSync(join(masks, `${name}.png`), await maskPng(w, h));
}
writeFileSync(join(images, 'notes.txt'), 'not an image, ignored');

/** Every registered metric: the full run below is the metrics' conformance run. */
const ALL_METRICS = metricNames().join(',');
const FAST = ['--curve-steps', '16', '--infidelity-samples', '8', '--sensitivity-samples', '3', '--stages', '2'];

describe('lucerna evaluate', () => {
  it('writes the HTML report with the table and figures, and the same table as JSON and CSV', async () => {
    const out = join(dir, 'run1', 'report.html');
    const run = await lucerna(
      'evaluate',
      model,
      '--input',
      images,
      '--ground-truth',
      masks,
      '--methods',
      'saliency,grad-cam',
      '--metrics',
      ALL_METRICS,
      '--out',
      out,
      '--json',
      ...FAST,
    );
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '', 'quiet when not on a terminal');
    const printed = JSON.parse(run.stdout);
    assert.equal(printed.images.evaluated, 3);
    assert.deepEqual(printed.images.skipped, []);
    const summary = JSON.parse(readFileSync(join(dir, 'run1', 'report.json'), 'utf8'));
    assert.equal(summary.table.length, 2 * 10);
    for (const cell of summary.table) {
      assert.equal(cell.n, 3, `${cell.method} ${cell.metric}`);
      assert.equal(typeof cell.mean, 'number', `${cell.method} ${cell.metric}`);
    }
    assert.equal(summary.curves.deletion.x.length, 17);
    assert.deepEqual(Object.keys(summary.curves.insertion.methods), ['saliency', 'grad-cam']);
    assert.deepEqual(summary.randomization.cascading.layers, ['dense', 'conv']);
    assert.equal(summary.randomization.independent.methods.saliency.spearmanAbs.length, 2);
    const csv = readFileSync(join(dir, 'run1', 'report.csv'), 'utf8')
      .trim()
      .split('\n');
    assert.equal(csv[0], 'method,metric,mean,stderr,n,better');
    assert.equal(csv.length, 1 + 20);
    assert.match(csv[1] as string, /^saliency,deletion,-?[\d.e-]+,[\d.e-]+,3,lower$/);
    const html = readFileSync(out, 'utf8');
    assert.match(html, /<title>Lucerna evaluation: cnn\.onnx<\/title>/, 'titled by the model, not its path');
    assert.match(html, /<table class="list scores">/);
    assert.equal((html.match(/<figure class="chart">/g) ?? []).length, 2 + 2 * 3, 'deletion, insertion and three randomization figures per mode');
    const maps = [...html.matchAll(/<img [^>]*class="map" data-method="([^"]+)" data-image="([^"]+)"/g)].map((m) => `${m[2]}:${m[1]}`);
    assert.deepEqual(
      maps,
      ['a.png:saliency', 'a.png:grad-cam', 'b.png:saliency', 'b.png:grad-cam', 'c.png:saliency', 'c.png:grad-cam'],
      'maps of each method on the first images',
    );
    assert.doesNotMatch(html, /<pre>|&quot;curve&quot;/, 'settings as a table, not JSON');
    assert.match(html, /<th>curve <span class="muted">·<\/span> steps<\/th><td>16<\/td>/);
    assert.doesNotMatch(html, /<script|https?:\/\/(?!observablehq)/, 'self-contained');
  });

  it('skips an unreadable image with a warning and counts it', async () => {
    const folder = join(dir, 'with-broken');
    mkdirSync(folder);
    writeFileSync(join(folder, 'good.png'), await imagePng(16, 16, 1));
    writeFileSync(join(folder, 'broken.png'), 'not a png');
    const out = join(dir, 'run2', 'r.html');
    const run = await lucerna('evaluate', model, '--input', folder, '--methods', 'saliency', '--metrics', 'deletion', '--out', out, ...FAST);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(
      stderrLines(run).map((l) => l.replace(/:.*/, '')),
      ['warning'],
    );
    assert.match(run.stderr, /warning: skipping broken\.png: Cannot decode/);
    assert.match(run.stdout, /1 image\(s\) evaluated, 1 skipped/);
    const summary = JSON.parse(readFileSync(join(dir, 'run2', 'r.json'), 'utf8'));
    assert.equal(summary.images.evaluated, 1);
    assert.deepEqual(
      summary.images.skipped.map((s: { file: string }) => s.file),
      ['broken.png'],
    );
    assert.match(readFileSync(out, 'utf8'), /1 skipped input/);
  });
});

describe('lucerna evaluate: bad input', () => {
  const empty = join(dir, 'empty');
  mkdirSync(empty);
  writeFileSync(join(empty, 'readme.txt'), 'no images here');
  const partialMasks = join(dir, 'partial-masks');
  mkdirSync(partialMasks);
  writeFileSync(join(partialMasks, 'a.png'), readFileSync(join(masks, 'a.png')));
  writeFileSync(join(partialMasks, 'zzz.png'), readFileSync(join(masks, 'a.png')));
  const wrongSizeMasks = join(dir, 'wrong-size-masks');
  mkdirSync(wrongSizeMasks);
  for (const n of ['a', 'b', 'c']) writeFileSync(join(wrongSizeMasks, `${n}.png`), readFileSync(join(masks, 'a.png')));
  const base = (out: string) => ['evaluate', model, '--input', images, '--methods', 'saliency', '--out', join(dir, 'bad', `${out}.html`)];
  const cases: [string, string[], number, RegExp][] = [
    [
      'masks that do not match the images',
      ['--ground-truth', partialMasks, '--metrics', 'pointing-game'],
      2,
      /2 image\(s\) have no mask: b\.png, c\.png; 1 mask\(s\) have no image: zzz\.png/,
    ],
    ['masks of another size', ['--ground-truth', wrongSizeMasks, '--metrics', 'pointing-game'], 2, /1 mask\(s\) differ in size.*c\.png \(16×16, image 20×18\)/],
    [
      'a mask metric without masks',
      ['--metrics', 'deletion,relevance-mass,pointing-game'],
      2,
      /relevance-mass, pointing-game need ground-truth masks.*--ground-truth/,
    ],
    ['an unknown metric', ['--metrics', 'deletoin'], 2, /Unknown metric "deletoin".*closest: deletion/],
    ['an unknown method', ['--metrics', 'deletion', '--methods', 'saliancy'], 2, /Unknown method "saliancy"/],
    ['a report that is not HTML', ['--metrics', 'deletion', '--out', join(dir, 'bad', 'r.pdf')], 2, /--out must end in \.html/],
    ['a missing folder', ['--metrics', 'deletion', '--input', join(dir, 'nope')], 1, /Cannot find the images folder/],
  ];
  for (const [name, args, code, pattern] of cases) {
    it(name, async () => {
      const run = await lucerna(...base(name.replace(/\W+/g, '-')), ...args);
      assertOneLineError(run, code, pattern);
      assert.equal(existsSync(join(dir, 'bad')), false, 'nothing written');
    });
  }

  it('an empty folder', async () => {
    const run = await lucerna('evaluate', model, '--input', empty, '--methods', 'saliency', '--metrics', 'deletion', '--out', join(dir, 'bad', 'e.html'));
    assertOneLineError(run, 2, /No images in .*empty/);
  });

  it('a folder where no image can be read', async () => {
    const folder = join(dir, 'all-broken');
    mkdirSync(folder);
    writeFileSync(join(folder, 'x.png'), 'nope');
    const run = await lucerna('evaluate', model, '--input', folder, '--methods', 'saliency', '--metrics', 'deletion', '--out', join(dir, 'bad', 'b.html'));
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^warning: skipping x\.png.*\nerror: None of the 1 images .* could be read/);
  });
});

describe('lucerna evaluate: Ctrl-C', () => {
  it('stops on cancellation with exit 130, one line, and writes no report (nor .json/.csv)', async () => {
    const outDir = join(dir, 'cancelled');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 1500);
    const run = await lucernaWith(
      { signal: controller.signal },
      'evaluate',
      model,
      '--input',
      images,
      '--methods',
      'saliency',
      '--metrics',
      'max-sensitivity',
      '--sensitivity-samples',
      '1000000',
      '--out',
      join(outDir, 'r.html'),
    );
    assert.equal(run.code, 130, run.stderr);
    assert.deepEqual(run.stderr.trim().split('\n'), ['interrupted: nothing was written']);
    assert.equal(existsSync(outDir), false, 'no partial report, no folder');
  });
});
