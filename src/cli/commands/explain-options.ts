/**
 * The flags of `lucerna explain`, parsed and validated before anything is loaded, and the
 * defaults of the main job (chosen so the whole default run takes well under 20 s on 2 cores).
 */
import { INTEGRATION_RULES, type IntegrationRule } from '../../attribution/integration.js';
import { OPTIONS } from '../../attribution/options.js';
import { LucernaError, unknownNameError } from '../../errors.js';
import { type OverlayMode, parseOverlayMode } from '../../render/overlay.js';
import { packagePath } from '../package-root.js';
import { parseChoice, parseInteger, parseNumber } from '../parse.js';
import { parseTargets, type TargetRequest } from '../targets.js';
import { explainMethodNames } from './explain-methods.js';

/** The methods of the default run, in report order. @example `DEFAULT_METHODS.join(',')` */
export const DEFAULT_METHODS = ['grad-cam', 'guided-grad-cam', 'integrated-gradients', 'smoothgrad', 'occlusion', 'rise'] as const;

/**
 * The bundled demo photo used when no --input is given (a CC0 photograph; see
 * assets/images/README.md). The same relative path works from src/ and dist/.
 *
 * @example `DEFAULT_IMAGE; // '/…/lucerna/assets/images/coffee.png'`
 */
export const DEFAULT_IMAGE = packagePath('assets/images/coffee.png');

/** The default report file, in the working directory. @example `DEFAULT_OUT; // 'lucerna-report.html'` */
export const DEFAULT_OUT = 'lucerna-report.html';

/** The flags as commander passes them. */
export interface ExplainFlags {
  readonly input?: string[];
  readonly methods?: string;
  readonly target?: string;
  readonly top?: string;
  readonly layer?: string;
  readonly out?: string;
  readonly json?: boolean;
  readonly mode?: string;
  readonly steps?: string;
  readonly integration?: string;
  readonly samples?: string;
  readonly stdev?: string;
  readonly window?: string;
  readonly stride?: string;
  readonly masks?: string;
  readonly seed?: string;
  readonly batchSize?: string;
  /** Any other method flag from the registry (see `methodOverrides`). */
  readonly [flag: string]: unknown;
}

/** Method parameters; undefined ones get defaults that depend on the image size. */
export interface MethodParams {
  /** Integrated Gradients steps (default 64). */
  readonly steps: number;
  /** Integrated Gradients integration rule (default Gauss–Legendre). */
  readonly integration: IntegrationRule;
  /** SmoothGrad samples (default 8). */
  readonly samples: number;
  /** SmoothGrad noise standard deviation, in input units (default 0.15). */
  readonly stdev: number;
  /** Occlusion window side in pixels (default ⌈min(H, W) / 7⌉). */
  readonly window?: number;
  /** Occlusion stride in pixels (default half the window). */
  readonly stride?: number;
  /** RISE masks (default 500). */
  readonly masks: number;
  readonly seed: number;
  /** Rows per engine call (default 8). */
  readonly batchSize: number;
}

/** Everything `explain` was asked to do. */
export interface ExplainOptions {
  readonly images: readonly string[];
  readonly methods: readonly string[];
  readonly targets: readonly TargetRequest[];
  readonly top: number;
  readonly layer?: string;
  readonly out: string;
  readonly json: boolean;
  readonly mode: OverlayMode;
  readonly params: MethodParams;
}

/**
 * Parses `--methods a,b,c`: known names only (close names suggested), no duplicates.
 *
 * @example
 * ```ts
 * parseMethods('grad-cam, rise'); // ['grad-cam', 'rise']
 * ```
 */
export function parseMethods(text: string | undefined): string[] {
  if (text === undefined) return [...DEFAULT_METHODS];
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s);
  if (names.length === 0) throw new LucernaError('BAD_OPTION', '--methods is empty', `Name one or more of ${explainMethodNames().join(', ')}`);
  const known = explainMethodNames();
  for (const name of names) {
    if (!known.includes(name)) throw unknownNameError('method', name, known);
  }
  if (new Set(names).size !== names.length) throw new LucernaError('BAD_OPTION', `--methods names a method twice: "${text}"`);
  return names;
}

function parseMode(text: string | undefined): OverlayMode {
  return parseOverlayMode(text, 'blended');
}

/**
 * Validates every flag (nothing is loaded yet) and fills in the defaults.
 *
 * @example
 * ```ts
 * const options = parseExplainFlags({ methods: 'grad-cam', steps: '8' });
 * ```
 */
export function parseExplainFlags(flags: ExplainFlags): ExplainOptions {
  const window = parseInteger(flags.window, '--window', 1);
  const stride = parseInteger(flags.stride, '--stride', 1);
  if (window !== undefined && stride !== undefined && stride > window) {
    throw new LucernaError('BAD_OPTION', `--stride ${stride} exceeds --window ${window}, which would leave pixels uncovered`);
  }
  return {
    images: flags.input && flags.input.length > 0 ? [...flags.input] : [DEFAULT_IMAGE],
    methods: parseMethods(flags.methods),
    targets: parseTargets(flags.target),
    top: parseInteger(flags.top, '--top', 1) ?? 5,
    layer: flags.layer,
    out: flags.out ?? DEFAULT_OUT,
    json: flags.json === true,
    mode: parseMode(flags.mode),
    params: {
      steps: parseInteger(flags.steps, '--steps', 1, OPTIONS.steps.max) ?? 64,
      integration: parseChoice(flags.integration, '--integration', INTEGRATION_RULES) ?? 'gauss-legendre',
      samples: parseInteger(flags.samples, '--samples', 1, OPTIONS.samples.max) ?? 8,
      stdev: parseNumber(flags.stdev, '--stdev', 0) ?? 0.15,
      window,
      stride,
      masks: parseInteger(flags.masks, '--masks', 1, OPTIONS.masks.max) ?? 500,
      seed: parseInteger(flags.seed, '--seed', 0, OPTIONS.seed.max) ?? 0,
      batchSize: parseInteger(flags.batchSize, '--batch-size', 1) ?? 8,
    },
  };
}
