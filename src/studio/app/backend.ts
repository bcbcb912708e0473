/**
 * Which onnxruntime-web execution provider the core worker uses: WebGPU where the browser gives an
 * adapter and the WebGPU engine is installed beside the app, else WebAssembly on the CPU. Pure
 * decision logic over a `navigator.gpu`-like object, so it is tested without a GPU.
 */

/** The WebGPU engine's files, looked for in the app's `ort-webgpu/` folder. */
export const WEBGPU_ENGINE = { mjs: 'ort-wasm-simd-threaded.asyncify.mjs', wasm: 'ort-wasm-simd-threaded.asyncify.wasm' } as const;

/** The engine the worker runs on. */
export type Backend = 'webgpu' | 'wasm';

/** The part of `navigator.gpu` the choice needs. */
export interface GpuLike {
  requestAdapter(): Promise<unknown>;
}

/** The choice and, for a person, why. */
export interface BackendChoice {
  readonly backend: Backend;
  readonly reason: string;
}

/**
 * The engine in one line, for a status bar.
 *
 * @example
 * ```ts
 * engineLine({ runtime: 'onnxruntime-web', backend: 'wasm', threads: 2 }); // 'onnxruntime-web, wasm, 2 thread(s)'
 * ```
 */
export function engineLine(info: { readonly runtime: string; readonly backend: Backend; readonly threads: number }): string {
  return info.backend === 'webgpu' ? `${info.runtime}, WebGPU` : `${info.runtime}, wasm, ${info.threads} thread(s)`;
}

/**
 * Chooses the execution provider: `webgpu` when `gpu` gives an adapter and `engineAvailable()`
 * says the WebGPU engine files are there (asked only then), else `wasm` with the reason.
 *
 * @example
 * ```ts
 * await chooseBackend(navigator.gpu, () => probe(url)); // { backend: 'wasm', reason: 'no WebGPU adapter' }
 * ```
 */
export async function chooseBackend(gpu: GpuLike | undefined, engineAvailable: () => Promise<boolean>): Promise<BackendChoice> {
  if (!gpu || typeof gpu.requestAdapter !== 'function') return { backend: 'wasm', reason: 'this browser has no WebGPU' };
  let adapter: unknown;
  try {
    adapter = await gpu.requestAdapter();
  } catch {
    adapter = null;
  }
  if (!adapter) return { backend: 'wasm', reason: 'no WebGPU adapter' };
  let available = false;
  try {
    available = await engineAvailable();
  } catch {
    available = false;
  }
  if (!available) return { backend: 'wasm', reason: 'a WebGPU adapter, but no WebGPU engine in this build (LUCERNA_STUDIO_WEBGPU=1 npm run build:studio)' };
  return { backend: 'webgpu', reason: 'a WebGPU adapter' };
}
