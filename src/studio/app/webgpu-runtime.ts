/**
 * onnxruntime-web's WebGPU build as Lucerna's {@link Runtime} (loaded only when the worker chose
 * WebGPU, see `backend.ts`). Its engine (`ort-wasm-simd-threaded.asyncify.{mjs,wasm}`, 27 MiB) is
 * not bundled: `LUCERNA_STUDIO_WEBGPU=1 npm run build:studio` copies it into the app's
 * `ort-webgpu/` folder, which `engineBase` names. Operators WebGPU lacks run on its CPU provider,
 * and a graph WebGPU accepts but then fails to run (onnxruntime-web 1.30 takes MaxPool with its
 * `Indices` output, which our gradient graphs use, and refuses it at run time) runs on the CPU.
 */
import * as ort from 'lucerna:ort-webgpu';
import { type OrtModule, ortRuntime } from '../../engine/ort-adapter.js';
import type { Runtime } from '../../engine/runtime.js';
import { WEBGPU_ENGINE } from './backend.js';
import { cpuFallback, type MovedSessions } from './webgpu-fallback.js';

/**
 * Configures the WebGPU build (one wasm thread; its engine under `engineBase`) and wraps it.
 *
 * @example
 * ```ts
 * const moved = { sessions: 0 };
 * setDefaultRuntime(webgpuRuntime(new URL('../ort-webgpu/', import.meta.url).href, moved));
 * ```
 */
export function webgpuRuntime(engineBase: string, moved: MovedSessions = { sessions: 0 }): Runtime {
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  ort.env.wasm.wasmPaths = { mjs: new URL(WEBGPU_ENGINE.mjs, engineBase).href, wasm: new URL(WEBGPU_ENGINE.wasm, engineBase).href };
  ort.env.logLevel = 'fatal';
  const module = ort as unknown as OrtModule;
  return cpuFallback(
    ortRuntime(module, 'onnxruntime-web', { executionProviders: ['webgpu', 'wasm'] }),
    ortRuntime(module, 'onnxruntime-web', { executionProviders: ['wasm'] }),
    moved,
  );
}
