/**
 * The flags every command shares, declared once: the same flag means the same thing everywhere.
 * A command lists the ones it takes (`flags.input({ … })`, `flags.out(…)`, …) next to its own.
 *
 * This module is loaded for `lucerna --help`, so it imports nothing heavy.
 */
import type { ArgumentSpec, OptionSpec } from './command.js';

/** The MODEL argument that names the bundled MobileNetV2 (also the default when MODEL is left out). */
export const BUNDLED_MODEL = 'bundled';

/**
 * The optional MODEL argument: an ONNX file, a TF.js `model.json`, or `bundled` (the default).
 *
 * @example
 * ```ts
 * defineCommand({ name: 'attribute', arguments: [modelArgument()], … });
 * ```
 */
export function modelArgument(): ArgumentSpec {
  return { name: '[model]', description: `ONNX model, TF.js model.json, or "${BUNDLED_MODEL}" (default: the bundled MobileNetV2, logits variant)` };
}

/**
 * `--input`: the one input flag, for images, `.npy` files and folders. `deprecated` lists the old
 * spellings this command accepted (they still work, with a one-line note on stderr).
 *
 * @example
 * ```ts
 * input({ value: '<file...>', description: 'images to explain', deprecated: ['--image'] });
 * ```
 */
export function input(spec: { value?: string; description: string; required?: boolean; deprecated?: readonly string[] }): OptionSpec {
  const value = spec.value ?? '<path>';
  return {
    flags: `--input ${value}`,
    description: spec.description,
    required: spec.required,
    deprecated: spec.deprecated?.map((old) => `${old} ${value}`),
  };
}

/**
 * `--out`: where the command writes. Checked before any compute; written atomically at the end.
 *
 * @example
 * ```ts
 * out('<file>', 'output: .npy (raw) or .png (heatmap)', true);
 * ```
 */
export function out(value: string, description: string, required = false): OptionSpec {
  return { flags: `--out ${value}`, description, required };
}

/** `--json`: print the result as JSON instead of the human summary. @example `json()` */
export function json(description = 'print the result as JSON'): OptionSpec {
  return { flags: '--json', description };
}

/** `--batch-size`: rows per engine call (bounds memory). @example `batchSize(8)` */
export function batchSize(defaultValue?: number, deprecated?: readonly string[]): OptionSpec {
  return {
    flags: '--batch-size <n>',
    description: `rows per engine call${defaultValue === undefined ? '' : ` (default ${defaultValue})`}`,
    deprecated: deprecated?.map((old) => `${old} <n>`),
  };
}

/** `--target`: argmax, a class index or a label from the model's sidecar. @example `target()` */
export function target(description = 'argmax (default), a class index, or a class label from the model sidecar'): OptionSpec {
  return { flags: '--target <class>', description };
}

/** `--layer`: a layer (activation tensor or node name). @example `layer('layer for CAM methods')` */
export function layer(description: string, required = false): OptionSpec {
  return { flags: '--layer <name>', description, required };
}

/** `--seed`: the seed of every random draw. @example `seed(0)` */
export function seed(defaultValue = 0): OptionSpec {
  return { flags: '--seed <n>', description: `random seed (default ${defaultValue})` };
}

/** `--steps`: iterations of an optimisation or integration. @example `steps('optimisation steps (default 512)')` */
export function steps(description: string): OptionSpec {
  return { flags: '--steps <n>', description };
}

/** `--channels`: channels of a layer, comma-separated (`--channel` is the old spelling). @example `channels('channels to rank')` */
export function channels(description: string): OptionSpec {
  return { flags: '--channels <c,...>', description, deprecated: ['--channel <c,...>'] };
}
