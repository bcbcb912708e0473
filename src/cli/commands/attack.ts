/**
 * `lucerna attack <model> --input <x.npy|image> --method fgsm|pgd --epsilon F --out <adv.npy|adv.png>`:
 * an adversarial input that changes the decision (Goodfellow et al. 2015; Madry et al. 2018), with
 * Captum 0.8's semantics, or with `--minimal-step` the smallest ε on a grid that does it.
 */
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Command } from 'commander';
import type { Model } from '../../engine/model.js';
import { LucernaError } from '../../errors.js';
import { readBytes } from '../../io/files.js';
import { encodeRgbPng, loadImageTensor, type RgbImage } from '../../io/image.js';
import { npyToFloat32, parseNpy, serializeNpy } from '../../io/npy.js';
import type { PixelOptions, ResolvedPreprocessing } from '../../io/preprocess.js';
import { tensorToRgb } from '../../io/preprocess.js';
import { readSidecar } from '../../io/sidecar.js';
import { writeFileAtomic } from '../../io/write.js';
import { pngDataUri } from '../../render/node.js';
import { renderOverlay } from '../../render/overlay.js';
import { attackOutcome } from '../../robust/evaluate.js';
import { attackNames, getAttack } from '../../robust/index.js';
import { minimalPerturbation } from '../../robust/min-perturbation.js';
import type { PgdOptions } from '../../robust/pgd.js';
import { type RobustnessReportImage, renderRobustnessHtml } from '../../robust/report-html.js';
import { robustnessStudy, successRates } from '../../robust/robustness.js';
import { sliceBatch, type Tensor } from '../../tensor/tensor.js';
import { progressBar, withInterrupt } from '../progress.js';
import { parseInteger, parseNumber } from './attribute-options.js';
import { imageFolder, loadModelWithPixels } from './visualization-io.js';

/** Flags of `lucerna attack`, as commander passes them. */
export interface AttackFlags {
  readonly input: string;
  readonly method: string;
  readonly epsilon: string;
  readonly out: string;
  readonly stepSize?: string;
  readonly steps?: string;
  readonly norm?: string;
  readonly target?: string;
  readonly targeted?: boolean;
  readonly randomStart?: boolean;
  readonly seed?: string;
  readonly lower?: string;
  readonly upper?: string;
  readonly minimalStep?: string;
  readonly epsilons?: string;
  readonly layer?: string;
  readonly batchSize?: string;
  readonly json?: boolean;
}

/**
 * Registers `attack` on the program.
 *
 * @example
 * ```ts
 * registerAttack(program); // lucerna attack model.onnx --input x.npy --method pgd --epsilon 0.03 --out adv.npy
 * ```
 */
export function registerAttack(program: Command): void {
  program
    .command('attack')
    .description("perturb an input to change the model's decision: FGSM or PGD with Captum 0.8's semantics")
    .argument('<model>', 'ONNX model file')
    .requiredOption('--input <file>', 'input: .npy used as is, an image (PNG, JPEG, WebP) preprocessed for the model, or a folder of images for a report')
    .requiredOption('--method <name>', `attack: ${attackNames().join(', ')}`)
    .requiredOption('--epsilon <x>', 'FGSM: the step; PGD: the radius of the ball (> 0); with --minimal-step, the end of the search')
    .requiredOption('--out <file>', 'output: .npy for the adversarial tensor, .png for the adversarial image, .html for the report on a folder')
    .option('--step-size <x>', 'PGD: size of each sign step (default 2.5·ε/steps)')
    .option('--steps <n>', 'PGD: number of steps (default 10)')
    .option('--norm <name>', 'PGD: linf (default) or l2')
    .option(
      '--target <class>',
      'the label: the class whose loss goes up (default: the predicted class), or down with --targeted; one, or one per sample (3,1,4)',
    )
    .option('--targeted', 'lower the loss of --target instead of raising it')
    .option('--random-start', 'PGD: start from a uniform random point of the ball (seeded)')
    .option('--seed <n>', 'PGD: seed of --random-start (default 0)')
    .option('--lower <x>', 'lower bound of every input value (default: unbounded)')
    .option('--upper <x>', 'upper bound of every input value (default: unbounded)')
    .option('--minimal-step <x>', "search the smallest ε in [0, --epsilon) on this grid, by bisection (Captum's MinParamPerturbation)")
    .option('--epsilons <list>', 'report: the ε values of the success-rate curve (default: 8 steps up to --epsilon)')
    .option('--layer <tensor>', 'report: the Grad-CAM layer (default: the last 4-D activation before pooling)')
    .option('--batch-size <n>', 'samples per engine run (default 8)')
    .option('--json', 'print targets, predictions, losses, ε and the output path as JSON')
    .action(async (modelPath: string, flags: AttackFlags) => {
      const summary = await runAttack(modelPath, flags);
      process.stdout.write(flags.json ? `${JSON.stringify(summary, null, 2)}\n` : `${summary.message}\n`);
    });
}

