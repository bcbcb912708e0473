import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { parseRetryAfter, retryDelayMs } from '../../src/attribution/perturbation/http-retry.js';
import { flatRequest, type HttpScorerOptions, httpScorer, toNestedArray } from '../../src/attribution/perturbation/http-scorer.js';
import { occlude } from '../../src/attribution/perturbation/occlusion.js';
import { scorePerturbations } from '../../src/attribution/perturbation/runner.js';
import { functionScorer } from '../../src/attribution/perturbation/scorer.js';
import { isLucernaError } from '../../src/errors.js';
import type { Tensor } from '../../src/tensor/tensor.js';

const PER = 6;

/** The "remote model": three scores of one flat sample, computed the same way on both sides. */
function model(sample: ArrayLike<number>): number[] {
  let sum = 0;
  let wave = 0;
  let max = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < sample.length; j++) {
    const v = sample[j] as number;
    sum += v;
    wave += Math.sin(j + 1) * v * v;
    max = Math.max(max, v);
  }
  return [sum, wave, max];
}

/** Sample i starts with the value i, so the server can tell which samples a request carries. */
function makeBatch(n: number): Tensor {
  const data = new Float32Array(n * PER);
  for (let i = 0; i < n; i++) for (let j = 0; j < PER; j++) data[i * PER + j] = j === 0 ? i : Math.cos(i * 7 + j) * 2;
  return { data, shape: [n, 2, 3] };
}

/** The model applied locally, row by row. */
function toRows(batch: Tensor): number[][] {
  const n = batch.shape[0] as number;
  const per = batch.data.length / n;
  return Array.from({ length: n }, (_, i) => model(batch.data.subarray(i * per, (i + 1) * per)));
}

function expected(batch: Tensor): Float32Array {
  const n = batch.shape[0] as number;
  const rows: number[] = [];
  for (let i = 0; i < n; i++) rows.push(...model(batch.data.subarray(i * PER, (i + 1) * PER)));
  return Float32Array.from(rows);
}

/** Per-test server state, reset by `fresh()`. */
const state = {
  hits: new Map<string, number[]>(),
  finished: [] as number[],
  inFlight: 0,
  maxInFlight: 0,
  aborted: 0,
  /** Requests a route holds back until it answers them together. */
  held: [] as Call[],
};

/** Waiters of {@link until}, checked whenever the server's state changes. */
let waiters: { readonly ready: () => boolean; readonly done: () => void }[] = [];

function fresh(): void {
  state.hits.clear();
  state.finished = [];
  state.inFlight = 0;
  state.maxInFlight = 0;
  state.aborted = 0;
  state.held = [];
  waiters = [];
}

/** Resolves once `ready()` holds for the server's state: tests wait on events, never on the clock. */
function until(ready: () => boolean): Promise<void> {
  return new Promise((done) => {
    waiters.push({ ready, done });
    changed();
  });
}

function changed(): void {
  const now = waiters.filter((w) => w.ready());
  waiters = waiters.filter((w) => !now.includes(w));
  for (const w of now) w.done();
}

/** Requests received so far, over all routes. */
const arrived = () => [...state.hits.values()].reduce((n, hits) => n + hits.length, 0);

/**
 * For tests that pass in milliseconds but, were a wait not cut short, would wait a minute: they
 * fail at this guard instead (and the file still ends once that minute is over).
 */
const HANG_GUARD = { timeout: 20_000 };

/** Timestamps of the hits of one route and first sample. */
const hitsOf = (route: string, first: number) => state.hits.get(`${route}#${first}`) ?? [];

type Body = { inputs: unknown };
const samplesOf = (body: Body) => (body.inputs as unknown[]).map((s) => (s as unknown[]).flat(Number.POSITIVE_INFINITY) as number[]);
const scoresOf = (body: Body) => ({ scores: samplesOf(body).map(model) });

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

/** Answers after `ms`, unless the client went away first. */
function later(res: ServerResponse, ms: number, answer: () => void): void {
  const timer = setTimeout(answer, ms);
  res.on('close', () => clearTimeout(timer));
}

