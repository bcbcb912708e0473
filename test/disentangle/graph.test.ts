/**
 * The explanatory graph's pure core: hand-computed peaks, k-means, locator and settings; then, on
 * a synthetic scene with a known answer (`graph-scene.ts`), the graph splits a two-part filter
 * into two nodes, its nodes are more stable than the raw filters, and three annotated images
 * locate the head better than the best single filter and than the mean position.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkGraphModel,
  type ExplanatoryGraph,
  firingFractions,
  fitExplanatoryGraph,
  fitPartLocator,
  imagePeaks,
  inferNodePositions,
  locatePart,
  mapPeaks,
  normalisedDistance,
  parseGraph,
  resolveSettings,
} from '../../src/disentangle/graph/index.js';
import { kmeans2d } from '../../src/disentangle/graph/kmeans.js';
import { isLucernaError } from '../../src/errors.js';
import { nodeInstability } from '../../src/metrics/graph-instability.js';
import { locationInstability } from '../../src/metrics/location-instability.js';
import { channelPeaks, unitCenter } from '../../src/metrics/peak-units.js';
import { type SceneImage, SIZE, scene } from './graph-scene.js';

const layers = [
  { name: 'lower', channels: 3, height: 16, width: 16 },
  { name: 'top', channels: 2, height: 8, width: 8 },
];
const source = { model: { id: 'sha256:test', name: 'scene' }, inputSize: SIZE, layers };
const settings = { patternsPerFilter: [2, 1], parents: 2, peaksPerFilter: 3 };

function build(images: readonly SceneImage[]): ExplanatoryGraph {
  return fitExplanatoryGraph(
    images.map((im) => imagePeaks(im.maps, SIZE, settings.peaksPerFilter)),
    source,
    settings,
  );
}

/** Raw filters of every layer as units: each filter's maximum, as location instability sees it. */
function filterUnits(im: SceneImage): { x: number[]; y: number[]; value: number[] } {
  const x: number[] = [];
  const y: number[] = [];
  const value: number[] = [];
  for (const m of im.maps) {
    const p = channelPeaks(m.data, 0, m.channels, m.height, m.width);
    for (let c = 0; c < m.channels; c++) {
      const [px, py] = unitCenter(p.row[c] as number, p.col[c] as number, m.height, m.width, SIZE[1], SIZE[0]);
      x.push(px);
      y.push(py);
      value.push(p.value[c] as number);
    }
  }
  return { x, y, value };
}

