/**
 * Planted spurious correlations for the procedural parts data set (for the bias issue): a rule
 * such as `bird:background=stripes@0.95` makes 95% of the training images of class `bird` have a
 * striped background (the rest draw one of the other textures uniformly). Other classes and the
 * validation split keep the uniform draw, so a model that learns the shortcut fails there.
 */
import { LucernaError } from '../../errors.js';
import { PART_NAMES } from './figures.js';
import { PALETTE, TEXTURES, type TextureName } from './textures.js';

/** One planted correlation: a background texture, or a part's main colour (`<part>_colour`). */
export interface BiasRule {
  readonly className: string;
  /** `background` or `<part>_colour`. */
  readonly attribute: string;
  /** A texture name for `background`, a palette colour name for `<part>_colour`. */
  readonly value: string;
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
  const hint = `Write class:background=<${TEXTURES.join('|')}>@rate or class:<part>_colour=<colour>@rate, e.g. bird:background=stripes@0.95 or bird:head_colour=red@0.9`;
  if (!m) throw new LucernaError('BAD_OPTION', `Cannot read the bias rule "${text}"`, hint);
  const [, className, attribute, value, rateText] = m as unknown as [string, string, string, string, string];
  const rate = Number(rateText);
  const part = /^(\w+)_colour$/.exec(attribute)?.[1];
  if (attribute !== 'background' && !(part && PART_NAMES.includes(part)))
    throw new LucernaError('BAD_OPTION', `The bias rule "${text}" names attribute "${attribute}"; only background and <part>_colour can be planted`, hint);
  if (attribute === 'background' && !(TEXTURES as readonly string[]).includes(value))
    throw new LucernaError('BAD_OPTION', `Unknown background "${value}" in "${text}"`, hint);
  if (part && !PALETTE.some((c) => c.name === value)) throw new LucernaError('BAD_OPTION', `Unknown colour "${value}" in "${text}"`, hint);
  if (!(rate >= 0 && rate <= 1)) throw new LucernaError('BAD_OPTION', `The rate in "${text}" must be in [0, 1]`, hint);
  return { className, attribute, value, rate };
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
  const rule = rules.find((r) => r.className === className && r.attribute === 'background');
  if (!rule) return undefined;
  if (u < rule.rate) return rule.value as TextureName;
  const others = TEXTURES.filter((t) => t !== rule.value);
  return others[Math.floor(v * others.length)];
}

/**
 * The palette index a training image's `part` is forced to take as its main colour under `rules`,
 * or undefined to keep the drawn colour `drawn`. `u` is a uniform draw in [0, 1); like the
 * background rule, the rest (1 − rate) get any other colour, here the drawn one moved off `value`.
 *
 * @example
 * ```ts
 * biasedColour([parseBias('bird:head_colour=red@1')], 'bird', 'head', 5, 0.3); // 0 (red)
 * ```
 */
export function biasedColour(rules: readonly BiasRule[], className: string, part: string, drawn: number, u: number): number | undefined {
  const rule = rules.find((r) => r.className === className && r.attribute === `${part}_colour`);
  if (!rule) return undefined;
  const forced = PALETTE.findIndex((c) => c.name === rule.value);
  if (u < rule.rate) return forced;
  return drawn === forced ? (drawn + 1) % PALETTE.length : drawn;
}
