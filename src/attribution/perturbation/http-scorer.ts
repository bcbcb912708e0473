/**
 * A scorer for a remote model behind a JSON endpoint, so occlusion, RISE or LIME can explain a
 * model that only answers HTTP requests.
 *
 * Each batch the runner hands over is split into requests of `perRequest` samples. The requests run
 * through a pool shared by the whole scorer, with at most `concurrency` of them in flight. Each
 * attempt has a timeout. Network errors, timeouts, 408, 429 and 5xx are retried with exponential
 * backoff and jitter, or after the server's `Retry-After`, capped. Other 4xx answers are not
 * retried: the request itself is wrong.
 *
 * A 200 whose body is not JSON, or whose scores have the wrong shape, fails at once and is not
 * retried: the server did answer, and asking again would give the same answer.
 *
 * Every failure is a `LucernaError`. Its one-line message names the samples of the failed request,
 * the URL, the cause and the number of attempts. A failure never turns into a zero score. Results
 * keep the input order, whatever order the requests finish in. The caller's signal aborts requests
 * in flight and rejects with `ABORTED`.
 *
 * Isomorphic: it uses only the global `fetch` and `AbortController`.
 */
import { validBatchSize } from '../../engine/batching.js';
import { LucernaError } from '../../errors.js';
import { chunkRanges } from '../../tensor/chunks.js';
import { sizeOf, type Tensor } from '../../tensor/tensor.js';
import { throwIfAborted } from '../rows.js';
import { abortedError, isRetryableStatus, linkAbort, parseRetryAfter, RequestPool, retryDelayMs, sleep } from './http-retry.js';
import type { Scorer } from './scorer.js';

/** Options of {@link httpScorer}. */
export interface HttpScorerOptions {
  /** The endpoint; each request is a `POST` with a JSON body. */
  readonly url: string;
  /** Inputs per perturbation chunk, i.e. per `score()` call (default 16). */
  readonly batchSize?: number;
  /** Samples per HTTP request (default 1). A chunk is split into several requests. */
  readonly perRequest?: number;
  /** The JSON body for a slice of samples [count, ...sample] (default {@link nestedRequest}). */
  readonly buildRequest?: (samples: Tensor) => unknown;
  /** The scores of each sample in the parsed response, `count` rows of K (default {@link defaultParseResponse}). */
  readonly parseResponse?: (json: unknown, count: number) => number[][];
  /** Extra request headers (authorization, …). `content-type: application/json` is always sent unless overridden. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Most requests in flight at once, over all calls of this scorer (default 4). */
  readonly concurrency?: number;
  /** Time allowed for one attempt, response body included (default 30 000 ms). */
  readonly timeoutMs?: number;
  /** Retries after the first attempt (default 3, so at most 4 attempts). */
  readonly retries?: number;
  /** Backoff before retry `a` (1-based): `baseMs·2^(a−1)`, with jitter over its upper half, capped at `maxMs`; `maxMs` also caps `Retry-After` (defaults 200 ms and 30 000 ms). */
  readonly backoff?: { readonly baseMs?: number; readonly maxMs?: number };
  /** The fetch function (default: the global `fetch`). */
  readonly fetch?: typeof fetch;
  /** A short description for reports (default: the URL and the batching). */
  readonly description?: string;
}

/** The resolved settings of one scorer. */
interface HttpConfig {
  readonly url: string;
  readonly perRequest: number;
  readonly buildRequest: (samples: Tensor) => unknown;
  readonly parseResponse: (json: unknown, count: number) => number[][];
  readonly headers: Record<string, string>;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly baseMs: number;
  readonly maxMs: number;
  readonly fetch: typeof fetch;
  readonly pool: RequestPool;
}

/** One HTTP request: samples `first .. end-1` of a batch of `of`. */
interface RequestPart {
  readonly first: number;
  readonly end: number;
  readonly of: number;
  readonly body: string;
}

/** What one attempt gave: parsed JSON, or a failure and whether it is worth retrying. */
type AttemptResult =
  | { readonly ok: true; readonly json: unknown }
  | { readonly ok: false; readonly reason: string; readonly retryable: boolean; readonly retryAfterMs?: number; readonly hint?: string };

/** What the requests of one batch share: the number of scores per sample, once the first answer sets it. */
interface BatchState {
  classes?: number;
}

