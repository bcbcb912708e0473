/**
 * The report's stylesheet, inlined in the page. System fonts only: nothing is fetched.
 */

/** The CSS of the report page. @example `` `<style>${REPORT_CSS}</style>` `` */
export const REPORT_CSS = `
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; margin: 0; padding: 12px 16px; color: #1d1d1f; background: #fafafa; font-size: 14px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 0 0 10px; }
h3 { font-size: 14px; margin: 0 0 6px; }
header, section { background: #fff; border: 1px solid #e2e2e2; border-radius: 6px; padding: 14px 16px; margin-bottom: 16px; }
.muted { color: #666; font-size: 12px; font-weight: normal; }
.predicted { color: #0b5; font-weight: 600; }
.row { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; margin-bottom: 12px; }
figure { margin: 0; }
figcaption { color: #666; font-size: 12px; margin-top: 4px; max-width: 380px; }
img { display: block; image-rendering: auto; }
img.input { border: 1px solid #ccc; }
table { border-collapse: collapse; }
table.kv th { text-align: left; padding: 2px 10px 2px 0; font-weight: 600; vertical-align: top; white-space: nowrap; }
table.kv td { padding: 2px 0; }
table.kv.small { font-size: 11px; margin-top: 4px; }
table.list th, table.list td { text-align: left; padding: 2px 10px 2px 0; border-bottom: 1px solid #eee; vertical-align: top; }
table.nodes { font-size: 12px; margin-top: 8px; }
.scroll { overflow-x: auto; }
table.grid { margin-top: 6px; }
table.grid th, table.grid td { border: 1px solid #e2e2e2; padding: 6px; vertical-align: top; }
table.grid th.method { text-align: left; }
table.grid th.method .name { font-weight: 700; font-size: 14px; }
table.grid th.target { text-align: left; font-size: 14px; background: #f4f6f8; }
.path { margin: -6px 0 10px; }
td.cell .caption { font-size: 11px; color: #444; max-width: 224px; margin-top: 2px; }
table.methods { font-size: 12px; margin-top: 4px; }
table.methods td.num { white-space: nowrap; }
span.setting { display: inline-block; margin: 0 10px 2px 0; white-space: nowrap; }
svg.bars rect.bar { fill: #9bb; }
svg.bars rect.bar.top { fill: #2a7; }
svg.colorbar { display: block; margin-top: 4px; overflow: visible; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
details summary { cursor: pointer; color: #333; }
ul.notes { margin: 6px 0 0; padding-left: 20px; }
`;
