/**
 * Parsers for CLI option values, shared by every command. A bad value is a `BAD_OPTION` error
 * (exit code 2) that names the flag and what it takes. Each parser passes `undefined` through, so
 * an absent flag keeps the library's default.
 */
import { LucernaError } from '../errors.js';

/** The most images a generated data set takes (`dataset parts`/`concepts --n`); typos such as 1e9 are refused. */
export const MAX_IMAGES = 1_000_000;

/**
 * Parses an integer flag with a lower bound (and an upper one when given).
 *
 * @example
 * ```ts
 * parseInteger('32', '--steps', 1); // 32
 * parseInteger('1e9', '--steps', 1, 100_000); // throws: --steps must be an integer from 1 to 100000, got "1e9"
 * ```
 */
export function parseInteger(text: string | undefined, flag: string, min: number, max = Number.POSITIVE_INFINITY): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (text.trim() === '' || !Number.isInteger(v) || v < min || v > max) {
    const range = Number.isFinite(max) ? `from ${min} to ${max}` : `≥ ${min}`;
    throw new LucernaError('BAD_OPTION', `${flag} must be an integer ${range}, got "${text}"`);
  }
  return v;
}

/**
 * Parses a finite number flag with a lower bound.
 *
 * @example
 * ```ts
 * parseNumber('0.15', '--stdev', 0); // 0.15
 * ```
 */
export function parseNumber(text: string | undefined, flag: string, min = -Infinity): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || v < min) throw new LucernaError('BAD_OPTION', `${flag} must be a number ≥ ${min}, got "${text}"`);
  return v;
}

/**
 * Parses a probability flag in (0, 1].
 *
 * @example
 * ```ts
 * parseProbability('0.5', '--keep'); // 0.5
 * ```
 */
export function parseProbability(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (!(v > 0 && v <= 1)) throw new LucernaError('BAD_OPTION', `${flag} must be a probability in (0, 1], got "${text}"`);
  return v;
}

/**
 * Parses a list of positive integers such as `3,8,8` (commas or `x`).
 *
 * @example
 * ```ts
 * parseIntList('3,8,8', '--window'); // [3, 8, 8]
 * ```
 */
export function parseIntList(text: string | undefined, flag: string): number[] | undefined {
  if (text === undefined) return undefined;
  const parts = text.split(/[,x×]/).map((p) => p.trim());
  const values = parts.map(Number);
  if (parts.some((p) => p === '') || values.some((v) => !Number.isInteger(v) || v < 1)) {
    throw new LucernaError('BAD_OPTION', `${flag} must be positive integers separated by commas (e.g. 3,8,8), got "${text}"`);
  }
  return values;
}

/**
 * Parses a comma-separated list of non-negative integers, such as `--channels 3,7,12`.
 *
 * @example
 * ```ts
 * parseIndexList('3,7, 12', '--channels'); // [3, 7, 12]
 * ```
 */
export function parseIndexList(text: string, flag: string): number[] {
  const parts = text.split(',').map((p) => p.trim());
  const values = parts.map(Number);
  if (parts.some((p) => p === '') || values.some((v) => !Number.isInteger(v) || v < 0)) {
    throw new LucernaError('BAD_OPTION', `${flag} must be whole numbers ≥ 0 separated by commas, got "${text}"`);
  }
  return values;
}

/**
 * Parses a shape such as `1x3x224x224` or `1,3,224,224` (positive integers).
 *
 * @example
 * ```ts
 * parseShape('1x3x224x224', '--shape'); // [1, 3, 224, 224]
 * ```
 */
export function parseShape(text: string, flag: string): number[] {
  const parts = text.trim().split(/[x,×\s]+/i);
  const dims = parts.map(Number);
  if (parts.length === 0 || dims.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new LucernaError('BAD_OPTION', `${flag} "${text}" is not a shape`, `Write positive sizes separated by x, e.g. ${flag} 1x3x224x224`);
  }
  return dims;
}

/**
 * Splits a comma-separated list, dropping empty entries.
 *
 * @example
 * ```ts
 * splitList('a, b,,c'); // ['a', 'b', 'c']
 * ```
 */
export function splitList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/**
 * Parses one of a fixed set of words.
 *
 * @example
 * ```ts
 * parseChoice('pixel', '--param', ['fourier', 'pixel']); // 'pixel'
 * ```
 */
export function parseChoice<T extends string>(text: string | undefined, flag: string, choices: readonly T[]): T | undefined {
  if (text === undefined) return undefined;
  if (!(choices as readonly string[]).includes(text)) throw new LucernaError('BAD_OPTION', `Unknown ${flag} "${text}"`, `Use one of ${choices.join(', ')}`);
  return text as T;
}

/** Extensions of the files commands write: a folder output named like one is almost surely a mistake. */
const FILE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp', '.svg', '.html', '.htm', '.json', '.csv', '.npy', '.onnx', '.txt'];

/** The extension of the last path segment, lower case (`''` when there is none). */
function extensionOf(path: string): string {
  const name =
    path
      .replace(/[\\/]+$/, '')
      .split(/[\\/]/)
      .pop() ?? '';
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot).toLowerCase() : '';
}

/**
 * Checks an output path's name against what the command writes, before any work: a file output
 * must end in one of `extensions` (when given); a folder output must not be named like a file
 * (`--out vis.png` for a command that writes a folder of PNGs), unless that folder already exists.
 * A mismatch is one `BAD_OPTION` line.
 *
 * @example
 * ```ts
 * checkOutputName('report.html', 'file', ['.html', '.htm'], '--out'); // passes
 * checkOutputName('report.png', 'file', ['.html', '.htm'], '--out'); // throws: --out must end in .html or .htm, got "report.png"
 * ```
 */
export function checkOutputName(
  path: string,
  kind: 'file' | 'folder',
  extensions: readonly string[] | undefined,
  flag: string,
  exists: (path: string) => boolean = () => false,
): void {
  const ext = extensionOf(path);
  if (kind === 'file' && extensions && extensions.length > 0 && !extensions.includes(ext)) {
    const list = extensions.length === 1 ? extensions[0] : `${extensions.slice(0, -1).join(', ')} or ${extensions[extensions.length - 1]}`;
    throw new LucernaError('BAD_OPTION', `${flag} must end in ${list}, got "${path}"`);
  }
  if (kind === 'folder' && FILE_EXTENSIONS.includes(ext) && !exists(path)) {
    throw new LucernaError(
      'BAD_OPTION',
      `${flag} names a folder to write into, got "${path}", a ${ext} file name`,
      `Pass a folder, e.g. ${flag} ${path.slice(0, -ext.length)}/`,
    );
  }
}