describe('explanatory graph: pieces', () => {
  it('finds local maxima, one per plateau, largest first, at unit centres', () => {
    // 3×3: peaks 2 at (2,1) and 1 at (0,1); the plateau of 3s in channel 1 gives one peak (first).
    const p = mapPeaks({ data: [0, 1, 0, 0, 0, 0, 0, 2, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0], channels: 2, height: 3, width: 3 }, [30, 30], 5);
    assert.deepEqual(p[0], { x: [15, 15], y: [25, 5], value: [2, 1] });
    assert.deepEqual(p[1], { x: [5], y: [5], value: [3] });
    assert.deepEqual(mapPeaks({ data: [0, 1, 0, 0, 0, 0, 0, 2, 0], channels: 1, height: 3, width: 3 }, [30, 30], 1)[0]?.value, [2]);
  });
  it('clusters points deterministically', () => {
    assert.deepEqual(kmeans2d([0, 1, 10, 11, 0.5], [0, 0, 0, 0, 0], 2), [0, 0, 1, 1, 0]);
    assert.deepEqual(kmeans2d([3, 3], [1, 1], 4), [0, 0]);
  });
  it('resolves the paper’s defaults and rejects bad settings', () => {
    const s = resolveSettings({}, 4);
    assert.deepEqual(s.patternsPerFilter, [40, 40, 20, 20]);
    assert.equal(s.parents, 15);
    assert.deepEqual(resolveSettings({}, 2).patternsPerFilter, [20, 20]);
    assert.deepEqual(resolveSettings({}, 5).patternsPerFilter, [40, 40, 40, 20, 20]);
    assert.throws(
      () => resolveSettings({ patternsPerFilter: [2] }, 2),
      (e) => isLucernaError(e, 'BAD_OPTION'),
    );
    assert.throws(
      () => resolveSettings({ parents: 0 }, 2),
      (e) => isLucernaError(e, 'BAD_OPTION'),
    );
  });
  it("locates a part from the units that best predict the shots, pulled towards the shots' prior (hand-computed)", () => {
    // unit 0 sits 2 px left of the part every time; unit 1 wanders; unit 2 misses a shot.
    const shots = [
      { units: { x: [8, 0, 5], y: [10, 0, 5], value: [1, 1, 0] }, part: [10, 10] as const },
      { units: { x: [18, 9, 5], y: [20, 5, 5], value: [1, 1, 1] }, part: [20, 20] as const },
    ];
    const loc = fitPartLocator(shots, 2, [32, 32]);
    // Prior: μ = (15, 15), σ²_p = (2 · 50) / (2 · 1) = 50. Unit 0: scatter 0, σ² = (1 · 50 + 0) / (1 + 2) = 50 / 3.
    // Unit 1: offsets (10, 10), (11, 15) → (10.5, 12.5), scatter 2 · 6.5 = 13, σ² = 63 / 3. Unit 2 missed a shot.
    assert.deepEqual(loc.units, [0, 1]);
    assert.deepEqual(loc.offsets, [
      [2, 0],
      [10.5, 12.5],
    ]);
    assert.deepEqual(loc.variances, [50 / 3, 21]);
    assert.deepEqual(loc.fallback, [15, 15]);
    assert.equal(loc.priorVariance, 50);
    // Only unit 0 fired, at 3× the prior's precision: (3 · 32 + 15) / 4 = 27.75, (3 · 1 + 15) / 4 = 4.5.
    const [x, y] = locatePart(loc, { x: [30, 0, 0], y: [1, 0, 0], value: [2, 0, 0] });
    assert.ok(Math.abs(x - 27.75) < 1e-9 && Math.abs(y - 4.5) < 1e-9, `${x}, ${y}`);
    // Without the prior, a unit predicts on its own: its position plus its offset.
    assert.deepEqual(locatePart(loc, { x: [30, 0, 0], y: [1, 0, 0], value: [2, 0, 0] }, { prior: false }), [32, 1]);
    assert.deepEqual(locatePart(loc, { x: [30, 0, 0], y: [1, 0, 0], value: [0, 0, 1] }, { prior: false }), [15, 15]);
    // Both fired: the prior and both units, each by its precision.
    const both = locatePart(loc, { x: [30, 9.5, 0], y: [1, 7.5, 0], value: [2, 1, 0] });
    const [w0, w1, w2] = [1 / 50, 3 / 50, 1 / 21];
    const sum = w0 + w1 + w2;
    assert.ok(Math.abs(both[0] - (w0 * 15 + w1 * 32 + w2 * 20) / sum) < 1e-9 && Math.abs(both[1] - (w0 * 15 + w1 * 1 + w2 * 20) / sum) < 1e-9);
    // Nothing fired: the mean annotated position.
    assert.deepEqual(locatePart(loc, { x: [30, 0, 0], y: [1, 0, 0], value: [0, 0, 1] }), [15, 15]);
    // One shot: no spread to estimate, so the prior is as wide as a point uniform over the input.
    assert.equal(fitPartLocator(shots.slice(0, 1), 1, [32, 32]).priorVariance, (32 * 32 * 2) / 24);
    assert.equal(normalisedDistance([0, 0], [3, 4], [30, 40]), 0.1);
    assert.throws(
      () => fitPartLocator([], 1, [32, 32]),
      (e) => isLucernaError(e, 'BAD_OPTION'),
    );
  });

  it('keeps only units that fire on most unlabelled images, unless none of them fits the shots', () => {
    const shots = [
      { units: { x: [8, 0, 5], y: [10, 0, 5], value: [1, 1, 0] }, part: [10, 10] as const },
      { units: { x: [18, 9, 5], y: [20, 5, 5], value: [1, 1, 1] }, part: [20, 20] as const },
    ];
    const pool = [
      { x: [0, 0, 0], y: [0, 0, 0], value: [1, 1, 1] },
      { x: [0, 0, 0], y: [0, 0, 0], value: [0, 1, 1] },
      { x: [0, 0, 0], y: [0, 0, 0], value: [0, 2, 0] },
    ];
    const rates = firingFractions(pool);
    assert.deepEqual([...rates], [1 / 3, 1, 2 / 3]);
    // Unit 0 fits the shots exactly but fires on a third of the pool: below 0.7, so unit 1 is kept.
    assert.deepEqual(fitPartLocator(shots, 2, [32, 32], { rates }).units, [1]);
    assert.deepEqual(fitPartLocator(shots, 2, [32, 32], { rates, minRate: 0.3 }).units, [0, 1]);
    // No frequent unit fired on every shot: the rate is not applied.
    assert.deepEqual(fitPartLocator(shots, 2, [32, 32], { rates: [0, 0.5, 1] }).units, [0, 1]);
  });
  it('refuses peaks of the wrong shape, damaged files and graphs of another model', () => {
    const peaks = imagePeaks(scene(1, 1)[0]?.maps ?? [], SIZE, 3);
    assert.throws(
      () => fitExplanatoryGraph([peaks.slice(0, 1)], source, settings),
      (e) => isLucernaError(e, 'BAD_SHAPE'),
    );
    assert.throws(
      () => fitExplanatoryGraph([], source, settings),
      (e) => isLucernaError(e, 'BAD_OPTION'),
    );
    const controller = new AbortController();
    controller.abort();
    assert.throws(
      () => fitExplanatoryGraph([peaks], source, settings, { signal: controller.signal }),
      (e) => isLucernaError(e, 'ABORTED'),
    );
    const seen: number[] = [];
    fitExplanatoryGraph([peaks, peaks], source, { ...settings, iterations: 2 }, { onProgress: (done, total) => seen.push(done / total) });
    assert.deepEqual(seen, [0.25, 0.5, 0.75, 1]);
    assert.throws(
      () => parseGraph('{', 'g.json'),
      (e) => isLucernaError(e, 'BAD_FILE') && /not JSON/.test(e.message),
    );
    assert.throws(
      () => parseGraph('{"format":"x"}'),
      (e) => isLucernaError(e, 'BAD_FILE'),
    );
    assert.throws(
      () => parseGraph('{"format":"lucerna-explanatory-graph","version":2}'),
      (e) => isLucernaError(e, 'BAD_FILE') && /version 2/.test(e.message),
    );
    const graph = build(scene(12, 2));
    const text = JSON.stringify(graph);
    assert.deepEqual(parseGraph(text), JSON.parse(text));
    const broken = JSON.parse(text);
    broken.edges[0].parent = broken.edges[0].child;
    assert.throws(
      () => parseGraph(JSON.stringify(broken)),
      (e) => isLucernaError(e, 'BAD_FILE'),
    );
    checkGraphModel(graph, 'sha256:test', 'scene');
    assert.throws(
      () => checkGraphModel(graph, 'sha256:other', 'other.onnx'),
      (e) => isLucernaError(e, 'BAD_OPTION') && /another model/.test(e.message),
    );
  });
});

