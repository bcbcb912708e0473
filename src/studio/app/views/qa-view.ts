/**
 * View 5, active question-answering part learning (Zhang et al. 2017, "Mining Object Parts from
 * CNNs via Active Question-Answering", https://arxiv.org/abs/1704.03173) on the library's
 * {@link QaSession}: pick a part name, click it in 1–3 images, then answer the questions the
 * session asks where its part model is least certain — yes / no, it is here (a click) / not
 * visible — and watch the part model (its committee of graph nodes or filters) update.
 *
 * The units are raw filters by default (of the graph's layers when a `graph.json` is loaded, else of
 * one conv layer): on the RESULTS.md data active selection clearly beats random with them, and only
 * narrowly with graph nodes, which remain a choice. Their positions are computed in the core
 * worker; the session itself is cheap and runs here.
 */
import { css, html } from 'lit';
import { imageFrame } from '../../../disentangle/qa/frame.js';
import { meanCurve, QaSession, qaImages, type SelectionMargin, selectionMargin, simulateQa, type TruthImage } from '../../../disentangle/qa/index.js';
import type { Point, QaAnswer, QaImage, QaQuestion } from '../../../disentangle/qa/types.js';
import type { DatasetImage } from '../../server/dataset.js';
import { marginText, meanNormalisedError, partTruth, qaPool } from '../../shape/qa-pool.js';
import type { LayerEntry } from '../core-client.js';
import { knownSize, naturalSize, type StudioState } from '../studio-state.js';
import { Task, taskBar } from '../task.js';
import { StateView } from './state-view.js';

/** Images a session asks about. */
const POOL = 24;

/** `<lucerna-qa-view>`: set `state`. */
export class QaView extends StateView {
  static override properties = {
    ...StateView.properties,
    partName: { state: true },
    layers: { state: true },
    layer: { state: true },
    unitKind: { state: true },
    session: { state: true },
    question: { state: true },
    version: { state: true },
    curves: { state: true },
  };
  static override styles = css`
    .row { display: flex; gap: 16px; flex-wrap: wrap; align-items: flex-start; }
    .shot { position: relative; display: inline-block; cursor: crosshair; }
    .shot img { width: 192px; image-rendering: pixelated; display: block; border: 1px solid #ccc; }
    .mark { position: absolute; width: 12px; height: 12px; margin: -7px 0 0 -7px; border-radius: 50%; border: 2px solid; pointer-events: none; }
    .guess { border-color: #e8590c; }
    .click { border-color: #2b8a3e; background: #2b8a3e55; }
    table { border-collapse: collapse; font: 12px ui-monospace, monospace; }
    td, th { padding: 1px 8px; border-bottom: 1px solid #eee; text-align: right; }
  `;
  declare partName: string;
  declare layers: readonly LayerEntry[];
  declare layer: string;
  /** The part model's units: raw filters (the default) or, with a graph, its nodes. */
  declare unitKind: 'filters' | 'nodes';
  declare session?: QaSession;
  declare question?: QaQuestion | null;
  /** Bumped after every answer, so the page redraws the part model. */
  declare version: number;
  /** Mean error after 0…n answers of a simulated user, active and random, and the 3-shot baseline. */
  declare curves?: { active: number[]; random: number[]; baseline: number; margin: SelectionMargin };
  private readonly task = new Task(this);
  private pool: DatasetImage[] = [];
  private images: QaImage[] = [];
  private inputSize: readonly [number, number] = [1, 1];
  private clicks = new Map<string, Point>();
  /** The current session's units: graph nodes, or the filters of these layers (flat index, layer-major). */
  private units: { nodes: boolean; layers: readonly { name: string; channels: number }[] } = { nodes: false, layers: [] };

  constructor() {
    super();
    this.partName = '';
    this.layers = [];
    this.layer = '';
    this.unitKind = 'filters';
    this.version = 0;
  }

  override async connectedCallback(): Promise<void> {
    super.connectedCallback();
    const state = this.state;
    if (!state?.model || this.layers.length) return;
    this.partName ||= state.dataset?.parts[0] ?? 'part';
    this.layers = await state.core.listLayers();
    this.layer = this.layers.find((l) => l.isDefault)?.name ?? this.layers[this.layers.length - 1]?.name ?? '';
  }

