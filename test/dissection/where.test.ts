/**
 * Part dissection: `lucerna dissect --categories part --where object=<label>` keeps the images of
 * one object class and the part labels on that object's pixels, and reports part interpretability
 * (the mean over units of each unit's best part IoU, Zhang et al. 2018). A hand-computed set shows
 * both restrictions; a generated parts set checks the counts and the metric against tally.csv.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BrodenWriter } from '../../src/datasets/broden/node.js';
import { maskLabels, objectMask, parseWhere } from '../../src/datasets/broden/where.js';
import { meanBestIou, type UnitScore } from '../../src/dissection/score.js';
import { createModel } from '../../src/models/architectures.js';
import { assertOneLineError, lucerna, lucernaJson } from '../helpers/cli.js';
import { colourModelBytes, FEATURES } from '../helpers/dissect-fixtures.js';

const work = await mkdtemp(join(tmpdir(), 'lucerna-where-'));
after(() => rm(work, { recursive: true, force: true }));

function rowsOf(csv: string): Record<string, string>[] {
  const [header, ...lines] = csv.trim().split('\n');
  const keys = (header as string).split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [keys[i], v])));
}

describe('where: pieces', () => {
  it('parseWhere resolves the label and refuses bad text or unknown labels', () => {
    assert.deepEqual(parseWhere('object=bird', ['', 'bird', 'head']), { category: 'object', label: 'bird', number: 1 });
    assert.throws(() => parseWhere('bird', ['', 'bird']), /--where must be <category>=<label>/);
    assert.throws(() => parseWhere('object=brd', ['', 'bird']), /label "brd" is not in label\.csv/);
  });

  it('objectMask marks the object pixels, the whole image for an image-level label, nothing without it', () => {
    const labels = { sh: 1, sw: 3, planes: [Int32Array.from([1, 2, 0]), Int32Array.from([0, 0, 1])], scalars: [7] };
    assert.deepEqual([...(objectMask(labels, 1) as Uint8Array)], [1, 0, 1]);
    assert.deepEqual([...(objectMask(labels, 7) as Uint8Array)], [1, 1, 1]);
    assert.equal(objectMask(labels, 3), undefined);
    const masked = maskLabels({ sh: 1, sw: 3, planes: [Int32Array.from([5, 6, 7])], scalars: [9] }, Uint8Array.from([1, 0, 1]));
    assert.deepEqual([...(masked.planes[0] as Int32Array)], [5, 0, 7]);
    assert.deepEqual(masked.scalars, [9]);
  });

  it('meanBestIou averages each unit’s best IoU in the category, winner or not', () => {
    const row = (unit: number, part: number, color: number): UnitScore => ({
      unit,
      category: 'color',
      label: 'red',
      labelNumber: 1,
      score: color,
      categories: [
        { category: 'color', label: 1, name: 'red', truth: 0, activation: 0, intersect: 0, iou: color },
        { category: 'part', label: 2, name: 'head', truth: 0, activation: 0, intersect: 0, iou: part },
      ],
    });
    assert.equal(meanBestIou([row(1, 0.1, 0.5), row(2, 0.3, 0.9)], 'part'), 0.2);
    assert.equal(meanBestIou([row(1, 0.1, 0.5)], 'texture'), undefined);
    assert.equal(meanBestIou([], 'part'), undefined);
  });
});

/**
 * Three 8×8 images, 4×4 segmentations (one conv unit per segmentation pixel in the colour model):
 * - A: a bird in columns 0–1, its head (2 pixels) red, its body blue;
 * - B: the same bird, and a fish in columns 2–3 whose head (labelled `head` too) is blue;
 * - C: a fish alone, its head red.
 * The red unit fires exactly on red pixels (threshold 0: red is under 20 % of the values).
 */
