/**
 * `lucerna attribute` with the perturbation methods: options, oracle parity, quiet output when not
 * on a TTY, and a clean stop on Ctrl-C with nothing written.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { kernelShap } from '../../src/attribution/perturbation/kernel-shap.js';
import { rise } from '../../src/attribution/perturbation/rise.js';
import { Model } from '../../src/engine/model.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { npyToFloat32, parseNpy, serializeNpy } from '../../src/io/npy.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { assertOneLineError, lucerna, lucernaProcess } from '../helpers/cli.js';
import { assertClose } from '../helpers/compare.js';
import { caseInput, oracle, oracleDir, reference } from '../helpers/oracle.js';

const dir = mkdtempSync(join(tmpdir(), 'lucerna-pert-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const c = oracle().cases.find((k) => k.id === 'tiny_cnn/noise')!;
const model = join(oracleDir, c.onnx);
const inputNpy = join(dir, 'input.npy');
writeFileSync(inputNpy, serializeNpy(caseInput(c)));
const readNpy = (path: string): Tensor => npyToFloat32(parseNpy(new Uint8Array(readFileSync(path))));
const base = (method: string, out: string) => [
  'attribute',
  model,
  '--input',
  inputNpy,
  '--method',
  method,
  '--out',
  join(dir, out),
  '--target',
  String(c.target),
];

describe('lucerna attribute: perturbation methods', () => {
  it('occlusion with --window and --stride matches Captum, and stays quiet off a TTY', async () => {
    const run = await lucerna(...base('occlusion', 'occ.npy'), '--window', '3,8,8', '--stride', '3,4,4', '--batch-size', '64');
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    assertClose(readNpy(join(dir, 'occ.npy')), reference(c, 'occlusion'), 1e-4, 'occlusion');
  });

  it('occlusion --full-passes matches Captum too', async () => {
    const run = await lucerna(...base('occlusion', 'occ-full.npy'), '--window', '3,8,8', '--stride', '3,4,4', '--full-passes');
    assert.equal(run.code, 0, run.stderr);
    assertClose(readNpy(join(dir, 'occ-full.npy')), reference(c, 'occlusion'), 1e-4, 'occlusion, full passes');
  });

  it('feature-ablation with an int32 --feature-mask matches Captum', async () => {
    const m = oracle().models[c.model]!;
    const mask = new Int32Array(readFileSync(join(oracleDir, m.feature_mask.file)).buffer.slice(0));
    const maskPath = join(dir, 'mask.npy');
    writeFileSync(maskPath, serializeNpy({ data: mask, shape: m.feature_mask.shape }, 'int32'));
    const run = await lucerna(...base('feature-ablation', 'fa.npy'), '--feature-mask', maskPath);
    assert.equal(run.code, 0, run.stderr);
    assertClose(readNpy(join(dir, 'fa.npy')), reference(c, 'feature_ablation'), 1e-4, 'feature ablation');
  });

  it('rise is deterministic for --seed', async () => {
    const flags = ['--masks', '200', '--cell', '8', '--keep', '0.5', '--seed', '3'];
    assert.equal((await lucerna(...base('rise', 'r1.npy'), ...flags)).code, 0);
    assert.equal((await lucerna(...base('rise', 'r2.npy'), ...flags)).code, 0);
    const a = readNpy(join(dir, 'r1.npy'));
    assert.deepEqual(a.shape, [1, 1, 32, 32]);
    assert.deepEqual([...a.data], [...readNpy(join(dir, 'r2.npy')).data]);
  });

  it('rise --center gives the library’s centred map', async () => {
    const flags = ['--masks', '200', '--cell', '8', '--seed', '3', '--center'];
    const run = await lucerna(...base('rise', 'rc.npy'), ...flags);
    assert.equal(run.code, 0, run.stderr);
    await using m = await Model.load(readFileSync(model), { runtime: nodeRuntime });
    const expected = await rise.attribute(m, caseInput(c), { masks: 200, cell: 8, seed: 3, center: true, target: c.target });
    assertClose(readNpy(join(dir, 'rc.npy')), expected.attribution, 1e-6, 'rise --center');
  });

  it('kernel-shap with --segments and --samples', async () => {
    const run = await lucerna(...base('kernel-shap', 'ks.npy'), '--segments', '16', '--samples', '300', '--seed', '1', '--json');
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout).shape, [1, 3, 32, 32]);
  });

  it('kernel-shap --estimator regression is the library regression; the default is the control-variate walks', async () => {
    const flags = ['--segments', '16', '--samples', '300', '--seed', '1'];
    assert.equal((await lucerna(...base('kernel-shap', 'ks-reg.npy'), ...flags, '--estimator', 'regression')).code, 0);
    assert.equal((await lucerna(...base('kernel-shap', 'ks-walk.npy'), ...flags)).code, 0);
    await using m = await Model.load(readFileSync(model), { runtime: nodeRuntime });
    const options = { target: c.target, segments: 16, samples: 300, seed: 1 };
    for (const [file, estimator] of [
      ['ks-reg.npy', 'regression'],
      ['ks-walk.npy', 'control-variate'],
    ] as const) {
      const r = await kernelShap.attribute(m, caseInput(c), { ...options, estimator });
      assertClose(readNpy(join(dir, file)), r.attribution, 1e-6, estimator);
    }
    assert.notDeepEqual(readNpy(join(dir, 'ks-reg.npy')).data, readNpy(join(dir, 'ks-walk.npy')).data);
  });
});

describe('lucerna attribute: bad perturbation options', () => {
  const cases: [string, string, string[], RegExp][] = [
    ['a zero window', 'occlusion', ['--window', '3,0,8'], /--window must be positive integers/],
    ['an unknown Shapley estimator', 'kernel-shap', ['--estimator', 'banzhaf'], /--estimator/],
    ['a keep probability above 1', 'rise', ['--keep', '2'], /--keep must be a probability/],
    ['--center on a method other than rise', 'occlusion', ['--center'], /--center does not apply to occlusion\. occlusion takes --window, --stride/],
    ['--full-passes on a method other than occlusion', 'rise', ['--full-passes'], /--full-passes does not apply to rise\. rise takes --masks/],
    ['--upsample on a method without a layer map', 'saliency', ['--upsample'], /--upsample does not apply to saliency\. saliency takes --abs/],
    ['a float feature mask', 'feature-ablation', ['--feature-mask', inputNpy], /holds float32 values/],
    ['a window larger than the input', 'occlusion', ['--window', '3,64,64'], /window/i],
  ];
  for (const [name, method, flags, pattern] of cases) {
    it(name, async () => {
      const out = `bad-${name.replace(/\W+/g, '-')}.npy`;
      const run = await lucerna(...base(method, out), ...flags);
      assertOneLineError(run, run.code === 2 ? 2 : 1, pattern);
      assert.equal(existsSync(join(dir, out)), false);
    });
  }
});

describe('Ctrl-C', () => {
  it('ends a long run with exit code 130, one line, and writes nothing (subprocess)', async () => {
    const out = join(dir, 'interrupted.npy');
    const run = await lucernaProcess([...base('rise', 'interrupted.npy'), '--masks', '400000', '--batch-size', '8', '--debug'], { interruptAfterMs: 1000 });
    assert.equal(run.code, 130, `${run.stderr} (${Math.round(run.ms)} ms after SIGINT)`);
    const lines = run.stderr.split('\n').filter(Boolean);
    assert.deepEqual(lines, ['debug: attribute running; Ctrl-C stops it', 'interrupted: nothing was written']);
    assert.equal(existsSync(out), false);
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.includes('interrupted')),
      [],
    );
  });
});
