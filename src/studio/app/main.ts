/**
 * The studio's entry: starts the core worker, exposes its client as `window.lucerna` (for the
 * console and for browser automation), and shows the minimal image + method page.
 */
import { CoreClient } from './core-client.js';
import { startCoreWorker } from './start-worker.js';
import './views/attribute-page.js';
import { StudioState } from './studio-state.js';
import './views/studio-shell.js';

declare global {
  interface Window {
    /** The page's core client and its first `hello` (automation and console use). */
    lucerna: { core: CoreClient; ready: ReturnType<CoreClient['hello']> };
  }
}

const core = new CoreClient(startCoreWorker());
window.lucerna = { core, ready: core.hello() };
const page = document.querySelector('lucerna-attribute-page');
if (page) (page as HTMLElement & { core?: CoreClient }).core = core;
const shell = document.querySelector('lucerna-studio');
if (shell) (shell as HTMLElement & { state?: StudioState }).state = new StudioState(core);
