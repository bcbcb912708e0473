/**
 * Writes a procedural parts data set to disk (Node only): the Broden files, `landmarks.csv`,
 * `attributes.csv`, the ImageFolder view and the README. Images are generated, written and dropped
 * one at a time; only per-label tallies stay in memory. The set is written into a temporary folder
 * beside the target and renamed at the end, so a failed or cancelled run leaves nothing.
 */
import { copyFile, type FileHandle, link, mkdir, open, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { LucernaError } from '../../errors.js';
import { temporaryBeside } from '../../io/write.js';
import { csvField } from '../broden/csv.js';
import { BrodenWriter } from '../broden/writer-node.js';
import { type BiasRule, parseBias } from '../parts/bias.js';
import { PART_NAMES } from '../parts/figures.js';
import { classNames, NONE_CLASS, type PartsSample, partsSample } from '../parts/generate.js';
import { type PartsLabel, partsLabels } from '../parts/labels.js';
import { partsReadme } from '../parts/readme.js';

export { partsLabels };

/** Options of {@link writePartsDataset}. */
export interface WritePartsOptions {
  readonly n: number;
  readonly seed: number;
  readonly size?: number;
  readonly classes?: number;
  readonly valFraction?: number;
  /** Bias rules such as `bird:background=stripes@0.95`. */
  readonly bias?: readonly string[];
  /** The command line, for the README. */
  readonly command?: string;
  readonly signal?: AbortSignal;
  /** Told the hidden staging folder before it is created (the CLI removes it if Ctrl-C cuts the cleanup short). */
  readonly onStaging?: (folder: string) => void;
  readonly onProgress?: (done: number, total: number) => void;
}

/** What was written. */
export interface WritePartsResult {
  readonly out: string;
  readonly images: number;
  readonly classes: readonly string[];
  readonly labels: readonly PartsLabel[];
}

const CATEGORIES = ['object', 'part'] as const;

async function checkTarget(out: string): Promise<void> {
  const entries = await readdir(out).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return [];
    if (e.code === 'ENOTDIR') throw new LucernaError('BAD_OPTION', `--out ${out} is a file, not a folder`);
    throw new LucernaError('BAD_FILE', `Cannot read ${out} (${e.code ?? e.message})`);
  });
  if (entries.length) throw new LucernaError('BAD_OPTION', `The folder ${out} already exists and is not empty`, 'Choose a new folder or remove it first');
}

function fmt(v: number): string {
  return String(Math.round(v * 1e4) / 1e4);
}

function attributeHeader(parts: readonly string[]): string {
  const per = parts.flatMap((p) => [`${p}_present`, `${p}_colour`, `${p}_colour2`, `${p}_texture`]);
  return ['image', 'class', 'split', 'background', 'distractors', 'pose_x', 'pose_y', 'pose_scale', 'pose_rotation', ...per].join(',');
}

function attributeRow(image: string, s: PartsSample, parts: readonly string[]): string {
  const a = s.attributes;
  const pose = a.pose ? [fmt(a.pose.x), fmt(a.pose.y), fmt(a.pose.scale), fmt(a.pose.rotation)] : ['', '', '', ''];
  const per = parts.flatMap((p) => {
    const q = a.parts[p];
    if (!q) return ['', '', '', ''];
    return [q.present ? '1' : '0', q.colour ?? '', q.colour2 ?? '', q.texture ?? ''];
  });
  return [csvField(image), s.className, s.split, a.background, a.distractors, ...pose, ...per].join(',');
}

/** Append-only CSV files, kept open while the set is written. */
class Lines {
  private constructor(private readonly handles: Map<string, FileHandle>) {}
  static async open(dir: string, headers: Record<string, string>): Promise<Lines> {
    const handles = new Map<string, FileHandle>();
    for (const [name, header] of Object.entries(headers)) {
      const h = await open(join(dir, name), 'w');
      handles.set(name, h);
      await h.write(`${header}\n`);
    }
    return new Lines(handles);
  }
  async write(name: string, lines: readonly string[]): Promise<void> {
    if (lines.length) await this.handles.get(name)?.write(`${lines.join('\n')}\n`);
  }
  async close(): Promise<void> {
    for (const h of this.handles.values()) await h.close();
  }
}

