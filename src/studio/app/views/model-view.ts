/**
 * View 1, the model: every layer with its op and output shape, and the Grad-CAM candidates
 * (Selvaraju et al. 2017, https://arxiv.org/abs/1610.02391) with the default one marked — the
 * same summary `lucerna inspect` prints, computed in the core worker.
 */
import { css, html } from 'lit';
import type { ModelSummary } from '../../../onnx/inspect.js';
import { layerRows } from '../../shape/model-rows.js';
import type { StudioState } from '../studio-state.js';
import { Task, taskBar } from '../task.js';
import { StateView } from './state-view.js';

/** `<lucerna-model-view>`: set `state`. */
export class ModelView extends StateView {
  static override properties = { ...StateView.properties, summary: { state: true }, search: { state: true }, camOnly: { state: true } };
  static override styles = css`
    table { border-collapse: collapse; font: 12px/1.3 ui-monospace, monospace; }
    td, th { padding: 2px 8px; border-bottom: 1px solid #eee; text-align: left; }
    tr.default td { background: #fff4d6; }
    .cam { color: #a15c00; }
  `;
  declare summary?: ModelSummary;
  declare search: string;
  declare camOnly: boolean;
  private readonly task = new Task(this);
  private loadedFor?: unknown;

  constructor() {
    super();
    this.search = '';
    this.camOnly = false;
  }

  override updated(): void {
    const model = this.state?.model;
    if (model && this.loadedFor !== model) {
      this.loadedFor = model;
      void this.task.run('Reading the model', async () => {
        this.summary = await (this.state as StudioState).core.summarize();
        return `${this.summary.nodes.length} nodes, ${this.summary.camLayers.length} Grad-CAM candidates`;
      });
    }
  }

  override render() {
    const s = this.summary;
    if (!this.state?.model) return html`<p>Load a model first.</p>`;
    const rows = s ? layerRows(s, { search: this.search, camOnly: this.camOnly }) : [];
    return html`${taskBar(this.task)}
      ${
        s
          ? html`<p>
              ${this.state.model.name}: input ${s.inputs.map((i) => `${i.name} [${(i.shape ?? i.dims).join('×')}]`).join(', ')}; ${s.parameters.toLocaleString()} parameters; opset
              ${s.opset}. Default Grad-CAM layer: <b class="cam">${s.defaultCamLayer ?? 'none'}</b>
            </p>
            <label>Search <input id="search" .value=${this.search} @input=${(e: Event) => (this.search = (e.target as HTMLInputElement).value)} /></label>
            <label><input id="cam-only" type="checkbox" .checked=${this.camOnly} @change=${(e: Event) => (this.camOnly = (e.target as HTMLInputElement).checked)} /> Grad-CAM candidates only</label>
            <table id="layers">
              <tr><th>#</th><th>op</th><th>output</th><th>shape</th><th>Grad-CAM</th></tr>
              ${rows.map(
                (r) => html`<tr class=${r.cam ?? ''} data-tensor=${r.tensor}>
                  <td>${r.index}</td><td>${r.op}</td><td>${r.tensor}</td><td>${r.shape}</td><td class="cam">${r.cam === 'default' ? 'default' : r.cam ? 'candidate' : ''}</td>
                </tr>`,
              )}
            </table>`
          : ''
      }`;
  }
}

customElements.define('lucerna-model-view', ModelView);
