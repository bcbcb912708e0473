/**
 * Where onnxruntime-web's WebAssembly comes from in the served build: Vite copies the `.wasm` file
 * next to the bundle and this is its URL. The single-file build (`vite.file.config.ts`) swaps this
 * module for `wasm-source-inline.ts`.
 */
import wasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import type { WasmSource } from './web-runtime.js';

/**
 * The engine's wasm: a URL beside the page.
 *
 * @example
 * ```ts
 * webRuntime(1, wasmSource());
 * ```
 */
export function wasmSource(): WasmSource {
  return { url: wasmUrl };
}

/**
 * The folder the WebGPU engine would be in (`ort-webgpu/` beside the page; this module is the
 * worker's chunk in `assets/`).
 *
 * @example
 * ```ts
 * webgpuEngineBase(); // 'http://127.0.0.1:41234/ort-webgpu/'
 * ```
 */
export function webgpuEngineBase(): string | undefined {
  return new URL('../ort-webgpu/', import.meta.url).href;
}
