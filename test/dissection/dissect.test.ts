/**
 * Dissection end to end on a tiny colour model and set: the colour units find their colours, one
 * forward pass serves several layers, two shards merged equal one run, and bad input fails cleanly.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { nodeRuntime } from '../../src/engine/node.js';
import { setDefaultRuntime } from '../../src/engine/runtime.js';
import { assertOneLineError, flagArgs, lucerna, lucernaJson, stderrLines } from '../helpers/cli.js';
import { colourModelBytes, writeColourSet } from '../helpers/dissect-fixtures.js';

let dir: string;
let model: string;
let data: string;

before(async () => {
  setDefaultRuntime(nodeRuntime);
  dir = await mkdtemp(join(tmpdir(), 'dissect-'));
  model = join(dir, 'colour.onnx');
  data = join(dir, 'set');
  await writeFile(model, colourModelBytes());
  await writeColourSet(data);
});
after(() => rm(dir, { recursive: true, force: true }));

function rowsOf(csv: string): Record<string, string>[] {
  const [header, ...lines] = csv.trim().split('\n');
  const keys = (header as string).split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [keys[i], v])));
}

type Flags = Record<string, string>;
/** `lucerna dissect MODEL …` in-process; its JSON summary. */
const runDissect = (model: string, flags: Flags) => lucernaJson('dissect', model, ...flagArgs(flags));
/** `lucerna dissect merge DIRS… …` in-process; its JSON summary. */
const runDissectMerge = (dirs: string[], flags: Flags) => lucernaJson('dissect', 'merge', ...dirs, ...flagArgs(flags));

describe('lucerna dissect', () => {
  it('finds the colour detectors and writes tally.csv, result.json and the report', async () => {
    const out = join(dir, 'one');
    const run = await lucerna('dissect', model, '--dataset', data, '--layer', 'features', '--out', out, '--quantile', '0.2', '--json');
    assert.equal(run.code, 0, run.stderr);
    const summary = JSON.parse(run.stdout);
    assert.equal(summary.layers[0].layer, 'features');
    const csv = await readFile(summary.layers[0].tally, 'utf8');
    assert.match(csv, /^unit,category,label,score,color-label,color-truth,color-activation,color-intersect,color-iou,texture-label,/);
    const rows = rowsOf(csv);
    const byUnit = new Map(rows.map((r) => [r.unit, r]));
    assert.equal(byUnit.get('1')?.label, 'red');
    assert.equal(byUnit.get('2')?.label, 'blue');
    assert.equal(byUnit.get('3')?.label, 'green');
    assert.equal(byUnit.get('1')?.category, 'color');
    assert.ok(Number(byUnit.get('1')?.score) > 0.3);
    const scores = rows.map((r) => Number(r.score));
    assert.deepEqual(
      [...scores].sort((a, b) => b - a),
      scores,
    );
    const result = JSON.parse(await readFile(summary.result, 'utf8'));
    assert.equal(result.layers[0].thresholds.length, 4);
    assert.equal(result.layers[0].counts.perCategory.color, 3);
    const html = await readFile(summary.report, 'utf8');
    assert.match(html, /data:image\/png;base64,/);
    assert.match(html, /<svg/);
  });

  it('gives the same tally.csv from two merged shards as from one run', async () => {
    const at = (d: string) => join(dir, d);
    const common = { dataset: data, layer: 'features', quantile: '0.2' };
    await runDissect(model, { ...common, out: at('ref') });
    await runDissect(model, { ...common, out: at('q1'), shard: '1/2' });
    await runDissect(model, { ...common, out: at('q2'), shard: '2/2' });
    const thresholds = await runDissectMerge([at('q1'), at('q2')], { out: at('qm') });
    assert.equal(thresholds.stage, 'thresholds');
    await runDissect(model, { ...common, out: at('t1'), shard: '1/2', thresholds: join(at('qm'), 'shard.json') });
    await runDissect(model, { ...common, out: at('t2'), shard: '2/2', thresholds: join(at('qm'), 'shard.json') });
    await runDissectMerge([at('t1'), at('t2')], { out: at('merged') });
    const csv = await readFile(join(at('ref'), 'features', 'tally.csv'), 'utf8');
    assert.equal(await readFile(join(at('merged'), 'features', 'tally.csv'), 'utf8'), csv);
    const a = JSON.parse(await readFile(join(at('merged'), 'result.json'), 'utf8'));
    const b = JSON.parse(await readFile(join(at('ref'), 'result.json'), 'utf8'));
    assert.deepEqual(a.layers, b.layers);
    assertOneLineError(await lucerna('dissect', 'merge', at('t1'), at('q2'), '--out', at('bad')), 1, /Cannot merge a thresholds shard with a tally shard/);
  });

  it('dissects several layers in one forward pass, one feeding the next, with the numbers of single runs', async () => {
    const both = await runDissect(model, { dataset: data, layer: 'conv,features,mix', out: join(dir, 'multi'), quantile: '0.2' });
    assert.deepEqual(
      (both as { layers: { layer: string }[] }).layers.map((l) => l.layer),
      ['conv', 'features', 'mix'],
    );
    await runDissect(model, { dataset: data, layer: 'features', out: join(dir, 'single'), quantile: '0.2' });
    assert.equal(await readFile(join(dir, 'multi', 'features', 'tally.csv'), 'utf8'), await readFile(join(dir, 'single', 'features', 'tally.csv'), 'utf8'));
  });

  it('skips an image missing on disk with a one-line warning and counts it', async () => {
    const set = join(dir, 'missing-image');
    await writeColourSet(set);
    await rm(join(set, 'images', 'img3.png'));
    const run = await lucerna('dissect', model, '--dataset', set, '--layer', 'features', '--out', join(dir, 'missing-out'), '--quantile', '0.2', '--json');
    assert.equal(run.code, 0, run.stderr);
    const lines = stderrLines(run);
    assert.equal(lines.length, 1);
    assert.match(lines[0] as string, /^warning: Skipped img3\.png: Cannot find .*img3\.png$/);
    assert.doesNotMatch(run.stderr, /\n\s+at /);
    const summary = JSON.parse(run.stdout);
    assert.equal(summary.skipped, 1);
    assert.equal(summary.images, 11);
  });

  it('says which file is missing from a folder that is not a Broden set, on one line', async () => {
    const set = join(dir, 'not-broden');
    await writeColourSet(set);
    await rm(join(set, 'label.csv'));
    const run = await lucerna('dissect', model, '--dataset', set, '--layer', 'features', '--out', join(dir, 'x'));
    assertOneLineError(run, 1, /is not a Broden folder: label\.csv is missing/);
  });

  it('rejects an unknown layer (with the closest names), a layer that is not 4-D, and a segmentation whose size is not sh×sw', async () => {
    const out = join(dir, 'bad');
    assertOneLineError(await lucerna('dissect', model, ...flagArgs({ dataset: data, layer: 'featurs', out })), 1, /"features"/);
    assertOneLineError(await lucerna('dissect', model, ...flagArgs({ dataset: data, layer: 'logits', out })), 1, /needs a 4-D/);
    const set = join(dir, 'bad-size');
    await writeColourSet(set);
    const index = await readFile(join(set, 'index.csv'), 'utf8');
    await writeFile(join(set, 'index.csv'), index.replace('img2.png,train,8,8,4,4', 'img2.png,train,8,8,4,5'));
    assertOneLineError(
      await lucerna('dissect', model, ...flagArgs({ dataset: set, layer: 'features', out })),
      1,
      /img2_color_1\.png is 4×4 but index\.csv says sh×sw = 4×5/,
    );
  });
});
