/**
 * Starts the studio's core worker as a module worker beside the page (the served build). The
 * single-file build (`vite.file.config.ts`) swaps this module for `start-worker-inline.ts`.
 */
import { WORKER_NAME } from './protocol.js';

/**
 * Starts the core worker (the module `worker.ts`, bundled by Vite).
 *
 * @example
 * ```ts
 * const core = new CoreClient(startCoreWorker());
 * ```
 */
export function startCoreWorker(): Worker {
  return new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: WORKER_NAME });
}
