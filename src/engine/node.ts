/**
 * The onnxruntime-node adapter. The only core-adjacent file that loads onnxruntime-node.
 *
 * Which copy runs: a packed Lucerna carries a CPU-only copy of onnxruntime-node in `vendor/`
 * (copied at pack time by `scripts/vendor-onnxruntime.mjs`, so installing Lucerna runs no
 * onnxruntime install script and downloads nothing). A checkout, which has no `vendor/`, uses the
 * `onnxruntime-node` development dependency. The GPU providers are an explicit opt-in:
 * `LUCERNA_EXECUTION_PROVIDERS=cuda` (or `tensorrt`, `dml`, `coreml`, comma-separated, in order)
 * loads the `onnxruntime-node` package installed beside Lucerna with its CUDA libraries (see the
 * README) and asks ONNX Runtime for those providers, with the CPU as the last fallback.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { LucernaError } from '../errors.js';
import { type OrtModule, ortRuntime } from './ort-adapter.js';
import type { Runtime } from './runtime.js';

/** The execution providers Lucerna lets a user ask for. */
const PROVIDERS = ['cpu', 'cuda', 'tensorrt', 'dml', 'coreml'] as const;

/**
 * The execution providers named in `LUCERNA_EXECUTION_PROVIDERS` (comma-separated), CPU last.
 *
 * @example
 * ```ts
 * executionProviders({ LUCERNA_EXECUTION_PROVIDERS: 'cuda' }); // ['cuda', 'cpu']
 * ```
 */
export function executionProviders(env: Readonly<Record<string, string | undefined>> = process.env): string[] {
  const raw = env.LUCERNA_EXECUTION_PROVIDERS?.trim();
  if (!raw) return ['cpu'];
  const names = raw.split(',').map((s) => s.trim().toLowerCase());
  for (const n of names) {
    if (!(PROVIDERS as readonly string[]).includes(n)) {
      throw new LucernaError(
        'BAD_OPTION',
        `Unknown execution provider "${n}" in LUCERNA_EXECUTION_PROVIDERS`,
        `Use a comma-separated list of ${PROVIDERS.join(', ')}`,
      );
    }
  }
  return [...new Set([...names, 'cpu'])];
}

function loadOrt(providers: readonly string[]): OrtModule {
  const require = createRequire(import.meta.url);
  // Same relative path from src/engine/ and dist/engine/.
  const vendored = fileURLToPath(new URL('../../vendor/onnxruntime-node/dist/index.js', import.meta.url));
  const gpu = providers.some((p) => p !== 'cpu');
  if (!gpu && existsSync(vendored)) return require(vendored) as OrtModule;
  try {
    return require('onnxruntime-node') as OrtModule;
  } catch (e) {
    throw new LucernaError(
      'RUNTIME_ERROR',
      `Cannot load onnxruntime-node (${String((e as Error).message).split('\n')[0]})`,
      gpu ? 'For GPU providers install it beside Lucerna: ONNXRUNTIME_NODE_INSTALL=cuda12 npm install onnxruntime-node@1.30.0' : 'Reinstall lucerna',
    );
  }
}

/**
 * The number of physical cores in `/proc/cpuinfo` text (distinct `physical id`/`core id` pairs),
 * at most `available` (the cores this process may run on); undefined when the text names none.
 *
 * @example
 * ```ts
 * physicalCores('processor : 0\nphysical id : 0\ncore id : 0\n\nprocessor : 1\nphysical id : 0\ncore id : 1\n', 2); // 2
 * ```
 */
export function physicalCores(cpuinfo: string, available: number): number | undefined {
  const cores = new Set<string>();
  for (const block of cpuinfo.split(/\n\s*\n/)) {
    const core = /^core id\s*:\s*(\d+)/m.exec(block)?.[1];
    if (core !== undefined) cores.add(`${/^physical id\s*:\s*(\d+)/m.exec(block)?.[1] ?? 0}/${core}`);
  }
  return cores.size === 0 ? undefined : Math.max(1, Math.min(cores.size, available));
}

/**
 * Intra-op threads when the caller chose none: the physical cores, which is what ONNX Runtime's own
 * default means to be. On this 2-core bench machine (a VM that exposes no cache topology) ORT's
 * own default gave one thread: per-thread CPU of a batch-8 ResNet-18 loop showed only the calling
 * thread working, and every CLI gradient command ran on one core. Undefined (ORT's own choice)
 * where /proc/cpuinfo is missing or names no cores. `LUCERNA_THREADS=<n>` overrides it (say 1 on a
 * machine shared with other jobs); a model's own `threads` option overrides both.
 */
function defaultThreads(): number | undefined {
  const chosen = envThreads();
  if (chosen !== undefined) return chosen;
  try {
    return physicalCores(readFileSync('/proc/cpuinfo', 'utf8'), availableParallelism());
  } catch {
    return undefined;
  }
}

/**
 * The thread count named in `LUCERNA_THREADS`, or undefined when it is unset or empty; anything but
 * a positive integer is a one-line BAD_OPTION error.
 *
 * @example
 * ```ts
 * envThreads({ LUCERNA_THREADS: '1' }); // 1
 * ```
 */
export function envThreads(env: Readonly<Record<string, string | undefined>> = process.env): number | undefined {
  const raw = env.LUCERNA_THREADS?.trim();
  if (!raw) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    throw new LucernaError('BAD_OPTION', `LUCERNA_THREADS must be a positive integer, got "${raw}"`, 'Unset it to use the physical cores');
  }
  return n;
}

let threadsMemo: { value: number | undefined } | undefined;
/** {@link defaultThreads}, read once per process (the sessions' option and `nodeRuntime.defaultThreads`). */
const sessionThreads = () => (threadsMemo ??= { value: defaultThreads() }).value;

const providerOptions = () => {
  const providers = executionProviders();
  const threads = sessionThreads();
  return { ...(providers.length > 1 ? { executionProviders: providers } : {}), ...(threads ? { intraOpNumThreads: threads } : {}) };
};

/**
 * ONNX Runtime for Node: the CPU execution provider unless `LUCERNA_EXECUTION_PROVIDERS` opts into
 * a GPU one. The native module loads at the first session, not at import. It reports the
 * machine's memory for default memory limits.
 *
 * @example
 * ```ts
 * const model = await Model.load(bytes, { runtime: nodeRuntime });
 * ```
 */
export const nodeRuntime: Runtime = {
  ...ortRuntime(() => loadOrt(executionProviders()), 'onnxruntime-node', providerOptions),
  memoryBytes: totalmem(),
  get defaultThreads() {
    return sessionThreads();
  },
};
