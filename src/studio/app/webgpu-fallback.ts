/**
 * WebGPU sessions that move to the CPU when WebGPU cannot create or run their graph. ONNX Runtime
 * places operators WebGPU lacks on its CPU provider by itself, but onnxruntime-web 1.30 takes
 * MaxPool with its `Indices` output (which our gradient graphs use) on WebGPU and then refuses it
 * at run time; such a session is recreated on the CPU provider and the run repeated there.
 */
import type { Runtime, RuntimeSession, SessionOptions } from '../../engine/runtime.js';

/** Counts the sessions {@link cpuFallback} moved to the CPU. */
export interface MovedSessions {
  sessions: number;
}

/**
 * A runtime whose sessions run on `gpu` and move to `cpu` for good when `gpu` cannot create or run
 * the graph (the same bytes and options; the failed run is repeated there). A graph the CPU
 * cannot run either fails with the CPU's error.
 *
 * @example
 * ```ts
 * setDefaultRuntime(cpuFallback(webgpu, wasm));
 * ```
 */
export function cpuFallback(gpu: Runtime, cpu: Runtime, moved: MovedSessions = { sessions: 0 }): Runtime {
  return {
    name: gpu.name,
    async createSession(bytes: Uint8Array, options?: SessionOptions): Promise<RuntimeSession> {
      let onGpu = true;
      let current: RuntimeSession;
      try {
        current = await gpu.createSession(bytes, options);
      } catch {
        current = await cpu.createSession(bytes, options);
        onGpu = false;
        moved.sessions++;
      }
      const toCpu = async (): Promise<RuntimeSession> => {
        const old = current;
        current = await cpu.createSession(bytes, options);
        onGpu = false;
        moved.sessions++;
        await old.dispose().catch(() => undefined);
        return current;
      };
      return {
        inputNames: current.inputNames,
        outputNames: current.outputNames,
        async run(feeds, fetches) {
          if (!onGpu) return current.run(feeds, fetches);
          try {
            return await current.run(feeds, fetches);
          } catch {
            return (await toCpu()).run(feeds, fetches);
          }
        },
        dispose: () => current.dispose(),
      };
    },
  };
}
