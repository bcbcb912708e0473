/**
 * Callouts: a visible box for a warning or a note that a reader must not miss (e.g. Integrated
 * Gradients' convergence delta above 5 % of the logit), with what to change.
 */
import { escapeHtml } from './escape.js';

/** A warning attached to report data (a method, an image, a run). */
export interface ReportWarning {
  /** A short statement of the problem, e.g. `convergence delta 2.0 is 48% of the logit 4.2`. */
  readonly message: string;
  /** What to change, e.g. `use more --steps or --integration gauss-legendre`. */
  readonly hint?: string;
}

/** Options of {@link callout}. */
export interface CalloutOptions {
  /** `warning` (default, amber) or `note` (blue). */
  readonly level?: 'warning' | 'note';
  /** A bold lead-in, e.g. the method's name. */
  readonly title?: string;
}

/**
 * A callout box: the title in bold, the message, the hint on its own line.
 *
 * @example
 * ```ts
 * callout({ message: 'delta is 48% of the logit', hint: 'use --integration gauss-legendre' }, { title: 'integrated-gradients' });
 * ```
 */
export function callout(warning: ReportWarning, options: CalloutOptions = {}): string {
  const level = options.level ?? 'warning';
  const title = options.title ? `<b>${escapeHtml(options.title)}</b>: ` : '';
  const hint = warning.hint ? `<div class="hint">${escapeHtml(warning.hint)}</div>` : '';
  return `<div class="callout ${level}" role="${level === 'warning' ? 'alert' : 'note'}"><span class="icon" aria-hidden="true">${level === 'warning' ? '⚠' : 'ℹ'}</span><div>${title}${escapeHtml(warning.message)}${hint}</div></div>`;
}
