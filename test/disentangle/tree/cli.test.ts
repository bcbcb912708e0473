import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { saveRgbPng } from '../../../src/io/image.js';
import { buildModel } from '../../../src/onnx/builder.js';
import { assertOneLineError, lucerna, stderrLines } from '../../helpers/cli.js';
import { rng, uniform } from '../../helpers/gradcheck.js';

/** A 2-class CNN with a `features` ReLU layer; `zeroHead` gives every image the same logits (0). */
function rgbCnn(seed: number, zeroHead = false): Uint8Array {
  return buildModel({
    inputs: [{ name: 'input', dims: [1, 3, 6, 6] }],
    outputs: ['logits'],
    build: (b) => {
      const relu = b.op(
        'Relu',
        [b.op('Conv', ['input', b.weight('k', uniform(4 * 27, rng(seed)), [4, 3, 3, 3])], { pads: [1, 1, 1, 1] })],
        {},
        { outputs: ['features'] },
      );
      const flat = b.op('Flatten', [relu], { axis: 1 });
      b.op(
        'Gemm',
        [flat, b.weight('w', zeroHead ? new Float32Array(2 * 144) : uniform(2 * 144, rng(seed + 1)), [2, 144])],
        { transB: 1 },
        { outputs: ['logits'] },
      );
    },
  });
}

