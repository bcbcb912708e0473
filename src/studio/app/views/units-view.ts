/**
 * View 3, a layer's units: for each channel, its feature visualization (activation maximisation,
 * Olah et al. 2017, https://distill.pub/2017/feature-visualization/, the core's `visualize`), the
 * dataset images where it fires most, with the patch around its strongest response (top patches,
 * Zeiler & Fergus 2014, https://arxiv.org/abs/1311.2901), and its Network Dissection label (Bau et
 * al. 2017, https://arxiv.org/abs/1704.05796) when a `result.json` of `lucerna dissect` covers the
 * layer. Peaks and visualizations are computed in the core worker, each with progress and Cancel.
 */
import { css, html } from 'lit';
import { type ImageFrame, imageFrame, modelToImage } from '../../../disentangle/qa/frame.js';
import { chunkRanges } from '../../../tensor/chunks.js';
import { planarToRgb } from '../../../visualization/montage.js';
import type { DatasetImage } from '../../server/dataset.js';
import { unitLabels } from '../../shape/dissection.js';
import { patchWindow } from '../../shape/patch-window.js';
import { type UnitTop, unitTops } from '../../shape/unit-tops.js';
import type { LayerEntry } from '../core-client.js';
import { naturalSize, pixelsDataUrl } from '../studio-state.js';
import { Task, taskBar } from '../task.js';
import { StateView } from './state-view.js';

/** Images scanned for top patches. */
const SCANNED = 48;
/** Patches shown per unit. */
const TOP = 4;
/** Units visualised together (one engine call per step for all of them). */
const VIS_BATCH = 8;
/** Units visualised when no scan has listed them: the layer's first channels. */
const VIS_FIRST = 16;

/** `<lucerna-units-view>`: set `state`. */
export class UnitsView extends StateView {
  static override properties = {
    ...StateView.properties,
    layers: { state: true },
    layer: { state: true },
    tops: { state: true },
    visuals: { state: true },
    visSteps: { state: true },
  };
  static override styles = css`
    .unit { display: flex; gap: 6px; align-items: center; border-bottom: 1px solid #eee; padding: 4px 0; }
    .unit b { width: 9rem; font: 12px ui-monospace, monospace; }
    .patch { width: 64px; height: 64px; background-repeat: no-repeat; image-rendering: pixelated; border: 1px solid #ccc; }
    .label { font-size: 12px; color: #2b8a3e; }
    .vis { width: 64px; height: 64px; image-rendering: pixelated; border: 1px solid #e8590c; }
    input[type='number'] { width: 5rem; }
  `;
  declare layers: readonly LayerEntry[];
  declare layer: string;
  declare tops?: UnitTop[];
  /** Feature visualization per channel, as a data URL. */
  declare visuals: ReadonlyMap<number, string>;
  declare visSteps: number;
  private readonly task = new Task(this);
  private readonly visTask = new Task(this);
  private scanned: DatasetImage[] = [];
  /** Per scanned image, its natural size and its frame (model px ↔ image px, per the preprocessing). */
  private frames: { size: readonly [number, number]; frame: ImageFrame }[] = [];

  constructor() {
    super();
    this.layers = [];
    this.layer = '';
    this.visuals = new Map();
    this.visSteps = 128;
  }

  override async connectedCallback(): Promise<void> {
    super.connectedCallback();
    if (!this.state?.model || this.layers.length) return;
    this.layers = await this.state.core.listLayers();
    this.layer = this.layers.find((l) => l.isDefault)?.name ?? this.layers[0]?.name ?? '';
  }

  private scan = () =>
    this.task.run(`Scanning images for ${this.layer}`, async ({ signal, onProgress }) => {
      const state = this.state;
      if (!state?.dataset?.images.length) return 'This view needs a dataset: start lucerna studio with --dataset <dir>';
      this.scanned = state.dataset.images.slice(0, SCANNED);
      const tensors = [];
      for (const [i, im] of this.scanned.entries()) {
        if (signal.aborted) throw new Error('Cancelled');
        tensors.push(await state.imageTensor(im.url));
        onProgress(i + 1, 2 * this.scanned.length);
      }
      const input: [number, number] = [tensors[0]?.shape[2] ?? 1, tensors[0]?.shape[3] ?? 1];
      const resize = state.resizeMode();
      this.frames = await Promise.all(
        this.scanned.map(async (im) => {
          const size = await naturalSize(im.url);
          return { size, frame: imageFrame(size, input, resize) };
        }),
      );
      const { peaks } = await state.core.peaks(tensors, [this.layer], 1, {
        signal,
        onProgress: (d, t) => onProgress(this.scanned.length * (1 + (t ? d / t : 0)), 2 * this.scanned.length),
      });
      this.tops = unitTops(peaks, TOP);
      return `${this.tops.length} units of ${this.layer} over ${this.scanned.length} images`;
    });