  /** Decodes the pool, computes the units' positions in the worker and starts a session. */
  private prepare = () =>
    this.task.run('Finding the units on the images', async ({ signal, onProgress }) => {
      const state = this.state as StudioState;
      if (!state.dataset?.images.length) return 'This view needs a dataset: start lucerna studio with --dataset <dir>';
      this.pool = qaPool(state.dataset, this.partName, POOL);
      const tensors = [];
      for (const [i, im] of this.pool.entries()) {
        tensors.push(await state.imageTensor(im.url));
        onProgress(i + 1, 2 * this.pool.length);
      }
      const graph = state.graph ?? null;
      const nodes = graph !== null && this.unitKind === 'nodes';
      const layers = graph ? graph.layers.map((l) => l.name) : [this.layer];
      const peaksPerFilter = graph ? graph.settings.peaksPerFilter : 1;
      const { peaks } = await state.core.peaks(tensors, layers, peaksPerFilter, {
        signal,
        onProgress: (d, t) => onProgress(this.pool.length + (t ? (d / t) * this.pool.length : 0), 2 * this.pool.length),
      });
      const [h, w] = [tensors[0]?.shape[2] ?? 1, tensors[0]?.shape[3] ?? 1];
      const sizes = await Promise.all(this.pool.map((im) => naturalSize(im.url)));
      // Clicks are on the shown picture; the units live in model pixels, placed as the preprocessing put them.
      const resize = state.resizeMode();
      const images = qaImages(
        nodes ? graph : null,
        this.pool.map((im, i) => ({ id: im.path, peaks: peaks[i] ?? [], ...imageFrame(sizes[i] ?? [w, h], [h, w], resize) })),
      );
      this.images = images;
      this.units = { nodes, layers: layers.map((name, i) => ({ name, channels: peaks[0]?.[i]?.length ?? 0 })) };
      this.inputSize = [h, w];
      this.curves = undefined;
      this.session = new QaSession(images, { part: this.partName, inputSize: [h, w], selection: 'active' });
      this.clicks = new Map();
      this.question = undefined;
      this.version++;
      const units = nodes ? `${graph.nodes.length} graph nodes` : `the filters of ${layers.join(', ')}`;
      return `Click the ${this.partName} in 1–3 of these images, then press Ask (units: ${units})`;
    });

  /**
   * Applies a change of part, units or layer. A running session was built for the old choice, so it
   * ends: Ask and Simulate stay off until "Start a session" finds the new units.
   */
  private changeSetting(apply: () => void): void {
    apply();
    if (!this.session) return;
    this.session = undefined;
    this.question = undefined;
    this.curves = undefined;
    this.clicks = new Map();
    this.task.status = 'The settings changed: press Start a session';
    this.version++;
  }

  private clickAt(e: MouseEvent): Point {
    const img = e.currentTarget as HTMLElement;
    const picture = img.querySelector('img') as HTMLImageElement;
    const rect = picture.getBoundingClientRect();
    return [((e.clientX - rect.left) * picture.naturalWidth) / rect.width, ((e.clientY - rect.top) * picture.naturalHeight) / rect.height];
  }

  private initialClick(e: MouseEvent, im: DatasetImage): void {
    const session = this.session;
    if (!session || this.question !== undefined) return;
    const [x, y] = this.clickAt(e);
    session.answer(im.path, { kind: 'here', x, y });
    this.clicks.set(im.path, [x, y]);
    this.version++;
  }

  private ask = () => {
    this.question = this.session?.next() ?? null;
    this.task.status = this.question ? 'Answer: Yes, click where the part is, or Not visible' : 'Every image is answered';
    this.version++;
  };

  private answer(answer: QaAnswer): void {
    const { session, question } = this;
    if (!session || !question) return;
    session.answer(question.image, answer);
    if (answer.kind === 'here') this.clicks.set(question.image, [answer.x, answer.y]);
    this.question = session.next();
    this.task.status = `Answer ${session.answered} recorded (${answer.kind}); the part model was refitted`;
    this.version++;
  }

  /** The issue's experiment on this pool: a simulated user (landmarks.csv) answers, active vs random. */
  private simulate = () =>
    this.task.run('Simulating a user from landmarks.csv', async ({ signal }) => {
      const state = this.state as StudioState;
      const truth = partTruth(state.dataset ?? { landmarks: [] }, this.partName);
      const all: TruthImage[] = this.images.map((im) => ({ ...im, truth: truth.get(im.id) ?? null }));
      const inputSize = this.inputSize;
      // Every third image is held out for scoring; images with the part come first, so both get some.
      const pool = all.filter((_, i) => i % 3 !== 2);
      const test = all.filter((_, i) => i % 3 === 2);
      const initial = Math.min(3, pool.filter((im) => im.truth).length);
      if (initial === 0 || !test.some((im) => im.truth)) return `Too few images with the ${this.partName} in landmarks.csv to simulate`;
      const questions = Math.max(1, Math.min(10, pool.length - initial));
      const size = knownSize(this.pool[0]?.url ?? '') ?? [64, 64];
      const c = await simulateQa({ pool, test, inputSize, seeds: [0, 1, 2], questions, initial, radius: 0.1 * Math.hypot(size[0], size[1]), signal });
      const baseline = c.baseline.filter((v) => Number.isFinite(v));
      const [active, random] = [meanCurve(c.active), meanCurve(c.random)];
      this.curves = { active, random, baseline: baseline.reduce((a, b) => a + b, 0) / Math.max(1, baseline.length), margin: selectionMargin(active, random) };
      return `Simulated ${questions} questions × 3 seeds after ${initial} clicks on ${pool.length} images, scored on ${test.length}`;
    });

