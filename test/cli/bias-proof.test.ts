/**
 * The bias-discovery proof at tiny scale (issue #20; the full run is `scripts/results/bias.ts`):
 * the same vgg11-bn (1/8 width) is trained with the same seed and budget on a parts set with a
 * planted cue (fish bodies blue in the training split) and on the same set without it; `lucerna
 * bias` must rank a relation of the planted cue first on the biased model and flag it, and flag
 * nothing on the clean model at the same threshold (the default, 0.3). Half of the 600 images are
 * in the unbiased val split, and the relations are read on the body-colour and background columns
 * of attributes.csv (45 relations), so that 0.3 stays above the |bias| chance reaches there
 * (`noiseLevel(300, 45)` ≈ 0.2). Measured when written: the planted relation 0.323, the clean
 * model's largest |bias| 0.224 (with 400 images and 80 val ones, chance reached 0.34 and the clean
 * model was flagged).
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createModel } from '../../src/models/architectures.js';
import { lucernaJson } from '../helpers/cli.js';

const work = await mkdtemp(join(tmpdir(), 'lucerna-bias-proof-'));
after(() => rm(work, { recursive: true, force: true }));
const SIZE = 32;
const LAYER = 'Relu_33'; // the top conv block of vgg11-bn, [N, 64, 2, 2] at 32 px
const THRESHOLD = '0.3'; // the default
const RULE = 'fish:body_colour=blue@1';

interface Relation {
  className: string;
  attribute: string;
  bias: number;
  flagged: boolean;
}

/** attributes.csv cut to the image, split, background and body-colour columns. */
function someColumns(dataset: string): string {
  const rows = readFileSync(join(dataset, 'attributes.csv'), 'utf8').trim().split('\n');
  const header = (rows[0] as string).split(',');
  const keep = ['image', 'split', 'background', 'body_colour'].map((c) => header.indexOf(c));
  const path = join(dataset, 'some-attributes.csv');
  writeFileSync(path, `${rows.map((r) => keep.map((k) => r.split(',')[k]).join(',')).join('\n')}\n`);
  return path;
}

/** Data set (with or without the rule), trained model, and `lucerna bias` on it: the relations. */
async function trainAndExamine(name: string, rules: string[]): Promise<Relation[]> {
  const data = join(work, `${name}-set`);
  await lucernaJson(
    'dataset',
    'parts',
    '--out',
    data,
    '--n',
    '600',
    '--seed',
    '1',
    '--size',
    String(SIZE),
    '--classes',
    '2',
    '--val-fraction',
    '0.5',
    ...rules.flatMap((r) => ['--bias', r]),
  );
  const init = join(work, `${name}-init.onnx`);
  writeFileSync(init, createModel('vgg11-bn', { classes: 3, input: [3, SIZE, SIZE], seed: 0, width: 1 / 8 }));
  const model = join(work, `${name}.onnx`);
  await lucernaJson(
    'train',
    init,
    ...['--dataset', data, '--batch-size', '16', '--epochs', '8', '--optimizer', 'adamw', '--lr', '0.003', '--seed', '0'],
    ...['--weight-decay', '0.05', '--no-crop', '--out', model],
  );
  const json = await lucernaJson(
    'bias',
    model,
    '--dataset',
    data,
    '--attributes',
    someColumns(data),
    '--layer',
    LAYER,
    '--threshold',
    THRESHOLD,
    '--out',
    join(work, `${name}-bias`),
  );
  return json.relations as Relation[];
}

let biased: Relation[] = [];
let clean: Relation[] = [];
before(async () => {
  biased = await trainAndExamine('biased', [RULE]);
  clean = await trainAndExamine('clean', []);
});

describe('lucerna bias on trained models (tiny)', () => {
  it('ranks a relation of the planted cue (blue bodies) first on the biased model, and flags it', () => {
    const first = biased[0] as Relation;
    assert.equal(first.attribute, 'body_colour=blue', JSON.stringify(biased.slice(0, 3)));
    assert.ok(first.flagged && Math.abs(first.bias) >= Number(THRESHOLD), JSON.stringify(biased.slice(0, 3)));
    // the sign says who gains: blue is evidence for fish, against the other classes
    assert.equal(first.className === 'fish', first.bias > 0, JSON.stringify(first));
  });
  it('the trained models record the unit pixels they were trained on (else bias would read them wrongly)', () => {
    const sidecar = JSON.parse(readFileSync(join(work, 'clean.lucerna.json'), 'utf8'));
    assert.equal(sidecar.preprocessing?.normalization, 'unit');
  });
  it('flags nothing on the clean model at the same threshold', () => {
    assert.deepEqual(
      clean.filter((r) => r.flagged),
      [],
      JSON.stringify(clean.slice(0, 3)),
    );
  });
});
