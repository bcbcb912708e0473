/**
 * The image chooser the views share: the served dataset's images (a select), or an image file
 * from disk when the page runs without a server.
 */
import { html, type TemplateResult } from 'lit';
import type { StudioState } from '../studio-state.js';

/** A select over the dataset's images plus a file input; `pick(url, name)` gets the choice. */
export function imagePicker(state: StudioState, pick: (url: string, name: string) => void, busy: boolean): TemplateResult {
  const images = state.dataset?.images ?? [];
  const fromFile = (e: Event) => {
    const file = (e.target as HTMLInputElement).files?.[0];
    if (file) pick(URL.createObjectURL(file), file.name);
  };
  return html`<div class="picker">
    ${
      images.length
        ? html`<label
          >Image
          <select class="image-select" ?disabled=${busy} @change=${(e: Event) => {
            const url = (e.target as HTMLSelectElement).value;
            if (url) pick(url, url.split('/').pop() ?? url);
          }}>
            <option value="">choose…</option>
            ${images.slice(0, 500).map((im) => html`<option value=${im.url}>${im.path}${im.className ? ` (${im.className})` : ''}</option>`)}
          </select></label
        >`
        : ''
    }
    <label>or a file <input type="file" accept="image/*" ?disabled=${busy} @change=${fromFile} /></label>
  </div>`;
}
