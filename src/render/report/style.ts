/**
 * The stylesheet of every report page, inlined in the page. System fonts only: nothing is fetched.
 * Layout is fluid: images, charts and colour bars shrink with their boxes, tile grids reflow, and
 * wide tables scroll inside their own box, so no page scrolls sideways.
 */

/** The CSS of the report pages. @example `` `<style>${REPORT_CSS}</style>` `` */
export const REPORT_CSS = `
:root { color-scheme: light; }
*, *::before, *::after { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; margin: 0 auto; max-width: 1800px; padding: 12px 16px; color: #1d1d1f; background: #fafafa; font-size: 14px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 0 0 10px; }
h3 { font-size: 14px; margin: 14px 0 6px; }
p { max-width: 80ch; }
header, section { background: #fff; border: 1px solid #e2e2e2; border-radius: 6px; padding: 14px 16px; margin-bottom: 16px; min-width: 0; }
.muted { color: #666; font-size: 12px; font-weight: normal; }
.predicted { color: #0b5; font-weight: 600; }
.row { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; margin-bottom: 12px; }
.row > * { min-width: 0; max-width: 100%; }
.row > .grow { flex: 1 1 360px; max-width: 560px; }
figure { margin: 0; }
figcaption { color: #666; font-size: 12px; margin-top: 4px; }
img { display: block; max-width: 100%; height: auto; image-rendering: auto; }
img.input { border: 1px solid #ccc; }
table { border-collapse: collapse; }
.table-wrap { max-width: 100%; overflow-x: auto; margin: 6px 0; }
table.kv th { text-align: left; padding: 2px 12px 2px 0; font-weight: 600; vertical-align: top; white-space: nowrap; }
table.kv td { padding: 2px 0; overflow-wrap: anywhere; }
table.list th, table.list td { text-align: left; padding: 3px 10px 3px 0; border-bottom: 1px solid #eee; vertical-align: top; }
table.list td.num, table.list th.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
table.list thead th { border-bottom: 1px solid #ccc; }
table.scores td, table.scores th { padding: 4px 10px; border: 1px solid #e2e2e2; }
table.scores thead th { background: #f4f6f8; }
td.best { font-weight: 700; background: #eef7ee; }
.dir, .n { color: #777; font-size: 12px; }
table.nodes { font-size: 12px; margin-top: 8px; }
table.methods { font-size: 12px; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; overflow-wrap: anywhere; }
.path { margin: -6px 0 10px; overflow-wrap: anywhere; }
span.setting { display: inline-block; margin: 0 10px 2px 0; }
.tiles { display: grid; gap: 12px; align-items: start; margin: 6px 0 12px; }
figure.tile { min-width: 0; width: 100%; }
figure.tile > img { width: 100%; }
.tile-title { margin-bottom: 3px; }
.tile-title .name { font-weight: 700; }
figure.tile figcaption { font-size: 11px; color: #444; }
.target-heading { font-size: 14px; background: #f4f6f8; padding: 6px 8px; border-radius: 4px; margin: 10px 0 6px; }
svg.colorbar { display: block; margin-top: 4px; max-width: 100%; height: auto; overflow: visible; }
figure.chart { margin: 8px 0 16px; width: 100%; }
figure.chart svg[viewBox] { width: 100%; height: auto; max-width: 100%; }
.chart-title { font-weight: 600; font-size: 14px; color: #222; margin: 0 0 4px; }
.charts { display: grid; grid-template-columns: 1fr; gap: 8px; }
.callout { display: flex; gap: 10px; align-items: flex-start; border: 1px solid; border-left-width: 5px; border-radius: 4px; padding: 8px 12px; margin: 8px 0; }
.callout.warning { background: #fff8e5; border-color: #e0a800; color: #4a3700; }
.callout.note { background: #eef5ff; border-color: #4a86e8; color: #173a6b; }
.callout .icon { font-size: 16px; line-height: 1.2; }
.callout .hint { margin-top: 3px; font-size: 13px; }
details summary { cursor: pointer; color: #333; }
ul.notes { margin: 6px 0 0; padding-left: 20px; }
`;
