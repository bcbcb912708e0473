/**
 * prefetchInputs: the first items start loading at once, each early load is handed out once (a
 * later call loads again), the rest load on demand, and a failed early load rejects only when asked.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { prefetchInputs } from '../../src/dissection/dissect.js';
import type { ForwardItem } from '../../src/dissection/forward.js';

describe('prefetchInputs', () => {
  it('starts the first loads now and hands each out once', async () => {
    const loads: number[] = [];
    const items: ForwardItem[] = [0, 1, 2].map((i) => ({
      name: `img${i}`,
      image: async () => {
        loads.push(i);
        if (i === 1) throw new Error('unreadable');
        return { data: Float32Array.of(i), shape: [1, 1] };
      },
    }));
    const inputs = prefetchInputs(items, 2);
    assert.deepEqual(loads, [0, 1]);
    await new Promise((r) => setImmediate(r)); // the failed early load is not an unhandled rejection
    assert.equal(inputs[2]?.name, 'img2');
    assert.deepEqual((await inputs[0]?.image())?.data, Float32Array.of(0));
    assert.deepEqual(loads, [0, 1]);
    await assert.rejects(() => inputs[1]?.image() as Promise<unknown>, /unreadable/);
    await inputs[2]?.image();
    await inputs[0]?.image();
    assert.deepEqual(loads, [0, 1, 2, 0]);
  });
});
