/**
 * onnxruntime-web's WebAssembly inlined into the bundle (base64) and handed to the engine as bytes
 * (`env.wasm.wasmBinary`): a page opened from `file://` may not fetch files, so the single-file
 * build (`vite.file.config.ts`) uses this in place of `wasm-source.ts`.
 */
import wasmBase64 from 'virtual:ort-wasm-base64';
import type { WasmSource } from './web-runtime.js';

/**
 * The bytes of a base64 string.
 *
 * @example
 * ```ts
 * base64Bytes('AGFzbQ=='); // Uint8Array [0, 97, 115, 109]
 * ```
 */
export function base64Bytes(base64: string): Uint8Array {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/**
 * The engine's wasm: bytes decoded from the bundle.
 *
 * @example
 * ```ts
 * webRuntime(1, wasmSource());
 * ```
 */
export function wasmSource(): WasmSource {
  return { binary: base64Bytes(wasmBase64) };
}

/**
 * None: a page from disk may fetch no engine files, so it runs on WebAssembly.
 *
 * @example
 * ```ts
 * webgpuEngineBase(); // undefined
 * ```
 */
export function webgpuEngineBase(): string | undefined {
  return undefined;
}
