/**
 * `--target` for every command: `argmax` (default), a class index or a class label from the model's
 * sidecar, or a comma-separated list of them. Parsed before anything is loaded; labels are looked up
 * once the model (and its labels) is open.
 */
import type { TargetSpec } from '../attribution/types.js';
import { closestNames, LucernaError } from '../errors.js';

/** One requested target: the predicted class, a class index, or a label to look up. */
export type TargetRequest =
  | { readonly kind: 'argmax' }
  | { readonly kind: 'index'; readonly index: number }
  | { readonly kind: 'label'; readonly label: string };

/**
 * Parses `--target`: `argmax` (default), a class index or a label, or a comma-separated list.
 *
 * @example
 * ```ts
 * parseTargets('argmax,0'); // [{ kind: 'argmax' }, { kind: 'index', index: 0 }]
 * ```
 */
export function parseTargets(text: string | undefined): TargetRequest[] {
  if (text === undefined) return [{ kind: 'argmax' }];
  const parts = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s);
  if (parts.length === 0) throw new LucernaError('BAD_OPTION', '--target is empty', 'Pass argmax, a class index or a label');
  return parts.map((p): TargetRequest => {
    if (p === 'argmax') return { kind: 'argmax' };
    if (/^\d+$/.test(p)) return { kind: 'index', index: Number(p) };
    if (/^-\d+$/.test(p)) throw new LucernaError('BAD_OPTION', `--target ${p} is negative`, 'Class indices start at 0');
    return { kind: 'label', label: p };
  });
}

/**
 * The class index a request names, or `argmax`. A label is looked up in `labels` (case-insensitive);
 * an unknown label lists the closest ones, and an index beyond `classes` (when known) is refused.
 *
 * @example
 * ```ts
 * resolveTarget({ kind: 'label', label: 'neutral' }, ['Drawing', 'Hentai', 'Neutral']); // 2
 * ```
 */
export function resolveTarget(request: TargetRequest, labels: readonly string[] | undefined, classes?: number): number | 'argmax' {
  if (request.kind === 'argmax') return 'argmax';
  if (request.kind === 'index') {
    const n = classes ?? labels?.length;
    if (n !== undefined && request.index >= n) {
      throw new LucernaError('BAD_TARGET', `Target ${request.index} is out of range: the model has ${n} classes (0 to ${n - 1})`);
    }
    return request.index;
  }
  if (!labels || labels.length === 0) {
    throw new LucernaError(
      'BAD_TARGET',
      `--target "${request.label}" is a label, but the model has no class labels`,
      'Pass a class index, or add labels to its .lucerna.json sidecar',
    );
  }
  const found = labels.findIndex((l) => l.toLowerCase() === request.label.toLowerCase());
  if (found < 0)
    throw new LucernaError('BAD_TARGET', `No class labelled "${request.label}"`, `Closest labels: ${closestNames(request.label, labels, 3).join(', ')}`);
  return found;
}

/**
 * The one target a single-map command (attribute, evaluate) explains, as a method's `target` option.
 * Several targets are refused with a pointer to `explain`, which draws one column per target.
 *
 * @example
 * ```ts
 * singleTarget(parseTargets('Neutral'), ['Drawing', 'Hentai', 'Neutral']); // 2
 * ```
 */
export function singleTarget(requests: readonly TargetRequest[], labels: readonly string[] | undefined): TargetSpec {
  if (requests.length !== 1) throw new LucernaError('BAD_OPTION', '--target takes one class here', 'Use lucerna explain for several targets side by side');
  return resolveTarget(requests[0] as TargetRequest, labels);
}
