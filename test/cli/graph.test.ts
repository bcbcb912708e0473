/**
 * `lucerna graph build` and `lucerna graph locate` end to end on a hand-made two-layer model over
 * the marker set (a red dot on the eye, a blue dot anywhere): graph.json's documented shape and
 * the model's identity; --shots K and --annotations with the same clicks give the same answer, and
 * the graph locates the eye better than the mean position; `graph report` writes the view; one-line errors for a layer that is not
 * a conv output, a class with too few images, a graph from another model, and a missing shot flag.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseGraph } from '../../src/disentangle/graph/graph-file.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { setDefaultRuntime } from '../../src/engine/runtime.js';
import { type MarkerImage, SIZE, writeMarkerSet } from '../datasets/marker-set.js';
import { assertOneLineError, lucerna } from '../helpers/cli.js';
import { twoLayerModel } from '../helpers/graph-model.js';

const dir = mkdtempSync(join(tmpdir(), 'lucerna-graph-cli-'));
const model = join(dir, 'two.onnx');
const other = join(dir, 'other.onnx');
const set = join(dir, 'set');
const out = join(dir, 'g');
let marks: MarkerImage[] = [];
after(() => rmSync(dir, { recursive: true, force: true }));

before(async () => {
  setDefaultRuntime(nodeRuntime);
  writeFileSync(model, twoLayerModel());
  writeFileSync(other, twoLayerModel(2));
  marks = await writeMarkerSet(set, {
    classes: { bird: { count: 12, redOffset: 0, tail: false }, fish: { count: 3, redOffset: 0, tail: false } },
    none: 0,
    seed: 5,
  });
});

/** `graph build` on the marker set with small settings; `extra` replaces flags (later ones win). */
const build = (...extra: string[]) =>
  lucerna(
    'graph',
    'build',
    model,
    '--dataset',
    set,
    '--class',
    'bird',
    '--layer',
    'relu1,relu2',
    '--out',
    out,
    ...['--patterns', '2,2', '--parents', '2'],
    ...['--peaks', '3', '--iterations', '3', '--json'],
    ...extra,
  );
const graphFile = () => join(out, 'graph.json');
/** `graph locate` on the built graph, as JSON. */
const locate = (...args: string[]) => lucerna('graph', 'locate', graphFile(), '--dataset', set, '--part', 'eye', '--json', ...args);

function ok(run: { code: number; stdout: string; stderr: string }) {
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout);
}

