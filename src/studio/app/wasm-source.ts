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
