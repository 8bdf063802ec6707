/**
 * The page's CSS, inline so the page (and `status --html`) is one file. Colours
 * pass WCAG AA against their backgrounds and every state also has a mark and a
 * word, so nothing depends on telling red from green.
 */
export const PAGE_STYLE = `
:root { --fg:#1d2129; --muted:#5b6270; --bg:#f6f7f9; --card:#fff; --line:#d9dde3; --accent:#1f5fbf;
  --ok-bg:#e3f4e6; --ok-fg:#155d27; --pend-bg:#fff4d6; --pend-fg:#6b4a00; --bad-bg:#fde2e1; --bad-fg:#9b1c1c;
  --info-bg:#e6eefc; --info-fg:#1b4794; --none-bg:#eef0f3; --none-fg:#4a5160; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--fg); background:var(--bg); }
header.top { display:flex; gap:16px; align-items:baseline; flex-wrap:wrap; padding:14px 24px; background:#14213d; color:#fff; }
header.top h1 { font-size:18px; margin:0; }
header.top .muted { color:#c9d2e3; }
main { padding:16px 24px 48px; max-width:1600px; }
section.panel { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:14px 18px; margin:0 0 18px; }
section.panel > h2 { font-size:16px; margin:0 0 10px; }
h4 { margin:12px 0 6px; font-size:14px; }
code { font:12.5px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background:#f0f2f5; padding:1px 4px; border-radius:4px; }
code.cmd { background:#14213d; color:#fff; padding:2px 6px; user-select:all; }
.muted { color:var(--muted); }
.warn { background:var(--pend-bg); color:var(--pend-fg); border-left:4px solid #b7791f; padding:6px 10px; border-radius:4px; }
.error { background:var(--bad-bg); color:var(--bad-fg); border-left:4px solid #c92a2a; padding:6px 10px; border-radius:4px; }
button { font:inherit; padding:4px 12px; border-radius:6px; border:1px solid var(--accent); background:#fff; color:var(--accent); cursor:pointer; }
button:hover { background:var(--info-bg); }
:focus-visible { outline:3px solid #f59f00; outline-offset:1px; }
.envs { display:grid; grid-template-columns:repeat(auto-fill, minmax(260px, 1fr)); gap:12px; }
.env { border:1px solid var(--line); border-radius:8px; padding:10px 12px; }
.env h3 { margin:0 0 6px; font-size:15px; }
.env h3 .badge { display:block; margin-top:4px; border-radius:6px; padding:3px 8px; font-size:12px; }
.env dl { margin:0; display:grid; grid-template-columns:auto 1fr; gap:2px 10px; }
.env dt { color:var(--muted); }
.env dd { margin:0; overflow-wrap:anywhere; min-width:0; }
.env .health { margin-top:8px; }
.env .health ul { margin:6px 0 0; padding-left:18px; }
.badge { font-size:12px; padding:1px 8px; border-radius:10px; background:var(--none-bg); color:var(--none-fg); font-weight:600; }
.badge.busy, .note.busy { background:var(--pend-bg); color:var(--pend-fg); }
.matrix-wrap { overflow:auto; max-height:70vh; border:1px solid var(--line); border-radius:8px; margin-bottom:10px; }
table.matrix { border-collapse:separate; border-spacing:0; width:100%; table-layout:fixed; }
table.matrix th.corner, table.matrix th.migration { width:19em; overflow:hidden; text-overflow:ellipsis; }
table.matrix caption { text-align:left; padding:8px 10px; font-weight:600; }
table.matrix th, table.matrix td { padding:4px 10px; border-bottom:1px solid var(--line); text-align:left; white-space:nowrap; }
table.matrix thead th { position:sticky; top:0; background:#fff; z-index:1; vertical-align:bottom; white-space:normal; }
table.matrix th .env-name { display:block; font-size:14px; }
table.matrix th .target, table.matrix th .note { display:block; font-weight:400; font-size:12px; color:var(--muted); }
table.matrix th .note.schema-drift { color:var(--bad-fg); font-weight:600; }
table.matrix th.migration { font:12.5px ui-monospace, Menlo, monospace; font-weight:400; }
.cell { border-radius:4px; font-weight:600; font-size:13px; cursor:pointer; }
td.cell:focus-visible, td.cell.selected { outline:3px solid #f59f00; outline-offset:-3px; }
.s-applied { background:var(--ok-bg); color:var(--ok-fg); }
.s-unverified { background:var(--ok-bg); color:var(--ok-fg); font-style:italic; }
.s-pending, .s-out-of-order { background:var(--pend-bg); color:var(--pend-fg); }
.s-drift, .s-missing { background:var(--bad-bg); color:var(--bad-fg); }
.s-renamed { background:var(--info-bg); color:var(--info-fg); }
.s-absent, .s-unknown { background:var(--none-bg); color:var(--none-fg); }
.legend { display:flex; flex-wrap:wrap; gap:6px; margin:0 0 10px; }
.legend .cell { padding:2px 8px; cursor:default; }
#cell-detail { min-height:2.6em; padding:8px 10px; border-radius:6px; background:#f0f2f5; }
.runs details.run { content-visibility:auto; contain-intrinsic-size:auto 38px; }
.runs details.run { border:1px solid var(--line); border-radius:8px; margin:0 0 6px; background:#fff; }
.runs details.run > summary { padding:7px 10px; cursor:pointer; display:flex; gap:10px; flex-wrap:wrap; align-items:center; }
.run-body { padding:4px 14px 12px; border-top:1px solid var(--line); }
.result { font-weight:700; padding:1px 8px; border-radius:10px; }
.r-promoted { background:var(--ok-bg); color:var(--ok-fg); }
.r-rolled-back, .r-interrupted, .r-running { background:var(--pend-bg); color:var(--pend-fg); }
.r-failed, .r-unreadable { background:var(--bad-bg); color:var(--bad-fg); }
.r-skipped, .r-none { background:var(--none-bg); color:var(--none-fg); }
.stage-chip { font-size:12px; padding:1px 7px; border-radius:10px; }
dl.facts { display:flex; flex-wrap:wrap; gap:4px 18px; margin:8px 0; }
dl.facts div { display:flex; gap:6px; } dl.facts dt { color:var(--muted); } dl.facts dd { margin:0; }
table.steps { border-collapse:collapse; margin:4px 0; }
table.steps th, table.steps td { border:1px solid var(--line); padding:3px 8px; text-align:left; vertical-align:top; }
table.steps td.num { text-align:right; white-space:nowrap; }
tr.st-failed td { background:var(--bad-bg); color:var(--bad-fg); }
figure.diagram { margin:10px 0; overflow-x:auto; }
figure.diagram figcaption { color:var(--muted); font-size:12px; }
.mermaid-src pre { background:#f0f2f5; padding:8px; font-size:11.5px; overflow:auto; max-height:240px; }
svg.state-path .sp-start { fill:#333; }
svg.state-path .sp-edge { stroke:#555; stroke-width:1.5; }
svg.state-path .sp-stage { fill:#fafbfc; stroke:#8a94a6; stroke-dasharray:0; }
svg.state-path .sp-title { font:600 12.5px system-ui, sans-serif; fill:#1d2129; }
svg.state-path .sp-taken { fill:#d4f7d4; stroke:#2b8a3e; }
svg.state-path .sp-failed { fill:#ffd6d6; stroke:#c92a2a; stroke-width:2; }
svg.state-path .sp-running { fill:#fff4d6; stroke:#b7791f; stroke-dasharray:4 3; }
svg.state-path .sp-skipped { fill:#eeeeee; stroke:#999; }
svg.state-path .sp-label { font:12px system-ui, sans-serif; fill:#1d2129; }
svg.state-path .sp-failed-text, svg.state-path .sp-result { font-weight:700; }
svg.state-path .sp-skipped-text { fill:#555; }
#live .live-now { font-size:15px; margin:0 0 4px; }
.live-conn { font-size:13px; font-weight:400; margin-left:8px; }
a.run-link { font:12px ui-monospace, Menlo, monospace; overflow-wrap:anywhere; }
.live-dot { display:inline-block; width:9px; height:9px; border-radius:50%; background:#9aa3b2; margin-right:6px; }
.live-dot.on { background:#2b8a3e; }
.plan-stage { margin:6px 0; }
.problems li { margin:4px 0; }
nav.toc a { color:#c9d2e3; margin-right:12px; }
`;