/** The options common to both attacks, parsed and checked before the model is loaded. */
function parseFlags(flags: AttackFlags) {
  const method = getAttack(flags.method);
  outputKind(flags.out);
  const epsilon = positive(flags.epsilon, '--epsilon');
  const lower = parseNumber(flags.lower, '--lower');
  const upper = parseNumber(flags.upper, '--upper');
  if (lower !== undefined && upper !== undefined && !(lower < upper)) {
    throw new LucernaError('BAD_OPTION', `--lower ${lower} must be below --upper ${upper}`);
  }
  if (method.name !== 'pgd') {
    const pgdOnly = [
      ['--step-size', flags.stepSize],
      ['--steps', flags.steps],
      ['--norm', flags.norm],
      ['--random-start', flags.randomStart],
      ['--seed', flags.seed],
    ].find(([, v]) => v !== undefined);
    if (pgdOnly) throw new LucernaError('BAD_OPTION', `${pgdOnly[0]} applies to --method pgd only, not ${method.name}`);
  }
  if (flags.seed !== undefined && !flags.randomStart) throw new LucernaError('BAD_OPTION', '--seed applies to --random-start only');
  if (flags.norm !== undefined && flags.norm !== 'linf' && flags.norm !== 'l2') {
    throw new LucernaError('BAD_OPTION', `--norm must be linf or l2, got "${flags.norm}"`);
  }
  const target = parseTargets(flags.target);
  if (flags.targeted && target === undefined) throw new LucernaError('BAD_OPTION', '--targeted needs --target', 'Pass the class to reach with --target');
  const minimalStep = flags.minimalStep === undefined ? undefined : positive(flags.minimalStep, '--minimal-step');
  if (minimalStep !== undefined && !(epsilon > minimalStep)) {
    throw new LucernaError('BAD_OPTION', `--minimal-step ${minimalStep} must be below --epsilon ${epsilon}, the end of the search`);
  }
  const options: PgdOptions = {
    epsilon,
    target,
    targeted: flags.targeted ?? false,
    lower,
    upper,
    stepSize: flags.stepSize === undefined ? undefined : positive(flags.stepSize, '--step-size'),
    steps: parseInteger(flags.steps, '--steps', 1),
    norm: flags.norm as PgdOptions['norm'],
    randomStart: flags.randomStart,
    seed: parseInteger(flags.seed, '--seed', 0),
    batchSize: parseInteger(flags.batchSize, '--batch-size', 1),
  };
  return { method, options, minimalStep };
}

function positive(text: string, flag: string): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || v <= 0) throw new LucernaError('BAD_OPTION', `${flag} must be a number > 0, got "${text}"`);
  return v;
}