describe('lucerna graph', () => {
  it('builds graph.json with the documented shape and the model’s identity', async () => {
    const s = { json: ok(await build()) };
    const graph = parseGraph(readFileSync(join(out, 'graph.json'), 'utf8'));
    assert.equal(graph.version, 1);
    assert.equal(graph.class, 'bird');
    assert.equal(graph.model.id, `sha256:${createHash('sha256').update(readFileSync(model)).digest('hex')}`);
    assert.deepEqual(graph.layers, [
      { name: 'relu1', channels: 2, height: 32, width: 32 },
      { name: 'relu2', channels: 2, height: 16, width: 16 },
    ]);
    assert.deepEqual(graph.settings.patternsPerFilter, [2, 2]);
    assert.ok(graph.nodes.length > 0 && graph.nodes.length <= 8);
    assert.equal(s.json.images, 12);
  });

  it('locates the eye from 3 shots, the same with --shots and with --annotations', async () => {
    const a = { json: ok(await locate('--shots', '3', '--out', join(dir, 'loc-a'))) };
    const clicks = ['image,landmark,x,y', ...marks.slice(0, 3).map((m) => `${m.name},eye,${m.eye[0] + 0.5},${m.eye[1] + 0.5}`), 'img_0000.png,tail,1,1'].join(
      '\n',
    );
    writeFileSync(join(dir, 'clicks.csv'), `${clicks}\n`);
    const b = { json: ok(await locate('--annotations', join(dir, 'clicks.csv'), '--out', join(dir, 'loc-b'))) };
    assert.deepEqual(a.json, b.json);
    assert.equal(a.json.heldOut, 9);
    assert.deepEqual(
      a.json.shots,
      marks.slice(0, 3).map((m) => m.name),
    );
    // The red dot sits on the eye: the graph's red node finds it to within the pooling cell.
    assert.ok(a.json.error.graph < a.json.error.mean, JSON.stringify(a.json.error));
    assert.ok(a.json.error.graph < 2 / Math.hypot(SIZE, SIZE), JSON.stringify(a.json.error));
    // The template baseline matches the red detector's feature too (on relu1, chosen on the shots).
    assert.ok(a.json.error.template < a.json.error.mean, JSON.stringify(a.json.error));
    assert.ok(['relu1', 'relu2'].includes(a.json.templateLayer));
    const csv = readFileSync(join(dir, 'loc-a', 'locate.csv'), 'utf8')
      .trim()
      .split('\n');
    assert.equal(csv.length, 10);
  });

  it('lucerna stability measures a graph’s nodes beside the filters of its layers', async () => {
    const run = await lucerna('stability', join(out, 'graph.json'), '--dataset', set, '--json');
    assert.equal(run.code, 0, run.stderr);
    const json = JSON.parse(run.stdout);
    assert.equal(json.images, 12);
    assert.deepEqual(
      json.layers.map((l: { layer: string }) => l.layer),
      ['relu1', 'relu2'],
    );
    // The graph paper's protocol by default; issue #15's definition beside it.
    assert.equal(json.protocol, 'graph');
    for (const l of json.layers) {
      assert.ok(typeof l.nodes === 'number' && typeof l.filters === 'number', JSON.stringify(l));
      assert.ok(l.measuredNodes <= l.filterCount && l.measuredFilters <= l.filterCount);
      assert.ok(typeof l.other.nodesAtFilterMaximum === 'number');
    }
    const every = JSON.parse((await lucerna('stability', join(out, 'graph.json'), '--dataset', set, '--protocol', 'default', '--json')).stdout);
    assert.equal(every.protocol, 'default');
    assert.deepEqual(
      every.layers.map((l: { nodes: number }) => l.nodes),
      json.layers.map((l: { other: { nodes: number } }) => l.other.nodes),
    );
    // Nodes of the red filter sit on the eye in every image: instability 0, as the red filter's.
    const graph = parseGraph(readFileSync(join(out, 'graph.json'), 'utf8'));
    const red = graph.nodes.filter((n) => n.layer === 0 && n.filter === 0 && n.support >= 6);
    assert.ok(red.length > 0);
    for (const n of red) assert.equal(every.nodes[n.id].instability, 0);
    const icnn = await lucerna('stability', join(out, 'graph.json'), '--dataset', set, '--protocol', 'icnn');
    assertOneLineError(icnn, 2, /graph or the default protocol only/);
    const ratio = await lucerna('stability', join(out, 'graph.json'), '--dataset', set, '--select-ratio', '0.5');
    assertOneLineError(ratio, 2, /--select-ratio is for the icnn protocol/);
    const noLayer = await lucerna('stability', model, '--dataset', set);
    assertOneLineError(noLayer, 2, /--layer is required/);
    const noUnits = await lucerna('stability', join(out, 'graph.json'), '--dataset', set, '--top-units', '0');
    assertOneLineError(noUnits, 2, /--top-units/);
  });

  it('graph qa --simulate writes the error-vs-questions curve of active and random selection', async () => {
    const qa = (...args: string[]) => lucerna('graph', 'qa', graphFile(), '--simulate', set, '--part', 'eye', '--json', ...args);
    const run = ok(await qa('--questions', '3', '--seeds', '2', '--initial', '1', '--out', join(dir, 'qa')));
    const file = JSON.parse(readFileSync(join(dir, 'qa', 'curve.json'), 'utf8'));
    assert.deepEqual(file, run);
    assert.deepEqual([run.pool, run.test, run.units], [6, 6, 'filters'], 'raw filters by default');
    assert.equal(run.error.active.length, 4);
    assert.equal(run.error.active[0], run.error.random[0], 'the same initial clicks');
    for (const kind of ['active', 'random'] as const) {
      const a = run.answers[kind];
      assert.equal(a.yes + a.here + a.absent, 2 * 3);
      for (const e of run.error[kind]) assert.ok(e >= 0 && e < 1);
    }
    assert.equal(run.perSeed.baseline.length, 2);
    const bad = join(dir, 'qa-bad');
    assertOneLineError(await qa('--part', 'wing', '--out', bad), 2, /has the landmark "wing"\. Its images have: eye$/);
    assertOneLineError(await qa('--radius', '-1', '--out', bad), 2, /--radius must be a number/);
    assert.equal(existsSync(bad), false);
  });

  it('graph report draws the nodes with their patches in a self-contained page', async () => {
    const page = join(dir, 'graph.html');
    const run = ok(await lucerna('graph', 'report', graphFile(), '--dataset', set, '--out', page, '--nodes', '2', '--json'));
    const graph = parseGraph(readFileSync(graphFile(), 'utf8'));
    const perLayer = graph.layers.map((_, l) => Math.min(2, graph.nodes.filter((n) => n.layer === l).length));
    assert.equal(
      run.shownNodes,
      perLayer.reduce((a, b) => a + b, 0),
    );
    assert.equal(run.images, 12);
    const html = readFileSync(page, 'utf8');
    assert.equal((html.match(/class="detail" id="d\d+"/g) ?? []).length, run.shownNodes);
    assert.ok((html.match(/<image /g) ?? []).length >= run.shownNodes, 'every shown node has a patch');
    assert.doesNotMatch(html, /<script/i);
    assertOneLineError(
      await lucerna('graph', 'report', graphFile(), '--dataset', set, '--out', join(dir, 'bad.html'), '--model', other),
      2,
      /built from another model/,
    );
    assert.equal(existsSync(join(dir, 'bad.html')), false);
  });

  it('refuses bad input with one-line errors and writes nothing', async () => {
    const bad = join(dir, 'bad');
    // Later flags win: each run repeats a flag of the good command with a bad value.
    assertOneLineError(await build('--layer', 'relu1,pool', '--out', bad), 2, /"pool" is not a conv layer output \(it comes from MaxPool\)/);
    assertOneLineError(await build('--class', 'fish', '--out', bad), 2, /has 3 images; at least 4 are needed/);
    assertOneLineError(await locate('--shots', '3', '--out', bad, '--model', other), 2, /built from another model/);
    assertOneLineError(await locate('--out', bad), 2, /exactly one of --shots K and --annotations/);
    assertOneLineError(await locate('--shots', '12', '--out', bad), 2, /at least 13/);
    assertOneLineError(await locate('--shots', '3', '--part', 'wing', '--out', bad), 2, /has the landmark "wing"\. Its images have: eye$/);
    assert.equal(existsSync(bad), false);
    const run = await lucerna('graph', 'build', model, '--dataset', set, '--class', 'bird', '--layer', 'logits', '--out', bad);
    assertOneLineError(run, 2, /"logits" is not a conv layer output/);
  });
});
