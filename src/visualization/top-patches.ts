/**
 * Top-activating image patches (Zeiler & Fergus 2014, "Visualizing and Understanding Convolutional
 * Networks", https://arxiv.org/abs/1311.2901; Zhou et al. 2015, "Object Detectors Emerge in Deep
 * Scene CNNs", https://arxiv.org/abs/1412.6856): stream a set of images through the model, keep
 * for every channel of a layer the k images whose strongest unit fires most (with that unit's
 * position) in a bounded heap, then crop each unit's theoretical receptive field.
 *
 * Images are loaded one at a time and dropped after their forward pass; only the heaps (k entries
 * per channel) stay in memory. An image that cannot be read is skipped with a warning and counted.
 * Montages re-load just the images that made a top k.
 */
import { Model } from '../engine/model.js';
import { isLucernaError, LucernaError, positiveInteger } from '../errors.js';
import type { RgbImage } from '../io/image.js';
import { planeArgmax } from '../tensor/argmax.js';
import { padBatch, type Tensor } from '../tensor/tensor.js';
import { requireImageModel } from './model-input.js';
import { cropBox, montage } from './montage.js';
import { requireChannel } from './objectives.js';
import { throwIfCancelled } from './optimize.js';
import { resolveLayer, trunkGraph } from './program.js';
import { type FieldBox, fieldBox, type ReceptiveField, receptiveField } from './receptive-field.js';
import { TopK } from './top-k.js';

/** An image as the model sees it: the input tensor [1, …] and its RGB pixels. */
export interface LoadedImage {
  readonly tensor: Tensor;
  readonly image: RgbImage;
}

/** An image that can be loaded (again) on demand. */
export interface ImageSource {
  /** A name for the index and messages, e.g. the file name. */
  readonly name: string;
  load(): Promise<LoadedImage>;
}

/** Options of {@link topPatches}. */
export interface TopPatchesOptions {
  /** The layer: a 4-D activation tensor or a node name. */
  readonly layer: string;
  /** Channels to rank (default all). */
  readonly channels?: readonly number[];
  /** Patches kept per channel (default 9). */
  readonly k?: number;
  /** Images per engine call (default 8). */
  readonly batchSize?: number;
  readonly signal?: AbortSignal;
  /** Called after each image (read or skipped) with the number done. */
  readonly onProgress?: (done: number) => void;
  /** Called for each skipped image. */
  readonly onWarning?: (message: string) => void;
}

/** One top patch: the image, the unit's activation and position, and its field (input pixels). */
export interface TopPatch {
  readonly image: string;
  readonly score: number;
  readonly y: number;
  readonly x: number;
  readonly box: FieldBox;
}

/** What {@link topPatches} found. */
export interface TopPatchesResult {
  readonly layer: string;
  readonly receptiveField: ReceptiveField;
  /** Per channel, the patches, best first. */
  readonly channels: readonly { readonly channel: number; readonly patches: readonly TopPatch[] }[];
  /** Images read. */
  readonly images: number;
  /** Images that could not be read, with the reason. */
  readonly skipped: readonly { readonly image: string; readonly reason: string }[];
  /**
   * Crops every channel's patches and calls `onMontage` with a grid of them (best first, row by
   * row), one channel at a time; re-loads only the images that made a top k.
   */
  renderMontages(onMontage: (channel: number, image: RgbImage) => Promise<void> | void, options?: { columns?: number; signal?: AbortSignal }): Promise<void>;
}

interface Hit {
  readonly source: ImageSource;
  readonly y: number;
  readonly x: number;
}

/** Streams the images through the trunk, batch by batch, filling the heaps. */
class Ranker {
  private trunk?: Model;
  private batch: { source: ImageSource; tensor: Tensor }[] = [];
  heaps: TopK<Hit>[] = [];
  channels: number[] = [];
  layerShape: readonly number[] = [];
  field?: ReceptiveField;

  constructor(
    private readonly model: Model,
    readonly tensor: string,
    private readonly options: TopPatchesOptions & { k: number; batchSize: number },
  ) {}

  private async open(first: Tensor): Promise<Model> {
    const dims = [this.options.batchSize, ...first.shape.slice(1)];
    const trunk = Model.fromGraph(trunkGraph(this.model.graph, [this.tensor], dims), {
      runtime: this.model.runtime,
      ...this.model.options,
      name: this.model.name,
    });
    this.trunk = trunk;
    const prepared = await trunk.prepare(dims);
    const shape = prepared.shapes.get(this.tensor) ?? [];
    if (shape.length !== 4)
      throw new LucernaError(
        'BAD_SHAPE',
        `Layer "${this.tensor}" has shape [${shape.join(', ')}]; top patches need a 4-D [N, C, H, W] layer`,
        'Pick a convolutional layer',
      );
    this.layerShape = shape;
    const info = { name: this.tensor, shape };
    this.channels = [...(this.options.channels ?? Array.from({ length: shape[1] as number }, (_, c) => c))];
    for (const c of this.channels) requireChannel(info, c);
    this.heaps = this.channels.map(() => new TopK<Hit>(this.options.k));
    this.field = receptiveField(prepared, this.tensor);
    return trunk;
  }