/** `--target`: one class index, or one per sample separated by commas. */
function parseTargets(text: string | undefined): number | number[] | undefined {
  if (text === undefined) return undefined;
  const parts = text.split(',').map((p) => p.trim());
  const values = parts.map(Number);
  if (parts.some((p) => p === '') || values.some((v) => !Number.isInteger(v) || v < 0)) {
    throw new LucernaError('BAD_OPTION', `--target must be a class index ≥ 0, or one per sample separated by commas, got "${text}"`);
  }
  return values.length === 1 ? values[0] : values;
}

function outputKind(out: string): 'npy' | 'png' | 'html' {
  const ext = extname(out).toLowerCase();
  if (ext === '.npy' || ext === '.png' || ext === '.html') return ext.slice(1) as 'npy' | 'png' | 'html';
  throw new LucernaError('BAD_OPTION', `--out must end in .npy, .png or .html (a report on a folder), got "${out}"`);
}

async function readInput(model: Model, preprocessing: ResolvedPreprocessing, path: string): Promise<Tensor> {
  if (extname(path).toLowerCase() === '.npy') return npyToFloat32(parseNpy(await readBytes(path, 'the input'), path));
  return (await loadImageTensor(path, { ...preprocessing, inputDims: model.input.dims })).tensor;
}

/** `--epsilons`: increasing numbers > 0, or by default 8 even steps up to ε. */
function parseEpsilons(text: string | undefined, epsilon: number): number[] {
  if (text === undefined) return Array.from({ length: 8 }, (_, k) => (epsilon * (k + 1)) / 8);
  const values = text.split(',').map((p) => Number(p.trim()));
  if (values.some((v, i) => !(Number.isFinite(v) && v > 0) || (i > 0 && !(v > (values[i - 1] as number))))) {
    throw new LucernaError('BAD_OPTION', `--epsilons must be increasing numbers > 0 separated by commas, got "${text}"`);
  }
  return values;
}

/** Writes the adversarial tensor (.npy), or one PNG per sample (`out-<i>.png` for a batch). */
async function writeOutput(out: string, t: Tensor, pixels: PixelOptions): Promise<string[]> {
  if (outputKind(out) !== 'png') {
    await writeFileAtomic(out, serializeNpy({ data: t.data, shape: t.shape }));
    return [out];
  }
  const n = t.shape[0] as number;
  const images = Array.from({ length: n }, (_, i) => tensorToRgb(sliceBatch(t, i, 1), pixels));
  const paths: string[] = [];
  for (const [i, image] of images.entries()) {
    const path = n === 1 ? out : out.replace(/\.png$/i, `-${i}.png`);
    await writeFileAtomic(path, await encodeRgbPng(image.rgb, image.width, image.height));
    paths.push(path);
  }
  return paths;
}

const round = (v: number) => Math.round(v * 1e6) / 1e6;

/**
 * Runs the command and returns its summary, for tests and the JSON mode.
 *
 * @example
 * ```ts
 * const s = await runAttack('model.onnx', { input: 'x.npy', method: 'fgsm', epsilon: '0.03', out: 'adv.npy' });
 * ```
 */