  private curveChart() {
    const c = this.curves;
    if (!c) return '';
    const W = 360;
    const H = 160;
    const n = Math.max(c.active.length, c.random.length, 2);
    const top = Math.max(...c.active, ...c.random, c.baseline, 1e-6) * 1.1;
    const x = (i: number) => 30 + (i / (n - 1)) * (W - 40);
    const y = (v: number) => H - 20 - (v / top) * (H - 30);
    const line = (values: number[]) => values.map((v, i) => `${i ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`).join('');
    return html`<figure>
      <svg id="qa-curve" width=${W} height=${H} viewBox="0 0 ${W} ${H}" role="img" aria-label="mean error against questions">
        <line x1="30" y1=${H - 20} x2=${W - 10} y2=${H - 20} stroke="#999"></line>
        <line x1="30" y1="10" x2="30" y2=${H - 20} stroke="#999"></line>
        <path d=${line(c.active)} fill="none" stroke="#e8590c" stroke-width="2"></path>
        <path d=${line(c.random)} fill="none" stroke="#4c6ef5" stroke-width="2" stroke-dasharray="4 3"></path>
        <line x1="30" x2=${W - 10} y1=${y(c.baseline)} y2=${y(c.baseline)} stroke="#2b8a3e" stroke-dasharray="2 2"></line>
        <text x="32" y="12" font-size="10">error ${top.toFixed(2)}</text>
        <text x=${W - 90} y=${H - 6} font-size="10">questions ${n - 1}</text>
      </svg>
      <figcaption>Mean normalised error after each answer: <span style="color:#e8590c">active</span>, <span style="color:#4c6ef5">random</span>,
        <span style="color:#2b8a3e">3-shot graph-locate baseline</span> (3 seeds).</figcaption>
      <p id="qa-margin">${marginText(c.margin)}</p>
    </figure>`;
  }