/** What a route sees: the request's first sample index, how often this request was seen (1-based), the body and query. */
interface Call {
  readonly first: number;
  readonly hit: number;
  readonly body: Body;
  readonly query: URLSearchParams;
  readonly res: ServerResponse;
}

const ok = (c: Call) => send(c.res, 200, scoresOf(c.body));

/** Answers `calls` one after another: each once the previous one's response is finished. */
function answerInTurn(calls: readonly Call[]): void {
  const [next, ...rest] = calls;
  if (!next) return;
  next.res.once('close', () => answerInTurn(rest));
  ok(next);
}

/** The test server's routes, by path. */
const routes: Record<string, (c: Call) => void> = {
  '/ok': (c) => later(c.res, (12 - c.first) * 8, () => ok(c)), // later requests tend to finish first
  // Holds the requests until all `n` have come, then answers them from the last sample to the first.
  '/reverse': (c) => {
    state.held.push(c);
    if (state.held.length === Number(c.query.get('n'))) answerInTurn(state.held.toSorted((a, b) => b.first - a.first));
  },
  // Holds the requests until `wave` are in flight (or all `n` have come), then answers those.
  '/count': (c) => {
    state.held.push(c);
    if (state.held.length === Number(c.query.get('wave')) || arrived() === Number(c.query.get('n'))) state.held.splice(0).forEach(ok);
  },
  '/slow-once': (c) => (c.hit === 1 ? undefined : ok(c)), // the first attempt is never answered
  '/slow': () => {}, // never answered
  '/flaky': (c) => (c.hit <= 2 ? send(c.res, c.hit === 1 ? 500 : 502, { error: 'boom' }) : ok(c)),
  '/retry-after': (c) => (c.hit === 1 ? send(c.res, 429, { error: 'slow down' }, { 'retry-after': c.query.get('s') ?? '0' }) : ok(c)),
  '/status': (c) => send(c.res, Number(c.query.get('code')), { error: 'nope' }),
  '/malformed': (c) => send(c.res, 200, '{"scores": [[1, 2'),
  '/short': (c) => send(c.res, 200, { scores: samplesOf(c.body).slice(1).map(model) }),
  '/bad-value': (c) => {
    const bad = c.query.get('v') === 'null' ? null : 'x';
    send(c.res, 200, { scores: samplesOf(c.body).map((s, i) => (i === 1 ? [1, bad, 3] : model(s))) });
  },
  '/flat': (c) => {
    const { shape, data } = c.body.inputs as { shape: number[]; data: number[] };
    const per = data.length / (shape[0] as number);
    const predictions = Array.from({ length: shape[0] as number }, (_, i) => ({ probs: model(data.slice(i * per, (i + 1) * per)) }));
    send(c.res, 200, { predictions });
  },
  '/hang': () => {},
};

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  let first = Number.NaN;
  state.inFlight++;
  state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
  res.on('close', () => {
    state.inFlight--;
    if (!res.writableFinished) state.aborted++;
    else state.finished.push(first);
    changed();
  });
  let raw = '';
  for await (const chunk of req) raw += chunk;
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const body = JSON.parse(raw) as Body;
  first = url.pathname === '/flat' ? 0 : (samplesOf(body)[0]?.[0] as number);
  const key = `${url.pathname}#${first}`;
  const hits = state.hits.get(key) ?? [];
  hits.push(Date.now());
  state.hits.set(key, hits);
  const handler = routes[url.pathname] ?? ((c: Call) => send(c.res, 404, { error: 'no route' }));
  handler({ first, hit: hits.length, body, query: url.searchParams, res });
  changed();
}

let server: Server;
let base = '';