export async function runAttack(modelPath: string, flags: AttackFlags) {
  const parsed = parseFlags(flags);
  const folder = (await stat(flags.input).catch(() => undefined))?.isDirectory() ?? false;
  if (folder !== (outputKind(flags.out) === 'html')) {
    throw new LucernaError(
      'BAD_OPTION',
      folder ? `A folder input writes a report: --out must end in .html, got "${flags.out}"` : '--out .html needs a folder of images as --input',
    );
  }
  if (folder) return runReport(modelPath, flags, parsed);
  if (flags.epsilons !== undefined || flags.layer !== undefined)
    throw new LucernaError('BAD_OPTION', '--epsilons and --layer apply to a report on a folder only');
  const { method, options, minimalStep } = parsed;
  const t0 = performance.now();
  const loaded = await loadModelWithPixels(modelPath);
  await using model = loaded.model;
  const x = await readInput(model, loaded.preprocessing, flags.input);
  const progress = progressBar(`attack ${method.name}`, !flags.json);
  const t1 = performance.now();
  const run = await withInterrupt(async (signal) => {
    if (minimalStep === undefined) return method.perturb(model, x, { ...options, signal, onProgress: progress.onProgress });
    const found = await minimalPerturbation(model, x, {
      ...options,
      attack: method,
      max: options.epsilon as number,
      step: minimalStep,
      signal,
      onRound: progress.onProgress,
    });
    return { adversarial: found.adversarial, targets: found.targets, targeted: options.targeted ?? false, epsilon: found.epsilon };
  }).finally(() => progress.stop());
  const t2 = performance.now();
  const before = await attackOutcome(model, x, run, options);
  const clean = before.predictions;
  const after = await attackOutcome(model, run.adversarial, run, options);
  const outputs = await writeOutput(flags.out, run.adversarial, loaded.pixels);
  const totalMs = performance.now() - t0;
  const labels = (await readSidecar(modelPath))?.labels;
  const name = (c: number) => (labels?.[c] ? `${c} (${labels[c]})` : String(c));
  const succeeded = after.success.filter(Boolean).length;
  const what =
    minimalStep === undefined
      ? `ε ${options.epsilon}`
      : `minimal ε ${run.epsilon.map((e) => (e === null ? `none below ${options.epsilon}` : round(e))).join(', ')}`;
  const verdict = run.targeted ? 'reached the target' : 'left the label';
  const samples = clean.map(
    (c, i) => `${run.targeted ? 'target' : 'label'} ${name(run.targets[i] as number)}: ${name(c)} → ${name(after.predictions[i] as number)}`,
  );
  return {
    method: method.name,
    model: modelPath,
    input: flags.input,
    targeted: run.targeted,
    targets: [...run.targets],
    epsilon: run.epsilon.map((e) => (e === null ? null : round(e))),
    minimal: minimalStep !== undefined,
    predictions: { before: clean, after: after.predictions },
    success: after.success,
    loss: { before: before.loss, after: after.loss },
    outputs,
    timings: { loadMs: Math.round(t1 - t0), attackMs: Math.round(t2 - t1), totalMs: Math.round(totalMs) },
    message: `${method.name}: ${succeeded} of ${after.success.length} ${verdict} (${samples.join('; ')}), ${what} → ${outputs.join(', ')} (${Math.round(totalMs)} ms)`,
  };
}

/** x′ − x as an RGB picture: grey is 0, and the largest magnitude reaches full contrast. */
function differenceRgb(adversarial: Tensor, x: Tensor, pixels: PixelOptions): { rgb: Uint8Array; max: number } {
  let max = 0;
  for (let i = 0; i < x.data.length; i++) max = Math.max(max, Math.abs((adversarial.data[i] as number) - (x.data[i] as number)));
  const nhwc = pixels.layout === 'NHWC';
  const [, a, b, c] = x.shape as [number, number, number, number];
  const [channels, plane] = nhwc ? [c, a * b] : [a, b * c];
  const rgb = new Uint8Array(plane * 3);
  for (let p = 0; p < plane; p++) {
    for (let k = 0; k < 3; k++) {
      const ch = Math.min(k, channels - 1);
      const i = nhwc ? p * channels + ch : ch * plane + p;
      const d = (adversarial.data[i] as number) - (x.data[i] as number);
      rgb[p * 3 + k] = Math.round(127.5 + (max > 0 ? (127.5 * d) / max : 0));
    }
  }
  return { rgb, max };
}

