/**
 * The studio's engine choice (issue #21: "WebGPU where the browser has it"): WebGPU only when
 * `navigator.gpu` gives an adapter and the WebGPU engine is installed, else wasm with the reason;
 * the engine probe is asked only when there is an adapter. The browser fallback itself is checked
 * in parity.test.ts and studio-file.test.ts (headless Chromium here has no adapter).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Runtime, RuntimeSession } from '../../src/engine/runtime.js';
import { chooseBackend, engineLine } from '../../src/studio/app/backend.js';
import { cpuFallback } from '../../src/studio/app/webgpu-fallback.js';

/** A fake `navigator.gpu` and a probe that records whether it was asked. */
function fakes(adapter: () => Promise<unknown>, engine: boolean) {
  const asked: string[] = [];
  return {
    asked,
    gpu: {
      requestAdapter: () => {
        asked.push('adapter');
        return adapter();
      },
    },
    probe: async () => {
      asked.push('engine');
      return engine;
    },
  };
}

describe('studio engine choice: WebGPU or wasm', () => {
  it('WebGPU when there is an adapter and the engine', async () => {
    const f = fakes(async () => ({ name: 'gpu' }), true);
    assert.deepEqual(await chooseBackend(f.gpu, f.probe), { backend: 'webgpu', reason: 'a WebGPU adapter' });
    assert.deepEqual(f.asked, ['adapter', 'engine']);
  });

  it('wasm without navigator.gpu, without an adapter, or when requestAdapter throws; the engine is not probed', async () => {
    const none = fakes(async () => null, true);
    assert.deepEqual(await chooseBackend(undefined, none.probe), { backend: 'wasm', reason: 'this browser has no WebGPU' });
    assert.deepEqual(await chooseBackend(none.gpu, none.probe), { backend: 'wasm', reason: 'no WebGPU adapter' });
    const throws = fakes(async () => {
      throw new Error('GPU process crashed');
    }, true);
    assert.equal((await chooseBackend(throws.gpu, throws.probe)).backend, 'wasm');
    assert.deepEqual([...none.asked, ...throws.asked], ['adapter', 'adapter']);
  });

  it('wasm when the adapter is there but the engine is missing or its probe fails, saying how to add it', async () => {
    const missing = fakes(async () => ({}), false);
    const choice = await chooseBackend(missing.gpu, missing.probe);
    assert.equal(choice.backend, 'wasm');
    assert.match(choice.reason, /no WebGPU engine in this build \(LUCERNA_STUDIO_WEBGPU=1/);
    const failing = { requestAdapter: async () => ({}) };
    assert.equal(
      (
        await chooseBackend(failing, async () => {
          throw new TypeError('Failed to fetch');
        })
      ).backend,
      'wasm',
    );
  });

  it('the status line names the engine', () => {
    assert.equal(engineLine({ runtime: 'onnxruntime-web', backend: 'wasm', threads: 2 }), 'onnxruntime-web, wasm, 2 thread(s)');
    assert.equal(engineLine({ runtime: 'onnxruntime-web', backend: 'webgpu', threads: 1 }), 'onnxruntime-web, WebGPU');
  });
});

/** A fake runtime whose sessions answer `name`, fail to run when `failRun`, or fail to load when `failLoad`. */
function fakeRuntime(name: string, log: string[], { failRun = false, failLoad = false } = {}): Runtime {
  return {
    name,
    async createSession(): Promise<RuntimeSession> {
      log.push(`${name} create`);
      if (failLoad) throw new Error(`${name} cannot load`);
      return {
        inputNames: ['x'],
        outputNames: ['y'],
        async run() {
          log.push(`${name} run`);
          if (failRun) throw new Error('The Indices output is not supported yet');
          return { y: { type: 'float32', data: Float32Array.of(name === 'gpu' ? 1 : 2), dims: [1] } };
        },
        async dispose() {
          log.push(`${name} dispose`);
        },
      };
    },
  };
}

describe('cpuFallback: a graph WebGPU cannot run moves to the CPU', () => {
  it('runs on the GPU while it can', async () => {
    const log: string[] = [];
    const moved = { sessions: 0 };
    const session = await cpuFallback(fakeRuntime('gpu', log), fakeRuntime('cpu', log), moved).createSession(new Uint8Array());
    assert.deepEqual((await session.run({})).y?.data, Float32Array.of(1));
    assert.deepEqual(log, ['gpu create', 'gpu run']);
    assert.equal(moved.sessions, 0);
  });

  it('repeats a failed run on a CPU session and stays there; a failed load goes to the CPU at once', async () => {
    const log: string[] = [];
    const moved = { sessions: 0 };
    const session = await cpuFallback(fakeRuntime('gpu', log, { failRun: true }), fakeRuntime('cpu', log), moved).createSession(new Uint8Array());
    assert.deepEqual((await session.run({})).y?.data, Float32Array.of(2));
    assert.deepEqual((await session.run({})).y?.data, Float32Array.of(2));
    assert.deepEqual(log, ['gpu create', 'gpu run', 'cpu create', 'gpu dispose', 'cpu run', 'cpu run']);
    assert.equal(moved.sessions, 1);
    const log2: string[] = [];
    const s2 = await cpuFallback(fakeRuntime('gpu', log2, { failLoad: true }), fakeRuntime('cpu', log2), moved).createSession(new Uint8Array());
    assert.deepEqual((await s2.run({})).y?.data, Float32Array.of(2));
    assert.deepEqual(log2, ['gpu create', 'cpu create', 'cpu run']);
    assert.equal(moved.sessions, 2);
  });

  it('a graph the CPU cannot run either fails with the CPU’s error', async () => {
    const log: string[] = [];
    const session = await cpuFallback(fakeRuntime('gpu', log, { failRun: true }), fakeRuntime('cpu', log, { failRun: true })).createSession(new Uint8Array());
    await assert.rejects(session.run({}), /not supported/);
  });
});