before(async () => {
  server = createServer((req, res) => void handle(req, res));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => {
  server.closeAllConnections();
  server.close();
});

const scorerFor = (path: string, options: Partial<HttpScorerOptions> = {}) => httpScorer({ url: base + path, backoff: { baseMs: 1 }, ...options });

/** Runs `promise`, expecting a LucernaError with `code`; returns its one-line message. */
async function failure(promise: Promise<unknown>, code: string): Promise<string> {
  try {
    await promise;
  } catch (e) {
    assert.ok(isLucernaError(e), `expected a LucernaError, got ${e}`);
    assert.equal(e.code, code, e.message);
    assert.doesNotMatch(e.message, /\n/);
    return e.message;
  }
  assert.fail('expected a rejection');
}

describe('httpScorer: results', () => {
  it('splits a batch over concurrent requests and keeps the input order', async () => {
    fresh();
    const batch = makeBatch(10);
    const scores = await scorerFor('/reverse?n=4', { perRequest: 3, concurrency: 4 }).score(batch);
    assert.deepEqual(scores.shape, [10, 3]);
    assert.deepEqual(scores.data, expected(batch));
    assert.deepEqual(state.finished, [9, 6, 3, 0], 'the requests should finish in reverse order');
  });

  it('sends flatRequest bodies and reads responses through a custom parseResponse', async () => {
    fresh();
    const batch = makeBatch(4);
    const parseResponse = (json: unknown) => (json as { predictions: { probs: number[] }[] }).predictions.map((p) => p.probs);
    const scores = await scorerFor('/flat', { perRequest: 4, buildRequest: flatRequest, parseResponse }).score(batch);
    assert.deepEqual(scores.data, expected(batch));
  });

  it('never has more requests in flight than the concurrency, even over concurrent score() calls', async () => {
    fresh();
    // 18 requests of one sample; the server answers each wave of 3 only once all 3 are in flight,
    // and the client's fetch calls are counted as they are made (a 4th call would come at once).
    const calls = { open: 0, most: 0 };
    const counted: typeof fetch = async (input, init) => {
      calls.most = Math.max(calls.most, ++calls.open);
      try {
        return await fetch(input, init);
      } finally {
        calls.open--;
      }
    };
    const scorer = scorerFor('/count?wave=3&n=18', { concurrency: 3, batchSize: 12, fetch: counted });
    const [a, b] = await Promise.all([scorer.score(makeBatch(12)), scorer.score(makeBatch(6))]);
    assert.deepEqual(a.data, expected(makeBatch(12)));
    assert.deepEqual(b.data, expected(makeBatch(6)));
    assert.equal(calls.most, 3);
    assert.equal(state.maxInFlight, 3);
  });

  it('nests C-order data by shape', () => {
    assert.deepEqual(toNestedArray(Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8), [2, 2, 2]), [
      [
        [1, 2],
        [3, 4],
      ],
      [
        [5, 6],
        [7, 8],
      ],
    ]);
  });
});

describe('httpScorer: retries', () => {
  it('retries an attempt that times out, then succeeds', async () => {
    fresh();
    const batch = makeBatch(3);
    // The first attempts are never answered; the second ones are answered at once.
    const scores = await scorerFor('/slow-once', { timeoutMs: 1000 }).score(batch);
    assert.deepEqual(scores.data, expected(batch));
    for (let i = 0; i < 3; i++) assert.equal(hitsOf('/slow-once', i).length, 2);
  });

  it('retries 500 and 502 answers; the scores equal those of a healthy server', async () => {
    fresh();
    const batch = makeBatch(5);
    const healthy = await scorerFor('/ok', { perRequest: 2 }).score(batch);
    const flaky = await scorerFor('/flaky', { perRequest: 2 }).score(batch);
    assert.deepEqual(flaky.data, healthy.data);
    assert.deepEqual(flaky.data, expected(batch));
    for (const first of [0, 2, 4]) assert.equal(hitsOf('/flaky', first).length, 3);
  });

  it('waits for Retry-After on a 429', async () => {
    fresh();
    const batch = makeBatch(2);
    const scores = await scorerFor('/retry-after?s=0.3', { perRequest: 2 }).score(batch);
    assert.deepEqual(scores.data, expected(batch));
    const [firstHit, secondHit] = hitsOf('/retry-after', 0) as [number, number];
    assert.ok(secondHit - firstHit >= 280, `retried after ${secondHit - firstHit} ms`);
  });

  it('caps Retry-After at backoff.maxMs', HANG_GUARD, async () => {
    fresh();
    // Uncapped, the retry would wait a minute.
    await scorerFor('/retry-after?s=60', { backoff: { baseMs: 1, maxMs: 50 } }).score(makeBatch(1));
    assert.equal(hitsOf('/retry-after', 0).length, 2);
  });

  it('computes backoff with jitter and caps, and reads Retry-After', () => {
    assert.equal(
      retryDelayMs(3, 200, 30_000, undefined, () => 0),
      400,
    );
    assert.equal(
      retryDelayMs(3, 200, 30_000, undefined, () => 1),
      800,
    );
    assert.equal(
      retryDelayMs(20, 200, 1000, undefined, () => 1),
      1000,
    );
    assert.equal(retryDelayMs(1, 200, 1000, 5000), 1000);
    assert.equal(parseRetryAfter('2'), 2000);
    assert.equal(parseRetryAfter(new Date(10_000).toUTCString(), 4_000), 6_000);
    assert.equal(parseRetryAfter('soon'), undefined);
    assert.equal(parseRetryAfter(null), undefined);
  });
});

