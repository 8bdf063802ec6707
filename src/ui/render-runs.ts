/** Run history, one run's story and the live panel as HTML (pure). */
import { describeDetail, describeFailure, describeStageResult, formatDuration } from '../notify/describe.js';
import { buildStateDiagram } from '../notify/github/step-summary.js';
import { escapeHtml } from './html.js';
import type { RunView } from './run-model.js';
import { drawStatePath } from './state-path-svg.js';

const RESULT_TEXT: Record<RunView['result'], string> = {
  promoted: '✓ promoted',
  'rolled-back': '↩ rolled back',
  failed: '✗ failed',
  interrupted: '‖ interrupted',
  running: '… running',
  unreadable: '? unreadable',
};

/**
 * The list carries each run's summary line only; a run's story is fetched when it is
 * opened (/api/run), so 200 runs cost 200 lines, not 200 diagrams.
 */
export function renderRunList(runs: readonly RunView[]): string {
  if (runs.length === 0) return '<p class="muted">No runs yet. Start one with <code>promote --to &lt;env&gt;</code>.</p>';
  return `<div class="runs">${runs.map((r) => renderRun(r, false)).join('\n')}</div>`;
}

/** A run: its summary line (a <summary>) and its story (inline, or fetched when opened). */
export function renderRun(run: RunView, withBody = true): string {
  // A stage without a result in a run that is no longer running stopped there.
  const open = run.result === 'running' ? 'running' : 'stopped';
  const stages = run.memory.stages
    .map((s) => `<span class="stage-chip r-${s.result ?? (s.steps.length ? 'running' : 'none')}">${escapeHtml(s.environment)}: ${escapeHtml(s.result ? describeStageResult(s.result) : s.steps.length ? open : 'not reached')}</span>`)
    .join(' ');
  return `<details class="run" id="run-${escapeHtml(run.runId)}" data-run="${escapeHtml(run.runId)}" data-result="${run.result}">
<summary><span class="result r-${run.result}">${RESULT_TEXT[run.result]}</span> <code class="run-id">${escapeHtml(run.runId)}</code> <span class="muted">→ ${escapeHtml(run.to ?? '?')}</span> <span class="when">${escapeHtml(run.startedAt ?? '')}</span> <span class="took">${run.durationMs !== undefined ? escapeHtml(formatDuration(run.durationMs)) : ''}</span> ${stages}</summary>
${withBody ? `<div class="run-body">${renderRunBody(run)}</div>` : '<div class="run-body" data-lazy="1">reading the journal…</div>'}
</details>`;
}

