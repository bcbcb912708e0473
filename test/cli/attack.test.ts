/**
 * `lucerna attack` end to end: .npy in and out equal to Captum, images in and out, the minimal ε,
 * JSON, and one-line errors for bad input with no output left behind.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { npyToFloat32, parseNpy, serializeNpy } from '../../src/io/npy.js';
import { externalReferences } from '../../src/render/report/self-contained.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { assertOneLineError, flagArgs, lucerna, lucernaJson } from '../helpers/cli.js';
import { oracleDir, sharedDir } from '../helpers/oracle.js';

const dir = mkdtempSync(join(tmpdir(), 'lucerna-attack-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const attackDir = join(sharedDir, 'oracle-attack');
const model = join(oracleDir, 'small_resnet', 'model.onnx');
const readNpy = (path: string): Tensor => npyToFloat32(parseNpy(new Uint8Array(readFileSync(path))));

/** `lucerna attack MODEL` in-process with flags given as an object; returns its --json output. */
const attack = (model: string, flags: Record<string, string | boolean>) => lucernaJson('attack', model, ...flagArgs(flags));

describe('lucerna attack', () => {
  it("writes PGD's adversarial input as .npy, equal to Captum (L2, bounded)", async () => {
    const out = join(dir, 'pgd.npy');
    const input = join(attackDir, 'small_resnet', 'pgd_l2_bounded_x.npy');
    const run = await lucerna(
      'attack',
      model,
      '--input',
      input,
      '--method',
      'pgd',
      '--epsilon',
      '1',
      '--step-size',
      '0.05',
      '--steps',
      '8',
      '--norm',
      'l2',
      '--lower',
      '-2',
      '--upper',
      '2',
      '--target',
      '3',
      '--out',
      out,
      '--json',
    );
    assert.equal(run.code, 0, run.stderr);
    const expected = readNpy(join(attackDir, 'small_resnet', 'pgd_l2_bounded_adv.npy'));
    const actual = readNpy(out);
    let within = 0;
    for (let i = 0; i < expected.data.length; i++) if (Math.abs((actual.data[i] as number) - (expected.data[i] as number)) <= 1e-5) within++;
    assert.ok(within >= 0.995 * expected.data.length, `${within} of ${expected.data.length} within 1e-5`);
    const summary = JSON.parse(run.stdout);
    assert.deepEqual(summary.targets, [3]);
    assert.deepEqual(summary.epsilon, [1]);
    assert.deepEqual(summary.predictions, { before: [3], after: [3] });
    assert.deepEqual(summary.success, [false]);
    assert.ok(summary.loss.after[0] > summary.loss.before[0], 'the attack raised the loss');
    assert.deepEqual(summary.outputs, [out]);
  });

  it('reads an image and writes the adversarial image, and finds the minimal ε', async () => {
    const out = join(dir, 'adv.png');
    const tiny = join(oracleDir, 'tiny_cnn', 'model.onnx');
    const run = await lucerna(
      'attack',
      tiny,
      '--input',
      join(sharedDir, 'images', 'coffee.png'),
      '--method',
      'fgsm',
      '--epsilon',
      '1',
      '--minimal-step',
      '0.01',
      '--out',
      out,
      '--json',
    );
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual([...readFileSync(out).subarray(1, 4)], [...Buffer.from('PNG')]);
    const summary = JSON.parse(run.stdout);
    assert.equal(summary.minimal, true);
    const e = summary.epsilon[0];
    assert.ok(e === null || (e >= 0 && e < 1), `ε ${e}`);
    assert.equal(summary.success[0], e !== null);
  });

  it('attacks a batch with one target per sample, seeded random start, one PNG per sample', async () => {
    const a = readNpy(join(attackDir, 'small_resnet', 'fgsm_x.npy'));
    const b = readNpy(join(attackDir, 'small_resnet', 'pgd_linf_x.npy'));
    const batch = join(dir, 'batch.npy');
    const data = new Float32Array(a.data.length * 2);
    data.set(a.data);
    data.set(b.data, a.data.length);
    writeFileSync(batch, serializeNpy({ data, shape: [2, ...a.shape.slice(1)] }));
    const flags = { input: batch, method: 'pgd', epsilon: '0.1', steps: '3', target: '3,8', randomStart: true, seed: '4', out: join(dir, 'batch.png') };
    const first = (await attack(model, flags)) as { targets: number[]; outputs: string[]; success: boolean[] };
    assert.deepEqual(first.targets, [3, 8]);
    assert.deepEqual(first.outputs, [join(dir, 'batch-0.png'), join(dir, 'batch-1.png')]);
    const again = await attack(model, { ...flags, out: join(dir, 'again.npy') });
    const other = await attack(model, { ...flags, seed: '5', out: join(dir, 'other.npy') });
    await attack(model, { ...flags, out: join(dir, 'third.npy') });
    assert.deepEqual(again.outputs, [join(dir, 'again.npy')]);
    assert.deepEqual([...readNpy(join(dir, 'again.npy')).data], [...readNpy(join(dir, 'third.npy')).data], 'the same seed gives the same result');
    assert.notDeepEqual([...readNpy(join(dir, 'again.npy')).data], [...readNpy(join(dir, 'other.npy')).data]);
    assert.equal(other.outputs.length, 1);
  });

  it('writes a self-contained robustness report for a folder of images', async () => {
    const images = join(dir, 'images');
    mkdirSync(images);
    for (const f of ['coffee.png', 'horse.png']) copyFileSync(join(sharedDir, 'images', f), join(images, f));
    writeFileSync(join(images, 'notes.txt'), 'not an image');
    const out = join(dir, 'report.html');
    const summary = (await attack(model, {
      input: images,
      method: 'pgd',
      epsilon: '0.2',
      steps: '3',
      epsilons: '0.05,0.1,0.2',
      minimalStep: '0.01',
      out,
      json: true,
    })) as {
      images: number;
      epsilons: number[];
      successRates: number[];
      minimalEpsilon: { name: string }[];
    };
    assert.equal(summary.images, 2);
    assert.deepEqual(summary.epsilons, [0.05, 0.1, 0.2]);
    assert.equal(summary.successRates.length, 3);
    assert.deepEqual(
      summary.minimalEpsilon.map((m) => m.name),
      ['coffee.png', 'horse.png'],
    );
    const html = readFileSync(out, 'utf8');
    assert.deepEqual(externalReferences(html), []);
    assert.equal((html.match(/<img /g) ?? []).length, 10);
  });

  describe('bad input is one line, exit code 2 (1 for a bad target), and no output', () => {
    const input = join(attackDir, 'small_resnet', 'fgsm_x.npy');
    const cases: [string, string[], number, RegExp][] = [
      ['--epsilon 0', ['--method', 'fgsm', '--epsilon', '0'], 2, /--epsilon must be a number > 0, got "0"/],
      ['--epsilon < 0', ['--method', 'fgsm', '--epsilon', '-0.1'], 2, /--epsilon must be a number > 0/],
      ['--epsilon not a number', ['--method', 'fgsm', '--epsilon', 'big'], 2, /--epsilon must be a number > 0/],
      ['lower ≥ upper', ['--method', 'fgsm', '--epsilon', '0.1', '--lower', '1', '--upper', '1'], 2, /--lower 1 must be below --upper 1/],
      ['--step-size without pgd', ['--method', 'fgsm', '--epsilon', '0.1', '--step-size', '0.01'], 2, /--step-size applies to --method pgd only, not fgsm/],
      ['--steps without pgd', ['--method', 'fgsm', '--epsilon', '0.1', '--steps', '3'], 2, /--steps applies to --method pgd only/],
      ['a target out of range', ['--method', 'pgd', '--epsilon', '0.1', '--target', '10'], 1, /Target 10 is out of range: the model has 10 classes \(0 to 9\)/],
      ['a target that is no class index', ['--method', 'fgsm', '--epsilon', '0.1', '--target', 'cat'], 2, /--target must be a class index/],
      ['--targeted without --target', ['--method', 'fgsm', '--epsilon', '0.1', '--targeted'], 2, /--targeted needs --target/],
      ['an unknown method', ['--method', 'cw', '--epsilon', '0.1'], 2, /Unknown attack "cw". Use one of fgsm, pgd/],
      ['an unknown norm', ['--method', 'pgd', '--epsilon', '0.1', '--norm', 'l1'], 2, /Unknown --norm "l1"/],
      ['--seed without --random-start', ['--method', 'pgd', '--epsilon', '0.1', '--seed', '3'], 2, /--seed applies to --random-start only/],
      ['a bad --out extension', ['--method', 'fgsm', '--epsilon', '0.1', '--out', join(dir, 'adv.txt')], 2, /--out must end in .npy, .png or .html/],
      [
        'a folder input without .html',
        ['--method', 'fgsm', '--epsilon', '0.1', '--input', sharedDir, '--out', join(dir, 'x.npy')],
        2,
        /A folder input writes a report: --out must end in .html/,
      ],
      ['.html without a folder', ['--method', 'fgsm', '--epsilon', '0.1', '--out', join(dir, 'r.html')], 2, /--out .html needs a folder of images/],
      ['--epsilons without a folder', ['--method', 'fgsm', '--epsilon', '0.1', '--epsilons', '0.1,0.2'], 2, /--epsilons and --layer apply to a report/],
      ['--minimal-step ≥ --epsilon', ['--method', 'fgsm', '--epsilon', '0.1', '--minimal-step', '0.1'], 2, /--minimal-step 0.1 must be below --epsilon 0.1/],
    ];
    // In process, through the same entry point as the CLI (`lucerna()`).
    for (const [label, args, code, message] of cases) {
      it(label, async () => {
        const out = join(dir, `bad-${label.replace(/\W+/g, '_')}.npy`);
        const run = await lucerna('attack', model, '--input', input, '--out', out, ...args);
        assertOneLineError(run, code, message);
        assert.equal(existsSync(out), false);
      });
    }
    it('one stderr line, nothing on stdout, exit code 2', async () => {
      const out = join(dir, 'bad.npy');
      const run = await lucerna('attack', model, '--input', input, '--method', 'fgsm', '--epsilon', '-1', '--out', out);
      assertOneLineError(run, 2, /--epsilon must be a number > 0, got "-1"/);
      assert.equal(existsSync(out), false);
    });
    it('leaves no temporary file behind', () => {
      assert.deepEqual(
        readdirSync(dir).filter((f) => f.startsWith('.')),
        [],
      );
    });
  });
});
