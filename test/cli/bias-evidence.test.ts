/**
 * `lucerna bias`: the evidence filters of the top flagged relations with their top patches on the
 * val images that show the cue, and their labels and IoU from a `lucerna dissect` result.json
 * (`--dissection`), on an untrained small-cnn and a 30-image parts set (seconds).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseCsv } from '../../src/datasets/broden/csv.js';
import { createModel } from '../../src/models/architectures.js';
import { lucerna, lucernaJson } from '../helpers/cli.js';

const work = await mkdtemp(join(tmpdir(), 'lucerna-bias-evidence-'));
after(() => rm(work, { recursive: true, force: true }));
const SIZE = 32;
const LAYER = 'Relu_3'; // small-cnn's second conv block, [N, 64, 16, 16]

let data = '';
let model = '';
let dissection = '';
before(async () => {
  data = join(work, 'parts');
  await lucernaJson('dataset', 'parts', '--out', data, '--n', '30', '--seed', '7', '--size', String(SIZE), '--classes', '2', '--val-fraction', '0.5');
  model = join(work, 'model.onnx');
  writeFileSync(model, createModel('small-cnn', { classes: 3, input: [3, SIZE, SIZE], seed: 1 }));
  writeFileSync(join(work, 'model.lucerna.json'), JSON.stringify({ version: 1, preprocessing: { normalization: 'unit' }, labels: ['bird', 'fish', 'none'] }));
  dissection = join(work, 'dissect');
  await lucernaJson('dissect', model, '--dataset', data, '--layer', LAYER, '--quantile', '0.2', '--out', dissection);
});

const run = (out: string, ...extra: string[]) =>
  lucerna('bias', model, '--dataset', data, '--attributes', join(data, 'attributes.csv'), '--threshold', '0', '--out', out, ...extra);

interface Evidence {
  filter: number;
  label?: string;
  category?: string;
  iou?: number;
  patches: { image: string; score: number; box: { top: number; left: number; bottom: number; right: number } }[];
}

describe('lucerna bias: evidence filters', () => {
  it('shows each evidence filter of the top flagged relations with its top patches on the val images with the cue, and its dissection label and IoU', async () => {
    const out = join(work, 'with-dissection');
    const r = await run(out, '--layer', LAYER, '--dissection', dissection);
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(readFileSync(join(out, 'bias.json'), 'utf8'));
    const units = new Map<number, { label: string; score: number }>(
      JSON.parse(readFileSync(join(dissection, 'result.json'), 'utf8')).layers[0].units.map((u: { unit: number; label: string; score: number }) => [
        u.unit - 1,
        u,
      ]),
    );
    const rows = parseCsv(readFileSync(join(data, 'attributes.csv'), 'utf8'), ['image', 'split'], 'attributes.csv');
    const shown = json.flagged.slice(0, 3) as { className: string; against: string; attribute: string; filters: number[] }[];
    const keyOf = (x: { className: string; against: string; attribute: string }) => `${x.className}>${x.against}:${x.attribute}`;
    assert.deepEqual(Object.keys(json.evidence), shown.map(keyOf), 'the top flagged relations, in rank order');
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    let patches = 0;
    for (const rel of shown) {
      const list = json.evidence[keyOf(rel)] as Evidence[];
      assert.deepEqual(
        list.map((f) => f.filter),
        rel.filters,
        'every evidence filter, in order',
      );
      const [column, value] = rel.attribute.split('=') as [string, string];
      const withCue = new Set(rows.filter((row) => row.split === 'val' && row[column] === value).map((row) => row.image));
      for (const f of list) {
        const unit = units.get(f.filter);
        assert.ok(unit, `filter ${f.filter} is in the dissection`);
        assert.equal(f.label, unit.label);
        assert.equal(f.iou, unit.score);
        assert.ok(f.patches.length <= Math.min(4, withCue.size));
        for (const p of f.patches) assert.ok(withCue.has(p.image), `${p.image} is a val image with ${rel.attribute}`);
        for (let k = 1; k < f.patches.length; k++) assert.ok((f.patches[k - 1]?.score as number) >= (f.patches[k]?.score as number), 'best first');
        assert.equal(new Set(f.patches.map((p) => p.image)).size, f.patches.length, 'one patch per image');
        if (f.patches.length) {
          const section = html.split(`<h2>Evidence: ${keyOf(rel).replace('>', '&gt;')}</h2>`)[1]?.split('<h2>')[0] ?? '';
          assert.match(section, new RegExp(`<img src="data:image/png;base64,[^"]+"[^>]*alt="Top patches of filter ${f.filter}"`));
          assert.ok(section.includes(`filter ${f.filter}: ${unit.label} (`), 'the label is shown with the filter');
          patches += f.patches.length;
        }
      }
    }
    assert.ok(patches > 0, 'some patch is shown');
    // The relation tables name every evidence filter with its label.
    const first = json.relations[0] as { filters: number[] };
    const cell = first.filters.map((f) => `${f} (${units.get(f)?.label})`).join(', ');
    assert.ok(first.filters.length > 0 && html.includes(`>${cell}</td>`), cell);
  });

  it('shows the patches without labels when no dissection is given, and refuses a dissection of another layer in one line, writing nothing', async () => {
    const out = join(work, 'plain');
    const r = await run(out, '--layer', LAYER);
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(readFileSync(join(out, 'bias.json'), 'utf8'));
    const lists = Object.values(json.evidence) as Evidence[][];
    assert.ok(lists.length > 0 && lists.every((l) => l.every((f) => f.label === undefined && f.iou === undefined)));
    assert.ok(lists.some((l) => l.some((f) => f.patches.length > 0)));
    const bad = join(work, 'bad');
    const wrong = await run(bad, '--layer', 'Relu_1', '--dissection', dissection);
    const lines = wrong.stderr.split('\n').filter((l) => l);
    assert.notEqual(wrong.code, 0);
    assert.equal(lines.length, 1, wrong.stderr);
    assert.match(lines[0] as string, /^error: .*has no layer "Relu_1"; it holds "Relu_3"/);
    assert.ok(!existsSync(bad), 'nothing is written');
  });
});
