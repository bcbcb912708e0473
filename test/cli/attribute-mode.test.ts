/**
 * `lucerna attribute --out x.png --mode …` in-process: each overlay mode over the input image, the
 * colour bar under heatmap and blended, and one-line errors before any compute for a bad mode, a
 * mode that needs an image given an .npy, and --mode with an .npy output.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { nodeRuntime } from '../../src/engine/node.js';
import { setDefaultRuntime } from '../../src/engine/runtime.js';
import { decodeRgb } from '../../src/io/image.js';
import { serializeNpy } from '../../src/io/npy.js';
import { assertOneLineError, lucerna } from '../helpers/cli.js';
import { caseInput, oracle, oracleDir, sharedDir } from '../helpers/oracle.js';

const dir = mkdtempSync(join(tmpdir(), 'lucerna-attr-mode-'));
after(() => rmSync(dir, { recursive: true, force: true }));
before(() => setDefaultRuntime(nodeRuntime));

const c = oracle().cases.find((k) => k.model === 'tiny_cnn') as NonNullable<ReturnType<typeof oracle>['cases'][number]>;
const model = join(oracleDir, c.onnx);
const photo = join(sharedDir, 'images/chelsea.png');
const [, , inH, inW] = c.input_shape as [number, number, number, number];

describe('attribute --mode', () => {
  for (const [mode, colourBar] of [
    ['heatmap', true],
    ['blended', true],
    ['masked', false],
    ['alpha-scaling', false],
  ] as const) {
    it(`${mode}: the map over the image at the input size${colourBar ? ', a colour bar under it' : ''}`, async () => {
      const out = join(dir, `${mode}.png`);
      const r = await lucerna('attribute', model, '--input', photo, '--method', 'grad-cam', '--out', out, '--mode', mode, '--json');
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout).outputs, [out]);
      const png = await decodeRgb(new Uint8Array(readFileSync(out)));
      if (colourBar) {
        assert.equal(png.width, Math.max(inW, 200));
        assert.ok(png.height > inH + 14, `room for the colour bar: ${png.width}×${png.height}`);
      } else {
        assert.deepEqual([png.width, png.height], [inW, inH]);
      }
    });
  }

  const npy = join(dir, 'x.npy');
  writeFileSync(npy, serializeNpy(caseInput(c)));
  const cases: [string, string[], RegExp][] = [
    [
      'an unknown mode',
      ['--input', photo, '--method', 'saliency', '--out', join(dir, 'bad', 'a.png'), '--mode', 'sparkles'],
      /Unknown --mode "sparkles".*heatmap, blended, masked, alpha-scaling/,
    ],
    [
      'an image mode with an .npy input',
      ['--input', npy, '--method', 'saliency', '--out', join(dir, 'bad', 'b.png'), '--mode', 'blended'],
      /--mode blended draws the map over its image.*\.npy/,
    ],
    [
      '--mode with an .npy output',
      ['--input', photo, '--method', 'saliency', '--out', join(dir, 'bad', 'c.npy'), '--mode', 'heatmap'],
      /--mode applies to a \.png output only/,
    ],
  ];
  for (const [name, args, pattern] of cases) {
    it(`refuses ${name} before loading the model, writing nothing`, async () => {
      assertOneLineError(await lucerna('attribute', join(dir, 'no-such-model.onnx'), ...args), 2, pattern);
      assert.equal(existsSync(join(dir, 'bad')), false);
    });
  }

  it('an .npy input still gives a heatmap PNG by default', async () => {
    const out = join(dir, 'npy.png');
    const r = await lucerna('attribute', model, '--input', npy, '--method', 'saliency', '--out', out);
    assert.equal(r.code, 0, r.stderr);
    assert.ok((await decodeRgb(new Uint8Array(readFileSync(out)))).width >= 200);
  });

  it("draws the PNG as the method's descriptor says: sign, channel reduction, one-sided after --abs", async () => {
    const cases: [string, string[], { sign: string; reduction: string }][] = [
      ['guided-backprop', [], { sign: 'absolute', reduction: 'abs-sum' }],
      ['saliency', ['--abs'], { sign: 'positive', reduction: 'sum' }],
      ['input-x-gradient', [], { sign: 'all', reduction: 'sum' }],
      ['input-x-gradient', ['--relu'], { sign: 'positive', reduction: 'sum' }],
    ];
    for (const [method, extra, display] of cases) {
      const out = join(dir, `display-${method}${extra.join('')}.png`);
      const r = await lucerna('attribute', model, '--input', photo, '--method', method, ...extra, '--out', out, '--json');
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout).display, display, `${method} ${extra.join(' ')}`);
    }
  });
});
