/**
 * The work of `lucerna attack [MODEL] --input <x.npy|image|dir> --method fgsm|pgd --epsilon F --out <adv.npy|adv.png|report.html>`:
 * an adversarial input that changes the decision (Goodfellow et al. 2015; Madry et al. 2018), with
 * Captum 0.8's semantics, or with `--minimal-step` the smallest ε on a grid that does it; on a
 * folder, the robustness report. Loaded by `attack.ts` when the command runs.
 */
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Model } from '../../engine/model.js';
import { LucernaError } from '../../errors.js';
import { readBytes } from '../../io/files.js';
import { encodeRgbPng, loadImageTensor, type RgbImage } from '../../io/image.js';
import { npyToFloat32, parseNpy, serializeNpy } from '../../io/npy.js';
import type { PixelOptions, ResolvedPreprocessing } from '../../io/preprocess.js';
import { tensorToRgb } from '../../io/preprocess.js';
import { pngDataUri } from '../../render/node.js';
import { renderOverlay } from '../../render/overlay.js';
import { attackOutcome } from '../../robust/evaluate.js';
import { getAttack } from '../../robust/index.js';
import { minimalPerturbation } from '../../robust/min-perturbation.js';
import type { PgdOptions } from '../../robust/pgd.js';
import { type RobustnessReportImage, renderRobustnessHtml } from '../../robust/report-html.js';
import { robustnessStudy, successRates } from '../../robust/robustness.js';
import { sliceBatch, type Tensor } from '../../tensor/tensor.js';
import type { CommandContext, CommandResult } from '../command.js';
import { openModel, pixelSettings } from '../model.js';
import { parseChoice, parseInteger, parseNumber } from '../parse.js';
import { progressBar } from '../progress.js';
import { imageFolder } from './visualization-io.js';

/** Flags of `lucerna attack`, as commander passes them (see attack.ts). */
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
  const norm = parseChoice(flags.norm, '--norm', ['linf', 'l2'] as const);
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
    norm,
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
async function writeOutput(ctx: CommandContext, out: string, t: Tensor, pixels: PixelOptions): Promise<string[]> {
  if (outputKind(out) !== 'png') {
    await ctx.outputs.write(out, serializeNpy({ data: t.data, shape: t.shape }));
    return [out];
  }
  const n = t.shape[0] as number;
  const images = Array.from({ length: n }, (_, i) => tensorToRgb(sliceBatch(t, i, 1), pixels));
  const paths: string[] = [];
  for (const [i, image] of images.entries()) {
    const path = n === 1 ? out : out.replace(/\.png$/i, `-${i}.png`);
    await ctx.outputs.write(path, await encodeRgbPng(image.rgb, image.width, image.height));
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
 * const { json } = await runAttack(ctx, 'model.onnx', { input: 'x.npy', method: 'fgsm', epsilon: '0.03', out: 'adv.npy' });
 * ```
 */
export async function runAttack(ctx: CommandContext, modelPath: string | undefined, flags: AttackFlags): Promise<CommandResult> {
  const parsed = parseFlags(flags);
  const folder = (await stat(flags.input).catch(() => undefined))?.isDirectory() ?? false;
  if (folder !== (outputKind(flags.out) === 'html')) {
    throw new LucernaError(
      'BAD_OPTION',
      folder ? `A folder input writes a report: --out must end in .html, got "${flags.out}"` : '--out .html needs a folder of images as --input',
    );
  }
  if (folder) return runReport(ctx, modelPath, flags, parsed);
  if (flags.epsilons !== undefined || flags.layer !== undefined)
    throw new LucernaError('BAD_OPTION', '--epsilons and --layer apply to a report on a folder only');
  const { method, options, minimalStep } = parsed;
  const t0 = performance.now();
  await using opened = await openModel(modelPath);
  const { model, labels } = opened;
  const loaded = pixelSettings(opened, 'lucerna attack');
  const x = await readInput(model, loaded.preprocessing, flags.input);
  const progress = progressBar(`attack ${method.name}`, !flags.json && ctx.io.isTTY);
  const t1 = performance.now();
  const signal = ctx.signal;
  const run = await (async () => {
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
  })().finally(() => progress.stop());
  const t2 = performance.now();
  const before = await attackOutcome(model, x, run, options);
  const clean = before.predictions;
  const after = await attackOutcome(model, run.adversarial, run, options);
  const outputs = await writeOutput(ctx, flags.out, run.adversarial, loaded.pixels);
  const totalMs = performance.now() - t0;
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
  const json = {
    method: method.name,
    model: opened.given,
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
  };
  return {
    json,
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
async function runReport(
  ctx: CommandContext,
  modelPath: string | undefined,
  flags: AttackFlags,
  parsed: ReturnType<typeof parseFlags>,
): Promise<CommandResult> {
  const { method, options, minimalStep } = parsed;
  if (options.target !== undefined || options.targeted)
    throw new LucernaError('BAD_OPTION', "The report attacks each image's own prediction: drop --target and --targeted");
  const epsilon = options.epsilon as number;
  const epsilons = parseEpsilons(flags.epsilons, epsilon);
  const t0 = performance.now();
  await using opened = await openModel(modelPath);
  const { model, labels } = opened;
  const loaded = pixelSettings(opened, 'lucerna attack');
  const sources = await imageFolder(flags.input, loaded.preprocessing, model.input.dims);
  const name = (c: number) => (labels?.[c] ? `${c} (${labels[c]})` : String(c));
  const progress = progressBar('robustness', !flags.json && ctx.io.isTTY);
  const signal = ctx.signal;
  const images: RobustnessReportImage[] = [];
  const results: { success: boolean[]; minimalEpsilon: number | null }[] = [];
  const search = { max: epsilon, step: minimalStep ?? epsilon / 50 };
  await (async () => {
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
        width: original.width,
        height: original.height,
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
  })().finally(() => progress.stop());
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
  await ctx.outputs.write(flags.out, renderRobustnessHtml({ model: opened.given, attack: method.name, settings, epsilons, rates, searchMax: epsilon, images }));
  const seconds = (performance.now() - t0) / 1000;
  const found = results.flatMap((r) => (r.minimalEpsilon === null ? [] : [r.minimalEpsilon])).sort((a, b) => a - b);
  const json = {
    method: method.name,
    model: opened.given,
    input: flags.input,
    images: results.length,
    epsilons,
    successRates: rates,
    minimalEpsilon: images.map((i) => ({ name: i.name, epsilon: i.minimalEpsilon === null ? null : round(i.minimalEpsilon) })),
    outputs: [flags.out],
    seconds: Math.round(seconds * 10) / 10,
  };
  return {
    json,
    message: `robustness: ${results.length} images, success ${rates.map((r, i) => `${(r * 100).toFixed(0)}% at ε ${round(epsilons[i] as number)}`).join(', ')}; median minimal ε ${found.length ? round(found[found.length >> 1] as number) : 'none'} → ${flags.out} (${seconds.toFixed(1)} s)`,
  };
}
