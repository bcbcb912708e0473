/**
 * Browser speed (issue #21): Grad-CAM and saliency on MobileNetV2 in the studio's core worker
 * (onnxruntime-web, wasm, in Debian's Chromium) against the same calls in Node (onnxruntime-node),
 * at 1 and 2 threads. The browser's 2 threads need a cross-origin isolated page (COOP/COEP).
 */

import { gradCam } from '../src/attribution/cam/index.js';
import { saliency } from '../src/attribution/gradient/saliency.js';
import type { Model } from '../src/engine/model.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { loadModelInPage, openStudio, timeInPage } from '../test/studio/studio-site.js';
import { BENCH_MODELS, loadBenchModel, randomInput } from './models.js';
import { type Section, table } from './report.js';
import type { SectionOptions } from './sections.js';
import { ms, ratio, timeMedian } from './timing.js';

interface Row {
  readonly method: string;
  readonly threads: number;
  readonly nodeMs: number;
  readonly browserMs: number;
}

/** Runs the browser section. */
export async function benchBrowser(o: SectionOptions): Promise<Section> {
  const bm = BENCH_MODELS.find((m) => m.name === 'mobilenet_v2')!;
  const reps = Math.max(3, Math.floor(o.reps / 2));
  const forward = { attribute: (model: Model, x: Tensor, _options?: object) => model.run(x) };
  const calls = [
    { method: 'forward', fn: forward, options: {} },
    { method: 'saliency', fn: saliency, options: { target: 1 } },
    { method: 'grad-cam', fn: gradCam, options: { target: 1 } },
  ];
  const rows: Row[] = [];
  for (const threads of [1, 2]) {
    const nodeMs: Record<string, number> = {};
    {
      await using model = await loadBenchModel(bm, threads);
      const x = randomInput(model.inputShape(1));
      for (const c of calls) nodeMs[c.method] = await timeMedian(() => c.fn.attribute(model, x, c.options), { reps });
    }
    const studio = await openStudio({ files: { '/model.onnx': bm.file }, isolated: threads === 2 });
    try {
      if (studio.info.threads !== threads) throw new Error(`The page runs ${studio.info.threads} wasm threads, expected ${threads}`);
      await loadModelInPage(studio.page, '/model.onnx');
      const x = randomInput([1, 3, 224, 224]);
      for (const c of calls) {
        const browserMs = await timeInPage(studio.page, c.method, x, c.options, { warmup: 10, warmupMs: 4000, reps });
        rows.push({ method: c.method, threads, nodeMs: nodeMs[c.method] as number, browserMs });
        console.error(`browser ${c.method} ${threads} thread(s): node ${(nodeMs[c.method] as number).toFixed(1)} ms, browser ${browserMs.toFixed(1)} ms`);
      }
    } finally {
      await studio.close();
    }
  }
  const body = [
    table(
      ['method', 'threads', 'Node, onnxruntime-node (ms)', 'Chromium, onnxruntime-web wasm (ms)', 'browser / Node'],
      rows.map((r) => [r.method, String(r.threads), ms(r.nodeMs), ms(r.browserMs), ratio(r.browserMs / r.nodeMs)]),
    ),
    '',
    '- MobileNetV2 (random weights), batch 1, 224×224, target class 1; Grad-CAM at the default layer; `forward` is the plain model run (the engine baseline for the two methods). Medians after warm-up: in the page at least 10 calls and 4 s per method, because V8 runs the wasm as baseline code first and optimises its hot functions over the first 10–20 calls.',
    "- Browser: the studio's core worker in headless Debian Chromium, timed on the page's UI thread from the call to the result (including the copy of the input into the worker and of the map back). 2 threads only in a cross-origin isolated page (the bench server sends COOP `same-origin` and COEP `require-corp`); without those headers the studio runs on 1 thread.",
    '- Node: the same method calls on onnxruntime-node with the same intra-op thread count.',
  ].join('\n');
  return { title: 'Browser: the studio core (onnxruntime-web) against Node', body };
}
