/**
 * `lucerna train`'s HTML report (curves, confusion matrix, settings) and training on a
 * Broden-format folder, whose `index.csv` split column decides the training and validation images.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseIndexCsv } from '../../src/datasets/broden/format.js';
import { createModel } from '../../src/models/architectures.js';
import { externalReferences } from '../../src/render/report/index.js';
import { confusionTable, trainingPage, windowMeans } from '../../src/render/report/training.js';
import { addToConfusion } from '../../src/training/fit.js';
import { lucerna, lucernaJson } from '../helpers/cli.js';

const work = await mkdtemp(join(tmpdir(), 'lucerna-train-report-'));
after(() => rm(work, { recursive: true, force: true }));

describe('training report pieces', () => {
  it('addToConfusion counts arg-max predictions by true class', () => {
    const m = [
      [0, 0, 0],
      [0, 0, 0],
      [0, 0, 0],
    ];
    // rows: predicted 2, 0, 1, 1; labels 2, 1, 1, 0
    addToConfusion(m, new Float32Array([0, 1, 5, 9, 0, 0, 0, 3, 1, -1, 2, 1]), [2, 1, 1, 0]);
    assert.deepEqual(m, [
      [0, 1, 0],
      [1, 1, 0],
      [0, 0, 1],
    ]);
  });

  it('windowMeans keeps short curves and averages long ones at their last step', () => {
    assert.deepEqual(windowMeans([4, 2], 10), [
      { x: 1, y: 4 },
      { x: 2, y: 2 },
    ]);
    assert.deepEqual(windowMeans([1, 3, 5, 7, 9], 2), [
      { x: 3, y: 3 },
      { x: 5, y: 8 },
    ]);
  });

  it('the confusion table shows counts, the diagonal and recall per class', () => {
    const html = confusionTable(
      [
        [3, 1],
        [0, 4],
      ],
      ['cat', 'd<g'],
    );
    assert.match(html, /<th>cat<\/th><td class="num best"[^>]*>3<\/td><td class="num"[^>]*>1<\/td><td class="num">4<\/td><td>75\.0%<\/td>/);
    assert.match(html, /<th>d&lt;g<\/th><td class="num"[^>]*>0<\/td><td class="num best"[^>]*>4<\/td>/);
  });

  it('the page has per-step and per-epoch curves, each loss term, the matrix and the settings, self-contained', () => {
    const html = trainingPage({
      model: 'm.onnx',
      data: 'data/parts',
      trainSamples: 12,
      valSamples: 4,
      steps: 6,
      totalSteps: 6,
      seconds: 1.5,
      interrupted: false,
      losses: [2, 1.5, 1.2, 1, 0.9, 0.8],
      accuracies: [0.25, 0.5, 0.5, 0.75, 0.75, 1],
      termLosses: { 'cross-entropy': [1.9, 1.4, 1.1, 0.9, 0.8, 0.7], 'filter Relu_3': [0.1, 0.1, 0.1, 0.1, 0.1, 0.1] },
      epochs: [
        { epoch: 0, loss: 1.57, accuracy: 0.42, terms: { 'cross-entropy': 1.47, 'filter Relu_3': 0.1 }, valLoss: 1.2, valAccuracy: 0.5 },
        { epoch: 1, loss: 0.9, accuracy: 0.83, terms: { 'cross-entropy': 0.8, 'filter Relu_3': 0.1 }, valLoss: 1.0, valAccuracy: 0.75 },
      ],
      confusion: [
        [2, 0],
        [1, 1],
      ],
      classNames: ['bird', 'none'],
      settings: { optimizer: 'adam', lr: 0.001, batchSize: 2 },
    });
    assert.deepEqual(externalReferences(html), []);
    assert.doesNotMatch(html, /<script/);
    for (const heading of ['Training loss per step', 'Training batch accuracy per step', 'Loss per epoch', 'Accuracy per epoch', 'Loss terms per epoch']) {
      assert.ok(html.includes(heading), heading);
    }
    assert.ok(html.includes('filter Relu_3'), 'each loss term is named');
    assert.match(html, /validation/);
    assert.match(html, /<th>bird<\/th><td class="num best"[^>]*>2<\/td>/);
    assert.match(html, /<th>batch size<\/th><td>2<\/td>/);
    assert.equal((html.match(/<figure class="chart">/g) ?? []).length, 5, 'five charts');
  });
});

describe('lucerna train on a Broden folder', async () => {
  const parts = join(work, 'parts');
  await lucernaJson('dataset', 'parts', '--out', parts, '--n', '30', '--seed', '3', '--size', '32', '--classes', '1');
  const { rows } = parseIndexCsv(readFileSync(join(parts, 'index.csv'), 'utf8'));
  const trainCount = rows.filter((r) => r.split === 'train').length;
  const valCount = rows.filter((r) => r.split === 'val').length;
  const model = join(work, 'm.onnx');
  writeFileSync(model, createModel('small-cnn', { classes: 2, input: [3, 32, 32], seed: 0 }));
  const common = ['--batch-size', '8', '--optimizer', 'adam', '--no-crop', '--json'];

  it('the generated set has both splits (the test would prove nothing otherwise)', () => {
    assert.ok(trainCount >= 15 && valCount >= 3, `${trainCount} train, ${valCount} val`);
  });

  for (const [name, dir] of [
    ['the root folder', parts],
    ['its classes/ view', join(parts, 'classes')],
  ] as const) {
    it(`trains on the train rows and validates on the val rows of index.csv, given ${name}`, async () => {
      const out = join(work, `split-${name.length}.onnx`);
      const s = (await lucernaJson('train', model, '--dataset', dir, '--epochs', '1', ...common, '--out', out)) as {
        trainSamples: number;
        valSamples: number;
        steps: number;
        files: string[];
      };
      assert.equal(s.trainSamples, trainCount);
      assert.equal(s.valSamples, valCount);
      assert.equal(s.steps, Math.ceil(trainCount / 8));
      const report = join(work, `split-${name.length}.report.html`);
      assert.ok(s.files.includes(report), 'the report is listed');
      const html = readFileSync(report, 'utf8');
      assert.ok(html.includes('index.csv split column'));
      // The confusion matrix counts exactly the val images.
      const counts = [...html.matchAll(/<td class="num[^"]*" title="true [^"]*">(\d+)<\/td>/g)].map((m) => Number(m[1]));
      assert.equal(
        counts.reduce((a, b) => a + b, 0),
        valCount,
      );
    });
  }

  it('--val is refused (the split column decides), --val 0 turns validation off, --no-report writes no report', async () => {
    const out = join(work, 'refused.onnx');
    const r = await lucerna('train', model, '--dataset', parts, '--steps', '1', '--val', '0.2', ...common, '--out', out);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /^error: .*split column/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.ok(!existsSync(out));
    const off = join(work, 'off.onnx');
    const s = (await lucernaJson('train', model, '--dataset', parts, '--steps', '1', '--val', '0', '--no-report', ...common, '--out', off)) as {
      trainSamples: number;
      valSamples: number;
    };
    assert.deepEqual([s.trainSamples, s.valSamples], [trainCount, 0]);
    assert.ok(!existsSync(join(work, 'off.report.html')));
  });

  it('a model with fewer classes than the folder is told the class count, not pointed at a labels file', async () => {
    const three = join(work, 'three-classes');
    await lucernaJson('dataset', 'parts', '--out', three, '--n', '6', '--seed', '5', '--size', '32', '--classes', '2');
    const out = join(work, 'three-out.onnx');
    const r = await lucerna('train', model, '--dataset', three, '--steps', '1', ...common, '--out', out);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /^error: The data has 3 classes, the model 2.*--classes 3/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.ok(!existsSync(out));
  });

  it('an image without a row in index.csv is one clear error', async () => {
    const broken = join(work, 'broken');
    await lucernaJson('dataset', 'parts', '--out', broken, '--n', '6', '--seed', '4', '--size', '32', '--classes', '1');
    writeFileSync(join(broken, 'index.csv'), readFileSync(join(broken, 'index.csv'), 'utf8').split('\n').slice(0, -2).join('\n'));
    const out = join(work, 'broken.onnx');
    const r = await lucerna('train', model, '--dataset', broken, '--steps', '1', ...common, '--out', out);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /^error: classes\/\w+\/parts_\d+\.png has no row in .*index\.csv/);
    assert.ok(!existsSync(out));
  });
});