  async add(source: ImageSource, tensor: Tensor): Promise<void> {
    if (!this.trunk) await this.open(tensor);
    this.batch.push({ source, tensor });
    if (this.batch.length >= this.options.batchSize) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.batch.length === 0 || !this.trunk) return;
    const rows = this.batch;
    this.batch = [];
    const out = await this.trunk.run(
      padBatch(
        rows.map((r) => r.tensor),
        this.options.batchSize,
      ),
    );
    const act = (out[this.tensor] as Tensor).data;
    const [, c, h, w] = this.layerShape as [number, number, number, number];
    rows.forEach((row, i) => {
      this.channels.forEach((channel, k) => {
        const m = planeArgmax(act, (i * c + channel) * h * w, h, w);
        this.heaps[k]?.offer(m.value, { source: row.source, y: Math.floor(m.at / w), x: m.at % w });
      });
    });
  }

  async dispose(): Promise<void> {
    await this.trunk?.dispose();
  }
}

async function* each<T>(items: AsyncIterable<T> | Iterable<T>): AsyncGenerator<T> {
  for await (const item of items) yield item;
}

function reasonOf(e: unknown): string {
  return isLucernaError(e) ? e.message : (String((e as Error)?.message ?? e).split('\n')[0] ?? 'unknown error');
}

/**
 * Ranks the images of `sources` by how strongly each channel of `options.layer` fires on them.
 * Images the loader cannot read are skipped (`onWarning`, `skipped`); if none can be read it
 * throws. The result can render a montage per channel.
 *
 * @example
 * ```ts
 * const result = await topPatches(model, sources, { layer: '/layer2/layer2.1/relu_1/Relu_output_0', k: 9 });
 * await result.renderMontages((c, img) => saveRgbPng(`c${c}.png`, img.rgb, img.width, img.height));
 * ```
 */
export async function topPatches(
  model: Model,
  sources: AsyncIterable<ImageSource> | Iterable<ImageSource>,
  options: TopPatchesOptions,
): Promise<TopPatchesResult> {
  requireImageModel(model, undefined, 'Top-activating patches');
  const k = options.k ?? 9;
  const batchSize = options.batchSize ?? 8;
  for (const [v, what] of [
    [k, 'k'],
    [batchSize, 'batch size'],
  ] as const) {
    positiveInteger(v, `The ${what}`);
  }
  const ranker = new Ranker(model, resolveLayer(model.graph, options.layer), { ...options, k, batchSize });
  const skipped: { image: string; reason: string }[] = [];
  let images = 0;
  try {
    for await (const source of each(sources)) {
      throwIfCancelled(options.signal);
      let loaded: LoadedImage | undefined;
      try {
        loaded = await source.load();
      } catch (e) {
        if (!isLucernaError(e, 'BAD_FILE') && !isLucernaError(e, 'FILE_NOT_FOUND')) throw e;
        skipped.push({ image: source.name, reason: reasonOf(e) });
        options.onWarning?.(`Skipped ${source.name}: ${reasonOf(e)}`);
      }
      if (loaded) {
        // A Ctrl-C during the decode: adding may run a batch (and build the trunk's session first).
        throwIfCancelled(options.signal);
        await ranker.add(source, loaded.tensor);
        images++;
      }
      options.onProgress?.(images + skipped.length);
    }
    await ranker.flush();
  } finally {
    await ranker.dispose();
  }
  if (images === 0) {
    throw new LucernaError(
      'BAD_FILE',
      skipped.length ? `None of the ${skipped.length} images could be read` : 'There are no images to rank',
      'Give a folder of PNG, JPEG or WebP images',
    );
  }
  return buildResult(ranker, images, skipped);
}

function buildResult(ranker: Ranker, images: number, skipped: { image: string; reason: string }[]): TopPatchesResult {
  const field = ranker.field as ReceptiveField;
  const ranked = ranker.channels.map((channel, i) => ({ channel, hits: (ranker.heaps[i] as TopK<Hit>).sorted() }));
  const channels = ranked.map(({ channel, hits }) => ({
    channel,
    patches: hits.map((h) => ({ image: h.item.source.name, score: h.score, y: h.item.y, x: h.item.x, box: fieldBox(field, h.item.y, h.item.x) })),
  }));
  return {
    layer: ranker.tensor,
    receptiveField: field,
    channels,
    images,
    skipped,
    async renderMontages(onMontage, options = {}) {
      const cache = new Map<ImageSource, RgbImage>();
      const pixels = async (source: ImageSource): Promise<RgbImage> => {
        const hit = cache.get(source);
        if (hit) return hit;
        const image = (await source.load()).image;
        if (cache.size >= 32) cache.delete(cache.keys().next().value as ImageSource);
        cache.set(source, image);
        return image;
      };
      for (const { channel, hits } of ranked) {
        throwIfCancelled(options.signal);
        if (hits.length === 0) continue;
        const cells: RgbImage[] = [];
        for (const h of hits) cells.push(cropBox(await pixels(h.item.source), fieldBox(field, h.item.y, h.item.x)));
        await onMontage(channel, montage(cells, options.columns));
      }
    },
  };
}
