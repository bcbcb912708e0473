/**
 * The minimal "image + method" page: open an ONNX model and an image from disk, pick a registry
 * method, run it in the core worker with a progress bar and a cancel button, and see the heatmap.
 * Everything is computed in the tab.
 */
import { css, html, LitElement } from 'lit';
import { reduceChannels } from '../../../attribution/postprocess.js';
import { toRgba } from '../../../render/canvas.js';
import { renderHeatmap } from '../../../render/heatmap.js';
import { engineLine } from '../backend.js';
import { type CoreClient, CoreError, type CoreInfo, type TensorData } from '../core-client.js';

/** Reads a picked file's bytes. */
async function fileBytes(input: HTMLInputElement): Promise<{ bytes: Uint8Array; name: string } | undefined> {
  const file = input.files?.[0];
  return file ? { bytes: new Uint8Array(await file.arrayBuffer()), name: file.name } : undefined;
}

/**
 * `<lucerna-attribute-page>`: set its `core` property to a {@link CoreClient}.
 *
 * @example
 * ```ts
 * document.querySelector('lucerna-attribute-page').core = new CoreClient(startCoreWorker());
 * ```
 */
export class AttributePage extends LitElement {
  static override properties = {
    core: { attribute: false },
    info: { state: true },
    status: { state: true },
    progress: { state: true },
    busy: { state: true },
  };
  static override styles = css`
    :host { display: grid; gap: 0.6rem; max-width: 40rem; }
    label { display: flex; gap: 0.5rem; align-items: center; }
    canvas { image-rendering: pixelated; width: 224px; border: 1px solid #ccc; }
    .status { min-height: 1.4em; }
  `;

  declare core?: CoreClient;
  declare info?: CoreInfo;
  declare status: string;
  declare progress: number;
  declare busy: boolean;
  private input?: TensorData;
  private controller?: AbortController;

  constructor() {
    super();
    this.status = 'Starting the core…';
    this.progress = 0;
    this.busy = false;
  }

  override async updated(changed: Map<string, unknown>): Promise<void> {
    if (changed.has('core') && this.core && !this.info) {
      this.info = await this.core.hello();
      this.status = `Ready: ${engineLine(this.info)}. Open a model.`;
    }
  }

  private el<T extends HTMLElement>(id: string): T {
    return this.renderRoot.querySelector(`#${id}`) as T;
  }

  private async guarded(work: () => Promise<string>): Promise<void> {
    this.busy = true;
    try {
      this.status = await work();
    } catch (e) {
      this.status = e instanceof CoreError ? e.oneLine() : String(e);
    } finally {
      this.busy = false;
      this.controller = undefined;
    }
  }

  private openModel = () =>
    this.guarded(async () => {
      const f = await fileBytes(this.el('model'));
      if (!f || !this.core) return 'No model picked';
      const m = await this.core.loadModel(f.bytes, f.name);
      this.input = undefined;
      return `Loaded ${m.name}: input ${m.inputName} [${m.inputDims.join(', ')}]. Open an image.`;
    });

  private openImage = () =>
    this.guarded(async () => {
      const f = await fileBytes(this.el('image'));
      if (!f || !this.core) return 'No image picked';
      this.input = await this.core.decodeImage(f.bytes);
      return `Image ${f.name} ready [${this.input.shape.join(', ')}]`;
    });

  private run = () =>
    this.guarded(async () => {
      if (!this.core || !this.input) return 'Open a model and an image first';
      const method = this.el<HTMLSelectElement>('method').value;
      this.controller = new AbortController();
      this.progress = 0;
      const t0 = performance.now();
      const r = await this.core.attribute(method, this.input, {}, { signal: this.controller.signal, onProgress: (d, t) => (this.progress = t ? d / t : 0) });
      this.progress = 1;
      this.draw(r.attribution);
      return `${method}: class ${r.targets[0]} (score ${r.scores[0]?.toFixed(3)}) in ${Math.round(performance.now() - t0)} ms`;
    });

  private cancel = () => this.controller?.abort();

  private draw(t: TensorData): void {
    const map = { data: t.data, shape: [...t.shape] };
    const heat = renderHeatmap(t.shape[1] === 1 ? map : reduceChannels(map, 'sum'));
    const canvas = this.el<HTMLCanvasElement>('heatmap');
    canvas.width = heat.width;
    canvas.height = heat.height;
    canvas.getContext('2d')?.putImageData(new ImageData(toRgba(heat.rgb) as Uint8ClampedArray<ArrayBuffer>, heat.width, heat.height), 0, 0);
  }

  override render() {
    const methods = this.info?.methods ?? [];
    return html`
      <h1>Lucerna studio</h1>
      <label>Model (.onnx) <input id="model" type="file" accept=".onnx" @change=${this.openModel} ?disabled=${this.busy} /></label>
      <label>Image <input id="image" type="file" accept="image/*" @change=${this.openImage} ?disabled=${this.busy} /></label>
      <label
        >Method
        <select id="method">
          ${methods.map((m) => html`<option value=${m.name} title=${m.description}>${m.name}</option>`)}
        </select>
        <button id="run" @click=${this.run} ?disabled=${this.busy}>Run</button>
        <button id="cancel" @click=${this.cancel} ?disabled=${!this.busy}>Cancel</button>
      </label>
      <progress max="1" .value=${this.progress}></progress>
      <div class="status" role="status">${this.status}</div>
      <canvas id="heatmap" width="1" height="1"></canvas>
    `;
  }
}

customElements.define('lucerna-attribute-page', AttributePage);

declare global {
  interface HTMLElementTagNameMap {
    'lucerna-attribute-page': AttributePage;
  }
}