/**
 * A scorer that POSTs samples to a JSON endpoint and reads back K scores per sample.
 *
 * The default body is `{ "inputs": [...] }`: the samples as nested arrays, shape [count, ...sample]
 * (see {@link nestedRequest}; {@link flatRequest} sends `{ "inputs": { "shape", "data" } }` instead).
 * The default response is `{ "scores": number[][] }` or a bare `number[][]`, one row per sample.
 *
 * @example
 * ```ts
 * const scorer = httpScorer({ url: 'https://models.example.com/v1/score', perRequest: 8, headers: { authorization: `Bearer ${token}` } });
 * const { attribution } = await occlude(scorer, x, { target: 281 });
 * ```
 */
export function httpScorer(options: HttpScorerOptions): Scorer {
  const config = resolveOptions(options);
  const batchSize = validBatchSize(options.batchSize, 16);
  return {
    batchSize,
    description: options.description ?? `${options.url} (HTTP, batch ${batchSize}, ${config.perRequest} per request)`,
    score: (batch, signal) => scoreOverHttp(config, batch, signal),
  };
}

function resolveOptions(options: HttpScorerOptions): HttpConfig {
  if (typeof options.url !== 'string' || options.url.length === 0) throw new LucernaError('BAD_OPTION', 'The HTTP scorer needs a url');
  const fetchFn = options.fetch ?? globalThis.fetch;
  if (typeof fetchFn !== 'function') throw new LucernaError('BAD_OPTION', 'No fetch function is available', 'Pass one as the `fetch` option');
  return {
    url: options.url,
    perRequest: numberOption('perRequest', options.perRequest, 1, COUNT),
    buildRequest: options.buildRequest ?? nestedRequest,
    parseResponse: options.parseResponse ?? defaultParseResponse,
    headers: { 'content-type': 'application/json', accept: 'application/json', ...options.headers },
    timeoutMs: numberOption('timeoutMs', options.timeoutMs, 30_000, TIMEOUT),
    retries: numberOption('retries', options.retries, 3, RETRIES),
    baseMs: numberOption('backoff.baseMs', options.backoff?.baseMs, 200, DELAY),
    maxMs: numberOption('backoff.maxMs', options.backoff?.maxMs, 30_000, DELAY),
    fetch: fetchFn,
    pool: new RequestPool(numberOption('concurrency', options.concurrency, 4, COUNT)),
  };
}

/** How a numeric option is checked: an integer or not, its least value, and the words for the error. */
interface NumberRule {
  readonly integer: boolean;
  readonly min: number;
  readonly what: string;
}

const COUNT: NumberRule = { integer: true, min: 1, what: 'a positive integer' };
const RETRIES: NumberRule = { integer: true, min: 0, what: 'a non-negative integer' };
const TIMEOUT: NumberRule = { integer: false, min: 1, what: 'at least 1 (ms)' };
const DELAY: NumberRule = { integer: false, min: 0, what: 'a non-negative number (ms)' };

function numberOption(name: string, value: number | undefined, fallback: number, rule: NumberRule): number {
  const v = value ?? fallback;
  const ok = rule.integer ? Number.isInteger(v) : Number.isFinite(v);
  if (!ok || v < rule.min) throw new LucernaError('BAD_OPTION', `The HTTP scorer's ${name} must be ${rule.what}, got ${value}`);
  return v;
}

/** Scores one batch: one request per `perRequest` samples, all through the pool; the first failure cancels the rest. */
async function scoreOverHttp(config: HttpConfig, batch: Tensor, signal: AbortSignal | undefined): Promise<Tensor> {
  throwIfAborted(signal);
  const n = batch.shape[0] as number;
  if (n === 0) return { data: new Float32Array(0), shape: [0, 0] };
  const sampleShape = batch.shape.slice(1);
  const per = sizeOf(sampleShape);
  const cancel = new AbortController();
  const unlink = linkAbort(signal, cancel);
  const parts: RequestPart[] = [];
  const rows: number[][][] = [];
  const state: BatchState = {};
  let failure: unknown;
  try {
    for (const { first, count } of chunkRanges(n, config.perRequest)) {
      const end = first + count;
      const samples: Tensor = { data: batch.data.subarray(first * per, end * per), shape: [count, ...sampleShape] };
      parts.push({ first, end, of: n, body: JSON.stringify(config.buildRequest(samples)) });
    }
    await Promise.all(
      parts.map(async (part, i) => {
        try {
          rows[i] = await sendWithRetries(config, part, state, cancel.signal);
        } catch (e) {
          failure ??= e;
          cancel.abort();
        }
      }),
    );
  } finally {
    unlink();
  }
  if (signal?.aborted) throw abortedError();
  if (failure !== undefined) throw failure;
  return assembleRows(parts, rows, n, state.classes as number);
}