describe('httpScorer: failures', () => {
  it('a server that always fails: names the samples, URL, status and attempts', async () => {
    fresh();
    const message = await failure(scorerFor('/status?code=503', { perRequest: 2, retries: 2 }).score(makeBatch(4)), 'RUNTIME_ERROR');
    assert.match(message, /^Remote scoring of samples (0-1|2-3) of 4 at http:\/\/127\.0\.0\.1:\d+\/status\?code=503 failed after 3 attempts: HTTP 503/);
    const first = Number(/samples (\d)/.exec(message)?.[1]);
    assert.equal(hitsOf('/status', first).length, 3);
  });

  it('does not retry a 400, but retries a 408', async () => {
    fresh();
    const message = await failure(scorerFor('/status?code=400', { retries: 3 }).score(makeBatch(1)), 'RUNTIME_ERROR');
    assert.match(message, /sample 0 of 1 .* after 1 attempt: HTTP 400 Bad Request \(\{"error":"nope"\}\)/);
    assert.equal(hitsOf('/status', 0).length, 1);
    fresh();
    await failure(scorerFor('/status?code=408', { retries: 2 }).score(makeBatch(1)), 'RUNTIME_ERROR');
    assert.equal(hitsOf('/status', 0).length, 3);
  });

  it('reports timeouts and network errors with the number of attempts', async () => {
    fresh();
    const slow = await failure(scorerFor('/slow', { timeoutMs: 80, retries: 1 }).score(makeBatch(1)), 'RUNTIME_ERROR');
    assert.match(slow, /after 2 attempts: no answer within 80 ms/);
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    await once(closed, 'close');
    const refused = await failure(httpScorer({ url: `http://127.0.0.1:${port}/`, retries: 1, backoff: { baseMs: 1 } }).score(makeBatch(2)), 'RUNTIME_ERROR');
    assert.match(refused, /sample [01] of 2 at .* after 2 attempts: network error \(ECONNREFUSED\)/);
  });

  it('malformed JSON in a 200 fails at once, naming the samples', async () => {
    fresh();
    const message = await failure(scorerFor('/malformed', { perRequest: 3 }).score(makeBatch(3)), 'RUNTIME_ERROR');
    assert.match(message, /samples 0-2 of 3 .* after 1 attempt: the response is not valid JSON/);
    assert.equal(hitsOf('/malformed', 0).length, 1);
  });

  it('a wrong number of rows is an error naming the samples', async () => {
    fresh();
    const message = await failure(scorerFor('/short', { perRequest: 3 }).score(makeBatch(3)), 'RUNTIME_ERROR');
    assert.match(message, /samples 0-2 of 3 .*: the response has 2 rows of scores for 3 samples/);
  });

  it('non-numbers and nulls are errors naming the sample', async () => {
    fresh();
    const text = await failure(scorerFor('/bad-value?v=x', { perRequest: 2 }).score(makeBatch(4)), 'RUNTIME_ERROR');
    assert.match(text, /score 1 of sample (1|3) is "x", not a finite number/);
    const nul = await failure(scorerFor('/bad-value?v=null', { perRequest: 2 }).score(makeBatch(2)), 'RUNTIME_ERROR');
    assert.match(nul, /score 1 of sample 1 is null/);
  });

  it('rejects bad options', () => {
    for (const options of [{ perRequest: 0 }, { concurrency: 1.5 }, { retries: -1 }, { timeoutMs: 0 }, { batchSize: 0 }]) {
      assert.throws(
        () => httpScorer({ url: base, ...options }),
        (e: unknown) => isLucernaError(e, 'BAD_OPTION'),
      );
    }
    assert.throws(
      () => httpScorer({ url: '' }),
      (e: unknown) => isLucernaError(e, 'BAD_OPTION'),
    );
  });
});