  /** The units the view lists: the scanned ones, else the layer's first channels. */
  private shownChannels(): number[] {
    if (this.tops) return this.tops.map((u) => u.channel);
    const channels = this.layers.find((l) => l.name === this.layer)?.shape[1] ?? 0;
    return Array.from({ length: Math.min(VIS_FIRST, channels) }, (_, c) => c);
  }

  /** Activation maximisation of every shown unit, in the worker, a batch of units at a time. */
  private visualizeUnits = () =>
    this.visTask.run(`Visualising units of ${this.layer}`, async ({ signal, onProgress }) => {
      const state = this.state;
      if (!state) return 'Load a model first';
      const channels = this.shownChannels();
      const layer = this.layer;
      const steps = this.visSteps;
      const found = new Map<number, string>();
      // The worker call carries the signal: a Cancel rejects it with the core's ABORTED, shown as "Cancelled".
      for (const { first: start, count } of chunkRanges(channels.length, VIS_BATCH)) {
        const part = channels.slice(start, start + count);
        const args = { layer, channels: part, steps, ...(state.preprocessing ? { preprocessing: state.preprocessing } : {}) };
        const r = await state.core.visualize(args, { signal, onProgress: (d, t) => onProgress(start + part.length * (t ? d / t : 0), channels.length) });
        for (const [i, c] of part.entries()) found.set(c, pixelsDataUrl(planarToRgb(r.images, i)));
        this.visuals = new Map(found);
      }
      return `Feature visualizations of ${channels.length} units of ${layer} (${steps} steps)`;
    });

  /** A CSS background showing the patch of image `index` around (x, y) model px, a quarter of the picture's short side wide, kept inside the picture. */
  private patch(index: number, x: number, y: number) {
    const image = this.scanned[index] as DatasetImage;
    const { size, frame } = this.frames[index] ?? { size: [1, 1] as const, frame: { scale: [1, 1] as const, offset: [0, 0] as const } };
    const w = patchWindow(size, modelToImage(frame, [x, y]), 64);
    const style = `background-image:url(${image.url});background-size:${w.size[0]}px ${w.size[1]}px;background-position:${w.position[0]}px ${w.position[1]}px`;
    return html`<div class="patch" style=${style} title="${image.path} at (${x.toFixed(0)}, ${y.toFixed(0)})"></div>`;
  }

  override render() {
    const state = this.state;
    if (!state?.model) return html`<p>Load a model first.</p>`;
    const labels = state.dissection ? unitLabels(state.dissection, this.layer) : undefined;
    return html`<label
        >Layer
        <select id="units-layer" @change=${(e: Event) => {
          this.layer = (e.target as HTMLSelectElement).value;
          this.tops = undefined;
          this.visuals = new Map();
        }}>
          ${this.layers.map((l) => html`<option ?selected=${l.name === this.layer}>${l.name}</option>`)}
        </select></label
      >
      <button id="units-scan" @click=${this.scan} ?disabled=${this.task.busy}>Find top patches</button>
      ${state.dissection ? (labels ? html`<span>labels from result.json</span>` : html`<span>result.json does not cover this layer</span>`) : html`<span>load a result.json for Network Dissection labels</span>`}
      ${taskBar(this.task)}
      <div>
        <button id="units-visualize" @click=${this.visualizeUnits} ?disabled=${this.visTask.busy}>Feature visualizations</button>
        <label>steps <input id="units-steps" type="number" min="1" .value=${String(this.visSteps)} @change=${(e: Event) => {
          this.visSteps = Math.max(1, Math.round(Number((e.target as HTMLInputElement).value)) || 1);
        }} /></label>
      </div>
      ${taskBar(this.visTask)}
      ${(
        this.tops ??
          this.shownChannels()
            .filter((c) => this.visuals.has(c))
            .map((channel): UnitTop => ({ channel, hits: [] }))
      ).map((u) => {
        const label = labels?.get(u.channel);
        const vis = this.visuals.get(u.channel);
        return html`<div class="unit" data-unit=${u.channel}>
          <b>unit ${u.channel}</b>
          ${vis ? html`<img class="vis" data-unit=${u.channel} src=${vis} alt="feature visualization of unit ${u.channel}" />` : ''}
          ${u.hits.map((hit) => this.patch(hit.image, hit.x, hit.y))}
          ${label ? html`<span class="label">${label.label} (${label.category}, IoU ${label.iou.toFixed(3)}${label.interpretable ? ', detector' : ''})</span>` : ''}
        </div>`;
      })}`;
  }
}

customElements.define('lucerna-units-view', UnitsView);
