/**
 * Starts the studio's core worker from code inlined into the page: a classic worker on a Blob URL.
 * Chromium refuses module workers and script files from `file://`, so the single-file build
 * (`vite.file.config.ts`, opened from disk) uses this in place of `start-worker.ts`.
 */

import { WORKER_NAME } from './protocol.js';
import CoreWorker from './worker.ts?worker&inline';

/**
 * Starts the inlined core worker.
 *
 * @example
 * ```ts
 * const core = new CoreClient(startCoreWorker());
 * ```
 */
export function startCoreWorker(): Worker {
  return new CoreWorker({ name: WORKER_NAME });
}
