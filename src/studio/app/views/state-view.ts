/**
 * The base of the studio views: a Lit element with the shared {@link StudioState}, redrawn
 * whenever the state says it changed (a model, a dataset or a graph was loaded).
 */
import { LitElement } from 'lit';
import type { StudioState } from '../studio-state.js';

/** A view over the shared state; subclasses declare their own reactive properties too. */
export class StateView extends LitElement {
  static override properties = { state: { attribute: false } };
  declare state?: StudioState;
  private readonly onChange = () => this.requestUpdate();
  private watched?: StudioState;

  override connectedCallback(): void {
    super.connectedCallback();
    this.watch();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.watched?.removeEventListener('change', this.onChange);
    this.watched = undefined;
  }

  override willUpdate(): void {
    this.watch();
  }

  private watch(): void {
    if (this.state === this.watched || !this.isConnected) return;
    this.watched?.removeEventListener('change', this.onChange);
    this.watched = this.state;
    this.watched?.addEventListener('change', this.onChange);
  }
}
