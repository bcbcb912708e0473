/**
 * The one error type of Lucerna: a stable code, a one-line message for the user,
 * and an optional hint that says what to do about it.
 *
 * The CLI prints `message` (and `hint`) and exits non-zero; stack traces appear only with `--debug`.
 *
 * @example
 * ```ts
 * throw new LucernaError('UNKNOWN_TENSOR', 'No tensor named "conv9"', 'Close names: conv1, conv2');
 * ```
 */
export class LucernaError extends Error {
  override readonly name = 'LucernaError';
  constructor(
    /** A stable, machine-readable code such as `NOT_ONNX` or `NO_GRADIENT_RULE`. */
    readonly code: LucernaErrorCode,
    message: string,
    /** What the user can do about it, one sentence. */
    readonly hint?: string,
  ) {
    super(message);
  }

  /** The message and hint on one line, as the CLI prints it. */
  oneLine(): string {
    return this.hint ? `${this.message}. ${this.hint}` : this.message;
  }
}

/** Every error code Lucerna raises. */
export type LucernaErrorCode =
  | 'NOT_ONNX'
  | 'TRUNCATED_FILE'
  | 'UNSUPPORTED_OPSET'
  | 'UNSUPPORTED_MODEL'
  | 'NO_GRADIENT_RULE'
  | 'BAD_SHAPE'
  | 'BAD_DTYPE'
  | 'NON_FINITE_INPUT'
  | 'NON_FINITE_LOSS'
  | 'INTERRUPTED'
  | 'UNKNOWN_TENSOR'
  | 'BAD_PLAN'
  | 'BAD_OPTION'
  | 'BAD_TARGET'
  | 'FILE_NOT_FOUND'
  | 'BAD_FILE'
  | 'RUNTIME_ERROR'
  | 'DISPOSED'
  | 'ABORTED'
  /** A path outside the folders a server may read (`lucerna serve --root`). */
  | 'FORBIDDEN_PATH';

/** True when `e` is a {@link LucernaError}, optionally with the given code. */
export function isLucernaError(e: unknown, code?: LucernaErrorCode): e is LucernaError {
  return e instanceof LucernaError && (code === undefined || e.code === code);
}

/**
 * Levenshtein distance between two strings; used to suggest close names.
 */
export function editDistance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] as number;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] as number;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      prev[j] = Math.min(up + 1, (prev[j - 1] as number) + 1, diag + cost);
      diag = up;
    }
  }
  return prev[b.length] as number;
}

/**
 * The `count` names closest to `name`: substring matches first, then by edit distance.
 *
 * @example
 * ```ts
 * closestNames('relu2', ['/relu1/Relu_output_0', '/relu2/Relu_output_0']); // ['/relu2/Relu_output_0', ...]
 * ```
 */
export function closestNames(name: string, candidates: readonly string[], count = 5): string[] {
  const lower = name.toLowerCase();
  const scored = candidates.map((c) => {
    const cl = c.toLowerCase();
    const contains = cl.includes(lower) || lower.includes(cl) ? 0 : 1;
    return { c, score: contains * 1000 + editDistance(lower, cl) };
  });
  scored.sort((x, y) => x.score - y.score);
  return scored.slice(0, count).map((s) => s.c);
}

/**
 * The error for a name that is not in a registry (`kind`: method, metric): every known name, and
 * the two closest.
 *
 * @see https://arxiv.org/abs/1802.00614
 * @example
 * ```ts
 * throw unknownNameError('metric', 'delation', ['deletion', 'insertion']); // Unknown metric "delation"
 * ```
 */
export function unknownNameError(kind: string, name: string, known: readonly string[]): LucernaError {
  return new LucernaError(
    'BAD_OPTION',
    `Unknown ${kind} "${name}"`,
    `Known ${kind}s: ${known.join(', ')} (closest: ${closestNames(name, known, 2).join(', ')})`,
  );
}

/**
 * The one positive-integer validator: `value` when it is an integer ≥ 1, else a one-line
 * `BAD_OPTION` error that starts with `what` ("The batch size", "steps", "--top-units").
 *
 * @see https://arxiv.org/abs/1802.00614
 * @example
 * ```ts
 * const steps = positiveInteger(options.steps ?? 64, 'steps');
 * ```
 */
export function positiveInteger(value: number | undefined, what: string): number {
  if (value === undefined || !Number.isInteger(value) || value < 1) throw new LucernaError('BAD_OPTION', `${what} must be a positive integer, got ${value}`);
  return value;
}

/** The error for a tensor name that is not in the graph, with close matches. */
export function unknownTensorError(name: string, candidates: readonly string[], what = 'tensor'): LucernaError {
  const close = closestNames(name, candidates);
  return new LucernaError(
    'UNKNOWN_TENSOR',
    `No ${what} named "${name}" in the model`,
    close.length ? `Closest names: ${close.map((c) => `"${c}"`).join(', ')}` : 'Run `lucerna inspect` to list them',
  );
}
