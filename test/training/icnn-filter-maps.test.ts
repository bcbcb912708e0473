/**
 * The interpretable-CNN filter view (Zhang, Wu & Zhu 2018, https://arxiv.org/abs/1710.00935,
 * Figure 1): mean maps and top images accumulated per filter, and their heatmap grid.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { interpretableMaps } from '../../src/cli/commands/train-report.js';
import type { Dataset } from '../../src/datasets/types.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { createModel } from '../../src/models/architectures.js';
import { graphFromBytes } from '../../src/onnx/builder.js';
import { filterMapGrid, mapSvg } from '../../src/render/report/filter-maps.js';
import { accumulateMaps, filterMaps, type TopImage } from '../../src/training/interpretable/filter-maps.js';

/** Ten 8×8 images, even ones class 0 (bright), odd ones class 1 (dark); `reads` counts batches read. */
function brightBirds(): Dataset & { reads: number } {
  const shape = [3, 8, 8];
  const labels = Int32Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? 0 : 1));
  const data = {
    reads: 0,
    size: 10,
    sampleShape: shape,
    classNames: ['bird', 'none'],
    labels: async () => labels,
    read: async (indices: readonly number[]) => {
      data.reads++;
      return {
        // class 0 images are bright, class 1 dark: only class 0 may be read
        x: {
          data: Float32Array.from({ length: indices.length * 192 }, (_, j) => ((labels[indices[Math.floor(j / 192)] as number] as number) === 0 ? 1 : -50)),
          shape: [indices.length, ...shape],
        },
        labels: Int32Array.from(indices, (i) => labels[i] as number),
      };
    },
  };
  return data;
}

describe('filter maps', () => {
  it('accumulateMaps sums each filter’s map and keeps its best peaks, best first', () => {
    const sums = new Float64Array(8);
    const top: TopImage[][] = [[], []];
    accumulateMaps(new Float32Array([0, 2, 1, 0, 5, 0, 0, 0]), 0, 2, 4, sums, top, 7, 2);
    accumulateMaps(new Float32Array([9, 0, 0, 3, 0, 0, 1, 0, 0, 0, 0, 0]), 4, 2, 4, sums, top, 8, 2); // offset 4
    accumulateMaps(new Float32Array([0, 0, 0, 4, 0, 0, 0, 6]), 0, 2, 4, sums, top, 9, 2);
    assert.deepEqual([...sums], [0, 2, 2, 4, 5, 0, 0, 6]);
    assert.deepEqual(top[0], [
      { index: 9, value: 4, cell: 3 },
      { index: 7, value: 2, cell: 1 },
    ]);
    assert.deepEqual(top[1], [
      { index: 9, value: 6, cell: 3 },
      { index: 7, value: 5, cell: 0 },
    ]);
  });
  it('filterMaps reads only the class’s images and averages their maps', async () => {
    const data = brightBirds();
    const graph = graphFromBytes(createModel('small-cnn', { classes: 2, input: [3, 8, 8], seed: 1 }));
    const m = await filterMaps(nodeRuntime, graph, 'Relu', data, 0, { batchSize: 2, top: 3 });
    assert.equal(m.images, 5);
    assert.equal(m.h, 8);
    for (const list of m.top) for (const t of list) assert.equal(t.index % 2, 0, 'only class-0 images');
    // identical inputs: the mean map is any one image's map, so a second pass with batch 3 (padded) agrees
    const again = await filterMaps(nodeRuntime, graph, 'Relu', data, 0, { batchSize: 3 });
    for (let i = 0; i < m.mean.length; i++) assert.ok(Math.abs((m.mean[i] as number) - (again.mean[i] as number)) < 1e-5);
  });
  it('filterMaps stops between batches when its signal fires, and reports progress', async () => {
    const graph = graphFromBytes(createModel('small-cnn', { classes: 2, input: [3, 8, 8], seed: 1 }));
    const data = brightBirds();
    const seen: [number, number][] = [];
    const controller = new AbortController();
    const onProgress = (done: number, total: number) => {
      seen.push([done, total]);
      controller.abort(); // after the first batch of 2 of the class's 5 images
    };
    await assert.rejects(filterMaps(nodeRuntime, graph, 'Relu', data, 0, { batchSize: 2, signal: controller.signal, onProgress }), { code: 'ABORTED' });
    assert.equal(data.reads, 1, 'no batch is read after the abort');
    assert.deepEqual(seen, [[2, 5]]);
    const before = brightBirds();
    await assert.rejects(filterMaps(nodeRuntime, graph, 'Relu', before, 0, { signal: AbortSignal.abort() }), { code: 'ABORTED' });
    assert.equal(before.reads, 0);
  });
  it('the training report leaves the maps out when the run is stopped, and keeps them otherwise', async () => {
    const model = createModel('small-cnn', { classes: 2, input: [3, 8, 8], seed: 1 });
    const categories = new Map([['Relu', [0, 1, 0, 1]]]);
    const full = await interpretableMaps(model, categories, brightBirds(), {});
    assert.deepEqual(
      full?.map((m) => [m.className, m.filters]),
      [
        ['bird', [0, 2]],
        ['none', [1, 3]],
      ],
    );
    const controller = new AbortController();
    const data = brightBirds();
    const read = data.read;
    data.read = async (indices, epoch) => {
      controller.abort(); // a Ctrl-C while the first class's maps are read
      return read(indices, epoch);
    };
    assert.equal(await interpretableMaps(model, categories, data, {}, controller.signal), undefined);
    assert.equal(data.reads, 1);
  });
  it('mapSvg colours each cell by its share of the map’s maximum; the grid lists the chosen filters', () => {
    const svg = mapSvg(new Float64Array([0, 1, 0.5, 0]), 2, 2, 40, 'f');
    assert.equal((svg.match(/<rect /g) ?? []).length, 4);
    assert.match(svg, /fill="rgb\(68,1,84\)"/); // viridis at 0
    assert.match(svg, /fill="rgb\(253,231,37\)"/); // viridis at 1
    const maps = {
      tensor: 'r',
      classIndex: 0,
      h: 2,
      w: 2,
      filters: 3,
      images: 5,
      mean: new Float64Array(12).fill(1),
      top: [[{ index: 4, value: 2, cell: 3 }], [], []],
    };
    const html = filterMapGrid(maps, { className: 'bird', only: [0, 2] });
    assert.equal((html.match(/<figure/g) ?? []).length, 2);
    assert.match(html, /filter 0 · max 1\.00/);
    assert.match(html, /#4 \(1,1\)/);
    assert.match(html, /over 5 bird images/);
  });
});
