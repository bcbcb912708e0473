/**
 * View 2, one image with every attribution method side by side. The methods are the registry's
 * (`hello().methods`, the CLI's list) and run in the core worker one after another, with progress
 * and a Cancel button; each map is drawn over the image with the CLI's heatmap rendering.
 */
import { css, html } from 'lit';
import { reduceChannels } from '../../../attribution/postprocess.js';
import { type RgbPixels, renderHeatmap } from '../../../render/heatmap.js';
import type { AttributionData, MethodInfo, TensorData } from '../core-client.js';
import { drawRgb, inputPixels, type StudioState } from '../studio-state.js';
import { Task, taskBar } from '../task.js';
import { imagePicker } from './image-picker.js';
import { StateView } from './state-view.js';

/** One method's cell. */
interface Cell {
  readonly method: string;
  readonly pixels?: RgbPixels;
  readonly line: string;
}

/**
 * The heatmap of an attribution over the input, half and half; maps at another size are sampled
 * nearest-neighbour onto the input grid.
 *
 * @example
 * ```ts
 * drawRgb(canvas, overlay(x, result.attribution));
 * ```
 */
export function overlay(x: TensorData, attribution: TensorData): RgbPixels {
  const a = { data: attribution.data, shape: [...attribution.shape] };
  const heat = renderHeatmap((attribution.shape[1] ?? 1) === 1 ? a : reduceChannels(a, 'sum'));
  const base = inputPixels(x);
  const rgb = new Uint8Array(base.rgb.length);
  for (let y = 0; y < base.height; y++) {
    const hy = Math.min(heat.height - 1, Math.floor((y * heat.height) / base.height));
    for (let xx = 0; xx < base.width; xx++) {
      const hx = Math.min(heat.width - 1, Math.floor((xx * heat.width) / base.width));
      for (let k = 0; k < 3; k++) {
        const i = (y * base.width + xx) * 3 + k;
        rgb[i] = Math.round(0.45 * (base.rgb[i] as number) + 0.55 * (heat.rgb[(hy * heat.width + hx) * 3 + k] as number));
      }
    }
  }
  return { rgb, width: base.width, height: base.height };
}

/** `<lucerna-compare-view>`: set `state`. */
export class CompareView extends StateView {
  static override properties = { ...StateView.properties, methods: { state: true }, chosen: { state: true }, cells: { state: true }, image: { state: true } };
  static override styles = css`
    .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 10px; }
    figure { margin: 0; }
    canvas { width: 160px; image-rendering: pixelated; border: 1px solid #ccc; }
    figcaption { font-size: 12px; }
    .methods { columns: 4 12rem; font-size: 13px; }
  `;
  declare methods: readonly MethodInfo[];
  declare chosen: ReadonlySet<string>;
  declare cells: readonly Cell[];
  declare image?: { name: string; x: TensorData };
  private readonly task = new Task(this);

  constructor() {
    super();
    this.methods = [];
    this.chosen = new Set();
    this.cells = [];
  }

  override async connectedCallback(): Promise<void> {
    super.connectedCallback();
    if (!this.state || this.methods.length) return;
    this.methods = (await this.state.core.hello()).methods;
    // Gradient and CAM methods are quick; perturbation methods are there to tick.
    this.chosen = new Set(this.methods.filter((m) => m.kind !== 'perturbation').map((m) => m.name));
  }

  private toggle(name: string, on: boolean): void {
    const next = new Set(this.chosen);
    if (on) next.add(name);
    else next.delete(name);
    this.chosen = next;
  }

  private pick = async (url: string, name: string) => {
    const state = this.state as StudioState;
    await this.task.run(`Decoding ${name}`, async () => {
      this.image = { name, x: await state.imageTensor(url) };
      this.cells = [];
      return `${name} ready: choose methods and press Run`;
    });
  };

  private run = () =>
    this.task.run('Running', async ({ signal, onProgress }) => {
      const state = this.state as StudioState;
      const image = this.image;
      if (!image) return 'Pick an image first';
      const chosen = this.methods.filter((m) => this.chosen.has(m.name));
      const cells: Cell[] = [];
      for (const [i, m] of chosen.entries()) {
        if (signal.aborted) break;
        const t0 = performance.now();
        let cell: Cell;
        try {
          const r: AttributionData = await state.core.attribute(m.name, image.x, m.output === 'layer-map' ? { upsample: 'bilinear' } : {}, {
            signal,
            onProgress: (d, t) => onProgress(i + (t ? d / t : 0), chosen.length),
          });
          cell = { method: m.name, pixels: overlay(image.x, r.attribution), line: `${state.label(r.targets[0])} · ${Math.round(performance.now() - t0)} ms` };
        } catch (e) {
          if (signal.aborted) throw e;
          cell = { method: m.name, line: String((e as { oneLine?: () => string }).oneLine?.() ?? e) };
        }
        cells.push(cell);
        this.cells = [...cells];
        onProgress(i + 1, chosen.length);
      }
      return `${cells.length} of ${chosen.length} methods on ${image.name}`;
    });

  override updated(): void {
    for (const cell of this.cells) {
      const canvas = this.renderRoot.querySelector<HTMLCanvasElement>(`canvas[data-method="${cell.method}"]`);
      if (canvas && cell.pixels && canvas.dataset.drawn !== '1') {
        drawRgb(canvas, cell.pixels);
        canvas.dataset.drawn = '1';
      }
    }
  }

  override render() {
    if (!this.state?.model) return html`<p>Load a model first.</p>`;
    return html`${imagePicker(this.state, this.pick, this.task.busy)}
      <div class="methods">
        ${this.methods.map(
          (m) =>
            html`<label title=${m.description}><input type="checkbox" data-method=${m.name} .checked=${this.chosen.has(m.name)} @change=${(e: Event) => this.toggle(m.name, (e.target as HTMLInputElement).checked)} /> ${m.name}</label><br />`,
        )}
      </div>
      <button id="run-methods" @click=${this.run} ?disabled=${this.task.busy || !this.image}>Run ${this.chosen.size} methods</button>
      ${taskBar(this.task)}
      <div class="grid">
        ${this.cells.map((c) => html`<figure><canvas data-method=${c.method} width="1" height="1"></canvas><figcaption><b>${c.method}</b><br />${c.line}</figcaption></figure>`)}
      </div>`;
  }
}

customElements.define('lucerna-compare-view', CompareView);
