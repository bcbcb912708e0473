/**
 * `lucerna train --interpretable` through `main(argv)` in-process: the checkpoint carries the mask
 * layer and runs, filters get categories, and bad input is one line on stderr with no checkpoint.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { nodeRuntime } from '../../src/engine/node.js';
import { createModel } from '../../src/models/architectures.js';
import { graphFromBytes } from '../../src/onnx/builder.js';
import { lucerna, lucernaJson } from '../helpers/cli.js';

const work = await mkdtemp(join(tmpdir(), 'lucerna-icnn-cli-'));
after(() => rm(work, { recursive: true, force: true }));
await lucernaJson('dataset', 'parts', '--out', join(work, 'parts'), '--n', '24', '--seed', '1', '--size', '32', '--classes', '1');
const classes = join(work, 'parts', 'classes');
const model = join(work, 'm.onnx');
writeFileSync(model, createModel('small-cnn', { classes: 2, input: [3, 32, 32], seed: 0 }));
const tiny = join(work, 'tiny.onnx');
writeFileSync(tiny, createModel('small-cnn', { classes: 2, input: [3, 4, 4], seed: 0 }));
const noNone = join(work, 'no-none');
mkdirSync(noNone);
symlinkSync(join(classes, 'bird'), join(noNone, 'bird'));
symlinkSync(join(classes, 'none'), join(noNone, 'cat'));

const run = (...args: string[]) => lucerna('train', ...args);

function assertOneLine(r: { code: number; stderr: string }, pattern: RegExp, out: string): void {
  assert.notEqual(r.code, 0, r.stderr);
  const lines = r.stderr.split('\n').filter((l) => l);
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0] as string, /^error: /);
  assert.match(lines[0] as string, pattern);
  assert.ok(!existsSync(out), 'no checkpoint is written');
}

const common = ['--steps', '3', '--batch-size', '8', '--optimizer', 'adam', '--val', '0', '--json'];

describe('lucerna train --interpretable', () => {
  it('single-category: every filter belongs to the object class and the checkpoint runs the mask', async () => {
    const out = join(work, 'single.onnx');
    const r = await run(model, '--dataset', classes, '--interpretable', 'Relu_3', ...common, '--out', out);
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout);
    assert.deepEqual(summary.interpretable.Relu_3, Array(64).fill(0)); // bird = 0, none = 1
    assert.ok(summary.losses.every(Number.isFinite));
    // the filter loss comes back as its own curve, and the terms add up to the total
    const ce = summary.termLosses.cross_entropy as number[];
    const fl = summary.termLosses['filter_loss:Relu_3'] as number[];
    assert.equal(fl.length, summary.losses.length);
    for (const [i, l] of (summary.losses as number[]).entries()) {
      assert.ok(Math.abs(l - (ce[i] as number) - (fl[i] as number)) < 1e-4 * (1 + Math.abs(l)), `step ${i}`);
    }
    assert.ok(Number.isFinite(summary.epochs[0].terms['filter_loss:Relu_3']));
    // the report shows every filter's mean map over the object's images
    const html = readFileSync(out.replace(/\.onnx$/, '.report.html'), 'utf8');
    assert.match(html, /Interpretable filters: mean activation maps/);
    assert.match(html, /over 12 bird images/);
    assert.equal((html.match(/<figure class="filter-map">/g) ?? []).length, 64);
    const g = graphFromBytes(readFileSync(out));
    // the mask centres on each map's centroid (Floor of the weighted mean) with a per-filter β, both by default
    assert.ok(g.nodes.some((n) => n.opType === 'Floor'));
    assert.deepEqual(g.initializerDims('Relu_3/mask/beta'), [1, 64, 1]);
    assert.ok(g.consumers('Relu_3').some((n) => n.opType === 'Mul'));
    const s = await nodeRuntime.createSession(readFileSync(out));
    try {
      const y = await s.run({ input: { data: new Float32Array(3 * 32 * 32).fill(0.5), shape: [1, 3, 32, 32] } });
      assert.ok([...(y.logits?.data ?? [])].every(Number.isFinite));
    } finally {
      await s.dispose();
    }
  });
  /** A multi-category run at Relu_3 into `name` under the work folder, with `extra` flags. */
  const multiCategory = (name: string, ...extra: string[]) =>
    run(model, '--dataset', classes, '--interpretable', 'Relu_3', '--interpretable-mode', 'multi', ...extra, ...common, '--out', join(work, name));
  it('multi-category: each filter gets the object class it fires for most; none owns no filter', async () => {
    const r = await multiCategory('multi.onnx', '--filter-loss-weight', '0.5');
    assert.equal(r.code, 0, r.stderr);
    const cats: number[] = JSON.parse(r.stdout).interpretable.Relu_3;
    assert.equal(cats.length, 64);
    // bird = 0, none = 1: the only object class owns every filter, none's images are negatives
    assert.deepEqual(cats, Array(64).fill(0));
  });
  it('--filter-assign relative trains, and none still owns no filter', async () => {
    const r = await multiCategory('relative.onnx', '--filter-assign', 'relative');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).interpretable.Relu_3, Array(64).fill(0));
  });
  it('--filter-loss approx trains and still reports the paper’s −MI as the filter loss', async () => {
    const out = join(work, 'approx.onnx');
    const r = await run(model, '--dataset', classes, '--interpretable', 'Relu_3', '--filter-loss', 'approx', ...common, '--out', out);
    assert.equal(r.code, 0, r.stderr);
    const fl = JSON.parse(r.stdout).termLosses['filter_loss:Relu_3'] as number[];
    assert.ok(
      fl.every((v) => Number.isFinite(v) && v <= 1e-6),
      `−MI ≤ 0 at every step: ${fl}`,
    );
    assert.ok(existsSync(out));
  });
  it('rejects an unknown --filter-loss form', async () => {
    const out = join(work, 'bad5.onnx');
    assertOneLine(await run(model, '--dataset', classes, '--interpretable', 'Relu_3', '--filter-loss', 'paper', ...common, '--out', out), /--filter-loss/, out);
  });
  it('rejects a tensor that is not a conv output', async () => {
    const out = join(work, 'bad1.onnx');
    assertOneLine(await run(model, '--dataset', classes, '--interpretable', 'Flatten', ...common, '--out', out), /not a conv layer's output/, out);
  });
  it('rejects a layer smaller than 3×3', async () => {
    const out = join(work, 'bad2.onnx');
    assertOneLine(await run(tiny, '--dataset', classes, '--interpretable', 'Relu_3', ...common, '--out', out), /at least 3×3/, out);
  });
  it('rejects single-category data without none images', async () => {
    const out = join(work, 'bad3.onnx');
    assertOneLine(await run(model, '--dataset', noNone, '--interpretable', 'Relu_3', ...common, '--out', out), /class named "none"/, out);
  });
  it('rejects a bad template option', async () => {
    const out = join(work, 'bad4.onnx');
    assertOneLine(await run(model, '--dataset', classes, '--interpretable', 'Relu_3', '--alpha', '1.5', ...common, '--out', out), /--alpha/, out);
  });
  for (const [flag, value] of [
    ['--mask-centre', 'middle'],
    ['--beta-mode', 'learned'],
    ['--filter-assign', 'epoch'],
    ['--filter-loss-schedule', 'cosine'],
  ] as const) {
    it(`rejects an unknown ${flag}`, async () => {
      const out = join(work, `bad-${flag.slice(2)}.onnx`);
      assertOneLine(await run(model, '--dataset', classes, '--interpretable', 'Relu_3', flag, value, ...common, '--out', out), new RegExp(flag), out);
    });
  }
});
