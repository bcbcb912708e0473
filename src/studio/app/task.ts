/**
 * Long work in a view: one {@link Task} per view holds the running call's cancel handle, its
 * progress and a one-line status; {@link taskBar} draws the progress bar, the status and the
 * Cancel button. The work itself runs in the core worker, so the page stays responsive.
 */
import { html, type ReactiveControllerHost, type TemplateResult } from 'lit';
import { CoreError } from './core-client.js';

/** A view's long-running work: progress, status, cancel. */
export class Task {
  busy = false;
  progress = 0;
  status = '';
  private controller?: AbortController;

  constructor(private readonly host: ReactiveControllerHost) {}

  /** Runs `work` (given a signal and a progress callback); its returned line becomes the status. */
  async run(label: string, work: (control: { signal: AbortSignal; onProgress: (done: number, total: number) => void }) => Promise<string>): Promise<boolean> {
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    this.busy = true;
    this.progress = 0;
    this.status = `${label}…`;
    this.host.requestUpdate();
    try {
      this.status = await work({
        signal: controller.signal,
        onProgress: (done, total) => {
          this.progress = total ? done / total : 0;
          this.host.requestUpdate();
        },
      });
      this.progress = 1;
      return true;
    } catch (e) {
      this.status = e instanceof CoreError ? (e.code === 'ABORTED' ? 'Cancelled' : e.oneLine()) : String((e as Error)?.message ?? e);
      return false;
    } finally {
      if (this.controller === controller) {
        this.busy = false;
        this.controller = undefined;
      }
      this.host.requestUpdate();
    }
  }

  /** Cancels the running work (the worker stops at its next check). */
  cancel(): void {
    this.controller?.abort();
  }
}

/** The progress bar, Cancel button and status line of a task. */
export function taskBar(task: Task): TemplateResult {
  return html`<div class="task">
    <progress max="1" .value=${task.progress}></progress>
    <button class="cancel" @click=${() => task.cancel()} ?disabled=${!task.busy}>Cancel</button>
    <span class="status" role="status">${task.status}</span>
  </div>`;
}