/** Sends one request until it succeeds, fails for good, or the batch is cancelled. */
async function sendWithRetries(config: HttpConfig, part: RequestPart, state: BatchState, signal: AbortSignal): Promise<number[][]> {
  for (let attempt = 1; ; attempt++) {
    await config.pool.acquire(signal);
    let result: AttemptResult;
    try {
      result = await attemptOnce(config, part.body, signal);
    } finally {
      config.pool.release();
    }
    if (result.ok) return readScores(config, part, state, result.json, attempt);
    if (!result.retryable || attempt > config.retries) {
      const hint = result.retryable ? 'The server kept failing: check it, or raise `retries` or `timeoutMs`' : result.hint;
      throw requestError(config, part, attempt, result.reason, hint);
    }
    await sleep(retryDelayMs(attempt, config.baseMs, config.maxMs, result.retryAfterMs), signal);
  }
}

/** One POST with its own timeout; throws ABORTED only when `signal` fired. */
async function attemptOnce(config: HttpConfig, body: string, signal: AbortSignal): Promise<AttemptResult> {
  const controller = new AbortController();
  const unlink = linkAbort(signal, controller);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, config.timeoutMs);
  try {
    const send = config.fetch; // called unbound: browsers reject fetch called as a method of another object
    const response = await send(config.url, { method: 'POST', headers: config.headers, body, signal: controller.signal });
    const text = await response.text();
    if (!response.ok) {
      const status = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
      const detail = text.trim() ? ` (${snippet(text)})` : '';
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
      return { ok: false, reason: status + detail, retryable: isRetryableStatus(response.status), retryAfterMs, hint: REQUEST_HINT };
    }
    try {
      return { ok: true, json: JSON.parse(text) };
    } catch (e) {
      return { ok: false, reason: `the response is not valid JSON (${snippet(messageOf(e))})`, retryable: false, hint: RESPONSE_HINT };
    }
  } catch (e) {
    if (signal.aborted) throw abortedError();
    if (timedOut) return { ok: false, reason: `no answer within ${config.timeoutMs} ms`, retryable: true };
    return { ok: false, reason: `network error (${networkCause(e)})`, retryable: true };
  } finally {
    clearTimeout(timer);
    unlink();
  }
}

const REQUEST_HINT = 'Check the url, the headers and the request body (`buildRequest`)';
const RESPONSE_HINT = 'Check what the server returns, or pass `parseResponse`';

/** Applies `parseResponse` and checks its result: one row per sample, each with the batch's number of finite scores. */
function readScores(config: HttpConfig, part: RequestPart, state: BatchState, json: unknown, attempts: number): number[][] {
  const count = part.end - part.first;
  let rows: unknown;
  try {
    rows = config.parseResponse(json, count);
  } catch (e) {
    throw requestError(config, part, attempts, `the response could not be read: ${snippet(messageOf(e))}`, RESPONSE_HINT);
  }
  const problem = shapeProblem(rows, count, part.first);
  if (problem) throw requestError(config, part, attempts, problem, RESPONSE_HINT);
  const k = ((rows as number[][])[0] as number[]).length;
  state.classes ??= k;
  if (k !== state.classes) {
    const reason = `the response has ${k} scores per sample where other requests of the batch got ${state.classes}`;
    throw requestError(config, part, attempts, reason, 'The server must return the same classes for every request');
  }
  return rows as number[][];
}