/** The robustness report over a folder of images: one self-contained HTML page. */
async function runReport(modelPath: string, flags: AttackFlags, parsed: ReturnType<typeof parseFlags>) {
  const { method, options, minimalStep } = parsed;
  if (options.target !== undefined || options.targeted)
    throw new LucernaError('BAD_OPTION', "The report attacks each image's own prediction: drop --target and --targeted");
  const epsilon = options.epsilon as number;
  const epsilons = parseEpsilons(flags.epsilons, epsilon);
  const t0 = performance.now();
  const loaded = await loadModelWithPixels(modelPath);
  await using model = loaded.model;
  const sources = await imageFolder(flags.input, loaded.preprocessing, model.input.dims);
  const labels = (await readSidecar(modelPath))?.labels;
  const name = (c: number) => (labels?.[c] ? `${c} (${labels[c]})` : String(c));
  const progress = progressBar('robustness', !flags.json);
  const images: RobustnessReportImage[] = [];
  const results: { success: boolean[]; minimalEpsilon: number | null }[] = [];
  const search = { max: epsilon, step: minimalStep ?? epsilon / 50 };
  await withInterrupt(async (signal) => {
    const originals = new Map<string, RgbImage>();
    async function* samples() {
      for (const source of sources) {
        const { tensor, image } = await source.load();
        originals.set(source.name, image);
        yield { name: source.name, tensor };
      }
    }
    const { epsilon: _e, target: _t, targeted: _d, ...attackOptions } = options;
    for await (const r of robustnessStudy(model, samples(), { ...attackOptions, attack: method, epsilons, search, layer: flags.layer, signal })) {
      const original = originals.get(r.name) as RgbImage;
      originals.delete(r.name);
      const adversarial = tensorToRgb(r.adversarial, loaded.pixels);
      const difference = differenceRgb(r.adversarial, r.input, loaded.pixels);
      const png = async (rgb: Uint8Array) => pngDataUri(await encodeRgbPng(rgb, original.width, original.height));
      const overlay = (cam: Tensor, under: Uint8Array) =>
        renderOverlay(cam, { rgb: under, width: original.width, height: original.height }, { mode: 'blended', sign: 'positive' }).rgb;
      images.push({
        name: r.name,
        label: name(r.label),
        adversarialLabel: name(r.adversarialPrediction),
        minimalEpsilon: r.minimalEpsilon,
        shownEpsilon: r.shownEpsilon,
        differenceMax: difference.max,
        pictures: {
          original: await png(original.rgb),
          adversarial: await png(adversarial.rgb),
          difference: await png(difference.rgb),
          camBefore: await png(overlay(r.camBefore, original.rgb)),
          camAfter: await png(overlay(r.camAfter, adversarial.rgb)),
        },
      });
      results.push({ success: r.success, minimalEpsilon: r.minimalEpsilon });
      progress.onProgress?.(results.length, sources.length);
    }
  }).finally(() => progress.stop());
  const rates = successRates(results);
  const settings: Record<string, string | number | boolean> = { attack: method.name, 'ε (grid end)': epsilon, 'search step': search.step };
  for (const [k, v] of Object.entries({
    norm: options.norm,
    steps: options.steps,
    'step size': options.stepSize,
    lower: options.lower,
    upper: options.upper,
  })) {
    if (v !== undefined) settings[k] = v as number | string;
  }
  await writeFileAtomic(flags.out, renderRobustnessHtml({ model: modelPath, attack: method.name, settings, epsilons, rates, searchMax: epsilon, images }));
  const seconds = (performance.now() - t0) / 1000;
  const found = results.flatMap((r) => (r.minimalEpsilon === null ? [] : [r.minimalEpsilon])).sort((a, b) => a - b);
  return {
    method: method.name,
    model: modelPath,
    input: flags.input,
    images: results.length,
    epsilons,
    successRates: rates,
    minimalEpsilon: images.map((i) => ({ name: i.name, epsilon: i.minimalEpsilon === null ? null : round(i.minimalEpsilon) })),
    outputs: [flags.out],
    seconds: Math.round(seconds * 10) / 10,
    message: `robustness: ${results.length} images, success ${rates.map((r, i) => `${(r * 100).toFixed(0)}% at ε ${round(epsilons[i] as number)}`).join(', ')}; median minimal ε ${found.length ? round(found[found.length >> 1] as number) : 'none'} → ${flags.out} (${seconds.toFixed(1)} s)`,
  };
}
