/**
 * onnxruntime-web (WebAssembly, CPU) as Lucerna's {@link Runtime}, through the same
 * {@link ortRuntime} adapter the Node build uses. Only the plain SIMD+threads wasm build is used;
 * its `.wasm` comes from `wasm-source.ts` (a file Vite copies next to the bundle, or bytes inlined
 * into the single-file build), so nothing is fetched from elsewhere.
 */

import * as ort from 'onnxruntime-web/wasm';
import { type OrtModule, ortRuntime } from '../../engine/ort-adapter.js';
import type { Runtime, RuntimeSession } from '../../engine/runtime.js';

/** Where the engine's `.wasm` is: a URL, or its bytes (a page opened from `file://` may fetch nothing). */
export type WasmSource = { readonly url: string } | { readonly binary: Uint8Array };

/**
 * WebAssembly threads to use: 2 when the page is cross-origin isolated (SharedArrayBuffer is
 * available; the server must send COOP `same-origin` and COEP `require-corp`), else 1.
 *
 * @example
 * ```ts
 * wasmThreads(self.crossOriginIsolated, navigator.hardwareConcurrency); // 2 or 1
 * ```
 */
export function wasmThreads(isolated: boolean, cores: number): number {
  return isolated ? Math.max(1, Math.min(2, cores)) : 1;
}

/** Resolves after pending tasks (such as a `cancel` message) had their turn: a macrotask, without setTimeout's clamping. */
function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/**
 * A runtime whose sessions let the worker's event loop turn before each engine run. The wasm
 * engine resolves its runs as microtasks, so without this a long method would never see the
 * `cancel` message that aborts it until it had finished.
 *
 * @example
 * ```ts
 * setDefaultRuntime(yieldingRuntime(webRuntime(1, wasmSource())));
 * ```
 */
export function yieldingRuntime(runtime: Runtime): Runtime {
  return {
    ...runtime,
    async createSession(bytes, options): Promise<RuntimeSession> {
      const session = await runtime.createSession(bytes, options);
      return {
        inputNames: session.inputNames,
        outputNames: session.outputNames,
        async run(feeds, fetches) {
          await nextTask();
          return session.run(feeds, fetches);
        },
        dispose: () => session.dispose(),
      };
    },
  };
}

/**
 * Configures onnxruntime-web and wraps it as a runtime. Call once per worker.
 *
 * @example
 * ```ts
 * setDefaultRuntime(webRuntime(2, wasmSource()));
 * ```
 */
export function webRuntime(threads: number, wasm: WasmSource): Runtime {
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.proxy = false;
  if ('binary' in wasm) ort.env.wasm.wasmBinary = wasm.binary;
  else ort.env.wasm.wasmPaths = { wasm: wasm.url };
  ort.env.logLevel = 'error';
  return ortRuntime(ort as unknown as OrtModule, 'onnxruntime-web', { executionProviders: ['wasm'] });
}