/** Why `rows` is not `count` rows of K finite numbers, or undefined when it is. */
function shapeProblem(rows: unknown, count: number, first: number): string | undefined {
  if (!Array.isArray(rows)) return 'the scores are not an array of rows';
  if (rows.length !== count) return `the response has ${rows.length} rows of scores for ${count} samples`;
  const k = Array.isArray(rows[0]) ? rows[0].length : 0;
  if (k === 0) return 'the response has no scores';
  for (let r = 0; r < count; r++) {
    const row: unknown = rows[r];
    if (!Array.isArray(row)) return `the scores of sample ${first + r} are not an array`;
    if (row.length !== k) return `sample ${first + r} has ${row.length} scores, sample ${first} has ${k}`;
    const bad = row.findIndex((v) => typeof v !== 'number' || !Number.isFinite(v));
    if (bad >= 0) return `score ${bad} of sample ${first + r} is ${JSON.stringify(row[bad]) ?? String(row[bad])}, not a finite number`;
  }
  return undefined;
}

/** Joins the rows of every request into [n, k], in input order. */
function assembleRows(parts: readonly RequestPart[], rows: readonly number[][][], n: number, k: number): Tensor {
  const data = new Float32Array(n * k);
  parts.forEach((part, i) => {
    for (const [r, row] of (rows[i] as number[][]).entries()) data.set(row, (part.first + r) * k);
  });
  return { data, shape: [n, k] };
}

/** The one-line error of a failed request. */
function requestError(config: HttpConfig, part: RequestPart, attempts: number, reason: string, hint?: string): LucernaError {
  const samples = part.end - part.first === 1 ? `sample ${part.first}` : `samples ${part.first}-${part.end - 1}`;
  const where = `${samples} of ${part.of}`;
  const tries = `${attempts} attempt${attempts === 1 ? '' : 's'}`;
  return new LucernaError('RUNTIME_ERROR', `Remote scoring of ${where} at ${config.url} failed after ${tries}: ${reason}`, hint);
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The most specific cause of a fetch failure: an error code such as ECONNREFUSED when there is one. */
function networkCause(e: unknown): string {
  const cause = (e as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string' && cause.message) return cause.message;
  return messageOf(e);
}

/** Text squeezed onto one short line, for error messages. */
function snippet(text: string, max = 120): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/**
 * The default request body: `{ inputs }` with the samples as nested arrays of shape [count, ...sample].
 *
 * @example
 * ```ts
 * nestedRequest({ data: Float32Array.of(1, 2, 3, 4), shape: [2, 2] }); // { inputs: [[1, 2], [3, 4]] }
 * ```
 */
export function nestedRequest(samples: Tensor): { inputs: unknown[] } {
  return { inputs: toNestedArray(samples.data, samples.shape) };
}

/**
 * A flat request body: `{ inputs: { shape, data } }`, data in C order. Pass it as `buildRequest`.
 *
 * @example
 * ```ts
 * httpScorer({ url, buildRequest: flatRequest }); // body: { "inputs": { "shape": [1, 3, 8, 8], "data": [...] } }
 * ```
 */
export function flatRequest(samples: Tensor): { inputs: { shape: number[]; data: number[] } } {
  return { inputs: { shape: [...samples.shape], data: Array.from(samples.data) } };
}

/**
 * C-order data as nested arrays of the given shape (at least one axis).
 *
 * @example
 * ```ts
 * toNestedArray(Float32Array.of(1, 2, 3, 4, 5, 6), [2, 3]); // [[1, 2, 3], [4, 5, 6]]
 * ```
 */
export function toNestedArray(data: Float32Array, shape: readonly number[]): unknown[] {
  const build = (offset: number, axis: number): unknown[] => {
    const dim = shape[axis] as number;
    if (axis === shape.length - 1) return Array.from(data.subarray(offset, offset + dim));
    const stride = sizeOf(shape.slice(axis + 1));
    return Array.from({ length: dim }, (_, i) => build(offset + i * stride, axis + 1));
  };
  return build(0, 0);
}

/**
 * The default response reader: `{ "scores": number[][] }` or a bare `number[][]`. The scorer then
 * checks that there is one row per sample, each with the same number of finite scores.
 *
 * @example
 * ```ts
 * defaultParseResponse({ scores: [[0.1, 2.3]] }); // [[0.1, 2.3]]
 * ```
 */
export function defaultParseResponse(json: unknown): number[][] {
  const rows = Array.isArray(json) ? json : (json as { scores?: unknown } | null)?.scores;
  if (!Array.isArray(rows)) throw new Error('expected {"scores": number[][]} or a bare number[][]');
  return rows as number[][];
}
