/**
 * The memory an image optimisation will need, estimated before its engine session is built, so a
 * size that cannot fit (`visualize --size 5000`) is refused at once instead of growing until the
 * process runs out of memory.
 *
 * The estimate comes from the graph: the objective's trunk is probed once at a small size (at most
 * {@link PROBE_SIDE} px a side, batch 1), every float activation is counted, and the total is
 * scaled by the requested area and batch (convolutional activations grow with H × W). A step keeps
 * the forward activations and their gradients alive together, and ONNX Runtime's arena rounds
 * buffers up, so the step needs about {@link STEP_MEMORY_FACTOR} times the activations. Measured
 * with the bundled MobileNetV2 up to `out_relu` (growth of peak resident memory over the
 * activation bytes): 4.0 at 224 px (fixed overheads dominate), 2.6 at 448 px, 2.8 at 672 px.
 */
import { Model } from '../engine/model.js';
import type { Runtime } from '../engine/runtime.js';
import { LucernaError } from '../errors.js';
import type { PixelOptions } from '../io/preprocess.js';
import { sizeOf } from '../tensor/tensor.js';
import { DEFAULT_PIXEL_OPTIONS } from './model-input.js';
import type { Objective } from './objectives.js';
import { resolveLayer, trunkGraph } from './program.js';

/** The share of the machine's memory an optimisation may take by default: one half. */
export const DEFAULT_MEMORY_FRACTION = 0.5;
/** The limit when the runtime does not know the machine's memory (a browser): 2 GiB. */
export const FALLBACK_MEMORY_LIMIT = 2 * 1024 ** 3;
/** Peak memory of one optimisation step over the bytes of the forward activations. */
export const STEP_MEMORY_FACTOR = 3;
/** The largest side the estimate probes at. */
export const PROBE_SIDE = 64;

/** What {@link estimateImageProgramMemory} found. */
export interface MemoryEstimate {
  /** Estimated peak bytes of one optimisation step at the requested size and batch. */
  readonly bytes: number;
  /** Bytes of the trunk's float activations per input pixel and image, from the probe. */
  readonly activationBytesPerPixel: number;
}

/**
 * The default memory limit of an optimisation on `runtime`: {@link DEFAULT_MEMORY_FRACTION} of the
 * machine's memory when the runtime reports it (the Node adapter does), else
 * {@link FALLBACK_MEMORY_LIMIT}.
 *
 * @example
 * ```ts
 * defaultMemoryLimit(nodeRuntime); // half of os.totalmem()
 * ```
 */
export function defaultMemoryLimit(runtime: Runtime): number {
  return runtime.memoryBytes ? DEFAULT_MEMORY_FRACTION * runtime.memoryBytes : FALLBACK_MEMORY_LIMIT;
}

/**
 * Estimates the peak memory of one optimisation step of `objective` on `model` for `batch` images
 * of `[height, width]`, from a probe of the objective's trunk at a small size (see the file
 * comment). The probe's session holds at most a 64 × 64 image's activations.
 *
 * @example
 * ```ts
 * const { bytes } = await estimateImageProgramMemory(model, channel('out_relu', 3), [5000, 5000], 1);
 * ```
 */
export async function estimateImageProgramMemory(
  model: Model,
  objective: Objective,
  [height, width]: readonly [number, number],
  batch: number,
  pixels: PixelOptions = DEFAULT_PIXEL_OPTIONS,
): Promise<MemoryEstimate> {
  const [h, w] = [Math.min(height, PROBE_SIDE), Math.min(width, PROBE_SIDE)];
  const dims = pixels.layout === 'NHWC' ? [1, h, w, pixels.channels] : [1, pixels.channels, h, w];
  const layers = objective.needs.layers.map((l) => resolveLayer(model.graph, l));
  const outputs = [...new Set([...layers, ...(objective.needs.output ? [model.outputNames[0] as string] : [])])];
  const trunk = Model.fromGraph(trunkGraph(model.graph, outputs, dims), { runtime: model.runtime, ...model.options, name: model.name });
  let activationBytes = 0;
  try {
    const prepared = await trunk.prepare(dims);
    for (const [name, shape] of prepared.shapes) if (prepared.types.get(name) === 'float32') activationBytes += 4 * sizeOf(shape);
  } catch {
    // The model cannot run at the probe size (a fixed-size head): the compile step reports that.
    return { bytes: 0, activationBytesPerPixel: 0 };
  } finally {
    await trunk.dispose();
  }
  const activationBytesPerPixel = activationBytes / (h * w);
  return { bytes: STEP_MEMORY_FACTOR * activationBytesPerPixel * height * width * batch, activationBytesPerPixel };
}

/**
 * Formats a byte count for messages: `1.5 GB`, `640 MB`.
 *
 * @example
 * ```ts
 * formatBytes(3 * 1024 ** 3); // "3.0 GB"
 * ```
 */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)} GB`;
  return `${Math.max(1, Math.round(bytes / 1024 ** 2))} MB`;
}

/**
 * Throws `BAD_OPTION` when an estimate exceeds the limit, with both numbers and the largest size
 * that fits.
 *
 * @example
 * ```ts
 * checkMemoryEstimate(estimate, 12 * 1024 ** 3, [5000, 5000], 1);
 * ```
 */
export function checkMemoryEstimate(estimate: MemoryEstimate, limit: number, [height, width]: readonly [number, number], batch: number): void {
  if (!(limit > 0)) throw new LucernaError('BAD_OPTION', `The memory limit must be a positive number of bytes, got ${limit}`);
  if (estimate.bytes <= limit) return;
  const side = Math.floor(Math.sqrt(limit / (STEP_MEMORY_FACTOR * estimate.activationBytesPerPixel * batch)));
  throw new LucernaError(
    'BAD_OPTION',
    `Optimising ${batch} image${batch === 1 ? '' : 's'} of ${height}×${width} needs about ${formatBytes(estimate.bytes)}, over the limit of ${formatBytes(limit)}`,
    `Use a size of at most ${side}×${side}, fewer images, or raise the memory limit`,
  );
}

/**
 * Parses a memory size such as `8G`, `512M`, `1.5GB` or a plain number of bytes.
 *
 * @example
 * ```ts
 * parseMemorySize('512M', '--memory-limit'); // 536870912
 * ```
 */
export function parseMemorySize(text: string, what: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$/i.exec(text);
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[(m?.[2] ?? '').toLowerCase()];
  const bytes = m && unit ? Number(m[1]) * unit : Number.NaN;
  if (!(bytes > 0)) throw new LucernaError('BAD_OPTION', `${what} must be a size such as 8G or 512M, got "${text}"`);
  return bytes;
}
