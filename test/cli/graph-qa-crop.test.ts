/**
 * `lucerna graph qa` reads the images as the model's preprocessing says and maps the landmarks
 * through it (docs/qa.md): the marker set padded by 8 grey columns on each side (48×32) is, under
 * the two-layer model's default centre crop to 32×32, exactly the unpadded set, so the curves must
 * be identical to the unpadded run's; a landmark moved into the padding is cut away by the crop and
 * counts as not visible. Also: `--units nodes|filters` and the old `--filters` spelling.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { insideModel } from '../../src/disentangle/qa/index.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { setDefaultRuntime } from '../../src/engine/runtime.js';
import { SIZE, writeMarkerSet } from '../datasets/marker-set.js';
import { assertOneLineError, lucerna } from '../helpers/cli.js';
import { twoLayerModel } from '../helpers/graph-model.js';

const PAD = 8;
const dir = mkdtempSync(join(tmpdir(), 'lucerna-graph-qa-crop-'));
const model = join(dir, 'two.onnx');
const set = join(dir, 'set');
const wide = join(dir, 'wide');
const graph = join(dir, 'g', 'graph.json');
after(() => rmSync(dir, { recursive: true, force: true }));

/** Copies the marker set with every picture padded left and right (labels untouched), landmarks shifted. */
async function padSet(from: string, to: string, moved: string): Promise<void> {
  await writeMarkerSet(to, { classes: { bird: { count: 12, redOffset: 0, tail: false } }, none: 0, seed: 5 });
  for (const name of readdirSync(join(from, 'images')).filter((n) => !n.includes('_object'))) {
    const padded = await sharp(join(from, 'images', name))
      .extend({ left: PAD, right: PAD, background: { r: 128, g: 128, b: 128 } })
      .png()
      .toBuffer();
    writeFileSync(join(to, 'images', name), padded);
  }
  const index = readFileSync(join(from, 'index.csv'), 'utf8').replace(/^([^,]+\.png,train,)(\d+),(\d+),/gm, (_, head, h) => `${head}${h},${SIZE + 2 * PAD},`);
  writeFileSync(join(to, 'index.csv'), index);
  const landmarks = readFileSync(join(from, 'landmarks.csv'), 'utf8').replace(/^(img_\d+\.png),eye,([\d.]+),([\d.]+)$/gm, (_, image, x, y) =>
    image === moved ? `${image},eye,${PAD / 2},${y}` : `${image},eye,${Number(x) + PAD},${y}`,
  );
  writeFileSync(join(to, 'landmarks.csv'), landmarks);
}

before(async () => {
  setDefaultRuntime(nodeRuntime);
  writeFileSync(model, twoLayerModel());
  await writeMarkerSet(set, { classes: { bird: { count: 12, redOffset: 0, tail: false } }, none: 0, seed: 5 });
  await padSet(set, wide, 'none');
  const built = await lucerna(
    'graph',
    'build',
    model,
    '--dataset',
    set,
    '--class',
    'bird',
    '--layer',
    'relu1,relu2',
    '--out',
    join(dir, 'g'),
    '--patterns',
    '2,2',
    '--parents',
    '2',
    '--peaks',
    '3',
    '--iterations',
    '3',
    '--json',
  );
  assert.equal(built.code, 0, built.stderr);
});

const qa = async (data: string, out: string, ...args: string[]) => {
  const run = await lucerna(
    'graph',
    'qa',
    graph,
    '--simulate',
    data,
    '--part',
    'eye',
    '--questions',
    '3',
    '--seeds',
    '2',
    '--initial',
    '1',
    '--json',
    '--out',
    join(dir, out),
    ...args,
  );
  assert.equal(run.code, 0, run.stderr);
  return { json: JSON.parse(run.stdout), stderr: run.stderr };
};

describe('lucerna graph qa follows the model’s crop', () => {
  it('a padded set under the centre crop gives the unpadded set’s curves, for filters and nodes', async () => {
    for (const units of ['filters', 'nodes']) {
      const plain = (await qa(set, `plain-${units}`, '--units', units)).json;
      const padded = (await qa(wide, `wide-${units}`, '--units', units)).json;
      assert.equal(padded.resize, 'center-crop');
      assert.equal(padded.units, units);
      assert.equal(padded.margin.error, padded.error.random.at(-1), 'the margin is measured at random selection’s final error');
      for (const kind of ['active', 'random'] as const)
        for (const [q, e] of (padded.error[kind] as number[]).entries())
          assert.ok(Math.abs(e - plain.error[kind][q]) < 1e-12, `${units} ${kind} ${q}: ${e} vs ${plain.error[kind][q]}`);
      assert.ok(Math.abs(padded.error.baseline - plain.error.baseline) < 1e-12);
      assert.deepEqual(padded.answers, plain.answers);
    }
  });

  it('a landmark the crop cuts away is not visible; the old --filters spelling still works', async () => {
    const moved = join(dir, 'moved');
    await padSet(set, moved, 'img_0000.png'); // a pool image (even position): every run answers it
    assert.equal(insideModel({ scale: [1, 1], offset: [PAD, 0] }, [PAD / 2, 10], [SIZE, SIZE]), false);
    const { json, stderr } = await qa(moved, 'moved', '--filters', '--seeds', '6', '--questions', '5');
    const plain = (await qa(set, 'plain-6', '--units', 'filters', '--seeds', '6', '--questions', '5')).json;
    assert.equal(json.units, 'filters');
    assert.equal(stderr, '');
    const absent = (c: typeof json) => c.answers.active.absent + c.answers.random.absent;
    assert.equal(absent(plain), 0);
    assert.equal(absent(json), 2 * 6, `the cut-away landmark is answered absent once per run: ${JSON.stringify(json.answers)}`);
    assertOneLineError(
      await lucerna('graph', 'qa', graph, '--simulate', set, '--part', 'eye', '--units', 'pixels', '--out', join(dir, 'bad')),
      2,
      /Unknown --units "pixels"/,
    );
    assertOneLineError(
      await lucerna('graph', 'qa', graph, '--simulate', set, '--part', 'eye', '--units', 'nodes', '--filters', '--out', join(dir, 'bad')),
      2,
      /contradict/,
    );
  });
});
