/**
 * `fitExplanatoryGraphAsync` (`src/disentangle/graph/fit.ts`): the same graph as the synchronous
 * fit, and a cancel that arrives while the fit runs (as Ctrl-C does, through the event loop) stops
 * it within a step instead of after the whole fit.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fitExplanatoryGraph, fitExplanatoryGraphAsync } from '../../src/disentangle/graph/fit.js';
import { imagePeaks } from '../../src/disentangle/graph/peaks.js';
import { isLucernaError } from '../../src/errors.js';
import { SIZE, scene } from './graph-scene.js';

const layers = [
  { name: 'lower', channels: 3, height: 16, width: 16 },
  { name: 'top', channels: 2, height: 8, width: 8 },
];
const source = { model: { id: 'sha256:test', name: 'scene' }, inputSize: SIZE, layers };
const settings = { patternsPerFilter: [2, 1], parents: 2, peaksPerFilter: 3, iterations: 3 };
const peaks = scene(12, 4).map((im) => imagePeaks(im.maps, SIZE, settings.peaksPerFilter));

describe('explanatory graph: asynchronous fit', () => {
  it('gives the same graph as the synchronous fit', async () => {
    assert.deepEqual(await fitExplanatoryGraphAsync(peaks, source, settings), fitExplanatoryGraph(peaks, source, settings));
  });

  it('stops within a step when cancelled from the event loop', async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    // The abort is queued as a task at the first progress report; only a fit that yields sees it.
    const onProgress = (done: number) => {
      seen.push(done);
      if (done === 1) setTimeout(() => controller.abort(), 0);
    };
    await assert.rejects(fitExplanatoryGraphAsync(peaks, source, settings, { signal: controller.signal, onProgress }), (e) => isLucernaError(e, 'ABORTED'));
    assert.deepEqual(seen, [1]);
  });
});
