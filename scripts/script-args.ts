/**
 * The command line of a developer script: Node's `parseArgs` over string options, plus `--help`
 * (the usage line with each default, exit 0), and a bad flag answered with one line and the usage
 * (exit 2) instead of parseArgs' stack trace.
 */
import { parseArgs } from 'node:util';

/** A script's string options: each with its default, or none. */
export type ScriptOptions = Record<string, { readonly type: 'string'; readonly default?: string }>;

/**
 * The usage line of `script` with `options`: `[--name default]`, or `[--name <value>]` without one.
 *
 * @example
 * ```ts
 * scriptUsage('scripts/then-now-superpixel.ts', { calls: { type: 'string', default: '3' } });
 * // 'usage: node --import tsx scripts/then-now-superpixel.ts [--calls 3]'
 * ```
 */
export function scriptUsage(script: string, options: ScriptOptions): string {
  const flags = Object.entries(options).map(([name, o]) => `[--${name} ${o.default ?? '<value>'}]`);
  return `usage: node --import tsx ${[script, ...flags].join(' ')}`;
}

/**
 * Parses `process.argv` for `script`: its values, or the process ends with the usage (`--help`, exit
 * 0) or with one line and the usage (a bad flag, exit 2).
 *
 * @example
 * ```ts
 * const { values } = scriptArgs('scripts/then-now-superpixel.ts', { calls: { type: 'string', default: '3' } });
 * ```
 */
export function scriptArgs<O extends ScriptOptions>(
  script: string,
  options: O,
  args: string[] = process.argv.slice(2),
): { values: Record<keyof O, string | undefined> } {
  const usage = scriptUsage(script, options);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } } });
  } catch (e) {
    process.stderr.write(`error: ${(e as Error).message}\n${usage}\n`);
    process.exit(2);
  }
  if (parsed.values.help) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  return { values: parsed.values as Record<keyof O, string | undefined> };
}
