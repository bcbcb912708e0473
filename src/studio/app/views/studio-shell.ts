/**
 * `<lucerna-studio>`: the studio's frame. Served by `lucerna studio`, it reads `/api/config` and
 * loads what the user named (model with its sidecar, dataset listing, graph.json, result.json);
 * opened as a static site, it offers file pickers. Tabs switch between the five views.
 */
import { css, html, LitElement } from 'lit';
import type { Preprocessing } from '../../../io/preprocess.js';
import type { StudioConfig } from '../../server/app.js';
import type { DatasetListing } from '../../server/dataset.js';
import { engineLine } from '../backend.js';
import { fetchBytes, fetchJson, type StudioState } from '../studio-state.js';
import { Task, taskBar } from '../task.js';
import './compare-view.js';
import './graph-view.js';
import './model-view.js';
import './qa-view.js';
import './units-view.js';

const TABS = [
  ['model', 'Model'],
  ['compare', 'Attributions'],
  ['units', 'Units'],
  ['graph', 'Graph'],
  ['qa', 'Part QA'],
] as const;

type Tab = (typeof TABS)[number][0];

/** `<lucerna-studio>`: set `state`. */
export class StudioShell extends LitElement {
  static override properties = { state: { attribute: false }, tab: { state: true }, version: { state: true }, engine: { state: true } };
  static override styles = css`
    nav button { font: inherit; padding: 4px 12px; border: 1px solid #ccc; background: #f6f6f6; cursor: pointer; }
    nav button[aria-selected='true'] { background: #fff; border-bottom-color: #fff; font-weight: 600; }
    header { display: flex; gap: 12px; align-items: center; flex-wrap: wrap; margin-bottom: 8px; }
    .task { display: flex; gap: 8px; align-items: center; margin: 6px 0; }
    section { border-top: 1px solid #ccc; padding-top: 10px; }
  `;
  declare state?: StudioState;
  declare tab: Tab;
  declare version: number;
  /** The engine in use (WebGPU or wasm) and why. */
  declare engine?: { line: string; reason: string };
  private readonly task = new Task(this);
  private started = false;

  constructor() {
    super();
    this.tab = 'model';
    this.version = 0;
  }

  override updated(): void {
    if (this.state && !this.started) {
      this.started = true;
      this.state.addEventListener('change', () => this.version++);
      void this.task.run('Starting', () => this.loadServed(this.state as StudioState));
    }
  }

  /** Loads what `lucerna studio` names; without a server, says how to open files instead. */
  private async loadServed(state: StudioState): Promise<string> {
    const info = await state.core.hello();
    this.engine = { line: engineLine(info), reason: info.backendReason };
    const noServer = `Ready (${engineLine(info)}); no server: open a model file`;
    // Opened from disk there is no server to ask (and Chromium logs an error for any file:// fetch).
    if (location.protocol === 'file:') return noServer;
    let config: StudioConfig;
    try {
      config = await fetchJson<StudioConfig>('/api/config');
    } catch {
      return noServer;
    }
    state.config = config;
    const done: string[] = [];
    if (config.dataset) {
      state.dataset = await fetchJson<DatasetListing>(config.dataset.url);
      done.push(`${state.dataset.images.length} images`);
    }
    if (config.graph) {
      state.loadGraph(new TextDecoder().decode(await fetchBytes(config.graph.url)), config.graph.name);
      done.push('graph.json');
    }
    if (config.dissection) {
      state.loadDissection(new TextDecoder().decode(await fetchBytes(config.dissection.url)));
      done.push('result.json');
    }
    if (config.model) {
      const m = config.model as StudioConfig['model'] & { labels?: string[]; preprocessing?: Preprocessing };
      await state.loadModel(await fetchBytes(m.url), m.name, { labels: m.labels, preprocessing: m.preprocessing });
      done.unshift(m.name);
    }
    state.changed();
    return `Loaded ${done.join(', ') || 'nothing'} (${engineLine(info)})`;
  }

  private openFile(kind: 'model' | 'graph' | 'dissection', e: Event): void {
    const file = (e.target as HTMLInputElement).files?.[0];
    const state = this.state;
    if (!file || !state) return;
    void this.task.run(`Opening ${file.name}`, async () => {
      const bytes = new Uint8Array(await file.arrayBuffer());
      if (kind === 'model') await state.loadModel(bytes, file.name);
      else if (kind === 'graph') state.loadGraph(new TextDecoder().decode(bytes), file.name);
      else state.loadDissection(new TextDecoder().decode(bytes));
      return `Opened ${file.name}`;
    });
  }

  private view() {
    const s = this.state;
    switch (this.tab) {
      case 'model':
        return html`<lucerna-model-view .state=${s} data-version=${this.version}></lucerna-model-view>`;
      case 'compare':
        return html`<lucerna-compare-view .state=${s}></lucerna-compare-view>`;
      case 'units':
        return html`<lucerna-units-view .state=${s} data-version=${this.version}></lucerna-units-view>`;
      case 'graph':
        return html`<lucerna-graph-view .state=${s} data-version=${this.version}></lucerna-graph-view>`;
      case 'qa':
        return html`<lucerna-qa-view .state=${s}></lucerna-qa-view>`;
    }
  }

  override render() {
    return html`<header>
        <h1 style="margin:0;font-size:20px">Lucerna studio</h1>
        <label>Model <input id="open-model" type="file" accept=".onnx" @change=${(e: Event) => this.openFile('model', e)} /></label>
        <label>graph.json <input type="file" accept=".json" @change=${(e: Event) => this.openFile('graph', e)} /></label>
        <label>result.json <input type="file" accept=".json" @change=${(e: Event) => this.openFile('dissection', e)} /></label>
        ${this.engine ? html`<span id="engine" title=${this.engine.reason}>engine: ${this.engine.line} (${this.engine.reason})</span>` : ''}
      </header>
      ${taskBar(this.task)}
      <nav role="tablist">
        ${TABS.map(([id, label]) => html`<button role="tab" id="tab-${id}" aria-selected=${this.tab === id} @click=${() => (this.tab = id)}>${label}</button>`)}
      </nav>
      <section>${this.state?.model || this.tab === 'graph' ? this.view() : html`<p>Load a model to begin.</p>`}</section>`;
  }
}

customElements.define('lucerna-studio', StudioShell);
