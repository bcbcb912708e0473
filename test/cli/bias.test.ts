/**
 * `lucerna bias` through `main(argv)` in-process: bad input is one line on stderr and writes
 * nothing; a run on an untrained small-cnn writes bias.json and report.html with every relation.
 * The proof on trained models (planted cue flagged first, clean model quiet) is bias-proof.test.ts.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createModel } from '../../src/models/architectures.js';
import { lucerna, lucernaJson } from '../helpers/cli.js';

const work = await mkdtemp(join(tmpdir(), 'lucerna-bias-cli-'));
after(() => rm(work, { recursive: true, force: true }));
const bias = (...args: string[]) => lucerna('bias', ...args);
const SIZE = 32;
const LAYER = 'Relu_3'; // small-cnn's second conv block, [N, 64, 16, 16]

async function partSet(name: string, cue?: string): Promise<string> {
  const out = join(work, name);
  await lucernaJson(
    'dataset',
    'parts',
    '--out',
    out,
    '--n',
    '30',
    '--seed',
    '7',
    '--size',
    String(SIZE),
    '--classes',
    '2',
    '--val-fraction',
    '0.5',
    ...(cue ? ['--bias', cue] : []),
  );
  return out;
}

/** An untrained small-cnn with a sidecar (pixels in [0, 1], the data set's classes). */
function untrained(name: string): string {
  const path = join(work, `${name}.onnx`);
  writeFileSync(path, createModel('small-cnn', { classes: 3, input: [3, SIZE, SIZE], seed: 1 }));
  writeFileSync(join(work, `${name}.lucerna.json`), JSON.stringify({ version: 1, preprocessing: { normalization: 'unit' }, labels: ['bird', 'fish', 'none'] }));
  return path;
}

function assertOneLine(r: { code: number; stderr: string }, pattern: RegExp, out: string): void {
  assert.notEqual(r.code, 0, r.stderr);
  const lines = r.stderr.split('\n').filter((l) => l);
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0] as string, /^error: /);
  assert.match(lines[0] as string, pattern);
  assert.ok(!existsSync(out), 'nothing is written');
}

let clean = '';
let cleanModel = '';
before(async () => {
  clean = await partSet('clean');
  cleanModel = untrained('model');
});

describe('lucerna bias: bad input', () => {
  const args = (model: string, dataset: string, extra: string[] = []) => [
    model,
    '--dataset',
    dataset,
    '--attributes',
    join(dataset, 'attributes.csv'),
    '--layer',
    LAYER,
    ...extra,
  ];
  it('attributes that do not match the images list them', async () => {
    const text = readFileSync(join(clean, 'attributes.csv'), 'utf8').split('\n');
    const path = join(work, 'short.csv');
    writeFileSync(path, [text[0], ...text.slice(3)].join('\n'));
    const out = join(work, 'o1');
    assertOneLine(
      await bias(cleanModel, '--dataset', clean, '--attributes', path, '--layer', LAYER, '--out', out),
      /attributes\.csv does not match the images: no row for parts_00000[01]\.png, parts_00000[01]\.png/,
      out,
    );
  });
  it('a layer that is not 4-D', async () => {
    const out = join(work, 'o2');
    assertOneLine(
      await bias(...args(cleanModel, clean, ['--layer', 'Relu_7', '--out', out])),
      /has shape \[1, 128\] \(rank 2\); bias discovery needs a 4-D/,
      out,
    );
  });
  it('missing files', async () => {
    const out = join(work, 'o3');
    assertOneLine(await bias(...args(join(work, 'nope.onnx'), clean, ['--out', out])), /nope\.onnx/, out);
    assertOneLine(await bias(cleanModel, '--dataset', clean, '--attributes', join(work, 'nope.csv'), '--layer', LAYER, '--out', out), /nope\.csv/, out);
    assertOneLine(await bias(...args(cleanModel, join(work, 'no-set'), ['--attributes', join(clean, 'attributes.csv'), '--out', out])), /no-set/, out);
  });
  it('a bad threshold', async () => {
    const out = join(work, 'o4');
    assertOneLine(await bias(...args(cleanModel, clean, ['--threshold', '-1', '--out', out])), /--threshold/, out);
    assertOneLine(await bias(...args(cleanModel, clean, ['--threshold', '2', '--out', out])), /--threshold must be at most 1/, out);
  });
  it('a CSV of the data set without attribute columns (index.csv)', async () => {
    const out = join(work, 'o5');
    assertOneLine(
      await bias(cleanModel, '--dataset', clean, '--attributes', join(clean, 'index.csv'), '--layer', LAYER, '--out', out),
      /attributes\.csv has no attribute columns/,
      out,
    );
  });
});

