/**
 * `lucerna stability` and `lucerna dataset parts` end to end: the JSON shape the issue fixes, no
 * file without --out, filters.csv and summary.json with it; one-line errors for a data set without
 * landmarks.csv, a landmark outside its image, a layer that is not 4-D, a class with no images;
 * and a generated set that the stability reader reads back, with nothing left by a failed run.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readLandmarkSet } from '../../src/datasets/node/landmark-set.js';
import { writePartsDataset } from '../../src/datasets/node/parts-writer.js';
import { partsSample } from '../../src/datasets/parts/generate.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { setDefaultRuntime } from '../../src/engine/runtime.js';
import { isLucernaError } from '../../src/errors.js';
import { externalReferences } from '../../src/render/report/self-contained.js';
import { markerModel, writeMarkerSet } from '../datasets/marker-set.js';
import { assertOneLineError, lucerna } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'lucerna-stability-cli-'));
const model = join(dir, 'marker.onnx');
const set = join(dir, 'set');
after(() => rmSync(dir, { recursive: true, force: true }));

before(async () => {
  setDefaultRuntime(nodeRuntime);
  writeFileSync(model, markerModel());
  await writeMarkerSet(set, { classes: { bird: { count: 12, redOffset: 0, tail: true }, fish: { count: 0, redOffset: 0, tail: false } }, none: 3, seed: 2 });
  await writeMarkerSet(join(dir, 'no-landmarks'), { classes: { bird: { count: 3, redOffset: 0, tail: false } }, none: 0, seed: 2, noLandmarks: true });
  await writeMarkerSet(join(dir, 'outside'), {
    classes: { bird: { count: 3, redOffset: 0, tail: false } },
    none: 0,
    seed: 2,
    extraLandmarks: ['img_0001.png,beak,33.5,4'],
  });
});

describe('lucerna stability', () => {
  it('prints the JSON the issue fixes and writes nothing without --out', async () => {
    const before = readdirSync(dir).sort();
    const run = await lucerna('stability', model, '--dataset', set, '--layer', 'relu', '--class', 'bird', '--json');
    assert.equal(run.code, 0, run.stderr);
    const json = JSON.parse(run.stdout);
    assert.deepEqual(Object.keys(json), ['layer', 'instability', 'filters']);
    assert.equal(json.layer, 'relu');
    assert.equal(json.filters.length, 2);
    assert.deepEqual(Object.keys(json.filters[0]), ['filter', 'instability', 'images']);
    assert.equal(json.filters[0].images, 12);
    assert.ok(Math.abs(json.filters[0].instability) < 1e-12);
    assert.deepEqual(readdirSync(dir).sort(), before);
  });

  it('writes filters.csv, summary.json and a self-contained report.html with --out', async () => {
    const out = join(dir, 'out');
    const run = await lucerna('stability', model, '--dataset', set, '--layer', 'relu', '--out', out, '--protocol', 'icnn', '--top-images', '5');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^stability \(icnn\): relu: [0-9.]+ over 2 filters \(0 null\), 12 images/);
    const csv = readFileSync(join(out, 'filters.csv'), 'utf8').trim().split('\n');
    assert.equal(csv[0], 'filter,instability,images');
    assert.equal(csv.length, 3);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    assert.equal(summary.protocol, 'icnn');
    assert.equal(summary.nullFilters, 0);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    assert.match(html, /The 8 most stable filters/);
    assert.equal((html.match(/<figure class="chart positions">/g) ?? []).length, 2, 'two filters, each shown once');
    assert.deepEqual(externalReferences(html), []);
  });

  it('gives one-line errors for bad input', async () => {
    const runs = await Promise.all([
      lucerna('stability', model, '--dataset', join(dir, 'no-landmarks'), '--layer', 'relu'),
      lucerna('stability', model, '--dataset', join(dir, 'outside'), '--layer', 'relu'),
      lucerna('stability', model, '--dataset', set, '--layer', 'logits'),
      lucerna('stability', model, '--dataset', set, '--layer', 'relu', '--class', 'fish'),
    ]);
    assertOneLineError(runs[0] as never, 1, /has no landmarks\.csv/);
    assertOneLineError(runs[1] as never, 1, /landmarks\.csv line \d+: landmark "beak" of img_0001\.png at \(33\.5, 4\) lies outside the 32×32 image/);
    assertOneLineError(runs[2] as never, 1, /Layer "logits" has shape \[\d+, 2\]; location instability needs a 4-D/);
    assertOneLineError(runs[3] as never, 2, /No image of .* has an object of class "fish"\. Classes found: bird/);
    assertOneLineError(await lucerna('stability', model, '--dataset', set, '--layer', 'relu', '--protocol', 'paper'), 2, /Unknown --protocol "paper"/);
    assertOneLineError(
      await lucerna('stability', model, '--dataset', set, '--layer', 'relu', '--protocol', 'icnn', '--select-ratio', '0'),
      2,
      /--select-ratio must be a probability in \(0, 1\]/,
    );
    assertOneLineError(await lucerna('stability', model, '--dataset', join(dir, 'nowhere'), '--layer', 'relu'), 1, /nowhere/);
  });
});

describe('lucerna dataset parts', () => {
  it('writes a Broden-format set that the stability reader reads back', async () => {
    const out = join(dir, 'parts');
    const run = await lucerna('dataset', 'parts', '--out', out, '--n', '14', '--seed', '5', '--size', '32', '--classes', '2', '--json');
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout).classes, ['bird', 'fish', 'none']);
    for (const f of ['index.csv', 'label.csv', 'category.csv', 'c_object.csv', 'c_part.csv', 'landmarks.csv', 'attributes.csv', 'README.md'])
      assert.ok(existsSync(join(out, f)), f);
    assert.equal(readdirSync(join(out, 'classes', 'none')).length, 4);
    const images = await readLandmarkSet(out);
    assert.equal(images.length, 14);
    images.forEach((image, i) => {
      const s = partsSample(5, i, { size: 32, classes: 2 });
      assert.deepEqual([...image.objects], s.className === 'none' ? [] : [s.className]);
      assert.equal(image.landmarks.size, s.landmarks.length);
      for (const l of s.landmarks) {
        const [x, y] = image.landmarks.get(l.name) as [number, number];
        assert.ok(Math.abs(x - l.x) < 1e-4 && Math.abs(y - l.y) < 1e-4);
      }
    });
    // Images 0, 3, 6, 9, 12 are birds; 1, 4, 7, 10, 13 fish; the rest background only.
    const label = readFileSync(join(out, 'label.csv'), 'utf8').split('\n');
    assert.equal(label[0], 'number,name,category,frequency,coverage,syns');
    assert.match(label[1] as string, /^1,bird,object\(5\),5,[0-9.]+,bird$/);
    assert.match(label[2] as string, /^2,fish,object\(5\),5,[0-9.]+,fish$/);
    assert.match(readFileSync(join(out, 'category.csv'), 'utf8'), /^name,first,last,count,frequency\nobject,1,2,2,10\npart,3,\d+,\d+,10\n$/);
    assert.match(readFileSync(join(out, 'c_object.csv'), 'utf8'), /^code,number,name,frequency,coverage\n1,1,bird,5,[0-9.]+\n2,2,fish,5,[0-9.]+\n$/);
    const index = readFileSync(join(out, 'index.csv'), 'utf8').split('\n');
    assert.equal(index[0], 'image,split,ih,iw,sh,sw,object,part');
    assert.match(index[1] as string, /^parts_000000\.png,(train|val),32,32,32,32,parts_000000_object\.png,parts_000000_part\.png$/);
  });

  it('gives one-line errors for bad input and leaves nothing behind', async () => {
    mkdirSync(join(dir, 'taken'));
    writeFileSync(join(dir, 'taken', 'x'), '');
    assertOneLineError(await lucerna('dataset', 'parts', '--out', join(dir, 'taken'), '--n', '3', '--seed', '1'), 2, /already exists and is not empty/);
    const bad = async (flags: Record<string, string>, pattern: RegExp) => {
      const args = Object.entries({ n: '3', seed: '1', ...flags }).flatMap(([k, v]) => [`--${k}`, v]);
      assertOneLineError(await lucerna('dataset', 'parts', '--out', join(dir, 'p2'), ...args, '--json'), 2, pattern);
    };
    await bad({ classes: '9' }, /--classes must be a whole number in 1…5/);
    await bad({ n: '0' }, /--n must be an integer from 1 to 1000000/);
    await bad({ size: '8' }, /--size must be an integer ≥ 16/);
    await bad({ bias: 'cat:background=stripes@0.9' }, /names class "cat"/);
    const controller = new AbortController();
    const failing = writePartsDataset(join(dir, 'aborted'), {
      n: 20,
      seed: 1,
      size: 16,
      signal: controller.signal,
      onProgress: (done) => done === 5 && controller.abort(),
    });
    await assert.rejects(failing, (e) => isLucernaError(e, 'ABORTED'));
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.includes('aborted') || f.startsWith('.') || f === 'p2'),
      [],
    );
  });
});
