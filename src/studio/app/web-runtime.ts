/**
 * onnxruntime-web (WebAssembly, CPU) as Lucerna's {@link Runtime}, through the same
 * {@link ortRuntime} adapter the Node build uses. Only the plain SIMD+threads wasm build is used;
 * Vite copies its `.wasm` file next to the bundle, so nothing is fetched from elsewhere.
 */

import wasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import * as ort from 'onnxruntime-web/wasm';
import { type OrtModule, ortRuntime } from '../../engine/ort-adapter.js';
import type { Runtime } from '../../engine/runtime.js';

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

/**
 * Configures onnxruntime-web and wraps it as a runtime. Call once per worker.
 *
 * @example
 * ```ts
 * setDefaultRuntime(webRuntime(2));
 * ```
 */
export function webRuntime(threads: number): Runtime {
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.proxy = false;
  ort.env.wasm.wasmPaths = { wasm: wasmUrl };
  ort.env.logLevel = 'error';
  return ortRuntime(ort as unknown as OrtModule, 'onnxruntime-web', { executionProviders: ['wasm'] });
}