describe('lucerna bias: output', () => {
  it('writes bias.json (every relation, ranked) and report.html, and refuses a non-empty --out', async () => {
    const out = join(work, 'out');
    const r = await bias(cleanModel, '--dataset', clean, '--attributes', join(clean, 'attributes.csv'), '--layer', LAYER, '--threshold', '0.5', '--out', out);
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(readFileSync(join(out, 'bias.json'), 'utf8'));
    // one relation per attribute value and unordered pair of classes, oriented so that its bias is ≥ 0
    const names = new Set(
      json.relations.map((x: { className: string; against: string; attribute: string }) => `${[x.className, x.against].sort().join('|')}:${x.attribute}`),
    );
    assert.equal(names.size, json.relations.length);
    assert.ok(names.has('bird|fish:background=stripes') && names.has('fish|none:head_colour=red') && names.has('bird|none:head_colour=red'));
    assert.ok(json.relations.every((x: { bias: number }) => x.bias >= 0));
    const abs = json.relations.map((x: { bias: number }) => Math.abs(x.bias));
    assert.deepEqual(
      abs,
      [...abs].sort((a: number, b: number) => b - a),
    );
    assert.deepEqual(
      json.flagged,
      json.relations.filter((x: { bias: number }) => Math.abs(x.bias) >= 0.5),
    );
    assert.equal(json.settings.threshold, 0.5);
    assert.equal(json.accuracy['val (unbiased)'].images + json.accuracy['train (biased)'].images, 30);
    assert.match(readFileSync(join(out, 'report.html'), 'utf8'), /<h2>Flagged relations \(\d+\)<\/h2>/);
    const predictions = readFileSync(join(out, 'predictions.csv'), 'utf8').trim().split('\n');
    assert.equal(predictions[0], 'image,split,class,predicted');
    assert.equal(predictions.length, 31);
    assert.ok(predictions.slice(1).every((l) => /^parts_\d+\.png,(train|val),(bird|fish|none),(bird|fish|none)$/.test(l)));
    assertOneLine(
      await bias(cleanModel, '--dataset', clean, '--attributes', join(clean, 'attributes.csv'), '--layer', LAYER, '--out', out),
      /exists and is not empty/,
      join(work, 'never'),
    );
  });

  it('takes the classes/ view itself as --dataset, with the same result', async () => {
    const out = join(work, 'out-view');
    const r = await bias(
      cleanModel,
      '--dataset',
      join(clean, 'classes'),
      '--attributes',
      join(clean, 'attributes.csv'),
      '--layer',
      LAYER,
      '--threshold',
      '0.5',
      '--out',
      out,
    );
    assert.equal(r.code, 0, r.stderr);
    const view = JSON.parse(readFileSync(join(out, 'bias.json'), 'utf8'));
    const root = JSON.parse(readFileSync(join(work, 'out', 'bias.json'), 'utf8'));
    assert.deepEqual(view.relations, root.relations);
  });
});

describe('lucerna bias: Grad-CAM evidence in the report', () => {
  it('shows, for each of the top flagged relations, Grad-CAM for its class on val images where the cue and the class disagree', async () => {
    const out = join(work, 'evidence');
    const r = await bias(cleanModel, '--dataset', clean, '--attributes', join(clean, 'attributes.csv'), '--layer', LAYER, '--threshold', '0', '--out', out);
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(readFileSync(join(out, 'bias.json'), 'utf8'));
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    const sections = html.split('<h2>Evidence: ').slice(1);
    assert.equal(sections.length, Math.min(3, json.flagged.length));
    let maps = 0;
    let checked = 0;
    for (const [k, section] of sections.entries()) {
      const rel = json.flagged[k] as { className: string; against: string; attribute: string };
      assert.ok(section.startsWith(`${rel.className}&gt;${rel.against}:${rel.attribute}</h2>`), 'the top flagged relations, in rank order');
      const cams = section.match(/<img src="data:image\/png;base64,[^"]+"[^>]*alt="Grad-CAM for ([^"]+) on [^"]+"/g) ?? [];
      const inputs = section.match(/<img src="data:image\/png;base64,[^"]+"[^>]*alt="parts_\d+\.png" class="input"/g) ?? [];
      assert.ok(cams.length <= 4 && cams.length === inputs.length, `${cams.length} maps, ${inputs.length} images`);
      for (const c of cams) assert.ok(c.includes(`Grad-CAM for ${rel.className} on`), 'the map is for the relation’s class');
      // Every example disagrees: its class is the relation's class exactly when it lacks the cue.
      for (const m of section.matchAll(/<div>([^<]+) → predicted [^<]+<\/div><div>(has|without) /g)) {
        assert.equal(m[1] === rel.className, m[2] === 'without', m[0]);
        assert.ok(m[1] === rel.className || m[1] === rel.against, `an image of the relation's two classes: ${m[0]}`);
        checked++;
      }
      maps += cams.length;
    }
    assert.ok(maps > 0, 'some Grad-CAM map is shown');
    // The accuracy split by the top relation's cue covers exactly the val images of its two classes.
    const top = json.flagged[0] as { className: string; against: string; attribute: string };
    const pair = `val ${top.className} and ${top.against}, ${top.attribute}`;
    const rows = readFileSync(join(out, 'predictions.csv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(','));
    const inPair = rows.filter((c) => c[1] === 'val' && (c[2] === top.className || c[2] === top.against)).length;
    assert.equal(json.accuracy[`${pair}: cue agrees`].images + json.accuracy[`${pair}: cue conflicts`].images, inPair);
    assert.equal(checked, maps, 'every example says whether it has the cue');
  });
});
