/**
 * The explanatory-graph paper's location-instability protocol (`src/metrics/graph-protocol.ts`,
 * Zhang et al. 2018, https://arxiv.org/abs/1708.01785, Table 1): hand-computed ranking, top images
 * and sample deviations; then, on the synthetic scene with a known answer (`graph-scene.ts`), the
 * ordering it exists to show: splitting a filter that fires on two parts into part nodes makes the
 * nodes steadier than the filter, and a graph that may not split (one node per filter) does not.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fitExplanatoryGraph, imagePeaks, inferNodePositions } from '../../src/disentangle/graph/index.js';
import { nodeScores } from '../../src/disentangle/graph/infer.js';
import { isLucernaError, type LucernaErrorCode } from '../../src/errors.js';
import { graphProtocolInstability, type ScoredUnits } from '../../src/metrics/graph-protocol.js';
import { type SceneImage, SIZE, scene } from '../disentangle/graph-scene.js';

const mark = (x: number, y: number) => new Map([['a', [x, y] as const]]);

describe('graph protocol: hand-computed', () => {
  // Unit 0 scores 4, 3, 2, 1 and sits 0, 1, 2, 3 px right of the landmark; unit 1 scores 1 everywhere.
  const images: ScoredUnits[] = [4, 3, 2, 1].map((s, i) => ({ x: [10 + i, 10], y: [0, i], score: [s, 1], landmarks: mark(10, 0) }));
  const diag = Math.hypot(30, 40);

  it('ranks units by their top scores and measures each on its top images (sample deviation)', () => {
    const r = graphProtocolInstability(images, { width: 30, height: 40, topImages: 3 });
    assert.deepEqual(
      r.units.map((u) => u.rank),
      [3, 1],
    );
    // Unit 0 on its top 3 images: distances 0, 1, 2 px → sample deviation 1 px.
    assert.ok(Math.abs((r.units[0]?.instability as number) - 1 / diag) < 1e-12);
    // Unit 1 ties everywhere, so image order decides: images 0, 1, 2 at 0, 1, 2 px down.
    assert.ok(Math.abs((r.units[1]?.instability as number) - 1 / diag) < 1e-12);
    const top1 = graphProtocolInstability(images, { width: 30, height: 40, topImages: 3, topUnits: 1 });
    assert.deepEqual(
      top1.units.map((u) => u.measured),
      [true, false],
    );
    assert.equal(top1.units[1]?.instability, null);
  });

  it('leaves out images where a unit scored 0, landmarks seen once, and units with nothing left', () => {
    const sparse: ScoredUnits[] = [
      { x: [0, 0], y: [0, 0], score: [1, 0], landmarks: new Map([['a', [3, 4] as const]]) },
      {
        x: [0, 0],
        y: [0, 0],
        score: [1, 0],
        landmarks: new Map([
          ['a', [0, 0] as const],
          ['b', [1, 1] as const],
        ]),
      },
      { x: [9, 0], y: [9, 0], score: [0, 1], landmarks: mark(0, 0) },
    ];
    const r = graphProtocolInstability(sparse, { width: 3, height: 4, topImages: 3 });
    // Unit 0: image 2 dropped; landmark a at 5 and 0 px (deviation √12.5 / 5); b seen once, skipped.
    assert.ok(Math.abs((r.units[0]?.instability as number) - Math.sqrt(12.5) / 5) < 1e-12);
    assert.equal(r.units[1]?.instability, null);
    assert.equal(r.instability, r.units[0]?.instability);
  });

  it('rejects bad options and ragged images', () => {
    const bad = (f: () => unknown, code: LucernaErrorCode) => assert.throws(f, (e) => isLucernaError(e, code));
    bad(() => graphProtocolInstability(images, { width: 0, height: 4 }), 'BAD_OPTION');
    bad(() => graphProtocolInstability(images, { width: 3, height: 4, topImages: 0 }), 'BAD_OPTION');
    bad(() => graphProtocolInstability(images, { width: 3, height: 4, topUnits: 1.5 }), 'BAD_OPTION');
    bad(() => graphProtocolInstability([...images, { x: [1], y: [1], score: [1], landmarks: mark(0, 0) }], { width: 3, height: 4 }), 'BAD_SHAPE');
  });
});

describe('graph protocol on the scene: nodes vs the raw filters of the lower layer', () => {
  const layers = [
    { name: 'lower', channels: 3, height: 16, width: 16 },
    { name: 'top', channels: 2, height: 8, width: 8 },
  ];
  const source = { model: { id: 'sha256:test', name: 'scene' }, inputSize: SIZE, layers };
  const train = scene(40, 7);
  const test = scene(60, 8);
  const options = { width: SIZE[1], height: SIZE[0], topImages: 20, topUnits: 3 };

  /** Lower-layer nodes and filters measured by the protocol, for a graph of `patterns` per filter. */
  function measure(patterns: number) {
    const graph = fitExplanatoryGraph(
      train.map((im) => imagePeaks(im.maps, SIZE, 3)),
      source,
      { patternsPerFilter: [patterns, 1], parents: 2, peaksPerFilter: 3 },
    );
    const ids = graph.nodes.filter((n) => n.layer === 0).map((n) => n.id);
    const nodeImages = test.map((im: SceneImage) => {
      const peaks = imagePeaks(im.maps, SIZE, 3);
      const at = inferNodePositions(graph, peaks);
      const score = nodeScores(graph, peaks, at);
      const pick = (a: Float64Array) => ids.map((id) => a[id] as number);
      return { x: pick(at.x), y: pick(at.y), score: pick(score), landmarks: im.landmarks };
    });
    const filterImages = test.map((im) => {
      const p = imagePeaks(im.maps, SIZE, 1)[0] ?? [];
      return { x: p.map((f) => f.x[0] ?? 0), y: p.map((f) => f.y[0] ?? 0), score: p.map((f) => f.value[0] ?? 0), landmarks: im.landmarks };
    });
    return {
      nodes: graphProtocolInstability(nodeImages, options).instability as number,
      filters: graphProtocolInstability(filterImages, options).instability as number,
    };
  }

  it('split into part nodes, the nodes are clearly steadier than the filters; one node per filter is not', () => {
    const split = measure(2);
    assert.ok(split.nodes < 0.8 * split.filters, `split: nodes ${split.nodes} vs filters ${split.filters}`);
    const whole = measure(1);
    assert.ok(whole.nodes > 0.8 * whole.filters, `one node per filter: nodes ${whole.nodes} vs filters ${whole.filters}`);
  });
});
