/**
 * Checks a `lucerna graph report` page in headless Chromium (Debian's, through playwright-core, as
 * the report tests do) and saves a screenshot: the page loads, its node patches load, and a click
 * on a node with edges shows the node's detail and highlights its edges. Used by the graph section
 * of RESULTS.md for the real-size MobileNetV2 graph.
 */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** What the check saw; `error` when Chromium is missing or the page did not behave. */
export interface ViewCheck {
  readonly nodes: number;
  readonly edges: number;
  readonly images: number;
  readonly brokenImages: number;
  readonly clickShowsDetail: boolean;
  readonly highlightedEdges: number;
  readonly error?: string;
}

const CHROMIUM = '/usr/bin/chromium';

/**
 * Opens `page` at 1,400 × 900 px, clicks the first node that has an edge, and saves a JPEG
 * screenshot of the whole page to `screenshot`.
 *
 * @example
 * ```ts
 * const facts = await checkGraphView('g/graph.html', 'docs/results/graph.jpg');
 * ```
 */
export async function checkGraphView(page: string, screenshot: string): Promise<ViewCheck> {
  const none = { nodes: 0, edges: 0, images: 0, brokenImages: 0, clickShowsDetail: false, highlightedEdges: 0 };
  if (!existsSync(CHROMIUM)) return { ...none, error: `no Chromium at ${CHROMIUM}` };
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const tab = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await tab.goto(pathToFileURL(page).href, { waitUntil: 'load' });
    const counts = (await tab.evaluate(`(() => {
      const imgs = [...document.images];
      const edge = document.querySelector('path.edge');
      return {
        nodes: document.querySelectorAll('.node').length,
        edges: document.querySelectorAll('path.edge').length,
        images: imgs.length,
        brokenImages: imgs.filter((i) => !i.complete || i.naturalWidth === 0).length,
        target: edge ? [...edge.classList].find((c) => c.startsWith('rel-')).slice(4) : null,
      };
    })()`)) as { nodes: number; edges: number; images: number; brokenImages: number; target: string | null };
    if (counts.target === null) return { ...none, ...counts, error: 'the view draws no edge' };
    await tab.click(`a[href="#d${counts.target}"]`);
    const after = (await tab.evaluate(`(() => ({
      shown: getComputedStyle(document.getElementById('d${counts.target}')).display,
      highlighted: [...document.querySelectorAll('path.edge.rel-${counts.target}')].filter((e) => getComputedStyle(e).stroke === 'rgb(228, 87, 46)').length,
    }))()`)) as { shown: string; highlighted: number };
    await tab.screenshot({ path: screenshot, type: 'jpeg', quality: 70, fullPage: false });
    return {
      nodes: counts.nodes,
      edges: counts.edges,
      images: counts.images,
      brokenImages: counts.brokenImages,
      clickShowsDetail: after.shown !== 'none',
      highlightedEdges: after.highlighted,
    };
  } finally {
    await browser.close();
  }
}