async function writeBirdFishSet(dir: string): Promise<void> {
  await using w = await BrodenWriter.create(dir, {
    categories: ['object', 'part'],
    labels: [
      { name: 'bird', category: 'object' },
      { name: 'fish', category: 'object' },
      { name: 'head', category: 'part' },
      { name: 'body', category: 'part' },
    ],
  });
  const RED = [220, 0, 0];
  const BLUE = [0, 0, 220];
  const GREEN = [0, 220, 0];
  type Cell = { object?: string; part?: string; colour: number[] };
  const bird = (y: number, x: number): Cell | undefined =>
    x < 2 ? { object: 'bird', part: y === 0 && x === 0 ? 'head' : y === 1 && x === 0 ? 'head' : 'body', colour: y < 2 && x === 0 ? RED : BLUE } : undefined;
  const fish = (y: number, x: number, headColour: number[]): Cell | undefined =>
    x >= 2
      ? { object: 'fish', part: y === 0 && x === 3 ? 'head' : y === 1 && x === 3 ? 'head' : 'body', colour: y < 2 && x === 3 ? headColour : GREEN }
      : undefined;
  const images: [string, (y: number, x: number) => Cell | undefined][] = [
    ['A', (y, x) => bird(y, x)],
    ['B', (y, x) => bird(y, x) ?? fish(y, x, BLUE)],
    ['C', (y, x) => fish(y, x, RED)],
  ];
  for (const [name, cellAt] of images) {
    const rgb = new Uint8Array(8 * 8 * 3);
    const object = new Int32Array(16);
    const part = new Int32Array(16);
    for (let y = 0; y < 4; y++)
      for (let x = 0; x < 4; x++) {
        const c = cellAt(y, x);
        if (!c) continue;
        object[y * 4 + x] = w.number(c.object as string);
        part[y * 4 + x] = w.number(c.part as string);
        for (let dy = 0; dy < 2; dy++) for (let dx = 0; dx < 2; dx++) rgb.set(c.colour, ((2 * y + dy) * 8 + 2 * x + dx) * 3);
      }
    await w.add({ name, image: { rgb, width: 8, height: 8 }, sh: 4, sw: 4, labels: { object: [object], part: [part] } });
  }
  await w.close();
}

