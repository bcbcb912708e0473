/**
 * What every studio view shares: the core client, what the server named (`/api/config`), the
 * loaded model's sidecar (labels, preprocessing), the dataset listing, a loaded `graph.json` and
 * `result.json`; plus small browser helpers (fetching bytes, decoding images, drawing).
 *
 * Served by `lucerna studio`, the page reads `/api/config`; opened as a static site it has no
 * config and the shell offers file pickers instead.
 */
import { parseGraph } from '../../disentangle/graph/graph-file.js';
import type { ExplanatoryGraph } from '../../disentangle/graph/types.js';
import { type Preprocessing, type ResizeMode, resolvePreprocessing } from '../../io/preprocess.js';
import type { RgbPixels } from '../../render/heatmap.js';
import type { StudioConfig } from '../server/app.js';
import type { DatasetListing } from '../server/dataset.js';
import { type Dissection, parseDissection } from '../shape/dissection.js';
import type { CoreClient, ModelInfo, TensorData } from './core-client.js';

/** The shared state; views read it and call {@link StudioState.changed} listeners on updates. */
export class StudioState extends EventTarget {
  config?: StudioConfig;
  model?: ModelInfo;
  labels?: readonly string[];
  preprocessing?: Preprocessing;
  dataset?: DatasetListing;
  graph?: ExplanatoryGraph;
  dissection?: Dissection;

  constructor(readonly core: CoreClient) {
    super();
  }

  /** Tells the views something changed. */
  changed(): void {
    this.dispatchEvent(new Event('change'));
  }

  /** Loads a model from bytes (moved to the worker). */
  async loadModel(bytes: Uint8Array, name: string, sidecar: { labels?: readonly string[]; preprocessing?: Preprocessing } = {}): Promise<ModelInfo> {
    this.model = await this.core.loadModel(bytes, name);
    this.labels = sidecar.labels;
    this.preprocessing = sidecar.preprocessing ?? defaultPreprocessing(this.model);
    this.changed();
    return this.model;
  }

  /** Parses and keeps a `graph.json` (one-line error when it is not one). */
  loadGraph(text: string, name: string): void {
    this.graph = parseGraph(text, name);
    this.changed();
  }

  /** Parses and keeps a `result.json` of `lucerna dissect`. */
  loadDissection(text: string): void {
    this.dissection = parseDissection(text);
    this.changed();
  }

  /** How images become the model input: the sidecar's resize, else the default for the model (see `defaultPreprocessing`). */
  resizeMode(): ResizeMode {
    if (this.preprocessing?.resize) return this.preprocessing.resize;
    try {
      return resolvePreprocessing(this.preprocessing ?? {}, this.model?.inputDims).resize;
    } catch {
      return 'center-crop';
    }
  }

  /** An image URL as the model's input tensor. */
  async imageTensor(url: string): Promise<TensorData> {
    return this.core.decodeImage(await fetchBytes(url), this.preprocessing);
  }

  /** The label of class `k` (or its number). */
  label(k: number | undefined): string {
    return k === undefined ? '?' : (this.labels?.[k] ?? String(k));
  }
}

/**
 * Small models trained by `lucerna train` take pixels in [0, 1] and stretch to the input size;
 * anything else gets the CLI's default (ImageNet normalisation, centre crop).
 *
 * @example
 * ```ts
 * defaultPreprocessing({ inputDims: [1, 3, 64, 64] }); // { normalization: 'unit', resize: 'stretch' }
 * ```
 */
export function defaultPreprocessing(model: Pick<ModelInfo, 'inputDims'>): Preprocessing | undefined {
  const side = model.inputDims[2];
  return typeof side === 'number' && side < 128 ? { normalization: 'unit', resize: 'stretch' } : undefined;
}

const sizeCache = new Map<string, readonly [number, number]>();

/** An image's natural `[width, height]` if {@link naturalSize} has measured it. @example `knownSize(url) ?? [64, 64]` */
export function knownSize(url: string): readonly [number, number] | undefined {
  return sizeCache.get(url);
}

/**
 * An image's natural `[width, height]` (cached; the views show and take clicks at this size).
 *
 * @example
 * ```ts
 * const [w, h] = await naturalSize(image.url);
 * ```
 */
export async function naturalSize(url: string): Promise<readonly [number, number]> {
  const known = sizeCache.get(url);
  if (known) return known;
  const img = new Image();
  img.src = url;
  await img.decode();
  const size = [img.naturalWidth, img.naturalHeight] as const;
  sizeCache.set(url, size);
  return size;
}

/** Fetches a URL's bytes; a failed request is an Error with the server's one-line message. */
export async function fetchBytes(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(await errorLine(response));
  return new Uint8Array(await response.arrayBuffer());
}

/** Fetches JSON; a failed request is an Error with the server's one-line message. */
export async function fetchJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(await errorLine(response));
  return (await response.json()) as T;
}

async function errorLine(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { error?: { message?: string } };
    return body.error?.message ?? `HTTP ${response.status}`;
  } catch {
    return `HTTP ${response.status}`;
  }
}

/** Draws RGB pixels into a canvas, resizing it to fit them. */
export function drawRgb(canvas: HTMLCanvasElement, pixels: RgbPixels): void {
  canvas.width = pixels.width;
  canvas.height = pixels.height;
  const rgba = new Uint8ClampedArray(pixels.width * pixels.height * 4);
  for (let i = 0, j = 0; i < pixels.rgb.length; i += 3, j += 4) {
    rgba[j] = pixels.rgb[i] as number;
    rgba[j + 1] = pixels.rgb[i + 1] as number;
    rgba[j + 2] = pixels.rgb[i + 2] as number;
    rgba[j + 3] = 255;
  }
  canvas.getContext('2d')?.putImageData(new ImageData(rgba, pixels.width, pixels.height), 0, 0);
}

/**
 * RGB pixels as a PNG `data:` URL (for an `<img>` in a template).
 *
 * @example
 * ```ts
 * html`<img src=${pixelsDataUrl(planarToRgb(result.images, 0))} />`;
 * ```
 */
export function pixelsDataUrl(pixels: RgbPixels): string {
  const canvas = document.createElement('canvas');
  drawRgb(canvas, pixels);
  return canvas.toDataURL('image/png');
}

/**
 * The model input as RGB pixels (undoing the normalisation by min–max per image, which is what a
 * person needs to recognise it), for drawing under a heatmap.
 */
export function inputPixels(x: TensorData): RgbPixels {
  const [, c = 3, h = 1, w = 1] = x.shape;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of x.data) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const scale = hi > lo ? 255 / (hi - lo) : 0;
  const rgb = new Uint8Array(w * h * 3);
  for (let p = 0; p < w * h; p++) {
    for (let k = 0; k < 3; k++) rgb[p * 3 + k] = Math.round(((x.data[(c === 1 ? 0 : k) * w * h + p] as number) - lo) * scale);
  }
  return { rgb, width: w, height: h };
}
