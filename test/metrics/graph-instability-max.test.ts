/**
 * `atFilterMaximum` (`src/metrics/graph-instability.ts`): a node's positions are kept only where
 * it holds its filter's strongest peak, so nodes and raw filters can be compared on the same evidence.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { atFilterMaximum } from '../../src/metrics/graph-instability.js';

describe('graph instability: nodes at their filter’s maximum', () => {
  it('keeps a node only where its value is its filter’s maximum', () => {
    // Nodes 0 and 1 split filter 0 of layer 0; node 2 is filter 1 of layer 1.
    const nodes = [
      { layer: 0, filter: 0 },
      { layer: 0, filter: 0 },
      { layer: 1, filter: 1 },
    ];
    const positions = { x: [1, 2, 3], y: [4, 5, 6], value: [5, 2, 7] };
    const maxima = [[5], [0, 7]];
    const at = atFilterMaximum(positions, nodes, maxima);
    assert.deepEqual([...at.value], [5, 0, 7]);
    assert.deepEqual(at.x, positions.x);
    // A filter that did not fire keeps none of its nodes; a node that did not fire stays off.
    assert.deepEqual([...atFilterMaximum({ ...positions, value: [0, 2, 7] }, nodes, [[0], [0, 0]]).value], [0, 0, 0]);
  });
});