describe('httpScorer: cancellation', () => {
  it("the caller's signal aborts requests in flight and rejects with ABORTED", HANG_GUARD, async () => {
    fresh();
    const controller = new AbortController();
    // '/hang' never answers, and an attempt would wait a minute: only the abort ends this at once.
    const run = scorerFor('/hang', { concurrency: 2, timeoutMs: 60_000 }).score(makeBatch(6), controller.signal);
    await until(() => arrived() === 2);
    controller.abort();
    await failure(run, 'ABORTED');
    await until(() => state.aborted === 2); // both requests in flight are closed
    assert.equal(state.hits.size, 2, 'queued requests should never start');
  });

  it('aborts a backoff wait', HANG_GUARD, async () => {
    fresh();
    const controller = new AbortController();
    // After the first 503 the retry would wait 30 to 60 s: only the abort ends this at once.
    const long = { baseMs: 60_000, maxMs: 60_000 };
    // The client reads the 503's body, then starts the wait in the same run of microtasks, so it
    // is waiting by the next macrotask, when the signal fires.
    let read = () => {};
    const bodyRead = new Promise<void>((done) => (read = done));
    const observed: typeof fetch = async (input, init) => {
      const real = await fetch(input, init);
      const body = await real.text();
      const text = async () => {
        read();
        return body;
      };
      return { ok: real.ok, status: real.status, statusText: real.statusText, headers: real.headers, text } as unknown as Response;
    };
    const run = scorerFor('/status?code=503', { backoff: long, fetch: observed }).score(makeBatch(1), controller.signal);
    await bodyRead;
    await new Promise((next) => setImmediate(next));
    controller.abort();
    await failure(run, 'ABORTED');
    assert.equal(hitsOf('/status', 0).length, 1);
  });
});

describe('httpScorer: end to end', () => {
  it('occlusion through the HTTP scorer equals occlusion through a functionScorer', async () => {
    fresh();
    const x: Tensor = { data: Float32Array.from({ length: 2 * 36 }, (_, i) => Math.sin(i * 1.3) * 2), shape: [2, 1, 6, 6] };
    const local = functionScorer(async (batch) => toRows(batch));
    const remote = httpScorer({ url: `${base}/ok`, batchSize: 5, perRequest: 2, concurrency: 3 });
    const options = { window: [1, 3, 3], strides: [1, 2, 2], target: [0, 1] };
    const a = await occlude(local, x, options);
    const b = await occlude(remote, x, options);
    assert.deepEqual(b.attribution.data, a.attribution.data);
    assert.deepEqual(b.scores, a.scores);
    assert.ok(a.attribution.data.some((v) => v !== 0));
  });

  it('scorePerturbations reads the same target scores through both scorers', async () => {
    fresh();
    const sample = makeBatch(1).data;
    const source = {
      count: 7,
      fill(index: number, out: Float32Array) {
        out.set(sample);
        out[index % PER] = -1;
      },
      target: (index: number) => index % 3,
    };
    const collect = async (scorer: Parameters<typeof scorePerturbations>[0]) => {
      const scores = new Float32Array(source.count);
      await scorePerturbations(scorer, [2, 3], source, (first, chunk) => scores.set(chunk, first));
      return scores;
    };
    const local = await collect(functionScorer(async (batch) => toRows(batch), { batchSize: 3 }));
    const remote = await collect(httpScorer({ url: `${base}/ok`, batchSize: 3, perRequest: 2 }));
    assert.deepEqual(remote, local);
  });
});
