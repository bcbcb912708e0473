/**
 * `lucerna inspect`, run as a child process (node bin/lucerna.js …) on the oracle's tiny CNN, on a
 * model with symbolic dims, and on files that are not models: each failure is one line on stderr.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatUsageError, reportError } from '../../src/cli/errors.js';
import { bundledModelPath } from '../../src/convert/default-model.js';
import { LucernaError } from '../../src/errors.js';
import { buildModel } from '../../src/onnx/builder.js';
import type { ModelSummary } from '../../src/onnx/inspect.js';
import { assertOneLineError, lucerna, stderrLines } from '../helpers/cli.js';
import { rng, uniform } from '../helpers/gradcheck.js';
import { oracle, oracleDir, sharedDir } from '../helpers/oracle.js';

const tinyCnn = join(oracleDir, 'tiny_cnn/model.onnx');

// tiny_cnn: Conv(3→8, 3×3) → ReLU → MaxPool2 → Conv(8→16, 3×3) → ReLU → GAP → Flatten → Linear(16→10).
const TINY_PARAMETERS = 8 * 3 * 9 + 8 + (16 * 8 * 9 + 16) + (10 * 16 + 10);
const TINY_NODES = ['/conv1/Conv', '/relu1/Relu', '/pool/MaxPool', '/conv2/Conv', '/relu2/Relu', '/gap/GlobalAveragePool', '/flatten/Flatten', '/fc/Gemm'];
const TINY_SHAPES: Record<string, number[]> = {
  '/conv1/Conv_output_0': [1, 8, 32, 32],
  '/pool/MaxPool_output_0': [1, 8, 16, 16],
  '/relu2/Relu_output_0': [1, 16, 16, 16],
  '/gap/GlobalAveragePool_output_0': [1, 16, 1, 1],
  logits: [1, 10],
};

describe('lucerna inspect on the tiny CNN', () => {
  const gradcamLayer = oracle().models.tiny_cnn?.gradcam_layer.onnx_tensor as string;

  it('prints inputs, outputs, every node with shapes, aligned, and the default Grad-CAM layer', async () => {
    const run = await lucerna('inspect', tinyCnn);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    const lines = run.stdout.split('\n');
    assert.ok(lines.includes(`parameters  ${TINY_PARAMETERS.toLocaleString('en-US')} in 6 initializers`), run.stdout);
    assert.ok(lines.some((l) => /^\s+input\s+float32\s+\[1, 3, 32, 32\]\s+\[1, 3, 32, 32\]$/.test(l)));
    assert.ok(lines.some((l) => /^\s+logits\s+float32\s+\[1, 10\]\s+\[1, 10\]$/.test(l)));
    assert.ok(lines.some((l) => /opset 13/.test(l)));
    assert.ok(lines.some((l) => /pytorch 1\.13\.0/.test(l)));

    const header = lines.findIndex((l) => /^\s+#\s+op\s+node\s+output\s+type\s+shape\s+note$/.test(l));
    assert.ok(header > 0, 'node table header');
    const rows = lines.slice(header + 1, header + 1 + TINY_NODES.length);
    const outputColumn = (lines[header] as string).indexOf('output');
    rows.forEach((row, i) => {
      assert.ok(row.includes(` ${TINY_NODES[i]} `), `row ${i + 1} is ${TINY_NODES[i]}: ${row}`);
      assert.ok(row[outputColumn - 1] === ' ' && row[outputColumn] !== ' ', `output column aligned in: ${row}`);
    });
    for (const [tensor, shape] of Object.entries(TINY_SHAPES)) {
      assert.ok(
        rows.some((r) => r.includes(` ${tensor} `) && r.includes(`[${shape.join(', ')}]`)),
        `${tensor} has shape ${shape}`,
      );
    }
    const defaultRow = rows.find((r) => r.includes('grad-cam (default)'));
    assert.ok(defaultRow?.includes(` ${gradcamLayer} `), `default row: ${defaultRow}`);
    assert.match(run.stdout, new RegExp(`grad-cam layers: 5 .*default ${gradcamLayer.replace(/[/.]/g, '\\$&')}`));
  });

  it('--json gives the same data as JSON', async () => {
    const run = await lucerna('inspect', tinyCnn, '--json');
    assert.equal(run.code, 0, run.stderr);
    const summary = JSON.parse(run.stdout) as ModelSummary & { file: string };
    assert.equal(summary.file, tinyCnn);
    assert.equal(summary.opset, 13);
    assert.equal(summary.parameters, TINY_PARAMETERS);
    assert.deepEqual(
      summary.nodes.map((n) => n.name),
      TINY_NODES,
    );
    assert.deepEqual(summary.shapes, { probed: true, inputShape: [1, 3, 32, 32] });
    assert.deepEqual(summary.inputs, [{ name: 'input', type: 'float32', dims: [1, 3, 32, 32], shape: [1, 3, 32, 32] }]);
    const outputs = new Map(summary.nodes.flatMap((n) => n.outputs.map((o) => [o.name, o] as const)));
    for (const [tensor, shape] of Object.entries(TINY_SHAPES)) assert.deepEqual(outputs.get(tensor)?.shape, shape, tensor);
    assert.equal(summary.defaultCamLayer, gradcamLayer);
    assert.deepEqual(summary.camLayers, ['/conv1/Conv_output_0', '/relu1/Relu_output_0', '/pool/MaxPool_output_0', '/conv2/Conv_output_0', gradcamLayer]);
    assert.equal(outputs.get(gradcamLayer)?.cam, 'default');
    assert.equal(outputs.get('/gap/GlobalAveragePool_output_0')?.cam, undefined);
  });
});

describe('lucerna inspect on models it cannot probe at once', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'lucerna-inspect-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const symbolicModel = () =>
    buildModel({
      opset: 13,
      inputs: [{ name: 'x', dims: ['N', 2, 'height', 'width'] }],
      outputs: ['y'],
      build: (b) => b.op('Relu', [b.op('Conv', ['x', b.weight('w', uniform(3 * 2 * 9, rng(1)), [3, 2, 3, 3])])], {}, { outputs: ['y'] }),
    });

  it('says clearly that symbolic non-batch dims leave shapes unknown, and --shape fixes them', async () => {
    const file = join(dir, 'symbolic.onnx');
    writeFileSync(file, symbolicModel());
    const run = await lucerna('inspect', file);
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stdout,
      /shapes unknown: the input \[N, 2, height, width\] has symbolic non-batch dims \(height, width\); pass --shape 1x2x<height>x<width>/,
    );
    const json = JSON.parse((await lucerna('inspect', file, '--json')).stdout) as ModelSummary;
    assert.equal(json.shapes.probed, false);
    assert.deepEqual(json.inputs[0]?.dims, ['N', 2, 'height', 'width']);

    const fixed = JSON.parse((await lucerna('inspect', file, '--json', '--shape', '1x2x9x7')).stdout) as ModelSummary;
    assert.deepEqual(fixed.shapes, { probed: true, inputShape: [1, 2, 9, 7] });
    assert.deepEqual(fixed.outputs[0]?.shape, [1, 3, 7, 5]);
    assert.equal(fixed.defaultCamLayer, 'y');
  });

  it('rejects a --shape that does not fit the model with one line', async () => {
    const file = join(dir, 'symbolic-bad-shape.onnx');
    writeFileSync(file, symbolicModel());
    assertOneLineError(await lucerna('inspect', file, '--shape', '1x3x9x7'), 1, /expects input shape/);
    assertOneLineError(await lucerna('inspect', file, '--shape', '1x2xbig'), 2, /--shape "1x2xbig" is not a shape/);
  });
});

describe('lucerna inspect on bad input', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'lucerna-bad-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a text file', async () => {
    const file = join(dir, 'notes.onnx');
    writeFileSync(file, 'this is not a model\nat all\n');
    assertOneLineError(await lucerna('inspect', file), 1, /is not an ONNX model/);
  });

  it('a PNG image', async () => {
    const file = join(dir, 'picture.png');
    copyFileSync(join(sharedDir, 'images/astronaut.png'), file);
    assertOneLineError(await lucerna('inspect', file), 1, /picture\.png is not an ONNX model/);
  });

  it('a truncated model (the first half of a real one)', async () => {
    const bytes = readFileSync(tinyCnn);
    const file = join(dir, 'half.onnx');
    writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length / 2)));
    assertOneLineError(await lucerna('inspect', file), 1, /truncated or damaged ONNX file/);
  });

  it('a missing file', async () => {
    assertOneLineError(await lucerna('inspect', join(dir, 'nowhere.onnx')), 1, /Cannot find the model: .*nowhere\.onnx\. Check the path/);
  });

  it('a directory', async () => {
    const sub = join(dir, 'models.onnx');
    mkdirSync(sub);
    assertOneLineError(await lucerna('inspect', sub), 1, /is a directory/);
  });

  it('usage errors exit 2 with one line', async () => {
    assertOneLineError(await lucerna('inspect', '--shape'), 2, /option '--shape <dims>' argument missing/);
    assertOneLineError(await lucerna('attribute', tinyCnn), 2, /required option '--input <file>' not specified/);
    assertOneLineError(await lucerna('inspekt', tinyCnn), 2, /unknown command 'inspekt'.*Did you mean inspect/);
  });

  it('--debug adds the stack', async () => {
    const run = await lucerna('inspect', join(dir, 'nowhere.onnx'), '--debug');
    assert.equal(run.code, 1);
    assert.deepEqual(stderrLines(run)[0], 'debug: inspect running; Ctrl-C stops it');
    assert.match(stderrLines(run)[1] as string, /^error: Cannot find the model/);
    assert.match(run.stderr, /\n\s+at /);
  });
});

describe('CLI error reporting', () => {
  const capture = (e: unknown, debug = false) => {
    let text = '';
    const code = reportError(e, { debug, write: (t) => (text += t) });
    return { code, text };
  };

  it('prints other errors as one "internal error" line, with the stack only under --debug', () => {
    const plain = capture(new TypeError('boom\nsecond line'));
    assert.equal(plain.code, 1);
    assert.equal(plain.text, 'internal error: boom second line. Run with --debug for the stack\n');
    const debug = capture(new TypeError('boom'), true);
    assert.match(debug.text, /^internal error: boom\n/);
    assert.match(debug.text, /\n\s+at /);
  });

  it('prints Lucerna errors as "error: <message>. <hint>", BAD_OPTION as a usage error', () => {
    assert.deepEqual(capture(new LucernaError('BAD_SHAPE', 'Wrong shape.', 'Resize it')), { code: 1, text: 'error: Wrong shape. Resize it\n' });
    assert.deepEqual(capture(new LucernaError('BAD_OPTION', 'Bad --k')), { code: 2, text: 'error: Bad --k\n' });
    assert.equal(
      formatUsageError("error: unknown option '--x'\n(Did you mean --json?)\n"),
      "error: unknown option '--x' (Did you mean --json?). Run with --help for usage\n",
    );
  });
});

describe('lucerna inspect with no model', () => {
  it('inspects the bundled MobileNetV2 in its logits variant (the one every command runs), also as "bundled"', async () => {
    const run = await lucerna('inspect', '--json');
    assert.equal(run.code, 0, run.stderr);
    const summary = JSON.parse(run.stdout) as ModelSummary & { file: string };
    assert.match(summary.file, /nsfw-mobilenet_v2-logits/);
    assert.equal(summary.file, bundledModelPath(), 'the shipped file, not a derived copy in the cache');
    assert.equal(summary.defaultCamLayer, 'out_relu');
    assert.ok(!summary.opCounts.Softmax, 'no final softmax');
    const named = await lucerna('inspect', 'bundled', '--json');
    assert.equal(named.code, 0, named.stderr);
    assert.equal(JSON.parse(named.stdout).file, summary.file);
  });
});
