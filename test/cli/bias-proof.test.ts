/**
 * The bias-discovery proof at tiny scale (issue #20; the full run is `scripts/results/bias.ts`):
 * the same vgg11-bn (1/8 width) is trained with the same seed and budget on a parts set with a
 * planted cue (every training bird on a plain background) and on the same set without it; `lucerna
 * bias` must rank a relation of the planted cue first on the biased model (plain backgrounds favour
 * bird over another class) and flag it, and flag nothing on the clean model at the same threshold
 * (the default, 0.3). 750 images, 300 for training and 450 in the unbiased val split, and the
 * relations are read on the body-colour and background columns of attributes.csv (45 relations:
 * 15 values × 3 pairs of classes), so that 0.3 stays well above the |bias| chance reaches there
 * (`noiseLevel(450, 45)` ≈ 0.15).
 *
 * Measured when written (data seed 1, and seed 2 as a check): the planted relation 0.485 (0.530),
 * the clean model's largest bias 0.174 (0.166). The earlier cue, blue fish bodies on 600 images
 * (300 val), was learned too weakly at this size for a margin: 0.305–0.376 over data seeds and
 * val sizes, against the same 0.3.
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
const RULE = 'bird:background=plain@1';

interface Relation {
  className: string;
  against: string;
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
    '750',
    '--seed',
    '1',
    '--size',
    String(SIZE),
    '--classes',
    '2',
    '--val-fraction',
    '0.6',
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
  it('ranks a relation of the planted cue (plain backgrounds) first on the biased model, and flags it', () => {
    const first = biased[0] as Relation;
    assert.equal(first.attribute, 'background=plain', JSON.stringify(biased.slice(0, 3)));
    assert.ok(first.flagged && first.bias >= Number(THRESHOLD), JSON.stringify(biased.slice(0, 3)));
    // the relation says who gains: plain backgrounds favour bird (over fish or none)
    assert.equal(first.className, 'bird', JSON.stringify(first));
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