describe('lucerna tree build / explain', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lucerna-tree-'));
    await writeFile(join(dir, 'model.onnx'), rgbCnn(1));
    await writeFile(join(dir, 'other.onnx'), rgbCnn(5));
    await writeFile(join(dir, 'flat.onnx'), rgbCnn(1, true));
    const random = rng(3);
    for (const [cls, count] of [
      ['a', 12],
      ['b', 3],
    ] as const) {
      await mkdir(join(dir, 'data', cls), { recursive: true });
      for (let i = 0; i < count; i++) {
        const rgb = Uint8Array.from({ length: 6 * 6 * 3 }, () => Math.floor(random() * 256));
        await saveRgbPng(join(dir, 'data', cls, `${i}.png`), rgb, 6, 6);
      }
    }
  });
  after(() => rm(dir, { recursive: true, force: true }));
  /** `tree build` of class `a` at `features` on the test set into `out`, plus `extra` flags. */
  const buildTree = (out: string, ...extra: string[]) =>
    lucerna('tree', 'build', join(dir, 'model.onnx'), '--dataset', join(dir, 'data'), '--class', 'a', '--layer', 'features', '--out', out, ...extra);

  it('builds a tree.json and explains an image along its path', async () => {
    const out = join(dir, 'out');
    const run = await buildTree(out, '--batch-size', '5', '--json');
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '', 'no warning: the scores vary');
    assert.equal(JSON.parse(run.stdout).heldOut, undefined, 'no held-out images, no fidelity');
    const tree = JSON.parse(await readFile(join(out, 'tree.json'), 'utf8'));
    assert.equal(tree.version, 1);
    assert.equal(tree.nodes.length, 23);
    assert.equal(tree.filters, 4);
    const explained = await lucerna('tree', 'explain', join(out, 'tree.json'), join(dir, 'model.onnx'), '--input', join(dir, 'data', 'a', '0.png'), '--json');
    assert.equal(explained.code, 0, explained.stderr);
    const r = JSON.parse(explained.stdout);
    assert.equal(r.path[0].node, 22);
    assert.equal(tree.nodes[r.path.at(-1).node].children.length, 0);
  });

  it('reads a Broden folder (what dataset parts writes) through its classes/ view', async () => {
    const broden = join(dir, 'broden');
    await mkdir(broden);
    await symlink(join(dir, 'data'), join(broden, 'classes'));
    const rows = Array.from({ length: 12 }, (_, i) => `a/${i}.png,train,6,6,6,6`);
    await writeFile(join(broden, 'index.csv'), `image,split,ih,iw,sh,sw\n${rows.join('\n')}\n`);
    const out = join(dir, 'out-broden');
    const run = await lucerna('tree', 'build', join(dir, 'model.onnx'), '--dataset', broden, '--class', 'a', '--layer', 'features', '--out', out);
    assert.equal(run.code, 0, run.stderr);
    const tree = JSON.parse(await readFile(join(out, 'tree.json'), 'utf8'));
    assert.equal(tree.nodes.length, 23, 'the same 12 images of class a');
  });

  it('holds out the val rows of a Broden folder and reports the fidelity on them', async () => {
    const broden = join(dir, 'broden-val');
    await mkdir(broden);
    await symlink(join(dir, 'data'), join(broden, 'classes'));
    // Images 0–1 of class a and 0–1 of class b are held out; the 3rd b image has no row (not held out).
    const rows = [...Array.from({ length: 12 }, (_, i) => `a/${i}.png,${i < 2 ? 'val' : 'train'},6,6,6,6`), 'b/0.png,val,6,6,6,6', 'b/1.png,val,6,6,6,6'];
    await writeFile(join(broden, 'index.csv'), `image,split,ih,iw,sh,sw\n${rows.join('\n')}\n`);
    const out = join(dir, 'out-val');
    const args = ['tree', 'build', join(dir, 'model.onnx'), '--dataset', broden, '--class', 'a', '--layer', 'features', '--out', out];
    const run = await lucerna(...args, '--json');
    assert.equal(run.code, 0, run.stderr);
    const summary = JSON.parse(run.stdout);
    assert.equal(summary.images, 10, 'built without the 2 held-out images of a');
    const tree = JSON.parse(await readFile(join(out, 'tree.json'), 'utf8'));
    assert.equal(tree.nodes.length, 19);
    const f = summary.heldOut;
    assert.equal(f.images, 4);
    assert.equal(f.classImages, 2);
    assert.deepEqual(
      f.layers.map((r: { layer: string }) => r.layer),
      ['root', 'modes', 'leaves'],
    );
    for (const r of f.layers) {
      for (const k of ['classError', 'classRelativeError', 'error', 'relativeError']) assert.ok(Number.isFinite(r[k]) && r[k] >= 0, `${r.layer} ${k}: ${r[k]}`);
    }
    const text = await lucerna(...args);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /held-out fidelity \(the val split of .*\), root → modes → leaves/);
    assert.match(text.stdout, /\n {2}2 images of "a": error \d\.\d{4} → \d\.\d{4} → \d\.\d{4}; relative \d\.\d{4} → /);
    assert.match(text.stdout, /\n {2}all 4 held-out images: error /);
    // --held-out none: every image of the class, nothing scored.
    const all = await lucerna(...args, '--held-out', 'none', '--json');
    assert.equal(all.code, 0, all.stderr);
    assert.equal(JSON.parse(all.stdout).images, 12);
    assert.equal(JSON.parse(all.stdout).heldOut, undefined);
    // --held-out names other images: the whole class is built on, the folder is scored.
    const heldRun = await buildTree(join(dir, 'out-ho'), '--held-out', join(dir, 'data'), '--json');
    assert.equal(heldRun.code, 0, heldRun.stderr);
    const other = JSON.parse(heldRun.stdout);
    assert.equal(other.images, 12);
    assert.equal(other.heldOut.images, 15);
    assert.equal(other.heldOut.classImages, 12);
    assertOneLineError(await buildTree(join(dir, 'out-ho2'), '--held-out', join(dir, 'nowhere')), 1, /Cannot read the image folder .*nowhere/);
  });

  it('warns in one line when every image has the same score', async () => {
    const out = join(dir, 'out-flat');
    const run = await lucerna('tree', 'build', join(dir, 'flat.onnx'), '--dataset', join(dir, 'data'), '--class', 'a', '--layer', 'features', '--out', out);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(stderrLines(run).length, 1, run.stderr);
    assert.match(run.stderr, /^warning: every one of the 12 images of "a" has the same score \(0\.00000\): the network does not tell them apart/);
    await readFile(join(out, 'tree.json'));
  });

  it('writes the tree report with --report and the path report with --out', async () => {
    const out = join(dir, 'out-report');
    const built = await buildTree(out, '--report', '--report-depth', '2');
    assert.equal(built.code, 0, built.stderr);
    const html = await readFile(join(out, 'tree.html'), 'utf8');
    const tree = JSON.parse(await readFile(join(out, 'tree.json'), 'utf8'));
    // The root and two levels below it: 1 + 2 + 4 node boxes (the 12-leaf tree is deeper than 2).
    assert.equal(html.match(/<g class="node">/g)?.length, 7);
    assert.match(html, new RegExp(`node ${tree.root} · 12 images`));
    assert.match(html, /nodes below/);
    // Each bar of a filter that fires on the node's images has its patch beside it: a 6×6 PNG here.
    const patches = html.match(/<image class="patch" href="data:image\/png;base64,[A-Za-z0-9+/=]+"/g) ?? [];
    assert.ok(patches.length >= 7 && patches.length <= 21, `${patches.length} patches`);
    const rebuilt = await buildTree(out);
    assert.equal(rebuilt.code, 0, rebuilt.stderr);
    assert.match(rebuilt.stderr, /^warning: .*tree\.html is an earlier run's report and does not show this tree; add --report to rewrite it\n$/);
    const report = join(dir, 'path.html');
    const explained = await lucerna(
      'tree',
      'explain',
      join(out, 'tree.json'),
      join(dir, 'model.onnx'),
      '--input',
      join(dir, 'data', 'a', '0.png'),
      '--out',
      report,
      '--json',
    );
    assert.equal(explained.code, 0, explained.stderr);
    const path = JSON.parse(explained.stdout).path as { node: number }[];
    const page = await readFile(report, 'utf8');
    assert.match(page, /Decision path/);
    // Every node of the path is drawn, highlighted, down to its leaf.
    assert.equal(page.match(/stroke="#d35400" stroke-width="2.5"\/><text/g)?.length, path.length);
    assert.match(page, new RegExp(`node ${path.at(-1)?.node} · 1 image<`));
    // Patches only on the path (cut from the explained image), at most one per drawn bar there.
    const cut = page.match(/<image class="patch"/g)?.length ?? 0;
    assert.ok(cut >= path.length && cut <= 4 * path.length, `${cut} patches on a path of ${path.length}`);
    // One heatmap per filter that contributes positively on the path (4 filters at most), each captioned with its nodes.
    const steps = JSON.parse(explained.stdout).path as { node: number; top: { filter: number; value: number }[] }[];
    const positive = new Set(steps.flatMap((s) => s.top.filter((c) => c.value > 0).map((c) => c.filter)));
    assert.match(page, /Where the contributing filters fire/);
    assert.equal(page.match(/<figure class="tile"/g)?.length, positive.size);
    // Captioned with the nodes where the filter is a top contributor (a range for more than 3 steps).
    assert.match(
      page,
      new RegExp(`<div>(node ${steps[0]?.node}: [0-9.]+ %|nodes ${steps[0]?.node} … ${steps.at(-1)?.node} \\(\\d+ steps\\): [0-9.]+–[0-9.]+ %)</div>`),
    );
  });

  it('names the report filters by part with --parts (a dissection tally), and refuses a bad one', async () => {
    const tally = join(dir, 'tally.csv');
    await writeFile(tally, 'unit,category,label,score,part-label,part-iou\n2,part,beak,0.3,beak,0.3\n0,part,pectoral_fin,0.1,pectoral_fin,0.1\n');
    const out = join(dir, 'out-parts');
    const built = await buildTree(out, '--report', '--parts', tally);
    assert.equal(built.code, 0, built.stderr);
    const html = await readFile(join(out, 'tree.html'), 'utf8');
    assert.match(html, /f2 beak/);
    assert.match(html, /f0 pectoral…/);
    assert.doesNotMatch(html, /filter 2\b/);
    await writeFile(join(dir, 'bad-tally.csv'), 'unit,category,label,score\n9,part,beak,0.3\n');
    assertOneLineError(
      await buildTree(join(dir, 'out-bad'), '--report', '--parts', join(dir, 'bad-tally.csv')),
      1,
      /lists unit 9, but the tree's layer has 4 filters/,
    );
    assertOneLineError(await buildTree(join(dir, 'out-bad2'), '--parts', tally), 2, /--parts names the filters of the report: add --report/);
  });

  it('refuses a tree from another model, a small class and a missing layer, in one line', async () => {
    const out = join(dir, 'out2');
    const ok = await lucerna('tree', 'build', join(dir, 'model.onnx'), '--dataset', join(dir, 'data'), '--class', 'a', '--layer', 'features', '--out', out);
    assert.equal(ok.code, 0, ok.stderr);
    const png = join(dir, 'data', 'a', '1.png');
    assertOneLineError(await lucerna('tree', 'explain', join(out, 'tree.json'), join(dir, 'other.onnx'), '--input', png), 1, /built for another model/);
    assertOneLineError(
      await lucerna('tree', 'build', join(dir, 'model.onnx'), '--dataset', join(dir, 'data'), '--class', 'b', '--layer', 'features', '--out', join(dir, 'o3')),
      2,
      /has 3 images; a tree needs at least 10/, // BAD_OPTION: the usage exit code
    );
    assertOneLineError(
      await lucerna('tree', 'build', join(dir, 'model.onnx'), '--dataset', join(dir, 'data'), '--class', 'a', '--layer', 'featurez', '--out', join(dir, 'o4')),
      1,
      /featurez/,
    );
    assertOneLineError(
      await lucerna('tree', 'build', join(dir, 'model.onnx'), '--dataset', join(dir, 'data'), '--class', 'a', '--layer', 'logits', '--out', join(dir, 'o5')),
      1,
      /"logits" has shape .*; the decision tree needs a 4-D \[N, C, h, w\] activation/,
    );
    // Nothing half-written.
    await assert.rejects(readFile(join(dir, 'o5', 'tree.json')));
    await assert.rejects(readFile(join(dir, 'o3', 'tree.json')));
    await assert.rejects(readFile(join(dir, 'o4', 'tree.json')));
  });
});