async function writeSample(tmp: string, s: PartsSample, broden: BrodenWriter, lines: Lines, parts: readonly string[]): Promise<void> {
  const stem = `parts_${String(s.index).padStart(6, '0')}`;
  const image = `${stem}.png`;
  const labels: Record<string, Uint8Array[] | Uint16Array[]> = {};
  if (s.className !== NONE_CLASS) {
    const objectNumber = broden.number(s.className);
    const partNumber = PART_NAMES.map((p) => (broden.builder.spec.labels.some((l) => l.name === p) ? broden.number(p) : 0));
    labels.object = [s.object.map((v) => v * objectNumber)];
    labels.part = [Uint16Array.from(s.parts, (v) => (v ? (partNumber[v - 1] as number) : 0))];
  }
  await broden.add({ name: stem, split: s.split, image: { rgb: s.rgb, width: s.size, height: s.size }, sh: s.size, sw: s.size, labels });
  // The ImageFolder view shares the bytes (a hard link) where the file system allows it.
  const from = join(tmp, 'images', image);
  const to = join(tmp, 'classes', s.className, image);
  await link(from, to).catch(() => copyFile(from, to));
  await lines.write(
    'landmarks.csv',
    s.landmarks.map((l) => [csvField(image), csvField(l.name), fmt(l.x), fmt(l.y)].join(',')),
  );
  await lines.write('attributes.csv', [attributeRow(image, s, parts)]);
}

/**
 * Generates `n` images and writes the set to `out` (which must not exist or be empty).
 *
 * @example
 * ```ts
 * await writePartsDataset('data/parts', { n: 2000, seed: 1, size: 64 });
 * ```
 */
export async function writePartsDataset(out: string, options: WritePartsOptions): Promise<WritePartsResult> {
  const { n, seed, size = 64, classes = 5, valFraction = 0.2 } = options;
  if (!Number.isInteger(n) || n < 1) throw new LucernaError('BAD_OPTION', `--n must be a positive whole number, got ${n}`);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new LucernaError('BAD_OPTION', `--seed must be a whole number in 0…2^32−1, got ${seed}`);
  const bias: BiasRule[] = (options.bias ?? []).map(parseBias);
  const names = classNames(classes);
  const plantable = names.filter((c) => c !== NONE_CLASS);
  for (const b of bias) {
    if (b.className === NONE_CLASS)
      throw new LucernaError(
        'BAD_OPTION',
        `The bias rule names class "${NONE_CLASS}" (the background-only images); plant the cue on an object class`,
        `Classes: ${plantable.join(', ')}`,
      );
    if (!names.includes(b.className))
      throw new LucernaError('BAD_OPTION', `The bias rule names class "${b.className}", which is not in this set`, `Classes: ${plantable.join(', ')}`);
  }
  const generatorOptions = { size, classes, valFraction, bias };
  partsSample(seed, 0, generatorOptions); // validates the options before touching the disk
  const target = resolve(out);
  await checkTarget(target);
  const labels = partsLabels(names);
  const parts = labels.filter((l) => l.category === 'part').map((l) => l.name);
  const tmp = temporaryBeside(target);
  options.onStaging?.(tmp);
  let lines: Lines | undefined;
  let broden: BrodenWriter | undefined;
  try {
    broden = await BrodenWriter.create(tmp, {
      categories: CATEGORIES,
      labels: labels.map((l) => ({ name: l.name, category: l.category })),
      planeName: (name, category) => `${name}_${category}.png`,
    });
    for (const c of names) await mkdir(join(tmp, 'classes', c), { recursive: true });
    lines = await Lines.open(tmp, { 'landmarks.csv': 'image,landmark,x,y', 'attributes.csv': attributeHeader(parts) });
    for (let i = 0; i < n; i++) {
      if (options.signal?.aborted) throw new LucernaError('ABORTED', 'Cancelled; nothing was written');
      await writeSample(tmp, partsSample(seed, i, generatorOptions), broden, lines, parts);
      options.onProgress?.(i + 1, n);
    }
    await lines.close();
    lines = undefined;
    await broden.close();
    const command = options.command ?? `lucerna dataset parts --out ${out} --n ${n} --seed ${seed} --size ${size} --classes ${classes}`;
    await writeFile(join(tmp, 'README.md'), partsReadme({ n, seed, size, classes: names, valFraction, bias: options.bias ?? [], labels, command }));
    await rm(target, { recursive: true, force: true }); // empty (checked above)
    await rename(tmp, target);
  } catch (e) {
    await lines?.close().catch(() => undefined);
    await broden?.[Symbol.asyncDispose]().catch(() => undefined);
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    if (e instanceof LucernaError && e.code !== 'BAD_FILE') throw e;
    // The Broden writer names the temporary folder; say the target instead.
    const reason =
      e instanceof LucernaError ? (/\(([^()]*)\)$/.exec(e.message)?.[1] ?? e.message) : ((e as NodeJS.ErrnoException).code ?? (e as Error).message);
    throw new LucernaError('BAD_FILE', `Cannot write the data set to ${out} (${reason})`, 'Choose a folder you can write to');
  }
  return { out: target, images: n, classes: names, labels };
}