describe('lucerna dissect --where', async () => {
  const set = join(work, 'birdfish');
  await writeBirdFishSet(set);
  const model = join(work, 'colour.onnx');
  await writeFile(model, colourModelBytes());
  const common = ['--layer', FEATURES, '--quantile', '0.2', '--categories', 'part', '--json'];
  const redHead = async (out: string, extra: string[]) => {
    const s = (await lucernaJson('dissect', model, '--dataset', set, ...common, ...extra, '--out', out)) as {
      images: number;
      layers: { tally: string; partInterpretability: number }[];
    };
    const rows = rowsOf(readFileSync(s.layers[0]?.tally as string, 'utf8'));
    const red = rows.find((r) => r.unit === '1') as Record<string, string>;
    return { s, red, rows };
  };

  it('without --where: every image, and other objects’ heads count (IoU 6 / 8 by hand)', async () => {
    const { s, red } = await redHead(join(work, 'all'), []);
    assert.equal(s.images, 3);
    assert.equal(red['part-label'], 'head');
    assert.ok(Math.abs(Number(red['part-iou']) - 0.75) < 1e-6, red['part-iou']);
  });

  it('--where object=bird: bird images only, fish heads cleared (IoU 4 / 4 by hand); part interpretability is the mean best part IoU', async () => {
    const { s, red, rows } = await redHead(join(work, 'bird'), ['--where', 'object=bird']);
    assert.equal(s.images, 2, 'C has no bird');
    assert.equal(red['part-label'], 'head');
    assert.equal(Number(red['part-truth']), 4, 'the fish head in B is not on the bird');
    assert.ok(Math.abs(Number(red['part-iou']) - 1) < 1e-6, red['part-iou']);
    const mean = rows.reduce((a, r) => a + Number(r['part-iou']), 0) / rows.length;
    assert.ok(Math.abs((s.layers[0]?.partInterpretability as number) - mean) < 1e-6);
    const result = JSON.parse(readFileSync(join(work, 'bird', 'result.json'), 'utf8'));
    assert.equal(result.where, 'object=bird');
    assert.ok(Math.abs(result.layers[0].partInterpretability - mean) < 1e-9);
    // The paper's part interpretability (§5.2.1): on each bird image the red unit's mask is the head (IoU 1 > 0.2), so P = 2 / 2.
    const association = result.layers[0] as { associationIou: number; partAssociation: number; partAssociations: { unit: number; part: string; p: number }[] };
    assert.equal(association.associationIou, 0.2);
    assert.deepEqual(
      association.partAssociations.find((u) => u.unit === 1),
      { unit: 1, part: 'head', p: 1 },
    );
    const meanP = association.partAssociations.reduce((x, u) => x + u.p, 0) / association.partAssociations.length;
    assert.ok(Math.abs(association.partAssociation - meanP) < 1e-12);
    assert.ok(Math.abs((s.layers[0] as unknown as { partAssociation: number }).partAssociation - meanP) < 1e-12);
    const html = readFileSync(join(work, 'bird', 'report.html'), 'utf8');
    assert.match(html, /Part interpretability/);
    assert.match(html, /its region, its upsampled mask, has IoU &gt; 0\.2 with the part/);
    assert.match(html, /object=bird/);
  });

  it('--association-radius associates by round regions (hand-counted); result.json records the radii; a bad radius is one line', async () => {
    const best = async (radius: string) => {
      const out = join(work, `bird-disc-${radius}`);
      await redHead(out, ['--where', 'object=bird', '--association-radius', radius]);
      const layer = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')).layers[0];
      assert.match(readFileSync(join(out, 'report.html'), 'utf8'), new RegExp(`its region, round receptive fields of radius ${radius} px around`));
      return { disc: layer.associationDisc, red: layer.partAssociations.find((u: { unit: number }) => u.unit === 1) };
    };
    // 4 px of the 8-px input is 2 segmentation pixels: around the red cells (0, 0) and (1, 0) the region holds 9 pixels,
    // so the head (2 pixels) has IoU 2/9 > 0.2 on both bird images, and wins its tie with the body (5/10).
    assert.deepEqual(await best('4'), { disc: [0.5, 0.5], red: { unit: 1, part: 'head', p: 1 } });
    // 6 px is 3 segmentation pixels: 14 pixels, the head's IoU 2/14 falls under 0.2, the body's is 6/14.
    assert.deepEqual(await best('6'), { disc: [0.75, 0.75], red: { unit: 1, part: 'body', p: 1 } });
    for (const bad of ['0', '-2', 'wide'])
      assertOneLineError(
        await lucerna('dissect', model, '--dataset', set, ...common, '--association-radius', bad, '--out', join(work, 'bad-disc')),
        2,
        /--association-radius must be a number of pixels > 0/,
      );
  });

  it('bad --where is one line: no "=", an unknown label, a label no image has, an unknown category', async () => {
    const out = join(work, 'bad');
    const run = (w: string) => lucerna('dissect', model, '--dataset', set, ...common, '--where', w, '--out', out);
    assertOneLineError(await run('bird'), 2, /--where must be <category>=<label>/);
    assertOneLineError(await run('object=brd'), 2, /label "brd" is not in label\.csv/);
    assertOneLineError(await run('object=body'), 2, /no image of the data set contains "body" in object/);
    assertOneLineError(await run('scene=bird'), 2, /Category "scene" is not in category\.csv/);
  });
});

describe('lucerna dissect --where on generated parts data', async () => {
  const parts = join(work, 'parts');
  await lucernaJson('dataset', 'parts', '--out', parts, '--n', '18', '--seed', '2', '--size', '32', '--classes', '2');
  const model = join(work, 'cnn.onnx');
  writeFileSync(model, createModel('small-cnn', { classes: 3, input: [3, 32, 32], seed: 0 }));
  const attributes = rowsOf(readFileSync(join(parts, 'attributes.csv'), 'utf8'));
  const classes = [...new Set(attributes.map((r) => r.class as string))].filter((c) => c !== 'none');

  it('dissects exactly the images of the class, with part interpretability in the summary', async () => {
    const cls = classes[0] as string;
    const s = (await lucernaJson(
      'dissect',
      model,
      '--dataset',
      parts,
      '--layer',
      'Relu',
      '--categories',
      'part',
      '--where',
      `object=${cls}`,
      '--json',
      '--out',
      join(work, 'parts-out'),
    )) as {
      images: number;
      layers: { tally: string; units: number; partInterpretability: number }[];
    };
    assert.equal(s.images, attributes.filter((r) => r.class === cls).length);
    const rows = rowsOf(readFileSync(s.layers[0]?.tally as string, 'utf8'));
    assert.equal(rows.length, s.layers[0]?.units);
    const mean = rows.reduce((a, r) => a + Number(r['part-iou']), 0) / rows.length;
    assert.ok(mean > 0, 'some unit overlaps some part');
    assert.ok(Math.abs((s.layers[0]?.partInterpretability as number) - mean) < 1e-6);
  });
});
