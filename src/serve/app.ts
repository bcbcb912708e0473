/**
 * The HTTP protocol of `lucerna serve` (documented in docs/serve.md), on Hono:
 * - `GET /v1/health` → `{ ok, version, models, sessionsCreated }`;
 * - `GET /v1/methods` → every registered attribution method with its options;
 * - `POST /v1/attribute` → one attribution map (see `attribute.ts`).
 *
 * Every error is `{ error: { code, message, hint? } }` with the LucernaError code mapped to an
 * HTTP status ({@link httpStatus}); the body is capped (413 beyond `maxBodyBytes`).
 *
 * Node-only.
 */
import { Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { methodList } from '../attribution/methods.js';
import { isLucernaError, LucernaError, type LucernaErrorCode } from '../errors.js';
import { handleAttribute, optionName } from './attribute.js';
import type { ModelCache } from './models.js';
import { parseAttributeRequest } from './schema.js';

/** What the routes need. */
export interface AppDeps {
  readonly roots: readonly string[];
  readonly models: ModelCache;
  readonly signal: AbortSignal;
  readonly maxBodyBytes: number;
  readonly version: string;
}

const STATUS: Partial<Record<LucernaErrorCode, ContentfulStatusCode>> = {
  FORBIDDEN_PATH: 403,
  FILE_NOT_FOUND: 404,
  UNSUPPORTED_MODEL: 422,
  UNSUPPORTED_OPSET: 422,
  NO_GRADIENT_RULE: 422,
  RUNTIME_ERROR: 500,
  DISPOSED: 503,
  ABORTED: 503,
};

/**
 * The HTTP status of a LucernaError code: 400 for bad input (options, targets, shapes, files),
 * 403 outside the roots, 404 missing file, 422 a model Lucerna cannot explain, 5xx for the server.
 *
 * @example
 * ```ts
 * httpStatus('FORBIDDEN_PATH'); // 403
 * ```
 */
export function httpStatus(code: LucernaErrorCode): ContentfulStatusCode {
  return STATUS[code] ?? 400;
}

/**
 * The JSON body of every error answer: `{ error: { code, message, hint? } }`.
 *
 * @example
 * ```ts
 * c.json(errorBody('NOT_FOUND', 'no route GET /x'), 404);
 * ```
 */
export function errorBody(code: string, message: string, hint?: string) {
  return { error: { code, message, ...(hint ? { hint } : {}) } };
}

/**
 * Answers every thrown error as {@link errorBody}: a LucernaError with its mapped status, anything
 * else as a one-line 500 (never a stack trace).
 *
 * @example
 * ```ts
 * const app = new Hono();
 * handleErrors(app);
 * ```
 */
export function handleErrors(app: Hono): void {
  app.onError((e, c) => {
    if (isLucernaError(e)) return c.json(errorBody(e.code, e.message, e.hint), httpStatus(e.code));
    return c.json(errorBody('INTERNAL', `internal error: ${String((e as Error)?.message ?? e).split('\n')[0]}`), 500);
  });
}

/**
 * A body cap: a request larger than `maxBytes` gets 413 with a BODY_TOO_LARGE error and `hint`.
 *
 * @example
 * ```ts
 * app.post('/upload', limitBody(1 << 20, 'Send less'), handler);
 * ```
 */
export function limitBody(maxBytes: number, hint: string): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    onError: (c) => c.json(errorBody('BODY_TOO_LARGE', `the request body is larger than ${maxBytes} bytes`, hint), 413),
  });
}

/**
 * Builds the Hono app (tests may call `app.request(...)` without a socket).
 *
 * @example
 * ```ts
 * const app = createApp({ roots, models, signal, maxBodyBytes: 1 << 24, version: '0.1.0' });
 * ```
 */
export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  handleErrors(app);
  app.notFound((c) =>
    c.json(errorBody('NOT_FOUND', `no route ${c.req.method} ${c.req.path}`, 'Routes: GET /v1/health, GET /v1/methods, POST /v1/attribute'), 404),
  );
  app.get('/v1/health', (c) =>
    c.json({
      ok: true,
      version: deps.version,
      models: deps.models.stats.modelsLoaded - deps.models.stats.modelsDisposed,
      sessionsCreated: deps.models.stats.sessionsCreated,
    }),
  );
  app.get('/v1/methods', (c) =>
    c.json({
      methods: methodList().map((m) => ({
        name: m.name,
        kind: m.kind,
        description: m.description,
        needs: m.needs,
        options: m.options.map((o) => ({ name: optionName(o.flag), type: o.type, help: o.help, ...(o.choices ? { choices: o.choices } : {}) })),
      })),
    }),
  );
  app.post(
    '/v1/attribute',
    limitBody(deps.maxBodyBytes, 'Pass the input as a path under a --root, or start the server with a larger --max-body'),
    async (c) => {
      let body: unknown;
      try {
        body = JSON.parse(await c.req.text());
      } catch {
        throw new LucernaError('BAD_OPTION', 'the request body is not valid JSON', 'Send Content-Type: application/json with a JSON object');
      }
      return c.json(await handleAttribute(parseAttributeRequest(body), deps));
    },
  );
  return app;
}