describe('explanatory graph on a scene with a known answer', () => {
  const train = scene(40, 7);
  const test = scene(40, 8);
  const graph = build(train);

  it('has the documented shape: nodes per filter, parents in the layer above', () => {
    for (const n of graph.nodes) assert.ok(n.support >= graph.settings.minSupport);
    const lower = graph.nodes.filter((n) => n.layer === 0);
    assert.equal(lower.filter((n) => n.filter === 0).length, 2);
    for (const e of graph.edges) assert.equal(graph.nodes[e.parent]?.layer, (graph.nodes[e.child]?.layer ?? 0) + 1);
    for (const n of lower) assert.ok(graph.edges.filter((e) => e.child === n.id).length <= 2);
  });

  it('splits the two-part filter into a head node and a tail node, relative to the body', () => {
    const two = graph.nodes.filter((n) => n.layer === 0 && n.filter === 0);
    const body = graph.nodes.find((n) => n.layer === 1 && n.filter === 0);
    assert.ok(body);
    const dx = two.map((n) => graph.edges.find((e) => e.child === n.id && e.parent === body.id)?.displacement[0] ?? Number.NaN).sort((a, b) => a - b);
    assert.ok(Math.abs((dx[0] as number) + 14) < 3 && Math.abs((dx[1] as number) - 14) < 3, `displacements ${dx}`);
  });

  it('its nodes are more stable than the raw filters of the same layer, on the same images', () => {
    const opts = { width: SIZE[1], height: SIZE[0] };
    const nodes = nodeInstability(
      test.map((im) => ({ ...inferNodePositions(graph, imagePeaks(im.maps, SIZE, graph.settings.peaksPerFilter)), landmarks: im.landmarks })),
      opts,
    );
    const lowerIds = graph.nodes.filter((n) => n.layer === 0).map((n) => n.id);
    const nodeValues = lowerIds.map((id) => nodes.filters[id]?.instability).filter((v): v is number => typeof v === 'number');
    const filters = locationInstability(
      test.map((im) => {
        const u = filterUnits(im);
        return { x: u.x.slice(0, 3), y: u.y.slice(0, 3), value: u.value.slice(0, 3), landmarks: im.landmarks };
      }),
      opts,
    );
    const filterValues = filters.filters.map((f) => f.instability as number);
    const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
    assert.ok(mean(nodeValues) < mean(filterValues), `nodes ${mean(nodeValues)} vs filters ${mean(filterValues)}`);
    // The two-part filter itself: each of its nodes is far steadier than the filter.
    for (const n of graph.nodes.filter((m) => m.layer === 0 && m.filter === 0))
      assert.ok((nodes.filters[n.id]?.instability as number) < 0.5 * (filters.filters[0]?.instability as number));
    assert.throws(
      () => nodeInstability([], { ...opts, protocol: 'icnn' }),
      (e) => isLucernaError(e, 'BAD_OPTION'),
    );
  });

  it('three annotated heads locate the head better than the best filter and the mean position', () => {
    const shots = test.slice(0, 3);
    const held = test.slice(3);
    const head = (im: SceneImage) => im.landmarks.get('head') as readonly [number, number];
    const nodeUnits = (im: SceneImage) => inferNodePositions(graph, imagePeaks(im.maps, SIZE, graph.settings.peaksPerFilter));
    const graphLoc = fitPartLocator(
      shots.map((im) => ({ units: nodeUnits(im), part: head(im) })),
      20,
      SIZE,
    );
    const filterLoc = fitPartLocator(
      shots.map((im) => ({ units: filterUnits(im), part: head(im) })),
      1,
      SIZE,
    );
    const err = (f: (im: SceneImage) => [number, number]) => held.reduce((s, im) => s + normalisedDistance(f(im), head(im), SIZE), 0) / held.length;
    const graphErr = err((im) => locatePart(graphLoc, nodeUnits(im)));
    const filterErr = err((im) => locatePart(filterLoc, filterUnits(im)));
    const meanErr = err(() => [graphLoc.fallback[0], graphLoc.fallback[1]]);
    assert.ok(graphErr < filterErr && graphErr < meanErr, `graph ${graphErr}, filter ${filterErr}, mean ${meanErr}`);
  });
});
