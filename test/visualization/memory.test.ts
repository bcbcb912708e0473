/**
 * Memory limits and cancellation of image optimisations (issue #12, defect 2): a size whose
 * estimated memory exceeds the limit is refused before any session at that size is built, with the
 * estimate in the message; the default limit is half of the machine's memory as the runtime reports
 * it; a cancelled signal stops the run before the compile and between steps.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Model } from '../../src/engine/model.js';
import { nodeRuntime } from '../../src/engine/node.js';
import type { Runtime, SessionOptions } from '../../src/engine/runtime.js';
import { isLucernaError } from '../../src/errors.js';
import { visualize } from '../../src/visualization/activation-maximization.js';
import {
  checkMemoryEstimate,
  DEFAULT_MEMORY_FRACTION,
  defaultMemoryLimit,
  estimateImageProgramMemory,
  FALLBACK_MEMORY_LIMIT,
  PROBE_SIDE,
  parseMemorySize,
  STEP_MEMORY_FACTOR,
} from '../../src/visualization/memory.js';
import { channel } from '../../src/visualization/objectives.js';
import { edgeModelBytes, SHALLOW_LAYER } from './models.js';

/** The Node runtime, counting the sessions it builds, with a given machine memory. */
function recordingRuntime(memoryBytes?: number): Runtime & { sessions: number } {
  const runtime = {
    name: 'recording',
    memoryBytes,
    sessions: 0,
    async createSession(bytes: Uint8Array, options?: SessionOptions) {
      runtime.sessions++;
      return nodeRuntime.createSession(bytes, options);
    },
  };
  return runtime;
}

const objective = channel(SHALLOW_LAYER, 0);

describe('memory estimate of an image optimisation', () => {
  it('counts the trunk activations from a small probe and scales them with the area and batch', async () => {
    await using model = await Model.load(edgeModelBytes(32), { runtime: nodeRuntime, name: 'edge' });
    // The trunk up to relu1 at 64×64: input 3 + conv1 16 + relu1 16 channels of float32.
    const small = await estimateImageProgramMemory(model, objective, [PROBE_SIDE, PROBE_SIDE], 1);
    assert.equal(small.activationBytesPerPixel, 4 * (3 + 16 + 16));
    assert.equal(small.bytes, STEP_MEMORY_FACTOR * 4 * 35 * PROBE_SIDE * PROBE_SIDE);
    const big = await estimateImageProgramMemory(model, objective, [5000, 4000], 3);
    assert.equal(big.bytes, STEP_MEMORY_FACTOR * 4 * 35 * 5000 * 4000 * 3);
  });

  it('refuses a size over the limit at once, with the estimate, and builds no session at that size', async () => {
    const runtime = recordingRuntime(1024 ** 3);
    await using model = await Model.load(edgeModelBytes(32), { runtime, name: 'edge' });
    assert.equal(defaultMemoryLimit(runtime), DEFAULT_MEMORY_FRACTION * 1024 ** 3);
    const needs = STEP_MEMORY_FACTOR * 4 * 35 * 5000 * 5000;
    await assert.rejects(
      visualize(model, objective, { size: 5000, steps: 1 }),
      (e: unknown) =>
        isLucernaError(e, 'BAD_OPTION') &&
        e.message === `Optimising 1 image of 5000×5000 needs about ${(needs / 1024 ** 3).toFixed(1)} GB, over the limit of 512 MB` &&
        /^Use a size of at most \d+×\d+/.test(e.hint ?? ''),
    );
    assert.equal(runtime.sessions, 1, 'only the 64×64 probe session');
    await assert.rejects(
      visualize(model, objective, { size: 64, steps: 1, memoryLimit: 1024 }),
      (e: unknown) => isLucernaError(e, 'BAD_OPTION') && /over the limit of 1 MB$/.test(e.message),
    );
    const result = await visualize(model, objective, { size: 16, steps: 2, memoryLimit: 1024 ** 3 });
    assert.equal(result.curve.length, 2);
  });

  it('falls back to 2 GiB when the runtime does not know the machine memory; checks and parses limits', () => {
    assert.equal(defaultMemoryLimit({ name: 'web', createSession: nodeRuntime.createSession }), FALLBACK_MEMORY_LIMIT);
    assert.ok((nodeRuntime.memoryBytes ?? 0) > 0, 'the Node runtime reports the machine memory');
    assert.throws(
      () => checkMemoryEstimate({ bytes: 1, activationBytesPerPixel: 1 }, 0, [1, 1], 1),
      (e: unknown) => isLucernaError(e, 'BAD_OPTION'),
    );
    assert.equal(parseMemorySize('512M', 'x'), 512 * 1024 ** 2);
    assert.equal(parseMemorySize('1.5GB', 'x'), 1.5 * 1024 ** 3);
    assert.equal(parseMemorySize('2g', 'x'), 2 * 1024 ** 3);
    assert.equal(parseMemorySize('4096', 'x'), 4096);
    for (const bad of ['', 'lots', '-1G', '0', '5X'])
      assert.throws(
        () => parseMemorySize(bad, '--memory-limit'),
        (e: unknown) => isLucernaError(e, 'BAD_OPTION'),
      );
  });
});

describe('cancellation of an image optimisation', () => {
  it('a signal aborted before the start builds no session at all', async () => {
    const runtime = recordingRuntime();
    await using model = await Model.load(edgeModelBytes(32), { runtime, name: 'edge' });
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(visualize(model, objective, { size: 16, steps: 5, signal: controller.signal }), (e: unknown) => isLucernaError(e, 'ABORTED'));
    assert.equal(runtime.sessions, 0);
  });

  it('an abort during a step stops the loop before the next one', async () => {
    await using model = await Model.load(edgeModelBytes(32), { runtime: nodeRuntime, name: 'edge' });
    const controller = new AbortController();
    let steps = 0;
    await assert.rejects(
      visualize(model, objective, {
        size: 16,
        steps: 100,
        signal: controller.signal,
        onStep: (s) => {
          steps = s;
          if (s === 2) controller.abort();
        },
      }),
      (e: unknown) => isLucernaError(e, 'ABORTED'),
    );
    assert.equal(steps, 2);
  });
});
