/** The pieces the page fetches on demand: health results and a plan (pure). */
import { formatDuration } from '../notify/describe.js';
import { escapeHtml } from './html.js';
import type { HealthReading, PlanView } from './read-on-demand.js';
import { renderProblems } from './render-page.js';

export function renderHealth(h: HealthReading): string {
  if ('busy' in h) return `<p class="warn">${escapeHtml(h.busy)}. Try again when it is done.</p>`;
  if ('error' in h) return `<p class="error">Could not run the checks: ${escapeHtml(h.error)}</p>`;
  const items = h.results
    .map((c) => {
      const last = c.attempts.at(-1);
      const status = last?.status !== undefined && !last.noAnswer ? `status ${last.status}` : 'no answer';
      return `<li data-check="${escapeHtml(c.name)}">${c.ok ? '✓ passed' : '✗ failed'}: ${escapeHtml(c.name)} — ${escapeHtml(status)}, ${last ? escapeHtml(formatDuration(last.latencyMs)) : '—'} (${c.attempts.length} attempt${c.attempts.length === 1 ? '' : 's'}, ${escapeHtml(formatDuration(c.durationMs))} in all)${c.reason ? `<br><span class="muted">${escapeHtml(c.reason)}</span>` : ''}</li>`;
    })
    .join('');
  return `<p><strong>${h.ok ? '✓ healthy' : '✗ unhealthy'}</strong> <span class="muted">at ${escapeHtml(h.baseUrl)}, ${escapeHtml(new Date().toISOString())}</span></p><ul>${items}</ul>${h.ok ? '' : `<p>To put the previous version back: <code class="cmd">promote rollback --env ${escapeHtml(h.environment)}</code></p>`}`;
}

export function renderPlan(plan: PlanView): string {
  const stages = plan.stages
    .map((s, i) => {
      const dbs = s.unavailable
        ? `<p class="warn">${escapeHtml(s.unavailable)}</p>`
        : s.databases
            .map((d) => {
              const pending =
                d.pending.length === 0
                  ? 'up to date'
                  : `${d.pending.length} to apply<ul>${d.pending
                      .map((m) => `<li><code>+ ${escapeHtml(m.name)}</code> <span class="${m.class === 'contract' ? 'warn' : 'muted'}">${m.class}${m.reasons.length > 0 ? `: ${escapeHtml(m.reasons.join('; '))}` : ''}</span></li>`)
                      .join('')}</ul>${d.transports.map((t) => `<div class="muted">${escapeHtml(t)}</div>`).join('')}`;
              const drift = d.drift.map((x) => `<li class="error">! ${escapeHtml(x.name)}: ${escapeHtml(x.reason)}</li>`).join('');
              return `<div><code>${escapeHtml(d.binding)}</code>: ${pending}${drift ? `<ul>${drift}</ul>` : ''}</div>`;
            })
            .join('');
      return `<div class="plan-stage"><strong>${i + 1}. ${escapeHtml(s.environment)}</strong>${s.bookmark ? ' <span class="muted">(bookmark before migrating)</span>' : ''}${dbs}</div>`;
    })
    .join('');
  const problems = plan.problems.length > 0 ? `<h4>Refused</h4>${renderProblems(plan.problems)}` : '';
  const warnings = plan.warnings.length > 0 ? `<h4>Lint warnings</h4>${renderProblems(plan.warnings)}` : '<p class="muted">No lint warnings.</p>';
  const next = plan.problems.length > 0 ? '<p>Fix the problems above first.</p>' : `<p>To do it: <code class="cmd">promote --to ${escapeHtml(plan.to)}</code> (preview: <code class="cmd">promote --to ${escapeHtml(plan.to)} --dry-run</code>)</p>`;
  return `${stages}${problems}${next}${warnings}<p class="muted">expand: safe beside the previous Worker version; contract: ship it after the code stops using the old shape.</p>`;
}