export function renderRunBody(run: RunView): string {
  const out: string[] = [];
  const facts = [
    ['Run', `<code>${escapeHtml(run.runId)}</code>`],
    ['Result', escapeHtml(RESULT_TEXT[run.result])],
    ['Target', escapeHtml(run.to ?? 'unknown')],
    ['Started', escapeHtml(run.startedAt ?? 'unknown')],
    ['Duration', run.durationMs !== undefined ? escapeHtml(formatDuration(run.durationMs)) : '—'],
    ['Triggered by', escapeHtml(run.triggeredBy ?? 'not recorded in this run')],
    ...(run.memory.resumed ? [['Flags', 'resumed']] : []),
    ...(run.memory.dryRun ? [['Flags', 'dry run']] : []),
  ];
  out.push(`<dl class="facts">${facts.map(([k, v]) => `<div><dt>${k}</dt><dd>${v}</dd></div>`).join('')}</dl>`);
  if (run.unreadable.length > 0) out.push(`<p class="warn" role="note"><strong>Could not read everything:</strong> ${run.unreadable.map(escapeHtml).join('; ')}. Shown is what could be read.</p>`);
  if (run.memory.summary?.message) out.push(`<p>${escapeHtml(run.memory.summary.message)}</p>`);
  if (run.story.length > 0) out.push(`<section class="story" aria-label="rollback story"><h4>Rollback story</h4><ol>${run.story.map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ol></section>`);
  if (run.lostWrites.length > 0) out.push(`<p class="warn lost-writes" role="note"><strong>Lost writes:</strong> ${run.lostWrites.map(escapeHtml).join('; ')}</p>`);
  if (run.actions.length > 0) out.push(`<div class="actions">${run.actions.map((a) => `<p>${escapeHtml(a.why)}: <code class="cmd">${escapeHtml(a.command)}</code></p>`).join('')}</div>`);
  out.push(`<figure class="diagram">${drawStatePath(run.memory)}<figcaption>The run's path through the machine <details class="mermaid-src"><summary>Mermaid source (as in the GitHub job summary)</summary><pre>${escapeHtml(buildStateDiagram(run.memory))}</pre></details></figcaption></figure>`);
  for (const stage of run.memory.stages) {
    const steps = stage.steps;
    if (steps.length === 0) continue;
    const rows = steps
      .map((s) => {
        const running = run.result === 'running';
        const detail = s.state === 'failed' ? describeFailure(s.step, s.error ?? '', s.detail).join('; ') : s.state === 'started' ? (running ? 'in flight' : 'started, never finished: resume repeats it (every step checks real state first)') : describeDetail(s.step, s.detail);
        const mark = s.state === 'failed' ? '✗ failed' : s.state === 'succeeded' ? '✓ done' : running ? '… running' : '‖ stopped';
        return `<tr class="st-${s.state}"><td>${escapeHtml(s.step)}</td><td>${mark}</td><td class="num">${s.durationMs !== undefined ? escapeHtml(formatDuration(s.durationMs)) : ''}</td><td>${escapeHtml(detail)}</td></tr>`;
      })
      .join('');
    const facts = [
      stage.bookmark ? `bookmark <code>${escapeHtml(stage.bookmark)}</code>` : '',
      stage.workerVersion ? `Worker <code>${escapeHtml(stage.workerVersion)}</code>${stage.previousWorkerVersion ? ` (was <code>${escapeHtml(stage.previousWorkerVersion)}</code>)` : ''}` : '',
    ].filter(Boolean);
    const checks = (stage.checks ?? [])
      .map((c) => `<li>${c.ok ? '✓' : '✗'} ${escapeHtml(c.name)}: ${c.attempts.length} attempt(s), last ${c.attempts.at(-1) ? escapeHtml(formatDuration(c.attempts.at(-1)!.latencyMs)) : '—'}${c.reason ? ` — ${escapeHtml(c.reason)}` : ''}</li>`)
      .join('');
    out.push(`<section class="stage"><h4>${escapeHtml(stage.environment)}: ${escapeHtml(stage.result ? describeStageResult(stage.result) : run.result === 'running' ? 'running' : 'stopped')}${stage.durationMs !== undefined ? ` <span class="muted">(${escapeHtml(formatDuration(stage.durationMs))})</span>` : ''}</h4>${facts.length ? `<p>${facts.join(' · ')}</p>` : ''}<table class="steps"><thead><tr><th>Step</th><th>Result</th><th>Duration</th><th>Detail</th></tr></thead><tbody>${rows}</tbody></table>${checks ? `<ul class="checks">${checks}</ul>` : ''}</section>`);
  }
  return out.join('\n');
}

/** The run in progress, if any, large: where it is now and what it has done. */
export function renderLive(run: RunView | undefined): string {
  if (!run) return '<p class="muted" data-live="idle">No promotion is running. This panel follows one as soon as it starts (any process writing this project’s <code>.promote/</code>).</p>';
  const last = lastTransition(run);
  // Between two steps nothing is in flight: say what just finished.
  const where = run.current ? `${run.current.stage}: ${run.current.step}…` : run.result !== 'running' ? RESULT_TEXT[run.result] : (last ?? 'starting…');
  return `<div data-live="${run.result}" data-run="${escapeHtml(run.runId)}"><p class="live-now"><span class="result r-${run.result}">${escapeHtml(RESULT_TEXT[run.result])}</span> <code>${escapeHtml(run.runId)}</code> → ${escapeHtml(run.to ?? '?')} · now: <strong class="live-step">${escapeHtml(where)}</strong></p>${last ? `<p class="muted live-last">last transition: ${escapeHtml(last)}</p>` : ''}${drawStatePath(run.memory)}</div>`;
}

function lastTransition(run: RunView): string | undefined {
  const stage = [...run.memory.stages].reverse().find((s) => s.steps.length > 0);
  const step = stage?.steps.at(-1);
  if (!stage || !step) return undefined;
  return `${stage.environment}: ${step.step} ${step.state}`;
}
