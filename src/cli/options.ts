/**
 * Parsers for CLI option values. A bad value is a `BAD_OPTION` error (exit code 2).
 */
import { LucernaError } from '../errors.js';

/**
 * Parses a shape such as `1x3x224x224` or `1,3,224,224` (positive integers).
 *
 * @example
 * ```ts
 * parseShape('1x3x224x224', '--shape'); // [1, 3, 224, 224]
 * ```
 */
export function parseShape(text: string, option: string): number[] {
  const parts = text.trim().split(/[x,×\s]+/i);
  const dims = parts.map(Number);
  if (parts.length === 0 || dims.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new LucernaError('BAD_OPTION', `${option} "${text}" is not a shape`, `Write positive sizes separated by x, e.g. ${option} 1x3x224x224`);
  }
  return dims;
}
