/**
 * `lucerna bias` through `main(argv)` in-process: bad input is one line and writes nothing; and the
 * proof at tiny scale: small-cnn trained briefly on a part set with a planted cue (bird bodies are
 * red in the train split) and on the same set without it (same seed and budget); the planted
 * relation is flagged first on the biased model, nothing is flagged on the clean one, and the
 * biased model is less accurate on val images where cue and class disagree.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runDatasetParts } from '../../src/cli/commands/dataset-parts.js';
import { imageFolder } from '../../src/datasets/node/image-folder.js';
import { subset } from '../../src/datasets/types.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { createModel } from '../../src/models/architectures.js';
import { graphFromBytes } from '../../src/onnx/builder.js';
import { checkpointBytes } from '../../src/training/checkpoint.js';
import { fit } from '../../src/training/fit.js';
import { adam } from '../../src/training/optimizers/index.js';
import { Trainer } from '../../src/training/trainer.js';
import { lucernaInProcess } from '../helpers/cli.js';

const work = await mkdtemp(join(tmpdir(), 'lucerna-bias-cli-'));
after(() => rm(work, { recursive: true, force: true }));
const bias = (...args: string[]) => lucernaInProcess('bias', ...args);
const SIZE = 32;
const LAYER = 'Relu_3'; // small-cnn's second conv block, [N, 64, 16, 16]

async function partSet(name: string, cue?: string): Promise<string> {
  const out = join(work, name);
  await runDatasetParts({ out, n: '240', seed: '7', size: String(SIZE), classes: '2', valFraction: '0.5', bias: cue ? [cue] : undefined, json: true });
  return out;
}

/** small-cnn trained with the library trainer on the train split (same seed and budget for every set). */
async function trained(dataset: string, name: string): Promise<string> {
  const rows = readFileSync(join(dataset, 'attributes.csv'), 'utf8').trim().split('\n').slice(1);
  const split = new Map(rows.map((r) => [r.split(',')[0] as string, r.split(',')[2] as string]));
  const all = await imageFolder(join(dataset, 'classes'), { sampleShape: [3, SIZE, SIZE] });
  // imageFolder lists classes and files sorted, as the command does
  const files = (all.classNames ?? []).flatMap((c) =>
    rows
      .map((r) => r.split(','))
      .filter((r) => r[1] === c)
      .map((r) => r[0] as string)
      .sort(),
  );
  const train = subset(
    all,
    files.flatMap((f, i) => (split.get(f) === 'train' ? [i] : [])),
  );
  const graph = graphFromBytes(createModel('small-cnn', { classes: 3, input: [3, SIZE, SIZE], seed: 1 }));
  await using trainer = await Trainer.create(graph, [3, SIZE, SIZE], { runtime: nodeRuntime, optimizer: adam });
  await fit(trainer, train, { batchSize: 16, epochs: 8, seed: 0, lr: 0.001 });
  const path = join(work, `${name}.onnx`);
  writeFileSync(path, checkpointBytes(graph, trainer.values()));
  writeFileSync(join(work, `${name}.lucerna.json`), JSON.stringify({ version: 1, preprocessing: { normalization: 'unit' }, labels: all.classNames }));
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

let biased = '';
let clean = '';
let biasedModel = '';
let cleanModel = '';
before(async () => {
  biased = await partSet('biased', 'bird:body_colour=red@1');
  clean = await partSet('clean');
  biasedModel = await trained(biased, 'biased');
  cleanModel = await trained(clean, 'clean');
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
  });
});

describe('lucerna bias: the planted cue', () => {
  const THRESHOLD = '0.3';
  const run = async (model: string, dataset: string, out: string) => {
    const r = await bias(
      model,
      '--dataset',
      dataset,
      '--attributes',
      join(dataset, 'attributes.csv'),
      '--layer',
      LAYER,
      '--threshold',
      THRESHOLD,
      '--out',
      out,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(join(out, 'report.html')));
    return JSON.parse(readFileSync(join(out, 'bias.json'), 'utf8'));
  };
  it('is flagged first on the biased model, with lower accuracy where cue and class disagree', async () => {
    const json = await run(biasedModel, biased, join(work, 'out-biased'));
    const top = json.flagged[0];
    const acc = json.accuracy;
    const rank = json.relations.findIndex((r: { className: string; attribute: string }) => r.className === 'bird' && r.attribute === 'body_colour=red');
    const note = JSON.stringify({ rank, planted: json.relations[rank], flagged: json.flagged.length, top: json.relations.slice(0, 2), acc });
    assert.equal(`${top?.className}:${top?.attribute}`, 'bird:body_colour=red', note);
    const agree = acc['val, cue agrees (bird:body_colour=red)'].accuracy;
    const conflict = acc['val, cue conflicts (bird:body_colour=red)'].accuracy;
    assert.ok(conflict < agree, note);
  });
  it('flags nothing on the clean model at the same threshold', async () => {
    const json = await run(cleanModel, clean, join(work, 'out-clean'));
    assert.equal(json.flagged.length, 0, JSON.stringify(json.relations.slice(0, 3)));
  });
});
