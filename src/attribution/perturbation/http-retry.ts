/**
 * Retry, backoff and concurrency pieces of the HTTP scorer: the retry policy, `Retry-After`,
 * abortable waits and a small request pool. Isomorphic: timers and `AbortSignal` only.
 */
import { LucernaError } from '../../errors.js';

/** The error of a cancelled run. */
export function abortedError(): LucernaError {
  return new LucernaError('ABORTED', 'The run was cancelled');
}

/**
 * Whether an HTTP status may succeed when asked again: 408, 429 and 5xx may; other 4xx will not.
 *
 * @example
 * ```ts
 * isRetryableStatus(503); // true
 * isRetryableStatus(404); // false
 * ```
 */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * The wait before retry `attempt` (1-based): the server's `Retry-After` when given, else
 * exponential backoff `baseMs·2^(attempt−1)` with jitter over its upper half; both capped at `maxMs`.
 *
 * @example
 * ```ts
 * retryDelayMs(3, 200, 30_000); // between 400 and 800
 * retryDelayMs(1, 200, 30_000, 5_000); // 5000
 * ```
 */
export function retryDelayMs(attempt: number, baseMs: number, maxMs: number, retryAfterMs?: number, random: () => number = Math.random): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, maxMs);
  const full = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
  return full / 2 + (random() * full) / 2;
}

/**
 * A `Retry-After` header in milliseconds: delay-seconds (fractions accepted) or an HTTP date.
 * Undefined when absent or unreadable.
 *
 * @example
 * ```ts
 * parseRetryAfter('2'); // 2000
 * ```
 */
export function parseRetryAfter(header: string | null | undefined, now: number = Date.now()): number | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Makes `target` abort when `source` does; returns the function that unlinks them.
 *
 * @example
 * ```ts
 * const unlink = linkAbort(callerSignal, attempt);
 * try { await fetch(url, { signal: attempt.signal }); } finally { unlink(); }
 * ```
 */
export function linkAbort(source: AbortSignal | undefined, target: AbortController): () => void {
  if (!source) return () => {};
  if (source.aborted) {
    target.abort();
    return () => {};
  }
  const onAbort = () => target.abort();
  source.addEventListener('abort', onAbort, { once: true });
  return () => source.removeEventListener('abort', onAbort);
}

/**
 * Waits `ms`, or rejects with ABORTED as soon as `signal` fires.
 *
 * @example
 * ```ts
 * await sleep(retryDelayMs(attempt, 200, 30_000), signal);
 * ```
 */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(abortedError());
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortedError());
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A counting semaphore: at most `limit` holders; waiters are served first come, first served.
 *
 * @example
 * ```ts
 * const pool = new RequestPool(4);
 * await pool.acquire(signal);
 * try { await send(); } finally { pool.release(); }
 * ```
 */
export class RequestPool {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  /** Waits for a free slot; rejects with ABORTED (and gives up its place) when `signal` fires. */
  acquire(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(abortedError());
    if (this.active < this.limit) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const wake = () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        const at = this.waiting.indexOf(wake);
        if (at >= 0) this.waiting.splice(at, 1);
        reject(abortedError());
      };
      this.waiting.push(wake);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Frees a slot, handing it straight to the next waiter if there is one. */
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }
}
