import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { layoutTree } from '../../src/render/tree/layout.js';

describe('tree layout (ELK)', () => {
  it('places children a rank below their parent, side by side without overlap, inside the frame', async () => {
    // 6 ← (4 ← 0, 1), (5 ← 2, 3)
    const boxes = [0, 1, 2, 3, 4, 5, 6].map((id) => ({ id, width: 100, height: 40 }));
    const edges = [
      [6, 4],
      [6, 5],
      [4, 0],
      [4, 1],
      [5, 2],
      [5, 3],
    ] as const;
    const l = await layoutTree(boxes, edges);
    const at = (id: number) => l.boxes.get(id) as { x: number; y: number };
    for (const [p, c] of edges) assert.ok(at(c).y >= at(p).y + 40, `${c} below ${p}`);
    const leaves = [0, 1, 2, 3].map(at).sort((a, b) => a.x - b.x);
    for (let i = 1; i < leaves.length; i++) assert.ok((leaves[i]?.x as number) - (leaves[i - 1]?.x as number) >= 100);
    assert.equal(new Set([0, 1, 2, 3].map((i) => at(i).y)).size, 1);
    for (const b of l.boxes.values()) assert.ok(b.x - 50 >= 0 && b.x + 50 <= l.width && b.y + 20 <= l.height);
    assert.equal(l.edges.length, 6);
    for (const e of l.edges) assert.ok(e.points.length >= 2);
  });
});
