/**
 * The whole page as one HTML string (pure): server-rendered, with one small inline
 * script and inline CSS, so it needs no build step and fetches nothing from anywhere
 * but the CLI that served it. `renderStatusHtml` is the same matrix as a
 * self-contained file for CI artifacts.
 */
import { formatProblem } from '../problems.js';
import type { Problem } from '../problems.js';
import type { DashboardModel, EnvironmentView } from './dashboard-model.js';
import { escapeHtml } from './html.js';
import { MATRIX_LEGEND, renderMatrix } from './render-matrix.js';
import { renderLive, renderRunList } from './render-runs.js';
import { PAGE_SCRIPT } from './page-script.js';
import { PAGE_STYLE } from './page-style.js';
import { STATE_PATH_DEFS } from './state-path-svg.js';

export function renderPage(model: DashboardModel): string {
  const options = model.stages.map((s, i) => `<option${i === model.stages.length - 1 ? ' selected' : ''}>${escapeHtml(s)}</option>`).join('');
  const body = `
<section class="panel" id="live-panel" aria-labelledby="live-h"><h2 id="live-h">Live promotion <span class="muted live-conn"><span class="live-dot" id="live-dot" aria-hidden="true"></span><span id="live-status">connecting…</span></span></h2>
<div id="live" aria-live="polite">${renderLive(model.live)}</div></section>
<section class="panel" aria-labelledby="envs-h"><h2 id="envs-h">Environments</h2><div class="envs" id="envs">${renderEnvironments(model)}</div></section>
${matrixPanel(model)}
<section class="panel" aria-labelledby="plan-h"><h2 id="plan-h">Plan</h2>
<form id="plan-form"><label for="plan-to">What <code>promote --to</code> would apply, up to</label> <select id="plan-to">${options}</select> <button type="submit">Show the plan</button> <span class="muted">(reads every stage; changes nothing)</span></form>
<div id="plan-result" aria-live="polite">${model.warnings.length > 0 ? `<h4>Lint warnings</h4>${renderProblems(model.warnings)}` : '<p class="muted">No lint warnings.</p>'}</div></section>
<section class="panel" aria-labelledby="runs-h"><h2 id="runs-h">Runs <span class="muted">(${model.runs.length}, newest first)</span></h2><div id="runs-list">${renderRunList(model.runs)}</div></section>`;
  return documentOf(model, body, true);
}

export function renderStatusHtml(model: DashboardModel): string {
  return documentOf(model, matrixPanel(model), false);
}

function matrixPanel(model: DashboardModel): string {
  return `<section class="panel" aria-labelledby="matrix-h"><h2 id="matrix-h">Migrations × environments</h2>${MATRIX_LEGEND}
<p class="muted">Tab into the table, then move with the arrow keys (Home/End, PageUp/PageDown); Enter or a click explains a cell.</p>
<div id="cell-detail" aria-live="polite">Select a cell to see when it was applied, by which run and how long it took.</div>
<div id="matrix">${renderMatrix(model.matrix)}</div></section>`;
}

function documentOf(model: DashboardModel, body: string, live: boolean): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>promote · ${escapeHtml(model.pipeline)}</title><style>${PAGE_STYLE}</style></head>
<body${live ? ' data-live="1"' : ''}>${STATE_PATH_DEFS}
<header class="top"><h1>promote · ${escapeHtml(model.pipeline)}</h1><span class="muted">${escapeHtml(model.project)}</span><span class="muted">read ${escapeHtml(model.generatedAt)}</span><span class="muted">${live ? 'read-only: commands to run are shown where a person would act' : 'snapshot (promote status --html)'}</span></header>
<main>${body}</main>
<script>performance.mark('matrix-painted-parse');requestAnimationFrame(()=>{performance.mark('matrix-painted');document.body.dataset.painted='1';});</script>
<script>${PAGE_SCRIPT}</script>
</body></html>`;
}

export function renderEnvironments(model: DashboardModel): string {
  return model.environments.map(renderEnvironment).join('');
}

function renderEnvironment(e: EnvironmentView): string {
  const current = e.serving?.current ?? e.deployed.current;
  const previous = e.serving?.current !== undefined ? e.serving.previous : e.deployed.previous;
  const rows: [string, string][] = [
    ['Target', escapeHtml(e.target)],
    ['Worker now', current ? shortId(current) : '<span class="muted">none recorded</span>'],
    ['Before', previous ? shortId(previous) : '<span class="muted">none recorded</span>'],
    ['Last bookmark', e.deployed.bookmark ? shortId(e.deployed.bookmark) : '<span class="muted">none</span>'],
    ['Last run', e.deployed.lastRun ? `<a href="#run-${escapeHtml(e.deployed.lastRun.runId)}" class="run-link">${escapeHtml(e.deployed.lastRun.runId)}</a> <span class="muted">${escapeHtml(e.deployed.lastRun.result)}</span>` : '<span class="muted">none</span>'],
  ];
  const checks = e.checks.length === 0 ? '<p class="muted">No health checks configured.</p>' : `<button type="button" data-health="${escapeHtml(e.name)}">Run ${e.checks.length} health check${e.checks.length === 1 ? '' : 's'}</button><div class="health-out" id="health-${escapeHtml(e.name)}" aria-live="polite"></div>`;
  return `<article class="env" data-env="${escapeHtml(e.name)}"><h3><span>${escapeHtml(e.name)}</span>${e.unavailable ? `<span class="badge busy">${escapeHtml(e.unavailable)}</span>` : ''}</h3>
<dl>${rows.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl>
<div class="health">${checks}</div>
<p class="muted">Promote here: <code class="cmd">promote --to ${escapeHtml(e.name)}</code></p></article>`;
}

/** Long ids (UUIDs, bookmarks) shown by their start; the whole id on hover and for copying. */
function shortId(id: string): string {
  const short = id.length > 14 ? `${id.slice(0, 13)}…` : id;
  return `<code class="id" title="${escapeHtml(id)}" data-id="${escapeHtml(id)}">${escapeHtml(short)}</code>`;
}

export function renderProblems(problems: readonly Problem[]): string {
  return `<ul class="problems">${problems.map((p) => `<li class="${p.severity === 'error' ? 'error' : 'warn'}"><pre style="margin:0;white-space:pre-wrap">${escapeHtml(formatProblem(p))}</pre></li>`).join('')}</ul>`;
}