  private save = () =>
    this.task.run('Saving', async () => {
      const session = this.session as QaSession;
      const name = `qa-${this.partName.replace(/[^A-Za-z0-9_-]/g, '_')}.json`;
      const { nodes, layers } = this.units;
      const body = JSON.stringify({
        part: this.partName,
        units: nodes ? 'nodes' : 'filters',
        layers: layers.map((l) => l.name),
        model: session.model,
        records: session.records,
      });
      const response = await fetch(`/api/save/${name}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const reply = (await response.json()) as { saved?: string; error?: { message: string } };
      if (!response.ok) throw new Error(reply.error?.message ?? `HTTP ${response.status}`);
      return `Saved ${reply.saved} in the --save-dir folder`;
    });

  /** The mean normalised error of the current guesses against the dataset's landmarks. */
  private score(): string {
    const state = this.state as StudioState;
    const session = this.session;
    if (!session || !state.dataset) return '';
    const truth = partTruth(state.dataset, this.partName);
    const pairs: [Point, Point][] = [];
    for (const im of this.pool) {
      const t = truth.get(im.path);
      if (t) pairs.push([session.guess(im.path).guess, t]);
    }
    const [w, h] = knownSize(this.pool[0]?.url ?? '') ?? [64, 64];
    const error = meanNormalisedError(pairs, Math.hypot(w, h));
    return error === undefined ? '' : `mean error vs landmarks.csv: ${(error * 100).toFixed(1)} % of the diagonal over ${pairs.length} images`;
  }

  private shot(im: DatasetImage, onClick: (e: MouseEvent) => void, guess?: Point) {
    const click = this.clicks.get(im.path);
    const at = (p: Point, [w, h]: readonly [number, number]) => `left:${(p[0] / w) * 100}%;top:${(p[1] / h) * 100}%`;
    const size = knownSize(im.url) ?? ([64, 64] as const);
    return html`<div class="shot" data-image=${im.path} @click=${onClick}>
      <img src=${im.url} alt=${im.path} draggable="false" />
      ${guess ? html`<div class="mark guess" style=${at(guess, size)}></div>` : ''}
      ${click ? html`<div class="mark click" style=${at(click, size)}></div>` : ''}
    </div>`;
  }

  private partModel() {
    const session = this.session;
    if (!session) return '';
    const graph = this.state?.graph;
    const m = session.model;
    const name = (unit: number) => {
      const node = this.units.nodes ? graph?.nodes[unit] : undefined;
      if (node) return `node ${unit} (${graph?.layers[node.layer]?.name}:${node.filter})`;
      let f = unit;
      for (const l of this.units.layers) {
        if (f < l.channels) return `filter ${l.name}:${f}`;
        f -= l.channels;
      }
      return `filter ${unit}`;
    };
    return html`<h3>Part model of “${session.part}”</h3>
      <p id="qa-counts" data-answered=${session.answered} data-version=${this.version}>
        ${session.answered} questions answered, ${session.remaining} images left; visible on ${m.visible}, absent on ${m.absent}. ${this.score()}
      </p>
      <table id="part-model">
        <tr><th>unit</th><th>weight</th><th>offset (px)</th><th>σ (px)</th><th>coverage</th><th>support</th></tr>
        ${m.units.map(
          (u) =>
            html`<tr><td>${name(u.unit)}</td><td>${u.weight.toFixed(3)}</td><td>${u.offset[0].toFixed(1)}, ${u.offset[1].toFixed(1)}</td><td>${Math.sqrt(u.variance).toFixed(1)}</td><td>${u.coverage.toFixed(2)}</td><td>${u.support}</td></tr>`,
        )}
      </table>`;
  }

  override render() {
    const state = this.state;
    if (!state?.model) return html`<p>Load a model first.</p>`;
    const parts = state.dataset?.parts ?? [];
    const q = this.question;
    const image = q ? this.pool.find((im) => im.path === q.image) : undefined;
    return html`<div class="row">
        <label>Part ${
          parts.length
            ? html`<select id="qa-part" @change=${(e: Event) => this.changeSetting(() => (this.partName = (e.target as HTMLSelectElement).value))}>${parts.map((p) => html`<option ?selected=${p === this.partName}>${p}</option>`)}</select>`
            : html`<input id="qa-part" .value=${this.partName} @input=${(e: Event) => this.changeSetting(() => (this.partName = (e.target as HTMLInputElement).value))} />`
        }</label>
        ${
          state.graph
            ? html`<label>Units <select id="qa-units" @change=${(e: Event) => this.changeSetting(() => (this.unitKind = (e.target as HTMLSelectElement).value as 'filters' | 'nodes'))}>
                <option value="filters" ?selected=${this.unitKind === 'filters'}>filters of the graph’s layers</option>
                <option value="nodes" ?selected=${this.unitKind === 'nodes'}>graph nodes</option>
              </select></label>`
            : html`<label>Layer <select id="qa-layer" @change=${(e: Event) => this.changeSetting(() => (this.layer = (e.target as HTMLSelectElement).value))}>${this.layers.map((l) => html`<option ?selected=${l.name === this.layer}>${l.name}</option>`)}</select></label>`
        }
        <button id="qa-start" @click=${this.prepare} ?disabled=${this.task.busy}>Start a session</button>
        <button id="qa-ask" @click=${this.ask} ?disabled=${!this.session || this.clicks.size === 0 || q !== undefined}>Ask</button>
        <button id="qa-simulate" @click=${this.simulate} ?disabled=${!this.session || this.task.busy || !state.dataset?.landmarks.length}>Simulate active vs random</button>
        ${state.config?.canSave ? html`<button id="qa-save" @click=${this.save} ?disabled=${!this.session || this.task.busy}>Save part model</button>` : ''}
      </div>
      ${taskBar(this.task)}
      ${this.session && q === undefined ? html`<div class="row">${this.pool.slice(0, 3).map((im) => this.shot(im, (e) => this.initialClick(e, im)))}</div>` : ''}
      ${
        q && image
          ? html`<p id="qa-question">Question ${q.number + 1}: is the ${this.partName} at the orange circle? (uncertainty ${q.uncertainty.toFixed(3)}) — click the image where it is if not.</p>
            <div class="row">
              ${this.shot(
                image,
                (e) => {
                  const [x, y] = this.clickAt(e);
                  this.answer({ kind: 'here', x, y });
                },
                q.guess,
              )}
              <div>
                <button id="qa-yes" @click=${() => this.answer({ kind: 'yes' })}>Yes</button>
                <button id="qa-absent" @click=${() => this.answer({ kind: 'absent' })}>Not visible</button>
              </div>
            </div>`
          : q === null
            ? html`<p>Every image is answered.</p>`
            : ''
      }
      ${this.partModel()} ${this.curveChart()}`;
  }
}

customElements.define('lucerna-qa-view', QaView);
