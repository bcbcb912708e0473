import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { filterPeaks, patchSources } from '../../../src/disentangle/tree/patches.js';
import type { DecisionTree } from '../../../src/disentangle/tree/types.js';
import { treeSvg } from '../../../src/render/tree/report.js';

/** Root 2 over leaves 0 and 1 (images 0 and 1), two filters. */
const tree: DecisionTree = {
  nodes: [
    { id: 0, children: [], samples: [0], mode: [1, 0.5], bias: 0, size: 1 },
    { id: 1, children: [], samples: [1], mode: [0.2, 2], bias: 0, size: 1 },
    { id: 2, children: [0, 1], samples: [0, 1], mode: [0.6, 1.2], bias: 0, size: 2 },
  ],
  root: 2,
  filters: 2,
};

describe('tree report patches', () => {
  it('finds each filter peak, the first in row-major order on ties', () => {
    // Filter 0: 2×3 map with its max 5 at (1, 2) → cell 5; filter 1: a tie of 3 at cells 1 and 4 → 1.
    const p = filterPeaks(Float32Array.of(0, 1, 2, 3, 4, 5, 0, 3, 0, 0, 3, 0), { channels: 2, height: 2, width: 3 });
    assert.deepEqual([...p.cell], [5, 1]);
    assert.deepEqual([...p.value], [5, 3]);
  });

  it("cuts a node's patch from its image where the filter fires most, at the cell centre", () => {
    // 2×2 maps on a 64×64 input: cell (i, j) is centred at ((j + 0.5)·32, (i + 0.5)·32).
    const peaks = [
      { cell: Int32Array.of(3, 0), value: Float32Array.of(1, 4), height: 2, width: 2 },
      { cell: Int32Array.of(1, 2), value: Float32Array.of(2, 0), height: 2, width: 2 },
    ];
    const got = patchSources(
      tree,
      [
        [2, 0],
        [2, 1],
        [0, 0],
        [1, 1],
      ],
      peaks,
      [64, 64],
    );
    assert.deepEqual(got, [
      { node: 2, filter: 0, image: 1, x: 48, y: 16 }, // image 1 fires more (2 > 1), cell 1 = (0, 1)
      { node: 2, filter: 1, image: 0, x: 16, y: 16 }, // only image 0 fires
      { node: 0, filter: 0, image: 0, x: 48, y: 48 }, // leaf 0 has only image 0, cell 3 = (1, 1)
      // node 1, filter 1: image 1's peak is 0, so no patch
    ]);
  });

  it('draws the patch beside its bar, and nothing where there is none', async () => {
    const png = { png: 'data:image/png;base64,AAAA', width: 8, height: 8 };
    const svg = await treeSvg(tree, { topK: 2, patch: (node, filter) => (node === 2 && filter === 1 ? png : undefined) });
    assert.equal(svg.match(/<image class="patch"/g)?.length, 1);
    assert.match(svg, /href="data:image\/png;base64,AAAA"/);
    assert.equal((await treeSvg(tree, { topK: 2 })).includes('<image'), false);
  });
});
