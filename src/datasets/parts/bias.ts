/**
 * Planted spurious correlations for the procedural parts data set (for the bias issue): a rule
 * such as `bird:background=stripes@0.95` makes 95% of the training images of class `bird` have a
 * striped background (the rest draw one of the other textures uniformly). Other classes and the
 * validation split keep the uniform draw, so a model that learns the shortcut fails there.
 */
import { LucernaError } from '../../errors.js';
import { TEXTURES, type TextureName } from './textures.js';

/** One planted correlation. */
export interface BiasRule {
  readonly className: string;
  readonly attribute: 'background';
  readonly value: TextureName;
  /** Probability in [0, 1] that a training image of the class gets `value`. */
  readonly rate: number;
}

/**
 * Parses `class:background=texture@rate`.
 *
 * @example
 * ```ts
 * parseBias('bird:background=stripes@0.95'); // { className: 'bird', attribute: 'background', value: 'stripes', rate: 0.95 }
 * ```
 */
export function parseBias(text: string): BiasRule {
  const m = /^([\w-]+):(\w+)=(\w+)@([0-9.]+)$/.exec(text.trim());
  const hint = `Write class:background=<${TEXTURES.join('|')}>@rate, e.g. bird:background=stripes@0.95`;
  if (!m) throw new LucernaError('BAD_OPTION', `Cannot read the bias rule "${text}"`, hint);
  const [, className, attribute, value, rateText] = m as unknown as [string, string, string, string, string];
  const rate = Number(rateText);
  if (attribute !== 'background')
    throw new LucernaError('BAD_OPTION', `The bias rule "${text}" names attribute "${attribute}"; only background can be planted`, hint);
  if (!(TEXTURES as readonly string[]).includes(value)) throw new LucernaError('BAD_OPTION', `Unknown background "${value}" in "${text}"`, hint);
  if (!(rate >= 0 && rate <= 1)) throw new LucernaError('BAD_OPTION', `The rate in "${text}" must be in [0, 1]`, hint);
  return { className, attribute: 'background', value: value as TextureName, rate };
}

/**
 * The background a training image of `className` is forced to under `rules`, or undefined for the
 * uniform draw. `u` and `v` are two uniform draws in [0, 1).
 *
 * @example
 * ```ts
 * biasedBackground([parseBias('bird:background=stripes@0.95')], 'bird', 0.5, 0.1); // 'stripes'
 * ```
 */
export function biasedBackground(rules: readonly BiasRule[], className: string, u: number, v: number): TextureName | undefined {
  const rule = rules.find((r) => r.className === className);
  if (!rule) return undefined;
  if (u < rule.rate) return rule.value;
  const others = TEXTURES.filter((t) => t !== rule.value);
  return others[Math.floor(v * others.length)];
}
